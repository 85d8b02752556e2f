#include "crypto/crypto_internal.h"

#include <string>

#include <openssl/err.h>
#include <openssl/x509.h>

namespace eml::crypto::internal {

Status OpenSslError(StatusCode code, std::string_view what) {
  ERR_clear_error();
  return Status(code, std::string(what));
}

Bytes PublicKeySpkiDer(const EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(pkey, &der);
  if (len <= 0) return Bytes();
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

}  // namespace eml::crypto::internal

#include "crypto/crypto_internal.h"

#include <string>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "core/clock.h"

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

StatusOr<int64_t> Asn1TimeToUnixSeconds(const ASN1_TIME* t, std::string_view error) {
  struct tm tm = {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    return OpenSslError(StatusCode::kInvalidArgument, error);
  }
  return UnixSecondsFromCivil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                              tm.tm_sec);
}

}  // namespace eml::crypto::internal

#include "crypto/crypto_internal.h"

#include <memory>
#include <string>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "core/clock.h"

namespace eml::crypto::internal {

Status OpenSslError(StatusCode code, std::string_view what) {
  ERR_clear_error();
  return Status(code, std::string(what));
}

StatusOr<UniqueEvpPkey> ParsePkcs8PrivateKey(ByteSpan der, std::string_view who) {
  constexpr size_t kMaxPkcs8Size = 1024;  // a P-384 PrivateKeyInfo is ~185 bytes
  const std::string prefix(who);
  if (der.empty() || der.size() > kMaxPkcs8Size) {
    return InvalidArgumentError(prefix + ": PKCS#8 size out of range");
  }
  struct P8Deleter {
    void operator()(PKCS8_PRIV_KEY_INFO* p) const { PKCS8_PRIV_KEY_INFO_free(p); }
  };
  const unsigned char* p = der.data();
  std::unique_ptr<PKCS8_PRIV_KEY_INFO, P8Deleter> p8(
      d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(der.size())));
  if (!p8 || p != der.data() + der.size()) {
    return OpenSslError(StatusCode::kInvalidArgument, prefix + ": malformed PKCS#8 DER");
  }
  UniqueEvpPkey pkey(EVP_PKCS82PKEY(p8.get()));
  if (!pkey) return OpenSslError(StatusCode::kInvalidArgument, prefix + ": PKCS#8 holds no usable key");
  UniqueEvpPkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!check || EVP_PKEY_check(check.get()) != 1) {
    return OpenSslError(StatusCode::kInvalidArgument, prefix + ": key pair is inconsistent");
  }
  return pkey;
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

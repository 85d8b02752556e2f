// X.509 pieces shared by x509.cc, x509_ext.cc and x509_crl.cc (crypto
// internals; nothing outside src/crypto includes this).
#ifndef EML_CRYPTO_X509_INTERNAL_H_
#define EML_CRYPTO_X509_INTERNAL_H_

#include <functional>
#include <memory>
#include <span>

#include <openssl/x509.h>

#include "core/bytes.h"
#include "core/status.h"
#include "crypto/x509.h"

namespace eml::crypto::internal {

struct X509Deleter {
  void operator()(X509* p) const { X509_free(p); }
};
using UniqueX509 = std::unique_ptr<X509, X509Deleter>;

// Strict DER: at most kMaxCertificateSize, the whole input, and it re-encodes
// to the same bytes.
StatusOr<UniqueX509> ParseX509Der(ByteSpan der);

// Builds and verifies leaf <- intermediates <- one of `roots` at the given
// time with the project's verifier settings (x509.cc ConfigureParams), then
// runs `check` on every certificate of the built chain (index 0 is the leaf,
// the last one the trust anchor). VerificationFailed when OpenSSL or `check`
// refuses.
StatusOr<VerifiedChain> VerifyChainWith(
    ByteSpan leaf_der, std::span<const Bytes> intermediates_der, std::span<const ByteSpan> roots_der,
    int64_t unix_time_seconds, const std::function<Status(const X509* cert, bool anchor)>& check);

}  // namespace eml::crypto::internal

#endif  // EML_CRYPTO_X509_INTERNAL_H_

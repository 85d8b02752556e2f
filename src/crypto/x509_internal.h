// X.509 pieces shared by x509.cc, x509_ext.cc and x509_crl.cc (crypto
// internals; nothing outside src/crypto includes this).
#ifndef EML_CRYPTO_X509_INTERNAL_H_
#define EML_CRYPTO_X509_INTERNAL_H_

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
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

// A bounded memo of certificate signatures that verified: each key is
// SHA-256 over (issuer SubjectPublicKeyInfo, whole subject certificate DER),
// so a hit means X509_verify already returned success for exactly these
// bytes. It memoises a pure function and nothing else; failures are never
// stored. When full, the oldest key is forgotten.
// Thread-safe: every member takes mu_.
class SignatureMemo {
 public:
  using Key = std::array<uint8_t, 32>;
  explicit SignatureMemo(size_t capacity);

  bool Contains(const Key& key);  // counts hits
  void Remember(const Key& key);
  size_t size() const;
  size_t capacity() const { return capacity_; }
  uint64_t hits() const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;  // guards keys_, order_, hits_
  std::set<Key> keys_;
  std::deque<Key> order_;  // insertion order, oldest first
  uint64_t hits_ = 0;
};

// The process-wide memo used by VerifyChainWith (capacity 1024).
SignatureMemo& CertificateSignatureMemo();

// X509_STORE_CTX's verify step (OpenSSL's internal_verify: the issuer
// signature of every link and every certificate's validity at the
// configured time, anchor included), with signatures answered from
// CertificateSignatureMemo() when the same link verified before. Key usage
// (keyCertSign) is checked on every link. Set with X509_STORE_CTX_set_verify.
int VerifyChainSignaturesAndTimes(X509_STORE_CTX* ctx);

}  // namespace eml::crypto::internal

#endif  // EML_CRYPTO_X509_INTERNAL_H_

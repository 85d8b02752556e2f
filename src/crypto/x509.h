// X.509 certificate parsing and chain verification (RFC 5280 via OpenSSL).
//
// Verification always happens at a caller-supplied time (attestation
// documents carry their own timestamp; enclaves do not trust the host clock),
// never at the wall clock. Issuers must be CA:TRUE with keyCertSign, path
// length constraints are enforced, and only ECDSA (P-256/P-384 with SHA-256/
// SHA-384), RSA (>= 2048 bits) and Ed25519 signatures are accepted.
// Certificates are bounded by kMaxCertificateSize and chains by
// kMaxChainLength.
//
// Attestation chains repeat the same certificates on every handshake, so
// parsed certificates (the last 64, by exact DER) and issuer signatures that
// verified (the last 1024 links, by SHA-256 over issuer key and certificate)
// are remembered process-wide; validity times, key usage, path length and
// everything else are checked on every call (x509_verify.cc).
//
// Thread-safety: thread-safe; results are those of pure functions.
#ifndef EML_CRYPTO_X509_H_
#define EML_CRYPTO_X509_H_

#include <cstdint>
#include <span>

#include "core/bytes.h"
#include "core/status.h"

namespace eml::crypto {

inline constexpr size_t kMaxCertificateSize = 16 * 1024;
inline constexpr size_t kMaxChainLength = 8;  // intermediates + leaf

struct CertificateInfo {
  Bytes spki_der;             // SubjectPublicKeyInfo, DER
  int64_t not_before = 0;     // unix seconds
  int64_t not_after = 0;      // unix seconds
  bool is_ca = false;         // basicConstraints CA:TRUE
  bool self_signed = false;   // subject == issuer and signature verifies with own key
};

// Parses one DER certificate (strict: no trailing bytes, re-encodes equal).
StatusOr<CertificateInfo> ParseCertificate(ByteSpan der);

struct VerifiedChain {
  Bytes leaf_spki_der;
  int64_t leaf_not_before = 0;
  int64_t leaf_not_after = 0;
  size_t chain_length = 0;  // certificates from leaf to trust anchor inclusive
};

// Verifies leaf -> intermediates -> one of trusted_roots at
// `unix_time_seconds`. VerificationFailed on any chain error;
// InvalidArgument / LimitExceeded on unparsable or oversized input.
// `leaf_der` may itself be a trusted root (a chain of one).
StatusOr<VerifiedChain> VerifyCertificateChain(ByteSpan leaf_der,
                                               std::span<const Bytes> intermediates_der,
                                               std::span<const Bytes> trusted_roots_der,
                                               int64_t unix_time_seconds);

}  // namespace eml::crypto

#endif  // EML_CRYPTO_X509_H_

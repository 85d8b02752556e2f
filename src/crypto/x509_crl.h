// Certificate revocation lists (RFC 5280 section 5), for verifiers whose PKI
// publishes CRLs (Intel SGX/TDX DCAP: attest/tdx.h).
//
// CheckNotRevoked judges one certificate against one complete CRL from its
// issuer at a caller-supplied time; the caller must already trust the issuer
// certificate (e.g. it came out of VerifyCertificateChain). Delta CRLs,
// indirect CRLs and issuing-distribution-point scoping are not supported: a
// CRL carrying any critical extension is rejected.
//
// Thread-safety: pure functions.
#ifndef EML_CRYPTO_X509_CRL_H_
#define EML_CRYPTO_X509_CRL_H_

#include <cstdint>

#include "core/bytes.h"
#include "core/status.h"

namespace eml::crypto {

inline constexpr size_t kMaxCrlSize = 1024 * 1024;

struct CrlInfo {
  int64_t this_update = 0;   // unix seconds
  int64_t next_update = 0;   // unix seconds
  size_t revoked_count = 0;  // entries on the list
};

// Checks, in order: `crl_der` is strict DER (re-encodes to the input, no
// trailing bytes, <= kMaxCrlSize), version 2, no critical extensions; its
// issuer name equals the subject of `issuer_cert_der`, which is a CA allowed
// to sign CRLs (cRLSign when keyUsage is present); the CRL signature verifies
// with the issuer key (ECDSA/RSA with SHA-256/384/512 only); thisUpdate <=
// time < nextUpdate (nextUpdate is required); `cert_der` names the same
// issuer; and its serial number is not on the list.
// InvalidArgument / LimitExceeded for unparsable input, VerificationFailed
// for everything else (a revoked certificate: "x509: certificate revoked").
StatusOr<CrlInfo> CheckNotRevoked(ByteSpan crl_der, ByteSpan issuer_cert_der, ByteSpan cert_der,
                                  int64_t unix_time_seconds);

// Parses a CRL (same structural rules as CheckNotRevoked) without judging it.
StatusOr<CrlInfo> ParseCrl(ByteSpan crl_der);

}  // namespace eml::crypto

#endif  // EML_CRYPTO_X509_CRL_H_

// X.509 beyond crypto/x509.h, for vendor attestation PKIs (AMD's KDS first):
// reading a certificate's names and private extensions, splitting a PEM
// bundle, and verifying a chain whose every signature is RSASSA-PSS.
//
// AMD's SEV-SNP chain (ARK -> ASK/ASVK -> VCEK/VLEK) is signed throughout
// with RSASSA-PSS (SHA-384, MGF1-SHA-384, 48-byte salt), which
// crypto::VerifyCertificateChain does not admit, and the VCEK carries the
// TCB it was derived for in private extensions (docs/attestation-snp.md).
// VerifyRsaPssCertificateChain shares VerifyCertificateChain's rules (the
// caller's time, OpenSSL's RFC 5280 path checks without X509_STRICT, security
// level 2, bounded depth) and replaces the algorithm allowlist with exactly
// that PSS profile, for the trust anchor's self-signature too.
//
// Limits: certificates as in crypto/x509.h (16 KiB), at most
// kMaxCertificateExtensions extensions, names and OIDs of at most 256 bytes,
// PEM bundles of at most kMaxPemBundleSize bytes and kMaxPemCertificates
// certificates.
//
// Thread-safety: pure functions.
#ifndef EML_CRYPTO_X509_EXT_H_
#define EML_CRYPTO_X509_EXT_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"
#include "crypto/x509.h"

namespace eml::crypto {

inline constexpr size_t kMaxCertificateExtensions = 32;
inline constexpr size_t kMaxPemBundleSize = 64 * 1024;
inline constexpr size_t kMaxPemCertificates = 8;

struct CertificateExtension {
  std::string oid;  // dotted decimal, e.g. "1.3.6.1.4.1.3704.1.4"
  bool critical = false;
  Bytes value;      // the extnValue OCTET STRING's contents
};

struct CertificateDetails {
  CertificateInfo info;             // as ParseCertificate returns it
  std::string subject_common_name;  // first CN of the subject, UTF-8; "" if none
  std::string issuer_common_name;   // first CN of the issuer, UTF-8; "" if none
  std::vector<CertificateExtension> extensions;  // in certificate order
};

// Parses one DER certificate as strictly as ParseCertificate and also returns
// its names and every extension. Duplicate extension OIDs are rejected.
StatusOr<CertificateDetails> ParseCertificateDetails(ByteSpan der);

// The extension with `oid`, or null.
const CertificateExtension* FindExtension(const CertificateDetails& details, std::string_view oid);

// Decoders for extension values. Each requires exactly one DER element and
// nothing after it. An INTEGER must be non-negative, minimally encoded and
// below 2^63; an IA5String must hold at most 256 bytes.
StatusOr<uint64_t> DecodeDerUnsignedInteger(ByteSpan der);
StatusOr<std::string> DecodeDerIa5String(ByteSpan der);

// Every "CERTIFICATE" block of a PEM text, in order, each checked with
// ParseCertificate. A block of another type, PEM headers, or no certificate
// at all is InvalidArgument; a larger text or more certificates than the
// limits is LimitExceeded.
StatusOr<std::vector<Bytes>> CertificatesFromPem(std::string_view pem);

// Verifies leaf -> intermediates -> `root_der` (the only trust anchor) at
// `unix_time_seconds`, requiring every certificate of the path, the anchor
// included, to be signed with RSASSA-PSS using SHA-384, MGF1 with SHA-384
// and a 48-byte salt (trailer field 1). VerificationFailed on any chain or
// algorithm error; InvalidArgument / LimitExceeded on unparsable or oversized
// input.
StatusOr<VerifiedChain> VerifyRsaPssCertificateChain(ByteSpan leaf_der,
                                                     std::span<const Bytes> intermediates_der,
                                                     ByteSpan root_der, int64_t unix_time_seconds);

}  // namespace eml::crypto

#endif  // EML_CRYPTO_X509_EXT_H_

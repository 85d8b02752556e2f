// Issuing X.509 certificates for a private P-384 CA (development evidence).
//
// The development attestation provider (src/attest/dev_provider.h) needs a
// root -> intermediate -> leaf chain of its own that looks like the AWS Nitro
// PKI: ECDSA P-384 keys, ecdsa-with-SHA384 signatures, X.509 v3 with
// basicConstraints (critical; CA:TRUE with a path length on CAs, CA:FALSE on
// leaves), keyUsage (critical; keyCertSign|cRLSign on CAs, digitalSignature on
// leaves), subject and authority key identifiers (RFC 5280 section 4.2.1.2
// method 1: SHA-1 of the subjectPublicKey bits) and a random 16-byte positive
// serial. Validity windows are the caller's; they are written as UTCTime
// before 2050 and GeneralizedTime from 2050 on (RFC 5280 section 4.1.2.5).
// Issued chains verify with crypto/x509.h at any time inside every window.
//
// P384PrivateKey is a P-384 ECDSA key that, unlike crypto::EcdsaPrivateKey,
// can be saved and loaded as PKCS#8 PrivateKeyInfo DER (RFC 5958), so the
// development CA survives restarts.
// FIXME: fold PKCS#8 import/export into EcdsaPrivateKey (crypto/ecdsa.h) and
// drop this type once that header offers it; until then the two key types do
// not convert into each other (only the public half does, via PublicKey()).
//
// Limits: common name 1..64 bytes and organization 0..64 bytes (RFC 5280
// upper bounds), validity within 1970..9999 with not_before < not_after,
// path length 0..8. No CRLs, OCSP, name constraints or SANs.
//
// Thread-safety: keys are immutable once built and may be used from many
// threads at once (copies share one reference-counted OpenSSL key). The issue
// functions are pure.
#ifndef EML_CRYPTO_X509_ISSUE_H_
#define EML_CRYPTO_X509_ISSUE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "core/bytes.h"
#include "core/secret.h"
#include "core/status.h"
#include "crypto/ecdsa.h"

namespace eml::crypto {
namespace internal {
struct P384KeyAccess;  // x509_issue.cc: reaches the OpenSSL key
}  // namespace internal

class P384PrivateKey {
 public:
  static StatusOr<P384PrivateKey> Generate();
  // PKCS#8 PrivateKeyInfo DER holding an EC key on P-384 (named curve).
  // Strict: no trailing bytes; the key pair must pass OpenSSL's consistency
  // check. InvalidArgument for anything else (the message never echoes key
  // bytes).
  static StatusOr<P384PrivateKey> FromPkcs8Der(ByteSpan der);

  // Unencrypted PKCS#8 PrivateKeyInfo DER; protect it like the key itself.
  StatusOr<SecretBytes> ToPkcs8Der() const;
  // SubjectPublicKeyInfo DER of the public half.
  const Bytes& SpkiDer() const;
  EcdsaPublicKey PublicKey() const;
  // Randomized ECDSA-SHA384 over `message` (hashed inside): kRawRS gives the
  // 96-byte r||s that COSE ES384 uses, kDer the X.509 encoding.
  StatusOr<Bytes> Sign(ByteSpan message, EcdsaSignatureFormat format) const;

 private:
  struct Impl;
  explicit P384PrivateKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  friend struct internal::P384KeyAccess;

  std::shared_ptr<const Impl> impl_;
};

enum class CertificateRole { kCa, kLeaf };

struct CertificateParams {
  std::string common_name = {};   // subject CN, 1..64 bytes of UTF-8
  std::string organization = {};  // subject O, optional (empty: omitted)
  int64_t not_before = 0;    // unix seconds, inclusive
  // Unix seconds. RFC 5280 makes notAfter inclusive, but OpenSSL's verifier
  // (crypto/x509.h) already rejects the exact notAfter second.
  int64_t not_after = 0;
  CertificateRole role = CertificateRole::kLeaf;
  // CA only: maximum number of CA certificates that may follow this one in a
  // path (basicConstraints pathLenConstraint); -1 means unconstrained.
  int path_length = -1;
};

// A self-signed root CA certificate (DER) for `key`. `params.role` must be kCa.
StatusOr<Bytes> IssueRootCertificate(const P384PrivateKey& key, const CertificateParams& params);

// A certificate (DER) for the P-256/P-384 public key `subject_spki_der`,
// signed by `issuer_key`. `issuer_der` is the issuer's certificate: it must
// be a CA allowed to sign certificates, hold `issuer_key`'s public half, and,
// when a CA is issued, have no path length of 0. The subject's issuer name
// and authority key identifier come from it.
StatusOr<Bytes> IssueCertificate(const P384PrivateKey& issuer_key, ByteSpan issuer_der,
                                 ByteSpan subject_spki_der, const CertificateParams& params);

}  // namespace eml::crypto

#endif  // EML_CRYPTO_X509_ISSUE_H_

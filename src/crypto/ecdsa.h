// ECDSA over NIST P-256 (with SHA-256) and P-384 (with SHA-384).
//
// The hash is fixed by the curve so a key cannot be used with a weaker hash.
// Signatures come in two encodings: kRawRS (IEEE P1363 r||s, each integer
// left-padded to the field size; what COSE and JOSE use) and kDer (X.509 /
// RFC 3279 Ecdsa-Sig-Value). DER is parsed strictly: BER forms, non-minimal
// integers, negative integers and trailing bytes are rejected (the signature
// must re-encode to exactly the input). r and s must be in [1, n-1].
// Rejections of well-formed calls are VerificationFailed.
//
// Thread-safety: keys are immutable once built; const methods may be called
// concurrently. Keys are copyable (they share a reference-counted handle).
#ifndef EML_CRYPTO_ECDSA_H_
#define EML_CRYPTO_ECDSA_H_

#include <memory>

#include "core/bytes.h"
#include "core/status.h"

namespace eml::crypto {

enum class EcCurve { kP256, kP384 };  // hash is SHA-256 for P-256, SHA-384 for P-384
enum class EcdsaSignatureFormat { kRawRS, kDer };  // kRawRS = IEEE P1363 r||s, fixed width (COSE)

// Field / scalar size in bytes: 32 for P-256, 48 for P-384.
size_t EcCurveFieldSize(EcCurve curve);

class EcdsaPublicKey {
 public:
  // `point` is 0x04||X||Y; the point must lie on the curve.
  static StatusOr<EcdsaPublicKey> FromUncompressedPoint(EcCurve curve, ByteSpan point);
  // x and y are big-endian, exactly the field size each.
  static StatusOr<EcdsaPublicKey> FromCoordinates(EcCurve curve, ByteSpan x, ByteSpan y);
  // SubjectPublicKeyInfo DER; curve detected, must be P-256 or P-384. The
  // last 16 keys built this way are remembered by their exact DER (parsing
  // costs ~0.1 ms with OpenSSL 3.0; attestation keys repeat).
  static StatusOr<EcdsaPublicKey> FromSpkiDer(ByteSpan der);

  EcCurve curve() const { return curve_; }
  Bytes UncompressedPoint() const;
  Bytes SpkiDer() const;
  Status Verify(ByteSpan message, ByteSpan signature, EcdsaSignatureFormat format) const;

 private:
  friend class EcdsaPrivateKey;
  struct Impl;
  static StatusOr<EcdsaPublicKey> ParseSpkiDer(ByteSpan der);  // FromSpkiDer without the memo
  EcdsaPublicKey(EcCurve curve, std::shared_ptr<const Impl> impl)
      : curve_(curve), impl_(std::move(impl)) {}

  EcCurve curve_;
  std::shared_ptr<const Impl> impl_;
};

class EcdsaPrivateKey {
 public:
  static StatusOr<EcdsaPrivateKey> Generate(EcCurve curve);
  // PKCS#8 PrivateKeyInfo DER (RFC 5958) holding an EC key on `curve` (named
  // curve). Strict: no trailing bytes, at most 1 KiB, the key pair must pass
  // OpenSSL's consistency check. InvalidArgument for anything else (the
  // message never echoes key bytes).
  static StatusOr<EcdsaPrivateKey> FromPkcs8Der(EcCurve curve, ByteSpan der);

  EcCurve curve() const { return curve_; }
  EcdsaPublicKey PublicKey() const;
  // Randomized ECDSA signature over `message` (hashed inside).
  StatusOr<Bytes> Sign(ByteSpan message, EcdsaSignatureFormat format) const;

 private:
  struct Impl;
  EcdsaPrivateKey(EcCurve curve, std::shared_ptr<const Impl> impl)
      : curve_(curve), impl_(std::move(impl)) {}

  EcCurve curve_;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace eml::crypto

#endif  // EML_CRYPTO_ECDSA_H_

// Ed25519 signatures (RFC 8032, pure Ed25519: no prehash, no context).
//
// Verification policy (pinned by the C2SP CCTV edge-case vectors in
// ed25519_test.cc; see docs/crypto.md "Signatures and PKI"):
//   * sizes: public key 32 bytes, signature 64 bytes, else InvalidArgument.
//   * S must be canonical (S < L); S >= L is rejected.
//   * A (public key) must be a canonical encoding (y < p) that decodes to a
//     curve point; non-canonical A is rejected by an explicit pre-check here
//     (so the policy does not depend on the library version underneath).
//   * A must not be of small order (order 1, 2, 4 or 8): such keys verify
//     signatures on any message for some R, so they are rejected by an
//     explicit pre-check.
//   * R must not be of small order (libsodium rejects it; an honest signer
//     never produces one), and R is compared as bytes against the encoding
//     of [S]B - [k]A, so a non-canonical R encoding never verifies.
//   * The equation is cofactorless ([S]B = R + [k]A). Mixed-order A (a
//     torsion component) is accepted when the cofactorless equation holds;
//     signatures that only satisfy the cofactored equation are rejected.
// Signing and verification use libsodium (faster than OpenSSL 3 here; the
// receipt of every request is signed and verified).
// Any rejection of a well-sized input is VerificationFailed.
//
// Thread-safety: Ed25519PrivateKey is an immutable value once built; const
// methods may be called concurrently.
#ifndef EML_CRYPTO_ED25519_H_
#define EML_CRYPTO_ED25519_H_

#include <cstddef>
#include <memory>

#include "core/bytes.h"
#include "core/status.h"

namespace eml::crypto {

inline constexpr size_t kEd25519PublicKeySize = 32;
inline constexpr size_t kEd25519SeedSize = 32;
inline constexpr size_t kEd25519SignatureSize = 64;

class Ed25519PrivateKey {
 public:
  static StatusOr<Ed25519PrivateKey> Generate();
  // InvalidArgument unless `seed32` is exactly 32 bytes.
  static StatusOr<Ed25519PrivateKey> FromSeed(ByteSpan seed32);

  Ed25519PrivateKey(Ed25519PrivateKey&&) noexcept;
  Ed25519PrivateKey& operator=(Ed25519PrivateKey&&) noexcept;
  ~Ed25519PrivateKey();
  Ed25519PrivateKey(const Ed25519PrivateKey&) = delete;
  Ed25519PrivateKey& operator=(const Ed25519PrivateKey&) = delete;

  Bytes PublicKey() const { return public_key_; }  // 32 bytes
  // 64-byte pure Ed25519 signature (deterministic).
  StatusOr<Bytes> Sign(ByteSpan message) const;

 private:
  // The OpenSSL key is built once: rebuilding it from the seed on every
  // Sign() re-derives the public key (a scalar multiplication) and doubled
  // the cost of signing. OpenSSL wipes the private key when it is freed.
  struct Impl;
  Ed25519PrivateKey(std::unique_ptr<Impl> impl, Bytes public_key);

  std::unique_ptr<Impl> impl_;
  Bytes public_key_;
};

// OK, or VerificationFailed (policy above) / InvalidArgument (wrong sizes).
Status Ed25519Verify(ByteSpan public_key, ByteSpan message, ByteSpan signature);

}  // namespace eml::crypto

#endif  // EML_CRYPTO_ED25519_H_

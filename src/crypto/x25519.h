// X25519 Diffie-Hellman (RFC 7748) keys, for the DHKEM inside HPKE
// (src/crypto/hpke.h) that protects client <-> enclave sessions.
//
// Public keys are raw 32-byte u-coordinates. Any 32-byte string is accepted
// as a peer key, as RFC 7748 §5 specifies (the top bit is masked and
// non-canonical values are reduced mod p), but a shared secret that is all
// zero -- the result of a low-order peer point -- is rejected, as RFC 7748
// §6.1 and RFC 9180 §7.1.4 require. docs/crypto.md states the full policy
// against the Wycheproof "acceptable" vectors.
//
// Thread-safety: a key is immutable after construction; const methods may be
// called concurrently. Lifetime: move-only; the OpenSSL key is freed (and
// wiped by OpenSSL) on destruction.
#ifndef EML_CRYPTO_X25519_H_
#define EML_CRYPTO_X25519_H_

#include <cstddef>

#include "core/bytes.h"
#include "core/secret.h"
#include "core/status.h"
#include "crypto/crypto_internal.h"

namespace eml::crypto {

inline constexpr size_t kX25519KeySize = 32;

class X25519PrivateKey {
 public:
  // A fresh key from the DRBG. Internal on DRBG failure.
  static StatusOr<X25519PrivateKey> Generate();
  // A key from its 32-byte RFC 7748 scalar (clamped on use).
  static StatusOr<X25519PrivateKey> FromBytes(ByteSpan private_key);

  X25519PrivateKey(X25519PrivateKey&&) = default;
  X25519PrivateKey& operator=(X25519PrivateKey&&) = default;

  // The 32-byte public key X25519(k, 9).
  Bytes PublicKey() const { return public_key_; }
  // The 32-byte private scalar as stored (for HPKE's SerializePrivateKey).
  StatusOr<SecretBytes> PrivateKeyBytes() const;

  // X25519(k, peer_public). InvalidArgument if `peer_public` is not 32
  // bytes or the result is all zero.
  StatusOr<SecretBytes> ComputeSharedSecret(ByteSpan peer_public) const;

 private:
  X25519PrivateKey(internal::UniqueEvpPkey pkey, Bytes public_key)
      : pkey_(std::move(pkey)), public_key_(std::move(public_key)) {}

  internal::UniqueEvpPkey pkey_;
  Bytes public_key_;
};

}  // namespace eml::crypto

#endif  // EML_CRYPTO_X25519_H_

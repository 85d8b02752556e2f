// Authenticated encryption with associated data (RFC 5116 interface):
// AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305 over OpenSSL's EVP.
//
// Used for the record layer of HPKE sessions (src/crypto/hpke.h) and for
// sealing data at rest inside the enclave. Only the IETF parameter set is
// offered: 12-byte nonces and 16-byte tags. Other nonce sizes are rejected
// with InvalidArgument, other key sizes (e.g. AES-192) by Create().
//
// Nonces are supplied by the caller here because HPKE derives them
// (base_nonce XOR sequence number); application code should use the HPKE
// contexts, which never repeat a nonce, rather than this class directly.
//
// Thread-safety: Seal/Open are const and build a fresh EVP_CIPHER_CTX per
// call, so one Aead may be used from several threads at once. The key is
// held in SecretBytes and wiped when the Aead is destroyed.
#ifndef EML_CRYPTO_AEAD_H_
#define EML_CRYPTO_AEAD_H_

#include <cstddef>
#include <span>
#include <utility>

#include "core/bytes.h"
#include "core/secret.h"
#include "core/status.h"

namespace eml::crypto {

enum class AeadAlg { kAes128Gcm, kAes256Gcm, kChaCha20Poly1305 };

inline constexpr size_t kAeadNonceSize = 12;
inline constexpr size_t kAeadTagSize = 16;

// 16 for AES-128-GCM, 32 for the others.
size_t AeadKeySize(AeadAlg alg);

class Aead {
 public:
  // InvalidArgument if key.size() != AeadKeySize(alg).
  static StatusOr<Aead> Create(AeadAlg alg, const SecretBytes& key);

  Aead(Aead&&) = default;
  Aead& operator=(Aead&&) = default;
  Aead(const Aead&) = delete;
  Aead& operator=(const Aead&) = delete;

  AeadAlg alg() const { return alg_; }

  // Returns ciphertext || 16-byte tag. A nonce must never be reused with the
  // same key. LimitExceeded for inputs of 2^31 bytes or more.
  StatusOr<Bytes> Seal(ByteSpan nonce, ByteSpan plaintext, ByteSpan aad) const;
  // Seal into the caller's buffer of exactly plaintext.size() + 16 bytes
  // (ciphertext || tag), so a record can be sealed in place behind its
  // header. `out` must not overlap `plaintext`.
  Status SealInto(ByteSpan nonce, ByteSpan plaintext, ByteSpan aad, std::span<uint8_t> out) const;

  // Inverse of Seal. VerificationFailed if the tag does not match (nothing
  // of the plaintext is returned); InvalidArgument for a bad nonce size or
  // an input shorter than the tag.
  StatusOr<Bytes> Open(ByteSpan nonce, ByteSpan ciphertext_and_tag, ByteSpan aad) const;
  // Open into the caller's buffer (exactly the plaintext size), so a large
  // plaintext needs no temporary allocation and copy. On any failure `out`
  // is wiped.
  Status OpenInto(ByteSpan nonce, ByteSpan ciphertext_and_tag, ByteSpan aad,
                  std::span<uint8_t> out) const;

 private:
  Aead(AeadAlg alg, SecretBytes key) : alg_(alg), key_(std::move(key)) {}

  AeadAlg alg_;
  SecretBytes key_;
};

}  // namespace eml::crypto

#endif  // EML_CRYPTO_AEAD_H_

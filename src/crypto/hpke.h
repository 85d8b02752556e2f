// HPKE (RFC 9180) for client <-> enclave sessions, composed from our own
// primitives because OpenSSL 3.0 (Debian 12) has no HPKE API (3.2 added
// one). The composition is proven against the official RFC 9180 test
// vectors (hpke_test.cc; provenance in docs/crypto.md).
//
// One suite family: KEM DHKEM(X25519, HKDF-SHA256) (0x0020), KDF
// HKDF-SHA256 (0x0001), AEAD AES-128-GCM (0x0001), AES-256-GCM (0x0002),
// ChaCha20-Poly1305 (0x0003) or export-only (0xFFFF). All four modes: base,
// psk, auth, auth_psk. Setup takes an options struct:
//
//   ASSIGN_OR_RETURN(HpkeSender sender, SetupHpkeSender({
//       .mode = HpkeMode::kBase, .aead = HpkeAead::kAes256Gcm,
//       .recipient_public_key = enclave_pk, .info = transcript}));
//   send(sender.enc); ASSIGN_OR_RETURN(Bytes ct, sender.context.Seal(aad, pt));
//
// Rules enforced here: psk and psk_id are given together or not at all, and
// only in the psk modes; a psk has at least 32 bytes; the sender key (auth
// modes) is required exactly when the mode says so. Sequence numbers are
// 64-bit: a context refuses to seal/open after 2^64 - 1 messages
// (LimitExceeded), well before the RFC's 2^96 - 1 limit.
//
// Thread-safety: contexts are stateful (sequence number) and must not be
// shared between threads without external locking. Lifetime: spans in the
// options structs are borrowed for the duration of the Setup call only.
#ifndef EML_CRYPTO_HPKE_H_
#define EML_CRYPTO_HPKE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

#include "core/bytes.h"
#include "core/secret.h"
#include "core/status.h"
#include "crypto/aead.h"
#include "crypto/x25519.h"

namespace eml::crypto {

enum class HpkeMode : uint8_t { kBase = 0x00, kPsk = 0x01, kAuth = 0x02, kAuthPsk = 0x03 };
enum class HpkeAead : uint16_t {
  kAes128Gcm = 0x0001,
  kAes256Gcm = 0x0002,
  kChaCha20Poly1305 = 0x0003,
  kExportOnly = 0xFFFF,
};
inline constexpr uint16_t kHpkeKemX25519HkdfSha256 = 0x0020;
inline constexpr uint16_t kHpkeKdfHkdfSha256 = 0x0001;

// DeriveKeyPair (RFC 9180 §7.1.3) for DHKEM(X25519, HKDF-SHA256): a key pair
// deterministically derived from input keying material (at least 32 bytes
// of entropy are the caller's responsibility).
StatusOr<X25519PrivateKey> HpkeDeriveKeyPair(ByteSpan ikm);

// Shared by sender and recipient contexts: the key schedule's output and the
// sequence number. Use HpkeSenderContext / HpkeRecipientContext.
class HpkeContextState {
 public:
  HpkeContextState(HpkeAead aead_id, std::optional<Aead> aead, SecretBytes base_nonce,
                   SecretBytes exporter_secret)
      : aead_id_(aead_id),
        aead_(std::move(aead)),
        base_nonce_(std::move(base_nonce)),
        exporter_secret_(std::move(exporter_secret)) {}

  StatusOr<Bytes> Seal(ByteSpan aad, ByteSpan plaintext);
  StatusOr<Bytes> Open(ByteSpan aad, ByteSpan ciphertext);
  // Secret export (RFC 9180 §5.3): 1..255*32 bytes.
  StatusOr<SecretBytes> Export(ByteSpan exporter_context, size_t length) const;
  uint64_t sequence() const { return seq_; }
  void SetSequenceForTesting(uint64_t seq) { seq_ = seq; }

 private:
  StatusOr<Bytes> NextNonce() const;

  HpkeAead aead_id_;  // part of the suite_id used by Export
  std::optional<Aead> aead_;  // empty for export-only
  SecretBytes base_nonce_;
  SecretBytes exporter_secret_;
  uint64_t seq_ = 0;
};

class HpkeSenderContext {
 public:
  explicit HpkeSenderContext(HpkeContextState state) : state_(std::move(state)) {}
  // Encrypts the next message. FailedPrecondition for export-only suites.
  StatusOr<Bytes> Seal(ByteSpan aad, ByteSpan plaintext) { return state_.Seal(aad, plaintext); }
  StatusOr<SecretBytes> Export(ByteSpan exporter_context, size_t length) const {
    return state_.Export(exporter_context, length);
  }
  uint64_t sequence() const { return state_.sequence(); }
  void SetSequenceForTesting(uint64_t seq) { state_.SetSequenceForTesting(seq); }

 private:
  HpkeContextState state_;
};

class HpkeRecipientContext {
 public:
  explicit HpkeRecipientContext(HpkeContextState state) : state_(std::move(state)) {}
  // Decrypts the next message; messages must arrive in order. A failure
  // (VerificationFailed) does not advance the sequence number.
  StatusOr<Bytes> Open(ByteSpan aad, ByteSpan ciphertext) { return state_.Open(aad, ciphertext); }
  StatusOr<SecretBytes> Export(ByteSpan exporter_context, size_t length) const {
    return state_.Export(exporter_context, length);
  }
  uint64_t sequence() const { return state_.sequence(); }
  void SetSequenceForTesting(uint64_t seq) { state_.SetSequenceForTesting(seq); }

 private:
  HpkeContextState state_;
};

struct HpkeSenderOptions {
  HpkeMode mode = HpkeMode::kBase;
  HpkeAead aead = HpkeAead::kAes256Gcm;
  ByteSpan recipient_public_key = {};  // 32 bytes
  ByteSpan info = {};
  ByteSpan psk = {};  // psk modes only (secret, borrowed)
  ByteSpan psk_id = {};  // psk modes only
  const X25519PrivateKey* sender_key = nullptr;  // auth modes only
  // Tests only: a fixed ephemeral key (e.g. from HpkeDeriveKeyPair). Null in
  // production, where a fresh key is generated for every setup.
  const X25519PrivateKey* ephemeral_key_for_testing = nullptr;
};

struct HpkeRecipientOptions {
  HpkeMode mode = HpkeMode::kBase;
  HpkeAead aead = HpkeAead::kAes256Gcm;
  ByteSpan enc = {};  // 32 bytes from the sender
  const X25519PrivateKey* recipient_key = nullptr;  // required
  ByteSpan info = {};
  ByteSpan psk = {};
  ByteSpan psk_id = {};
  ByteSpan sender_public_key = {};  // auth modes only
};

struct HpkeSender {
  Bytes enc;  // the encapsulated key to send to the recipient
  HpkeSenderContext context;
};

StatusOr<HpkeSender> SetupHpkeSender(const HpkeSenderOptions& options);
StatusOr<HpkeRecipientContext> SetupHpkeRecipient(const HpkeRecipientOptions& options);

// Building blocks of the setup, exposed so the known-answer tests can check
// every intermediate value of RFC 9180 Appendix A. Not for application use.
namespace hpke_internal {

struct Encapsulation {
  SecretBytes shared_secret;
  Bytes enc;
};
// Encap / AuthEncap (sender_key non-null) with the given ephemeral key.
StatusOr<Encapsulation> Encap(const X25519PrivateKey& ephemeral, ByteSpan recipient_public_key,
                              const X25519PrivateKey* sender_key);
// Decap / AuthDecap (sender_public_key non-empty).
StatusOr<SecretBytes> Decap(ByteSpan enc, const X25519PrivateKey& recipient_key,
                            ByteSpan sender_public_key);

struct KeySchedule {
  SecretBytes key;  // empty for export-only
  SecretBytes base_nonce;  // empty for export-only
  SecretBytes exporter_secret;
};
// VerifyPSKInputs + KeySchedule (RFC 9180 §5.1).
StatusOr<KeySchedule> DeriveKeySchedule(HpkeMode mode, HpkeAead aead, ByteSpan shared_secret,
                                        ByteSpan info, ByteSpan psk, ByteSpan psk_id);

}  // namespace hpke_internal
}  // namespace eml::crypto

#endif  // EML_CRYPTO_HPKE_H_

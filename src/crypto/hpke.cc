#include "crypto/hpke.h"

#include <algorithm>
#include <limits>
#include <string_view>

#include "crypto/hash.h"

namespace eml::crypto {
namespace {

constexpr HashAlg kKdfHash = HashAlg::kSha256;
constexpr size_t kNh = 32;       // HKDF-SHA256 output size
constexpr size_t kNsecret = 32;  // DHKEM(X25519) shared secret size
constexpr size_t kNn = kAeadNonceSize;
constexpr size_t kMinPskSize = 32;  // RFC 9180 §5.1.2: at least 32 bytes of entropy
constexpr std::string_view kVersionLabel = "HPKE-v1";

Bytes KemSuiteId() {
  ByteWriter w;
  w.PutBytes(AsBytes("KEM"));
  w.PutU16Be(kHpkeKemX25519HkdfSha256);
  return w.Take();
}

Bytes HpkeSuiteId(HpkeAead aead) {
  ByteWriter w;
  w.PutBytes(AsBytes("HPKE"));
  w.PutU16Be(kHpkeKemX25519HkdfSha256);
  w.PutU16Be(kHpkeKdfHkdfSha256);
  w.PutU16Be(static_cast<uint16_t>(aead));
  return w.Take();
}

// LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" || suite_id || label || ikm)
SecretBytes LabeledExtract(ByteSpan suite_id, ByteSpan salt, std::string_view label,
                           ByteSpan ikm) {
  Bytes labeled_ikm = Concat({AsBytes(kVersionLabel), suite_id, AsBytes(label), ikm});
  SecretBytes prk = HkdfExtract(kKdfHash, salt, labeled_ikm);
  SecureWipe(labeled_ikm.data(), labeled_ikm.size());  // ikm may be a DH output or psk
  return prk;
}

// LabeledExpand(prk, label, info, L) =
//   Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L)
StatusOr<SecretBytes> LabeledExpand(ByteSpan suite_id, ByteSpan prk, std::string_view label,
                                    ByteSpan info, size_t length) {
  if (length > 0xFFFF) return LimitExceededError("hpke: expand length exceeds 65535");
  ByteWriter w;
  w.PutU16Be(static_cast<uint16_t>(length));
  w.PutBytes(AsBytes(kVersionLabel));
  w.PutBytes(suite_id);
  w.PutBytes(AsBytes(label));
  w.PutBytes(info);
  return HkdfExpand(kKdfHash, prk, w.bytes(), length);
}

// DHKEM ExtractAndExpand (RFC 9180 §4.1).
StatusOr<SecretBytes> ExtractAndExpand(ByteSpan dh, ByteSpan kem_context) {
  const Bytes suite_id = KemSuiteId();
  SecretBytes eae_prk = LabeledExtract(suite_id, {}, "eae_prk", dh);
  return LabeledExpand(suite_id, eae_prk.RevealSecret(), "shared_secret", kem_context, kNsecret);
}

// a || b without an unwiped temporary.
SecretBytes ConcatSecrets(const SecretBytes& a, const SecretBytes& b) {
  SecretBytes out(a.size() + b.size());
  std::copy(a.RevealSecret().begin(), a.RevealSecret().end(), out.MutableData());
  std::copy(b.RevealSecret().begin(), b.RevealSecret().end(), out.MutableData() + a.size());
  return out;
}

bool IsPskMode(HpkeMode mode) { return mode == HpkeMode::kPsk || mode == HpkeMode::kAuthPsk; }
bool IsAuthMode(HpkeMode mode) { return mode == HpkeMode::kAuth || mode == HpkeMode::kAuthPsk; }

Status CheckMode(HpkeMode mode) {
  switch (mode) {
    case HpkeMode::kBase:
    case HpkeMode::kPsk:
    case HpkeMode::kAuth:
    case HpkeMode::kAuthPsk:
      return OkStatus();
  }
  return UnsupportedError("hpke: unknown mode");
}

// VerifyPSKInputs (RFC 9180 §5.1), plus the minimum psk size.
Status VerifyPskInputs(HpkeMode mode, ByteSpan psk, ByteSpan psk_id) {
  RETURN_IF_ERROR(CheckMode(mode));
  const bool got_psk = !psk.empty();
  if (got_psk != !psk_id.empty()) {
    return InvalidArgumentError("hpke: psk and psk_id must be given together");
  }
  if (got_psk && !IsPskMode(mode)) return InvalidArgumentError("hpke: psk given in a non-psk mode");
  if (!got_psk && IsPskMode(mode)) return InvalidArgumentError("hpke: psk mode without a psk");
  if (got_psk && psk.size() < kMinPskSize) return InvalidArgumentError("hpke: psk under 32 bytes");
  return OkStatus();
}

StatusOr<std::optional<AeadAlg>> AeadAlgFor(HpkeAead aead) {
  switch (aead) {
    case HpkeAead::kAes128Gcm: return std::optional<AeadAlg>(AeadAlg::kAes128Gcm);
    case HpkeAead::kAes256Gcm: return std::optional<AeadAlg>(AeadAlg::kAes256Gcm);
    case HpkeAead::kChaCha20Poly1305: return std::optional<AeadAlg>(AeadAlg::kChaCha20Poly1305);
    case HpkeAead::kExportOnly: return std::optional<AeadAlg>();
  }
  return UnsupportedError("hpke: unknown aead id");
}

StatusOr<HpkeContextState> MakeState(HpkeAead aead, hpke_internal::KeySchedule ks) {
  ASSIGN_OR_RETURN(std::optional<AeadAlg> alg, AeadAlgFor(aead));
  std::optional<Aead> cipher;
  if (alg) {
    ASSIGN_OR_RETURN(Aead created, Aead::Create(*alg, ks.key));
    cipher.emplace(std::move(created));
  }
  return HpkeContextState(aead, std::move(cipher), std::move(ks.base_nonce),
                          std::move(ks.exporter_secret));
}

}  // namespace

StatusOr<X25519PrivateKey> HpkeDeriveKeyPair(ByteSpan ikm) {
  const Bytes suite_id = KemSuiteId();
  SecretBytes dkp_prk = LabeledExtract(suite_id, {}, "dkp_prk", ikm);
  // For X25519 the "sk" output is used directly (no candidate loop).
  ASSIGN_OR_RETURN(SecretBytes sk,
                   LabeledExpand(suite_id, dkp_prk.RevealSecret(), "sk", {}, kX25519KeySize));
  return X25519PrivateKey::FromBytes(sk.RevealSecret());
}

namespace hpke_internal {

StatusOr<Encapsulation> Encap(const X25519PrivateKey& ephemeral, ByteSpan recipient_public_key,
                              const X25519PrivateKey* sender_key) {
  ASSIGN_OR_RETURN(SecretBytes dh, ephemeral.ComputeSharedSecret(recipient_public_key));
  Bytes enc = ephemeral.PublicKey();
  Bytes kem_context = Concat({enc, recipient_public_key});
  if (sender_key != nullptr) {
    ASSIGN_OR_RETURN(SecretBytes dh_s, sender_key->ComputeSharedSecret(recipient_public_key));
    dh = ConcatSecrets(dh, dh_s);
    kem_context = Concat({kem_context, sender_key->PublicKey()});
  }
  ASSIGN_OR_RETURN(SecretBytes shared_secret, ExtractAndExpand(dh.RevealSecret(), kem_context));
  return Encapsulation{std::move(shared_secret), std::move(enc)};
}

StatusOr<SecretBytes> Decap(ByteSpan enc, const X25519PrivateKey& recipient_key,
                            ByteSpan sender_public_key) {
  if (enc.size() != kX25519KeySize) return InvalidArgumentError("hpke: enc must be 32 bytes");
  ASSIGN_OR_RETURN(SecretBytes dh, recipient_key.ComputeSharedSecret(enc));
  Bytes kem_context = Concat({enc, recipient_key.PublicKey()});
  if (!sender_public_key.empty()) {
    ASSIGN_OR_RETURN(SecretBytes dh_s, recipient_key.ComputeSharedSecret(sender_public_key));
    dh = ConcatSecrets(dh, dh_s);
    kem_context = Concat({kem_context, sender_public_key});
  }
  return ExtractAndExpand(dh.RevealSecret(), kem_context);
}

StatusOr<KeySchedule> DeriveKeySchedule(HpkeMode mode, HpkeAead aead, ByteSpan shared_secret,
                                        ByteSpan info, ByteSpan psk, ByteSpan psk_id) {
  RETURN_IF_ERROR(VerifyPskInputs(mode, psk, psk_id));
  ASSIGN_OR_RETURN(std::optional<AeadAlg> alg, AeadAlgFor(aead));
  const Bytes suite_id = HpkeSuiteId(aead);
  SecretBytes psk_id_hash = LabeledExtract(suite_id, {}, "psk_id_hash", psk_id);
  SecretBytes info_hash = LabeledExtract(suite_id, {}, "info_hash", info);
  const uint8_t mode_byte = static_cast<uint8_t>(mode);
  Bytes context = Concat({ByteSpan(&mode_byte, 1), psk_id_hash.RevealSecret(),
                          info_hash.RevealSecret()});
  SecretBytes secret = LabeledExtract(suite_id, shared_secret, "secret", psk);

  KeySchedule ks;
  if (alg) {
    ASSIGN_OR_RETURN(ks.key, LabeledExpand(suite_id, secret.RevealSecret(), "key", context,
                                           AeadKeySize(*alg)));
    ASSIGN_OR_RETURN(ks.base_nonce,
                     LabeledExpand(suite_id, secret.RevealSecret(), "base_nonce", context, kNn));
  }
  ASSIGN_OR_RETURN(ks.exporter_secret,
                   LabeledExpand(suite_id, secret.RevealSecret(), "exp", context, kNh));
  return ks;
}

}  // namespace hpke_internal

StatusOr<Bytes> HpkeContextState::NextNonce() const {
  if (!aead_) return FailedPreconditionError("hpke: export-only context cannot seal or open");
  // The constructor is public (and a moved-from context has an empty nonce):
  // never XOR the sequence number past the end of a short buffer.
  if (base_nonce_.size() != kNn) return FailedPreconditionError("hpke: base nonce is not Nn bytes");
  if (seq_ == std::numeric_limits<uint64_t>::max()) {
    return LimitExceededError("hpke: message sequence number exhausted");
  }
  // nonce = base_nonce XOR I2OSP(seq, Nn)
  Bytes nonce(base_nonce_.RevealSecret().begin(), base_nonce_.RevealSecret().end());
  for (size_t i = 0; i < sizeof(seq_); ++i) {
    nonce[kNn - 1 - i] ^= static_cast<uint8_t>(seq_ >> (8 * i));
  }
  return nonce;
}

StatusOr<Bytes> HpkeContextState::Seal(ByteSpan aad, ByteSpan plaintext) {
  ASSIGN_OR_RETURN(Bytes nonce, NextNonce());
  ASSIGN_OR_RETURN(Bytes ct, aead_->Seal(nonce, plaintext, aad));
  ++seq_;
  return ct;
}

StatusOr<Bytes> HpkeContextState::Open(ByteSpan aad, ByteSpan ciphertext) {
  ASSIGN_OR_RETURN(Bytes nonce, NextNonce());
  ASSIGN_OR_RETURN(Bytes pt, aead_->Open(nonce, ciphertext, aad));
  ++seq_;
  return pt;
}

StatusOr<SecretBytes> HpkeContextState::Export(ByteSpan exporter_context, size_t length) const {
  if (length == 0) return InvalidArgumentError("hpke: export length is zero");
  if (length > 255 * kNh) return LimitExceededError("hpke: export length exceeds 255*Nh");
  return LabeledExpand(HpkeSuiteId(aead_id_), exporter_secret_.RevealSecret(), "sec",
                       exporter_context, length);
}

StatusOr<HpkeSender> SetupHpkeSender(const HpkeSenderOptions& options) {
  RETURN_IF_ERROR(VerifyPskInputs(options.mode, options.psk, options.psk_id));
  if (IsAuthMode(options.mode) != (options.sender_key != nullptr)) {
    return InvalidArgumentError("hpke: sender key required exactly in the auth modes");
  }
  if (options.recipient_public_key.size() != kX25519KeySize) {
    return InvalidArgumentError("hpke: recipient public key must be 32 bytes");
  }
  std::optional<X25519PrivateKey> generated;
  const X25519PrivateKey* ephemeral = options.ephemeral_key_for_testing;
  if (ephemeral == nullptr) {
    ASSIGN_OR_RETURN(X25519PrivateKey fresh, X25519PrivateKey::Generate());
    generated.emplace(std::move(fresh));
    ephemeral = &*generated;
  }
  ASSIGN_OR_RETURN(hpke_internal::Encapsulation encap,
                   hpke_internal::Encap(*ephemeral, options.recipient_public_key,
                                        options.sender_key));
  ASSIGN_OR_RETURN(hpke_internal::KeySchedule ks,
                   hpke_internal::DeriveKeySchedule(options.mode, options.aead,
                                                    encap.shared_secret.RevealSecret(),
                                                    options.info, options.psk, options.psk_id));
  ASSIGN_OR_RETURN(HpkeContextState state, MakeState(options.aead, std::move(ks)));
  return HpkeSender{std::move(encap.enc), HpkeSenderContext(std::move(state))};
}

StatusOr<HpkeRecipientContext> SetupHpkeRecipient(const HpkeRecipientOptions& options) {
  RETURN_IF_ERROR(VerifyPskInputs(options.mode, options.psk, options.psk_id));
  if (options.recipient_key == nullptr) return InvalidArgumentError("hpke: recipient key missing");
  if (IsAuthMode(options.mode) != !options.sender_public_key.empty()) {
    return InvalidArgumentError("hpke: sender public key required exactly in the auth modes");
  }
  if (IsAuthMode(options.mode) && options.sender_public_key.size() != kX25519KeySize) {
    return InvalidArgumentError("hpke: sender public key must be 32 bytes");
  }
  ASSIGN_OR_RETURN(SecretBytes shared_secret,
                   hpke_internal::Decap(options.enc, *options.recipient_key,
                                        options.sender_public_key));
  ASSIGN_OR_RETURN(hpke_internal::KeySchedule ks,
                   hpke_internal::DeriveKeySchedule(options.mode, options.aead,
                                                    shared_secret.RevealSecret(), options.info,
                                                    options.psk, options.psk_id));
  ASSIGN_OR_RETURN(HpkeContextState state, MakeState(options.aead, std::move(ks)));
  return HpkeRecipientContext(std::move(state));
}

}  // namespace eml::crypto

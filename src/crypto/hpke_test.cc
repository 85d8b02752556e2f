#include "crypto/hpke.h"

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "tests/testing.h"

namespace eml::crypto {
namespace {

using eml::testing::Hex;
using nlohmann::json;

std::string HexOf(const SecretBytes& s) { return HexEncode(s.RevealSecret()); }

Bytes Field(const json& v, const char* name) {
  if (!v.contains(name) || !v[name].is_string()) {
    ADD_FAILURE() << "hpke vector lacks string field " << name;
    return {};
  }
  return Hex(v[name].get<std::string>());
}

X25519PrivateKey DeriveAndCheck(const json& v, const char* ikm, const char* sk, const char* pk) {
  StatusOr<X25519PrivateKey> key = HpkeDeriveKeyPair(Field(v, ikm));
  EXPECT_TRUE(key.ok()) << ikm;
  StatusOr<SecretBytes> sk_bytes = key->PrivateKeyBytes();
  EXPECT_TRUE(sk_bytes.ok());
  EXPECT_EQ(HexOf(*sk_bytes), HexEncode(Field(v, sk))) << sk;
  EXPECT_EQ(HexEncode(key->PublicKey()), HexEncode(Field(v, pk))) << pk;
  return *std::move(key);
}

struct Tally {
  int vectors = 0, encryptions = 0, exports = 0;
};

// Checks every value of one RFC 9180 Appendix A entry; adds to `tally`.
void CheckVector(const json& v, Tally& tally) {
  ASSERT_EQ(v.at("kem_id").get<int>(), kHpkeKemX25519HkdfSha256);
  ASSERT_EQ(v.at("kdf_id").get<int>(), kHpkeKdfHkdfSha256);
  const auto mode = static_cast<HpkeMode>(v.at("mode").get<int>());
  const auto aead = static_cast<HpkeAead>(v.at("aead_id").get<int>());
  const bool auth = mode == HpkeMode::kAuth || mode == HpkeMode::kAuthPsk;
  const bool psk = mode == HpkeMode::kPsk || mode == HpkeMode::kAuthPsk;
  EXPECT_EQ(auth, v.contains("ikmS"));
  EXPECT_EQ(psk, v.contains("psk"));

  X25519PrivateKey sk_r = DeriveAndCheck(v, "ikmR", "skRm", "pkRm");
  X25519PrivateKey sk_e = DeriveAndCheck(v, "ikmE", "skEm", "pkEm");
  std::optional<X25519PrivateKey> sk_s;
  if (auth) sk_s.emplace(DeriveAndCheck(v, "ikmS", "skSm", "pkSm"));
  const Bytes pk_r = Field(v, "pkRm"), info = Field(v, "info");
  const Bytes psk_bytes = psk ? Field(v, "psk") : Bytes();
  const Bytes psk_id = psk ? Field(v, "psk_id") : Bytes();
  const Bytes pk_s = auth ? Field(v, "pkSm") : Bytes();

  // KEM and key schedule intermediates.
  StatusOr<hpke_internal::Encapsulation> encap =
      hpke_internal::Encap(sk_e, pk_r, sk_s ? &*sk_s : nullptr);
  ASSERT_TRUE(encap.ok()) << encap.status().ToString();
  EXPECT_EQ(HexEncode(encap->enc), HexEncode(Field(v, "enc")));
  EXPECT_EQ(HexOf(encap->shared_secret), HexEncode(Field(v, "shared_secret")));
  StatusOr<SecretBytes> decap = hpke_internal::Decap(Field(v, "enc"), sk_r, pk_s);
  ASSERT_TRUE(decap.ok());
  EXPECT_EQ(HexOf(*decap), HexEncode(Field(v, "shared_secret")));
  StatusOr<hpke_internal::KeySchedule> ks = hpke_internal::DeriveKeySchedule(
      mode, aead, encap->shared_secret.RevealSecret(), info, psk_bytes, psk_id);
  ASSERT_TRUE(ks.ok()) << ks.status().ToString();
  EXPECT_EQ(HexOf(ks->key), HexEncode(Field(v, "key")));
  EXPECT_EQ(HexOf(ks->base_nonce), HexEncode(Field(v, "base_nonce")));
  EXPECT_EQ(HexOf(ks->exporter_secret), HexEncode(Field(v, "exporter_secret")));

  // The public API end to end, with the vector's ephemeral key injected.
  StatusOr<HpkeSender> sender = SetupHpkeSender({.mode = mode, .aead = aead,
                                                 .recipient_public_key = pk_r, .info = info,
                                                 .psk = psk_bytes, .psk_id = psk_id,
                                                 .sender_key = sk_s ? &*sk_s : nullptr,
                                                 .ephemeral_key_for_testing = &sk_e});
  ASSERT_TRUE(sender.ok()) << sender.status().ToString();
  EXPECT_EQ(HexEncode(sender->enc), HexEncode(Field(v, "enc")));
  StatusOr<HpkeRecipientContext> recipient = SetupHpkeRecipient(
      {.mode = mode, .aead = aead, .enc = sender->enc, .recipient_key = &sk_r, .info = info,
       .psk = psk_bytes, .psk_id = psk_id, .sender_public_key = pk_s});
  ASSERT_TRUE(recipient.ok()) << recipient.status().ToString();

  for (const json& e : v.at("encryptions")) {
    const Bytes aad = Field(e, "aad"), pt = Field(e, "pt"), ct = Field(e, "ct");
    StatusOr<Bytes> sealed = sender->context.Seal(aad, pt);
    ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
    EXPECT_EQ(HexEncode(*sealed), HexEncode(ct)) << "encryption " << tally.encryptions;
    StatusOr<Bytes> opened = recipient->Open(aad, ct);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    EXPECT_EQ(HexEncode(*opened), HexEncode(pt));
    ++tally.encryptions;
  }
  if (aead == HpkeAead::kExportOnly) {
    EXPECT_EQ(sender->context.Seal({}, {}).status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(recipient->Open({}, Bytes(16)).status().code(), StatusCode::kFailedPrecondition);
  }
  for (const json& x : v.at("exports")) {
    const Bytes exporter_context = Field(x, "exporter_context");
    const size_t length = x.at("L").get<size_t>();
    const std::string expected = HexEncode(Field(x, "exported_value"));
    StatusOr<SecretBytes> s = sender->context.Export(exporter_context, length);
    StatusOr<SecretBytes> r = recipient->Export(exporter_context, length);
    ASSERT_TRUE(s.ok() && r.ok());
    EXPECT_EQ(HexOf(*s), expected);
    EXPECT_EQ(HexOf(*r), expected);
    ++tally.exports;
  }
  ++tally.vectors;
}

// RFC 9180 Appendix A test vectors for DHKEM(X25519, HKDF-SHA256),
// HKDF-SHA256: every key pair, intermediate, encryption and export.
TEST(HpkeTest, Rfc9180Vectors) {
  json vectors = eml::testing::ReadJsonOrFail(
      eml::testing::SharedPath("vectors/hpke/rfc9180-test-vectors-x25519-hkdfsha256.json"));
  ASSERT_TRUE(vectors.is_array());
  Tally tally;
  int expected_encryptions = 0, expected_exports = 0;
  for (const json& v : vectors) {
    expected_encryptions += static_cast<int>(v.at("encryptions").size());
    expected_exports += static_cast<int>(v.at("exports").size());
    SCOPED_TRACE("mode " + std::to_string(v.at("mode").get<int>()) + " aead " +
                 std::to_string(v.at("aead_id").get<int>()));
    CheckVector(v, tally);
  }
  EXPECT_EQ(tally.vectors, static_cast<int>(vectors.size()));
  EXPECT_EQ(tally.encryptions, expected_encryptions);
  EXPECT_EQ(tally.exports, expected_exports);
  // As described in vectors/hpke/SOURCES.md: 16 entries, 12 with 257
  // encryptions (export-only has none), 3 exports each.
  EXPECT_EQ(tally.vectors, 16);
  EXPECT_EQ(tally.encryptions, 12 * 257);
  EXPECT_EQ(tally.exports, 16 * 3);
}

struct Pair {
  X25519PrivateKey recipient_key;
  HpkeSender sender;
  HpkeRecipientContext recipient;
};

Pair MakePair(HpkeAead aead) {
  StatusOr<X25519PrivateKey> sk_r = X25519PrivateKey::Generate();
  EXPECT_TRUE(sk_r.ok());
  Bytes pk_r = sk_r->PublicKey();
  StatusOr<HpkeSender> sender =
      SetupHpkeSender({.aead = aead, .recipient_public_key = pk_r, .info = AsBytes("t")});
  EXPECT_TRUE(sender.ok());
  StatusOr<HpkeRecipientContext> recipient = SetupHpkeRecipient(
      {.aead = aead, .enc = sender->enc, .recipient_key = &*sk_r, .info = AsBytes("t")});
  EXPECT_TRUE(recipient.ok());
  return Pair{*std::move(sk_r), *std::move(sender), *std::move(recipient)};
}

TEST(HpkeTest, RandomEphemeralRoundTripAndTampering) {
  Pair p = MakePair(HpkeAead::kChaCha20Poly1305);
  StatusOr<Bytes> c0 = p.sender.context.Seal(AsBytes("aad0"), AsBytes("first"));
  StatusOr<Bytes> c1 = p.sender.context.Seal(AsBytes("aad1"), AsBytes("second"));
  ASSERT_TRUE(c0.ok() && c1.ok());
  // Out of order: message 1 at sequence 0 fails and does not advance.
  EXPECT_EQ(p.recipient.Open(AsBytes("aad1"), *c1).status().code(),
            StatusCode::kVerificationFailed);
  EXPECT_EQ(p.recipient.sequence(), 0u);
  // Wrong aad, tampered ciphertext.
  EXPECT_EQ(p.recipient.Open(AsBytes("aadX"), *c0).status().code(),
            StatusCode::kVerificationFailed);
  Bytes bad = *c0;
  bad[0] ^= 0x80;
  EXPECT_EQ(p.recipient.Open(AsBytes("aad0"), bad).status().code(),
            StatusCode::kVerificationFailed);
  StatusOr<Bytes> m0 = p.recipient.Open(AsBytes("aad0"), *c0);
  ASSERT_TRUE(m0.ok());
  EXPECT_EQ(*m0, ToBytes("first"));
  // Replaying message 0 at sequence 1 fails; then message 1 opens.
  EXPECT_FALSE(p.recipient.Open(AsBytes("aad0"), *c0).ok());
  StatusOr<Bytes> m1 = p.recipient.Open(AsBytes("aad1"), *c1);
  ASSERT_TRUE(m1.ok());
  EXPECT_EQ(*m1, ToBytes("second"));
}

TEST(HpkeTest, SequenceNumberExhaustion) {
  Pair p = MakePair(HpkeAead::kAes128Gcm);
  p.sender.context.SetSequenceForTesting(UINT64_MAX - 1);
  p.recipient.SetSequenceForTesting(UINT64_MAX - 1);
  StatusOr<Bytes> last = p.sender.context.Seal({}, AsBytes("last"));
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(p.recipient.Open({}, *last).ok());
  EXPECT_EQ(p.sender.context.Seal({}, AsBytes("x")).status().code(), StatusCode::kLimitExceeded);
  EXPECT_EQ(p.recipient.Open({}, *last).status().code(), StatusCode::kLimitExceeded);
}

TEST(HpkeTest, SetupValidation) {
  StatusOr<X25519PrivateKey> sk_r = X25519PrivateKey::Generate();
  StatusOr<X25519PrivateKey> sk_s = X25519PrivateKey::Generate();
  ASSERT_TRUE(sk_r.ok() && sk_s.ok());
  const Bytes pk_r = sk_r->PublicKey(), psk(32, 7), psk_id = ToBytes("id");
  auto code = [](const StatusOr<HpkeSender>& s) { return s.status().code(); };
  const StatusCode kBad = StatusCode::kInvalidArgument;
  // psk and psk_id: both or neither, and only in psk modes.
  EXPECT_EQ(code(SetupHpkeSender({.mode = HpkeMode::kPsk, .recipient_public_key = pk_r,
                                  .psk = psk})), kBad);
  EXPECT_EQ(code(SetupHpkeSender({.mode = HpkeMode::kPsk, .recipient_public_key = pk_r,
                                  .psk_id = psk_id})), kBad);
  EXPECT_EQ(code(SetupHpkeSender({.mode = HpkeMode::kPsk, .recipient_public_key = pk_r})), kBad);
  EXPECT_EQ(code(SetupHpkeSender({.mode = HpkeMode::kBase, .recipient_public_key = pk_r,
                                  .psk = psk, .psk_id = psk_id})), kBad);
  EXPECT_EQ(code(SetupHpkeSender({.mode = HpkeMode::kPsk, .recipient_public_key = pk_r,
                                  .psk = Bytes(31, 7), .psk_id = psk_id})), kBad);
  EXPECT_TRUE(SetupHpkeSender({.mode = HpkeMode::kPsk, .recipient_public_key = pk_r,
                               .psk = psk, .psk_id = psk_id}).ok());
  // Sender key exactly in the auth modes.
  EXPECT_EQ(code(SetupHpkeSender({.mode = HpkeMode::kAuth, .recipient_public_key = pk_r})), kBad);
  EXPECT_EQ(code(SetupHpkeSender({.mode = HpkeMode::kBase, .recipient_public_key = pk_r,
                                  .sender_key = &*sk_s})), kBad);
  EXPECT_EQ(code(SetupHpkeSender({.recipient_public_key = Bytes(31)})), kBad);
  // Low-order recipient key / enc: the DH output is zero and setup fails.
  EXPECT_EQ(code(SetupHpkeSender({.recipient_public_key = Bytes(32, 0)})), kBad);
  EXPECT_EQ(SetupHpkeRecipient({.enc = Bytes(32, 0), .recipient_key = &*sk_r}).status().code(),
            kBad);
  EXPECT_EQ(SetupHpkeRecipient({.enc = Bytes(31, 1), .recipient_key = &*sk_r}).status().code(),
            kBad);
  EXPECT_EQ(SetupHpkeRecipient({.enc = pk_r}).status().code(), kBad);
  EXPECT_EQ(SetupHpkeRecipient({.mode = HpkeMode::kAuth, .enc = pk_r, .recipient_key = &*sk_r})
                .status().code(),
            kBad);
}

// Auth mode binds the sender: a recipient expecting another sender key fails
// to open (different shared secret).
TEST(HpkeTest, AuthModeWrongSenderFails) {
  StatusOr<X25519PrivateKey> sk_r = X25519PrivateKey::Generate();
  StatusOr<X25519PrivateKey> sk_s = X25519PrivateKey::Generate();
  StatusOr<X25519PrivateKey> other = X25519PrivateKey::Generate();
  ASSERT_TRUE(sk_r.ok() && sk_s.ok() && other.ok());
  const Bytes pk_r = sk_r->PublicKey();
  StatusOr<HpkeSender> sender = SetupHpkeSender(
      {.mode = HpkeMode::kAuth, .recipient_public_key = pk_r, .sender_key = &*sk_s});
  ASSERT_TRUE(sender.ok());
  StatusOr<Bytes> ct = sender->context.Seal({}, AsBytes("hello"));
  ASSERT_TRUE(ct.ok());
  const Bytes pk_other = other->PublicKey(), pk_s = sk_s->PublicKey();
  StatusOr<HpkeRecipientContext> wrong = SetupHpkeRecipient(
      {.mode = HpkeMode::kAuth, .enc = sender->enc, .recipient_key = &*sk_r,
       .sender_public_key = pk_other});
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(wrong->Open({}, *ct).status().code(), StatusCode::kVerificationFailed);
  StatusOr<HpkeRecipientContext> right = SetupHpkeRecipient(
      {.mode = HpkeMode::kAuth, .enc = sender->enc, .recipient_key = &*sk_r,
       .sender_public_key = pk_s});
  ASSERT_TRUE(right.ok());
  EXPECT_TRUE(right->Open({}, *ct).ok());
  EXPECT_EQ(right->Export({}, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(right->Export({}, 255 * 32 + 1).status().code(), StatusCode::kLimitExceeded);
}

// HpkeContextState's constructor is public: a base nonce that is not Nn (12)
// bytes must be refused before the sequence number is XORed into it, not
// written past the end of a shorter buffer (heap overflow, then an AEAD
// nonce-size error).
TEST(HpkeTest, ContextRejectsWrongSizeBaseNonce) {
  StatusOr<Aead> aead = Aead::Create(AeadAlg::kAes128Gcm, SecretBytes(Bytes(16, 1)));
  ASSERT_TRUE(aead.ok());
  HpkeContextState state(HpkeAead::kAes128Gcm, std::move(aead).value(),
                         SecretBytes(Bytes(4, 2)), SecretBytes(Bytes(32, 3)));
  EXPECT_EQ(state.Seal({}, AsBytes("x")).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(state.Open({}, Bytes(17)).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(state.sequence(), 0u);
}

}  // namespace
}  // namespace eml::crypto

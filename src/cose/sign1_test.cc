// Sign1 round trips for every algorithm, tagged and untagged, and the
// hostile-input rules: bit flips, truncation, algorithm confusion, crit,
// header buckets, structure and size.
#include "cose/sign1.h"


#include <gtest/gtest.h>

#include "cbor/decode.h"
#include "cbor/encode.h"
#include "core/encoding.h"
#include "tests/testing.h"

namespace eml::cose {
namespace {

using cbor::Value;

const Bytes kPayload = ToBytes("receipt payload");
const Bytes kAad = ToBytes("external aad");

crypto::Ed25519PrivateKey EdKey() {
  StatusOr<crypto::Ed25519PrivateKey> k = crypto::Ed25519PrivateKey::FromSeed(Bytes(32, 7));
  EXPECT_TRUE(k.ok());
  return std::move(k).value();
}

crypto::EcdsaPrivateKey EcKey(crypto::EcCurve curve) {
  StatusOr<crypto::EcdsaPrivateKey> k = crypto::EcdsaPrivateKey::Generate(curve);
  EXPECT_TRUE(k.ok());
  return std::move(k).value();
}

Sign1BuildParams Params(bool tagged) {
  Sign1BuildParams p{.payload = kPayload, .external_aad = kAad, .tagged = tagged};
  p.unprotected_headers.emplace_back(Value::Int(kLabelKid), Value::ByteString(ToBytes("k1")));
  return p;
}

template <typename PublicKey>
void ExpectRoundTrip(const Bytes& msg_bytes, const PublicKey& pub, Algorithm alg, bool tagged) {
  StatusOr<Sign1Message> msg = ParseSign1(msg_bytes);
  ASSERT_TRUE(msg.ok()) << msg.status().ToString();
  EXPECT_EQ(msg->tagged, tagged);
  EXPECT_EQ(msg->algorithm, alg);
  EXPECT_EQ(msg->payload, kPayload);
  EXPECT_EQ(msg->signature.size(), SignatureSize(alg));
  EXPECT_TRUE(VerifySign1(*msg, pub, {.external_aad = kAad}).ok());
  EXPECT_EQ(VerifySign1(*msg, pub, {.external_aad = ToBytes("other")}).code(),
            StatusCode::kVerificationFailed);
  EXPECT_FALSE(VerifySign1(*msg, pub).ok());  // AAD missing
}

TEST(Sign1, RoundTripEveryAlgorithm) {
  crypto::Ed25519PrivateKey ed = EdKey();
  crypto::EcdsaPrivateKey p256 = EcKey(crypto::EcCurve::kP256);
  crypto::EcdsaPrivateKey p384 = EcKey(crypto::EcCurve::kP384);
  for (bool tagged : {true, false}) {
    SCOPED_TRACE(tagged);
    StatusOr<Bytes> m = BuildSign1(ed, Params(tagged));
    ASSERT_TRUE(m.ok());
    EXPECT_EQ((*m)[0] == 0xd2, tagged);
    ExpectRoundTrip(*m, ByteSpan(ed.PublicKey()), Algorithm::kEdDSA, tagged);
    m = BuildSign1(p256, Params(tagged));
    ASSERT_TRUE(m.ok());
    ExpectRoundTrip(*m, p256.PublicKey(), Algorithm::kES256, tagged);
    m = BuildSign1(p384, Params(tagged));
    ASSERT_TRUE(m.ok());
    ExpectRoundTrip(*m, p384.PublicKey(), Algorithm::kES384, tagged);
  }
}

TEST(Sign1, NoAlgorithmConfusion) {
  crypto::Ed25519PrivateKey ed = EdKey();
  crypto::EcdsaPrivateKey p256 = EcKey(crypto::EcCurve::kP256);
  crypto::EcdsaPrivateKey p384 = EcKey(crypto::EcCurve::kP384);
  StatusOr<Sign1Message> es256 = ParseSign1(*BuildSign1(p256, Params(true)));
  StatusOr<Sign1Message> eddsa = ParseSign1(*BuildSign1(ed, Params(true)));
  ASSERT_TRUE(es256.ok() && eddsa.ok());
  Sign1VerifyOptions opts{.external_aad = kAad};
  EXPECT_EQ(VerifySign1(*es256, p384.PublicKey(), opts).code(), StatusCode::kVerificationFailed);
  EXPECT_EQ(VerifySign1(*es256, ByteSpan(ed.PublicKey()), opts).code(),
            StatusCode::kVerificationFailed);
  EXPECT_EQ(VerifySign1(*eddsa, p256.PublicKey(), opts).code(), StatusCode::kVerificationFailed);
  // Same curve, different key.
  EXPECT_FALSE(VerifySign1(*es256, EcKey(crypto::EcCurve::kP256).PublicKey(), opts).ok());
}

// Unprotected headers are, by COSE's design, not signed: the messages here
// have none, so every byte is covered. UnprotectedHeadersAreNotSigned below
// pins down the exception.
// A P-256 signature is 64 bytes, like an Ed25519 one. A message whose
// protected alg says EdDSA but which carries a valid P-256 signature must
// not verify with the P-256 key: the header's alg has to match the key.
TEST(Sign1, HeaderAlgMustMatchKeyEvenIfSignatureIsValid) {
  crypto::EcdsaPrivateKey p256 = EcKey(crypto::EcCurve::kP256);
  for (Algorithm alg : {Algorithm::kEdDSA, Algorithm::kES256}) {
    Bytes prot = *cbor::Encode(Value::FromMap(
        {{Value::Int(kLabelAlg), Value::Int(static_cast<int64_t>(alg))}}));
    StatusOr<Bytes> tbs = Sign1ToBeSigned(prot, {}, kPayload);
    ASSERT_TRUE(tbs.ok());
    StatusOr<Bytes> sig = p256.Sign(*tbs, crypto::EcdsaSignatureFormat::kRawRS);
    ASSERT_TRUE(sig.ok());
    Bytes wire = *cbor::Encode(Value::FromArray({Value::ByteString(prot), Value::FromMap({}),
                                                 Value::ByteString(kPayload),
                                                 Value::ByteString(*sig)}));
    StatusOr<Sign1Message> msg = ParseSign1(wire);
    ASSERT_TRUE(msg.ok());
    EXPECT_EQ(VerifySign1(*msg, p256.PublicKey()).ok(), alg == Algorithm::kES256);
  }
}

TEST(Sign1, EveryBitFlipIsRejected) {
  crypto::Ed25519PrivateKey ed = EdKey();
  crypto::EcdsaPrivateKey p256 = EcKey(crypto::EcCurve::kP256);
  Bytes pub = ed.PublicKey();
  Sign1BuildParams tagged = Params(true), untagged = Params(false);
  tagged.unprotected_headers.clear();
  untagged.unprotected_headers.clear();
  tagged.protected_headers.emplace_back(Value::Int(kLabelKid), Value::ByteString(ToBytes("k1")));
  StatusOr<Bytes> good_ed = BuildSign1(ed, tagged);
  StatusOr<Bytes> good_ec = BuildSign1(p256, untagged);
  ASSERT_TRUE(good_ed.ok() && good_ec.ok());
  int flips = 0;
  for (int which = 0; which < 2; ++which) {
    const Bytes& good = which == 0 ? *good_ed : *good_ec;
    for (size_t bit = 0; bit < good.size() * 8; ++bit) {
      Bytes bad = good;
      bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      StatusOr<Sign1Message> msg = ParseSign1(bad);
      if (!msg.ok()) continue;
      Status s = which == 0 ? VerifySign1(*msg, pub, {.external_aad = kAad})
                            : VerifySign1(*msg, p256.PublicKey(), {.external_aad = kAad});
      EXPECT_FALSE(s.ok()) << "bit " << bit << " of message " << which;
      ++flips;
    }
  }
  EXPECT_GT(flips, 500);  // most flips parse and must then fail to verify
}

TEST(Sign1, UnprotectedHeadersAreNotSigned) {
  crypto::Ed25519PrivateKey ed = EdKey();
  StatusOr<Bytes> good = BuildSign1(ed, Params(true));  // unprotected {4: h'6b31'}
  ASSERT_TRUE(good.ok());
  Bytes changed = *good;
  size_t kid = HexEncode(changed).find("426b31") / 2;
  changed[kid + 2] ^= 0x01;  // "k1" -> "k0"
  StatusOr<Sign1Message> msg = ParseSign1(changed);
  ASSERT_TRUE(msg.ok());
  EXPECT_EQ(*msg->unprotected_headers.FindInt(kLabelKid), Value::ByteString(ToBytes("k0")));
  EXPECT_TRUE(VerifySign1(*msg, ByteSpan(ed.PublicKey()), {.external_aad = kAad}).ok());
}

TEST(Sign1, TruncationAtEveryLengthFailsToParse) {
  crypto::Ed25519PrivateKey ed = EdKey();
  StatusOr<Bytes> good = BuildSign1(ed, Params(true));
  ASSERT_TRUE(good.ok());
  for (size_t len = 0; len < good->size(); ++len) {
    EXPECT_FALSE(ParseSign1(ByteSpan(good->data(), len)).ok()) << len;
  }
}

TEST(Sign1, DetachedPayload) {
  crypto::Ed25519PrivateKey ed = EdKey();
  Sign1BuildParams p = Params(true);
  p.detached = true;
  StatusOr<Sign1Message> msg = ParseSign1(*BuildSign1(ed, p));
  ASSERT_TRUE(msg.ok());
  EXPECT_FALSE(msg->payload.has_value());
  Bytes pub = ed.PublicKey();
  EXPECT_TRUE(VerifySign1(*msg, pub, {.external_aad = kAad, .detached_payload = kPayload}).ok());
  EXPECT_FALSE(VerifySign1(*msg, pub, {.external_aad = kAad}).ok());
  EXPECT_FALSE(
      VerifySign1(*msg, pub, {.external_aad = kAad, .detached_payload = ToBytes("x")}).ok());
}

// Encodes [protected, unprotected, payload, signature] with the given parts.
Bytes Message(const Value& protected_map, const Value& unprotected, size_t sig_size,
              uint64_t tag = kSign1Tag) {
  Bytes prot = protected_map.map().empty() ? Bytes{} : *cbor::Encode(protected_map);
  Value arr = Value::FromArray({Value::ByteString(prot), unprotected,
                                Value::ByteString(ToBytes("p")),
                                Value::ByteString(Bytes(sig_size, 0))});
  return *cbor::Encode(Value::Tagged(tag, arr));
}

Value Map(cbor::MapEntries e) { return Value::FromMap(std::move(e)); }
Value AlgEdDsa() { return Value::Int(static_cast<int64_t>(Algorithm::kEdDSA)); }

TEST(Sign1, StructureAndHeaderRules) {
  Value no_headers = Map({});
  Value prot = Map({{Value::Int(kLabelAlg), AlgEdDsa()}});
  EXPECT_TRUE(ParseSign1(Message(prot, no_headers, 64)).ok());
  EXPECT_FALSE(ParseSign1(Message(prot, no_headers, 63)).ok());
  EXPECT_FALSE(ParseSign1(Message(prot, no_headers, 96)).ok());
  EXPECT_FALSE(ParseSign1(Message(prot, no_headers, 64, 98)).ok());   // COSE_Sign tag
  EXPECT_FALSE(ParseSign1(Message(no_headers, no_headers, 64)).ok());  // no alg at all
  // alg only unprotected, or in both buckets.
  Value alg_unprot = Map({{Value::Int(kLabelAlg), AlgEdDsa()}});
  EXPECT_FALSE(ParseSign1(Message(no_headers, alg_unprot, 64)).ok());
  EXPECT_FALSE(ParseSign1(Message(prot, alg_unprot, 64)).ok());
  // crit: understood labels pass; unknown, absent, empty or unprotected fail.
  Value kid = Value::ByteString(ToBytes("k"));
  auto with_crit = [&](Value crit, bool add_99) {
    cbor::MapEntries e = {{Value::Int(kLabelAlg), AlgEdDsa()}, {Value::Int(kLabelKid), kid},
                          {Value::Int(kLabelCrit), std::move(crit)}};
    if (add_99) e.emplace_back(Value::Int(99), Value::Int(1));
    return Map(std::move(e));
  };
  EXPECT_TRUE(ParseSign1(Message(with_crit(Value::FromArray({Value::Int(4)}), false),
                                 no_headers, 64)).ok());
  EXPECT_EQ(ParseSign1(Message(with_crit(Value::FromArray({Value::Int(99)}), true),
                               no_headers, 64)).status().code(), StatusCode::kUnsupported);
  EXPECT_FALSE(ParseSign1(Message(with_crit(Value::FromArray({Value::Int(3)}), false),
                                  no_headers, 64)).ok());
  EXPECT_FALSE(ParseSign1(Message(with_crit(Value::FromArray({}), false), no_headers, 64)).ok());
  EXPECT_FALSE(ParseSign1(Message(prot, Map({{Value::Int(kLabelCrit),
                                              Value::FromArray({Value::Int(4)})}}), 64)).ok());
  // Element count, kinds, nested tags.
  EXPECT_FALSE(ParseSign1(testing::Hex("d283404040")).ok());
  EXPECT_FALSE(ParseSign1(testing::Hex("d2d28443a10127a0f6" "5840" + std::string(128, '0'))).ok());
  EXPECT_FALSE(ParseSign1(testing::Hex("d28443a10127a0f640")).ok());        // sig size 0
  EXPECT_FALSE(ParseSign1(testing::Hex("d28443a1012780f6" "5840" + std::string(128, '0'))).ok());
  EXPECT_FALSE(ParseSign1(testing::Hex("d28443a10127a001" "5840" + std::string(128, '0'))).ok());
  EXPECT_TRUE(ParseSign1(testing::Hex("d28443a10127a0f6" "5840" + std::string(128, '0'))).ok());
}

TEST(Sign1, IndefiniteOnlyWhenAllowedAndSizeBounded) {
  std::string body = "43a10127a0f6" "5840" + std::string(128, '0');
  Bytes indefinite = testing::Hex("9f" + body + "ff");
  EXPECT_FALSE(ParseSign1(indefinite).ok());
  EXPECT_TRUE(ParseSign1(indefinite, {.allow_indefinite = true}).ok());
  Bytes definite = testing::Hex("84" + body);
  EXPECT_TRUE(ParseSign1(definite).ok());
  EXPECT_EQ(ParseSign1(definite, {.max_size = definite.size() - 1}).status().code(),
            StatusCode::kLimitExceeded);
}

// Header buckets of a hostile message can hold hundreds of thousands of
// labels within max_size; the both-buckets check must not compare every
// unprotected label with every protected one (quadratic: ~26 s for this
// message before the fix, 0.5 s for the whole suite after). Timings stay out
// of tests; a regression shows as this test becoming slow.
TEST(Sign1, LargeHeaderBucketsAreChecked) {
  constexpr int64_t kCount = 60000;
  cbor::MapEntries prot = {{Value::Int(kLabelAlg), AlgEdDsa()}};
  cbor::MapEntries unprot;
  for (int64_t i = 0; i < kCount; ++i) {
    prot.emplace_back(Value::Int(1000 + i), Value::Null());
    unprot.emplace_back(Value::Int(1000 + kCount + i), Value::Null());
  }
  EXPECT_TRUE(ParseSign1(Message(Map(prot), Map(unprot), 64)).ok());
  unprot.emplace_back(Value::Int(1000 + kCount - 1), Value::Null());  // also protected
  EXPECT_FALSE(ParseSign1(Message(Map(prot), Map(std::move(unprot)), 64)).ok());
}

TEST(Sign1, BuildRejectsCallerAlg) {
  crypto::Ed25519PrivateKey ed = EdKey();
  Sign1BuildParams p = Params(true);
  p.protected_headers.emplace_back(Value::Int(kLabelAlg), Value::Int(-7));
  EXPECT_FALSE(BuildSign1(ed, p).ok());
  p = Params(true);
  p.unprotected_headers.emplace_back(Value::Int(kLabelAlg), Value::Int(-8));
  EXPECT_FALSE(BuildSign1(ed, p).ok());
}

}  // namespace
}  // namespace eml::cose

namespace eml::cose {
namespace {

// Sign1ToBeSigned and BuildSign1 write CBOR directly; the bytes must be
// cbor::Encode's for the same structures, at the head-size boundaries.
TEST(Sign1, DirectEncodingMatchesTheGenericEncoder) {
  const crypto::Ed25519PrivateKey key = EdKey();
  for (size_t len : {0, 23, 24, 255, 256, 65536}) {
    const Bytes payload(len, 0x5a);
    const Bytes aad(len / 2, 0x11);
    const Bytes protected_bytes = {0xa1, 0x01, 0x27};
    EXPECT_EQ(*Sign1ToBeSigned(protected_bytes, aad, payload),
              *cbor::Encode(Value::FromArray({Value::Text("Signature1"),
                                              Value::ByteString(protected_bytes),
                                              Value::ByteString(aad), Value::ByteString(payload)})))
        << len;
    for (bool tagged : {false, true}) {
      for (bool detached : {false, true}) {
        Sign1BuildParams params{.payload = payload, .detached = detached, .tagged = tagged};
        if (len % 2 == 0) params.unprotected_headers = {{Value::Int(kLabelKid), Value::ByteString(aad)}};
        const Bytes built = *BuildSign1(key, params);
        StatusOr<Sign1Message> parsed = ParseSign1(built);
        ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
        Value message = Value::FromArray({
            Value::ByteString(parsed->protected_bytes),
            Value::FromMap(params.unprotected_headers),
            detached ? Value::Null() : Value::ByteString(payload),
            Value::ByteString(parsed->signature),
        });
        if (tagged) message = Value::Tagged(kSign1Tag, std::move(message));
        EXPECT_EQ(built, *cbor::Encode(message)) << len << tagged << detached;
        Sign1VerifyOptions verify;
        if (detached) verify.detached_payload = ByteSpan(payload);
        EXPECT_TRUE(VerifySign1(*parsed, key.PublicKey(), verify).ok());
      }
    }
  }
}

}  // namespace
}  // namespace eml::cose

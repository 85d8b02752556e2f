// The signed envelope: golden vector, determinism, signature, time, and
// every envelope rule (docs/policy.md "Signed file").
#include "policy/signed_policy.h"

#include <gtest/gtest.h>

#include "cbor/encode.h"
#include "core/encoding.h"
#include "cose/sign1.h"
#include "crypto/ecdsa.h"
#include "crypto/hash.h"
#include "policy/policy_cbor.h"
#include "policy/policy_test_util.h"
#include "tests/testing.h"

namespace eml::policy {
namespace {

using testing::OwnerKey;
using testing::SamplePolicy;

// Public key of seed 0x2a * 32, from python `cryptography`:
//   Ed25519PrivateKey.from_private_bytes(b"\x2a" * 32).public_key() (raw).
constexpr char kOwnerPubHex[] = "197f6b23e16c8532c6abc838facd5ea789be0c76b2920334039bfa8b3d368d61";

Bytes OwnerPub() { return eml::testing::Hex(kOwnerPubHex); }

// The policy that testdata/make_golden.py signed.
Policy GoldenPolicy() {
  Policy p;
  p.version = 3;
  p.policy_id = "golden";
  p.created_at = 1700000000;
  p.expires_at = 1900000000;
  p.max_evidence_age_s = 300;
  p.roots = {{.platform = "nitro", .name = "aws-nitro-root-g1",
              .der = testing::AwsNitroRootDer(), .evaluation = false}};
  p.measurements = {{.platform = "nitro", .name = "blocky-2024-09-07",
                     .values = {{0, testing::RealPcr(0)}, {1, testing::RealPcr(1)},
                                {2, testing::RealPcr(2)}}}};
  p.models = {{.model_id = "golden-model", .model_hash = crypto::Sha256(AsBytes("golden-model"))}};
  return p;
}

Bytes Sign(const Policy& p) {
  StatusOr<Bytes> file = SignPolicy(p, OwnerKey());
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  return file.ok() ? *file : Bytes{};
}

TEST(SignedPolicy, OwnerKeyMatchesIndependentDerivation) {
  EXPECT_EQ(OwnerKey().PublicKey(), OwnerPub());
}

TEST(SignedPolicy, SignReproducesIndependentlyBuiltGoldenFile) {
  const Bytes golden = eml::testing::ReadFileOrFail(testing::TestDataPath("golden_policy.cose"));
  ASSERT_FALSE(golden.empty());
  EXPECT_EQ(HexEncode(Sign(GoldenPolicy())), HexEncode(golden));
  StatusOr<Policy> verified = VerifySignedPolicy(golden, OwnerPub(), testing::kNow);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(*verified, GoldenPolicy());
}

TEST(SignedPolicy, SigningTwiceGivesIdenticalBytes) {
  EXPECT_EQ(Sign(SamplePolicy()), Sign(SamplePolicy()));
}

TEST(SignedPolicy, RoundTrip) {
  StatusOr<Policy> verified = VerifySignedPolicy(Sign(SamplePolicy()), OwnerPub(), testing::kNow);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(*verified, SamplePolicy());
}

TEST(SignedPolicy, WrongKeyFails) {
  StatusOr<Policy> verified =
      VerifySignedPolicy(Sign(SamplePolicy()), testing::OtherKey().PublicKey(), testing::kNow);
  EXPECT_EQ(verified.status().code(), StatusCode::kVerificationFailed);
  EXPECT_EQ(VerifySignedPolicy(Sign(SamplePolicy()), Bytes(31, 1), testing::kNow).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(SignedPolicy, EveryBitFlipFails) {
  const Bytes file = Sign(SamplePolicy());
  for (size_t i = 0; i < file.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes bad = file;
      bad[i] ^= static_cast<uint8_t>(1 << bit);
      ASSERT_FALSE(VerifySignedPolicy(bad, OwnerPub(), testing::kNow).ok())
          << "byte " << i << " bit " << bit;
    }
  }
}

TEST(SignedPolicy, EveryTruncationFails) {
  const Bytes file = Sign(SamplePolicy());
  for (size_t n = 0; n < file.size(); ++n) {
    ASSERT_FALSE(VerifySignedPolicy(ByteSpan(file).first(n), OwnerPub(), testing::kNow).ok()) << n;
  }
}

TEST(SignedPolicy, TimeWindow) {
  const Bytes file = Sign(SamplePolicy());
  const int64_t first = testing::kCreated - kPolicyClockSkewS;
  EXPECT_TRUE(VerifySignedPolicy(file, OwnerPub(), first).ok());
  EXPECT_EQ(VerifySignedPolicy(file, OwnerPub(), first - 1).status().code(),
            StatusCode::kVerificationFailed);
  EXPECT_TRUE(VerifySignedPolicy(file, OwnerPub(), testing::kExpires - 1).ok());
  StatusOr<Policy> expired = VerifySignedPolicy(file, OwnerPub(), testing::kExpires);
  EXPECT_EQ(expired.status().code(), StatusCode::kVerificationFailed);
  EXPECT_NE(expired.status().message().find("expired"), std::string::npos);
}

TEST(SignedPolicy, SignRefusesAnInvalidPolicy) {
  Policy p = SamplePolicy();
  p.version = 0;
  EXPECT_EQ(SignPolicy(p, OwnerKey()).status().code(), StatusCode::kInvalidArgument);
}

// Builds an envelope around the valid sample payload with altered headers,
// signed with the owner key, so only the envelope rule can fail.
Bytes Envelope(cbor::MapEntries protected_headers, cbor::MapEntries unprotected, bool tagged,
               bool detached = false) {
  StatusOr<Bytes> payload = EncodePolicyPayload(SamplePolicy());
  EXPECT_TRUE(payload.ok());
  StatusOr<Bytes> file = cose::BuildSign1(OwnerKey(), {.protected_headers = protected_headers,
                                                       .unprotected_headers = unprotected,
                                                       .payload = *payload,
                                                       .detached = detached,
                                                       .tagged = tagged});
  EXPECT_TRUE(file.ok());
  return *file;
}

cbor::MapEntries ContentType(std::string_view type) {
  return {{cbor::Value::Int(cose::kLabelContentType), cbor::Value::Text(type)}};
}

TEST(SignedPolicy, EnvelopeControlIsAccepted) {
  // The helper itself builds an acceptable file when nothing is altered.
  EXPECT_TRUE(VerifySignedPolicy(Envelope(ContentType(kPolicyContentType), {}, true), OwnerPub(),
                                 testing::kNow)
                  .ok());
}

TEST(SignedPolicy, EnvelopeRules) {
  struct Case {
    const char* name;
    Bytes file;
    const char* message;
  };
  cbor::MapEntries with_kid = ContentType(kPolicyContentType);
  with_kid.emplace_back(cbor::Value::Int(cose::kLabelKid), cbor::Value::ByteString(Bytes{1}));
  const Case cases[] = {
      {"untagged", Envelope(ContentType(kPolicyContentType), {}, false), "tag 18"},
      {"no content type", Envelope({}, {}, true), "protected header"},
      {"other content type", Envelope(ContentType("application/cbor"), {}, true),
       "protected header"},
      {"extra protected header", Envelope(with_kid, {}, true), "protected header"},
      {"unprotected header",
       Envelope(ContentType(kPolicyContentType),
                {{cbor::Value::Int(cose::kLabelKid), cbor::Value::ByteString(Bytes{1})}}, true),
       "unprotected"},
      {"detached", Envelope(ContentType(kPolicyContentType), {}, true, true), "detached"},
  };
  for (const Case& c : cases) {
    StatusOr<Policy> verified = VerifySignedPolicy(c.file, OwnerPub(), testing::kNow);
    ASSERT_FALSE(verified.ok()) << c.name;
    EXPECT_NE(verified.status().message().find(c.message), std::string::npos)
        << c.name << ": " << verified.status().ToString();
    EXPECT_FALSE(InspectSignedPolicyUnverified(c.file).ok()) << c.name;
  }
}

TEST(SignedPolicy, Es256SignatureIsRefused) {
  StatusOr<crypto::EcdsaPrivateKey> ec = crypto::EcdsaPrivateKey::Generate(crypto::EcCurve::kP256);
  ASSERT_TRUE(ec.ok());
  StatusOr<Bytes> payload = EncodePolicyPayload(SamplePolicy());
  ASSERT_TRUE(payload.ok());
  StatusOr<Bytes> file = cose::BuildSign1(
      *ec, {.protected_headers = ContentType(kPolicyContentType), .payload = *payload});
  ASSERT_TRUE(file.ok());
  EXPECT_FALSE(VerifySignedPolicy(*file, OwnerPub(), testing::kNow).ok());
}

TEST(SignedPolicy, NonDeterministicEnvelopeIsRefused) {
  // The signature bstr head 0x58 0x40 (64) re-encoded as 0x59 0x00 0x40: the
  // same COSE message, still validly signed, but not the shortest encoding.
  const Bytes file = Sign(SamplePolicy());
  const size_t sig_head = file.size() - 64 - 2;
  ASSERT_EQ(file[sig_head], 0x58);
  ASSERT_EQ(file[sig_head + 1], 0x40);
  Bytes longer(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(sig_head));
  longer.insert(longer.end(), {0x59, 0x00, 0x40});
  longer.insert(longer.end(), file.end() - 64, file.end());
  // Control: the lenient COSE parser accepts it and the signature verifies.
  StatusOr<cose::Sign1Message> parsed = cose::ParseSign1(longer);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(cose::VerifySign1(*parsed, OwnerPub()).ok());
  StatusOr<Policy> verified = VerifySignedPolicy(longer, OwnerPub(), testing::kNow);
  EXPECT_EQ(verified.status().code(), StatusCode::kInvalidArgument)
      << verified.status().ToString();
}

TEST(SignedPolicy, FileSizeLimit) {
  Bytes big(kMaxPolicyFileSize + 1, 0);
  EXPECT_EQ(VerifySignedPolicy(big, OwnerPub(), testing::kNow).status().code(),
            StatusCode::kLimitExceeded);
}

TEST(SignedPolicy, InspectWithoutKey) {
  StatusOr<Policy> shown = InspectSignedPolicyUnverified(Sign(SamplePolicy()));
  ASSERT_TRUE(shown.ok()) << shown.status().ToString();
  EXPECT_EQ(*shown, SamplePolicy());
}

}  // namespace
}  // namespace eml::policy

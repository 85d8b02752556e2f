#include "crypto/ecdsa.h"

#include <string>

#include <gtest/gtest.h>

#include "crypto/wycheproof_test_util.h"
#include "tests/testing.h"

namespace eml::crypto {
namespace {

using eml::testing::Hex;

class EcdsaRoundTripTest
    : public ::testing::TestWithParam<std::tuple<EcCurve, EcdsaSignatureFormat>> {};

TEST_P(EcdsaRoundTripTest, SignVerify) {
  const auto [curve, format] = GetParam();
  auto key = EcdsaPrivateKey::Generate(curve);
  ASSERT_TRUE(key.ok());
  const size_t n = EcCurveFieldSize(curve);
  EcdsaPublicKey pub = key->PublicKey();
  EXPECT_EQ(pub.curve(), curve);
  Bytes point = pub.UncompressedPoint();
  ASSERT_EQ(point.size(), 1 + 2 * n);

  Bytes msg = ToBytes("cose sign1 payload");
  auto sig = key->Sign(msg, format);
  ASSERT_TRUE(sig.ok());
  if (format == EcdsaSignatureFormat::kRawRS) {
    EXPECT_EQ(sig->size(), 2 * n);
  }
  EXPECT_TRUE(pub.Verify(msg, *sig, format).ok());

  // The same key rebuilt three ways verifies too.
  auto from_point = EcdsaPublicKey::FromUncompressedPoint(curve, point);
  auto from_xy = EcdsaPublicKey::FromCoordinates(curve, ByteSpan(point).subspan(1, n),
                                                 ByteSpan(point).subspan(1 + n, n));
  auto from_spki = EcdsaPublicKey::FromSpkiDer(pub.SpkiDer());
  ASSERT_TRUE(from_point.ok() && from_xy.ok() && from_spki.ok());
  EXPECT_EQ(from_spki->curve(), curve);
  EXPECT_EQ(from_spki->UncompressedPoint(), point);
  EXPECT_TRUE(from_point->Verify(msg, *sig, format).ok());
  EXPECT_TRUE(from_xy->Verify(msg, *sig, format).ok());

  // Tampering: message, every signature bit (sampled), truncation, other format.
  Bytes bad_msg = msg;
  bad_msg.back() ^= 0x80;
  EXPECT_EQ(pub.Verify(bad_msg, *sig, format).code(), StatusCode::kVerificationFailed);
  for (size_t bit = 0; bit < sig->size() * 8; bit += 7) {
    Bytes bad = *sig;
    bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    EXPECT_FALSE(pub.Verify(msg, bad, format).ok()) << "bit " << bit;
  }
  for (size_t len = 0; len < sig->size(); ++len) {
    EXPECT_FALSE(pub.Verify(msg, ByteSpan(*sig).first(len), format).ok()) << "len " << len;
  }
  EcdsaSignatureFormat other = format == EcdsaSignatureFormat::kDer ? EcdsaSignatureFormat::kRawRS
                                                                     : EcdsaSignatureFormat::kDer;
  EXPECT_FALSE(pub.Verify(msg, *sig, other).ok());
  // A different key of the same curve does not verify it.
  auto other_key = EcdsaPrivateKey::Generate(curve);
  ASSERT_TRUE(other_key.ok());
  EXPECT_FALSE(other_key->PublicKey().Verify(msg, *sig, format).ok());
}

INSTANTIATE_TEST_SUITE_P(
    AllCurvesAndFormats, EcdsaRoundTripTest,
    ::testing::Combine(::testing::Values(EcCurve::kP256, EcCurve::kP384),
                       ::testing::Values(EcdsaSignatureFormat::kRawRS, EcdsaSignatureFormat::kDer)));

TEST(EcdsaTest, RejectsBadPublicKeys) {
  auto key = EcdsaPrivateKey::Generate(EcCurve::kP256);
  ASSERT_TRUE(key.ok());
  Bytes point = key->PublicKey().UncompressedPoint();
  // Wrong curve size, compressed prefix, point off the curve.
  EXPECT_FALSE(EcdsaPublicKey::FromUncompressedPoint(EcCurve::kP384, point).ok());
  Bytes compressed = point;
  compressed[0] = 0x02;
  EXPECT_EQ(EcdsaPublicKey::FromUncompressedPoint(EcCurve::kP256, compressed).status().code(),
            StatusCode::kInvalidArgument);
  Bytes off_curve = point;
  off_curve.back() ^= 1;
  EXPECT_EQ(EcdsaPublicKey::FromUncompressedPoint(EcCurve::kP256, off_curve).status().code(),
            StatusCode::kInvalidArgument);
  // SPKI with trailing garbage; truncated SPKI.
  Bytes spki = key->PublicKey().SpkiDer();
  Bytes trailing = spki;
  trailing.push_back(0);
  EXPECT_FALSE(EcdsaPublicKey::FromSpkiDer(trailing).ok());
  EXPECT_FALSE(EcdsaPublicKey::FromSpkiDer(ByteSpan(spki).first(spki.size() - 1)).ok());
  // An Ed25519 SPKI is not an EC key.
  EXPECT_FALSE(EcdsaPublicKey::FromSpkiDer(Hex("302a300506032b65700321007d4d0e7f6153a69b6242b522abbee6"
                                               "85fda4420f8834b108c3bdae369ef549fa"))
                   .ok());
}

// Both Wycheproof files contain only "valid" and "invalid" vectors (no
// "acceptable"), so there is no acceptable-policy to apply; the harness
// asserts every vector is visited and matches.
void RunWycheproof(const std::string& file, EcdsaSignatureFormat format, int64_t expected_count) {
  WycheproofSuite suite(file);
  suite.ForEachTest([&](const WycheproofCase& t) {
    const auto& pk = t.group_json()["publicKey"];
    ASSERT_EQ(pk["curve"].get<std::string>(), "secp384r1");
    ASSERT_EQ(t.GroupString("sha"), "SHA-384");
    auto key = EcdsaPublicKey::FromUncompressedPoint(EcCurve::kP384,
                                                     Hex(pk["uncompressed"].get<std::string>()));
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    // The SPKI in the group must give the same key.
    auto spki_key = EcdsaPublicKey::FromSpkiDer(t.GroupHex("publicKeyDer"));
    ASSERT_TRUE(spki_key.ok());
    EXPECT_EQ(spki_key->UncompressedPoint(), key->UncompressedPoint());
    Status s = key->Verify(t.Hex("msg"), t.Hex("sig"), format);
    suite.Record(t, s.ok() ? WycheproofOutcome::kAccepted : WycheproofOutcome::kRejected);
  });
  suite.Finish();
  EXPECT_EQ(suite.recorded_count(), expected_count);
  EXPECT_EQ(suite.CountOf(WycheproofResult::kAcceptable, WycheproofOutcome::kAccepted) +
                suite.CountOf(WycheproofResult::kAcceptable, WycheproofOutcome::kRejected),
            0);
}

TEST(EcdsaTest, WycheproofP384P1363) {
  RunWycheproof("ecdsa_secp384r1_sha384_p1363_test.json", EcdsaSignatureFormat::kRawRS, 280);
}

TEST(EcdsaTest, WycheproofP384Der) {
  RunWycheproof("ecdsa_secp384r1_sha384_test.json", EcdsaSignatureFormat::kDer, 504);
}

}  // namespace
}  // namespace eml::crypto

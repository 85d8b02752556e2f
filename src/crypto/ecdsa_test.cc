#include "crypto/ecdsa.h"

#include <atomic>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

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

// Throwaway keys with private scalars 1234567 (P-256) and 7654321 (P-384),
// written by python `cryptography` as PKCS#8 DER, with their public points.
constexpr char kP256Pkcs8[] =
    "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420000000000000000000"
    "000000000000000000000000000000000000000012d687a1440342000465de15fecb7ec3cdfb570fa87ab71ce1"
    "f18e89d5976b07057cdbbff5ff85b76067d85098b6903bad82beb0c988f79f1f295e9c1285c580b199836120ed"
    "1bbf7e";
constexpr char kP256Point[] =
    "0465de15fecb7ec3cdfb570fa87ab71ce1f18e89d5976b07057cdbbff5ff85b76067d85098b6903bad82beb0c9"
    "88f79f1f295e9c1285c580b199836120ed1bbf7e";
constexpr char kP384Pkcs8[] =
    "3081b6020100301006072a8648ce3d020106052b8104002204819e30819b020101043000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000074cbb1a16403620004ca"
    "24f5657e7b39636a11e7fa3678d21a6a8fbca4646ed2d7150d5392dd04cd5f32f174f8699eba273e5ba73fafdd"
    "967ba5be222dfd592ad01ba2f9cd5a19fb3026e3a81897211e187962688a6e08c629d313156ef5f6b42517de39"
    "883ddbf6db";
constexpr char kP384Point[] =
    "04ca24f5657e7b39636a11e7fa3678d21a6a8fbca4646ed2d7150d5392dd04cd5f32f174f8699eba273e5ba73f"
    "afdd967ba5be222dfd592ad01ba2f9cd5a19fb3026e3a81897211e187962688a6e08c629d313156ef5f6b42517"
    "de39883ddbf6db";

TEST(EcdsaTest, Pkcs8LoadsAndSigns) {
  for (auto [curve, p8, point] : {std::tuple{EcCurve::kP256, kP256Pkcs8, kP256Point},
                                  std::tuple{EcCurve::kP384, kP384Pkcs8, kP384Point}}) {
    auto key = EcdsaPrivateKey::FromPkcs8Der(curve, Hex(p8));
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    EXPECT_EQ(key->curve(), curve);
    EXPECT_EQ(key->PublicKey().UncompressedPoint(), Hex(point));
    const Bytes msg = {1, 2, 3};
    auto sig = key->Sign(msg, EcdsaSignatureFormat::kRawRS);
    ASSERT_TRUE(sig.ok());
    EXPECT_EQ(sig->size(), 2 * EcCurveFieldSize(curve));
    EXPECT_TRUE(key->PublicKey().Verify(msg, *sig, EcdsaSignatureFormat::kRawRS).ok());
  }
}

TEST(EcdsaTest, Pkcs8RejectsBadInput) {
  const Bytes p8 = Hex(kP256Pkcs8);
  auto code = [](EcCurve curve, ByteSpan der) {
    return EcdsaPrivateKey::FromPkcs8Der(curve, der).status().code();
  };
  // The wrong curve either way.
  EXPECT_EQ(code(EcCurve::kP384, p8), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(EcCurve::kP256, Hex(kP384Pkcs8)), StatusCode::kInvalidArgument);
  // Trailing bytes, every truncation, empty, oversized.
  Bytes trailing = p8;
  trailing.push_back(0);
  EXPECT_EQ(code(EcCurve::kP256, trailing), StatusCode::kInvalidArgument);
  for (size_t n = 0; n < p8.size(); ++n) {
    EXPECT_EQ(code(EcCurve::kP256, ByteSpan(p8).first(n)), StatusCode::kInvalidArgument) << n;
  }
  EXPECT_EQ(code(EcCurve::kP256, Bytes(2048, 0x30)), StatusCode::kInvalidArgument);
  // A public point that does not belong to the private scalar.
  Bytes mismatched = p8;
  mismatched.back() ^= 1;
  EXPECT_EQ(code(EcCurve::kP256, mismatched), StatusCode::kInvalidArgument);
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

namespace eml::crypto {
namespace {

// FromSpkiDer remembers recent keys by their DER; a remembered key must be
// exactly the key of that DER, and a bad SPKI must fail every time.
TEST(EcdsaTest, RememberedSpkiKeysAreExactlyTheirKeys) {
  const Bytes message = ToBytes("attestation document");
  std::vector<EcdsaPrivateKey> keys;
  for (int i = 0; i < 20; ++i) keys.push_back(*EcdsaPrivateKey::Generate(EcCurve::kP384));
  for (int round = 0; round < 2; ++round) {  // the second round reads the memo (and evicts)
    for (size_t i = 0; i < keys.size(); ++i) {
      const Bytes spki = keys[i].PublicKey().SpkiDer();
      StatusOr<EcdsaPublicKey> key = EcdsaPublicKey::FromSpkiDer(spki);
      ASSERT_TRUE(key.ok());
      EXPECT_EQ(key->UncompressedPoint(), keys[i].PublicKey().UncompressedPoint());
      const Bytes own = *keys[i].Sign(message, EcdsaSignatureFormat::kRawRS);
      const Bytes other = *keys[(i + 1) % keys.size()].Sign(message, EcdsaSignatureFormat::kRawRS);
      EXPECT_TRUE(key->Verify(message, own, EcdsaSignatureFormat::kRawRS).ok());
      EXPECT_FALSE(key->Verify(message, other, EcdsaSignatureFormat::kRawRS).ok());
      Bytes bad = spki;
      bad.back() ^= 0x01;  // the point's last byte: no longer on the curve
      EXPECT_FALSE(EcdsaPublicKey::FromSpkiDer(bad).ok());
      EXPECT_FALSE(EcdsaPublicKey::FromSpkiDer(ByteSpan(spki).first(spki.size() - 1)).ok());
    }
  }
}

// Remembered keys are shared across threads (several sessions verify the
// same attestation key at once).
TEST(EcdsaTest, RememberedSpkiKeysAcrossThreads) {
  const Bytes message = ToBytes("attestation document");
  const EcdsaPrivateKey key = *EcdsaPrivateKey::Generate(EcCurve::kP384);
  const Bytes spki = key.PublicKey().SpkiDer();
  const Bytes signature = *key.Sign(message, EcdsaSignatureFormat::kRawRS);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        StatusOr<EcdsaPublicKey> k = EcdsaPublicKey::FromSpkiDer(spki);
        if (!k.ok() || !k->Verify(message, signature, EcdsaSignatureFormat::kRawRS).ok()) {
          wrong.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace eml::crypto

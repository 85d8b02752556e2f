#include "crypto/x25519.h"

#include <gtest/gtest.h>

#include "core/encoding.h"
#include "crypto/wycheproof_test_util.h"
#include "tests/testing.h"

namespace eml::crypto {
namespace {

using eml::testing::Hex;

// RFC 7748 §6.1: Alice and Bob's keys and their shared secret.
TEST(X25519Test, Rfc7748Section6_1) {
  StatusOr<X25519PrivateKey> alice = X25519PrivateKey::FromBytes(
      Hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
  StatusOr<X25519PrivateKey> bob = X25519PrivateKey::FromBytes(
      Hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
  ASSERT_TRUE(alice.ok());
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(HexEncode(alice->PublicKey()),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(HexEncode(bob->PublicKey()),
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  StatusOr<SecretBytes> ab = alice->ComputeSharedSecret(bob->PublicKey());
  StatusOr<SecretBytes> ba = bob->ComputeSharedSecret(alice->PublicKey());
  ASSERT_TRUE(ab.ok());
  ASSERT_TRUE(ba.ok());
  EXPECT_EQ(HexEncode(ab->RevealSecret()),
            "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  EXPECT_TRUE(*ab == *ba);
}

TEST(X25519Test, GenerateAgreesAndRejectsBadSizes) {
  StatusOr<X25519PrivateKey> a = X25519PrivateKey::Generate();
  StatusOr<X25519PrivateKey> b = X25519PrivateKey::Generate();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->PublicKey(), b->PublicKey());
  StatusOr<SecretBytes> ab = a->ComputeSharedSecret(b->PublicKey());
  StatusOr<SecretBytes> ba = b->ComputeSharedSecret(a->PublicKey());
  ASSERT_TRUE(ab.ok() && ba.ok());
  EXPECT_TRUE(*ab == *ba);
  EXPECT_EQ(X25519PrivateKey::FromBytes(Bytes(31)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a->ComputeSharedSecret(Bytes(33, 9)).status().code(), StatusCode::kInvalidArgument);
  // u = 0 and u = 1 are low-order points: the result is all zero.
  EXPECT_EQ(a->ComputeSharedSecret(Bytes(32, 0)).status().code(), StatusCode::kInvalidArgument);
  Bytes one(32, 0);
  one[0] = 1;
  EXPECT_EQ(a->ComputeSharedSecret(one).status().code(), StatusCode::kInvalidArgument);
}

// Wycheproof x25519_test.json. Policy for "acceptable" vectors (see
// docs/crypto.md): a vector flagged ZeroSharedSecret (all LowOrderPublic
// ones are) must be rejected; every other acceptable vector (Twist,
// NonCanonicalPublic, SmallPublicKey without a zero result, EdgeCase*) must
// be accepted and give exactly the expected shared secret (RFC 7748 §5).
TEST(X25519Test, Wycheproof) {
  WycheproofSuite suite("x25519_test.json");
  int64_t zero_rejected = 0;
  suite.ForEachTest([&](const WycheproofCase& t) {
    ASSERT_EQ(t.GroupString("curve"), "curve25519");
    Bytes expected = t.Hex("shared");
    const bool zero_flag = t.HasFlag("ZeroSharedSecret");
    // The flag and the data agree: the expected output is zero iff flagged.
    EXPECT_EQ(zero_flag, expected == Bytes(32, 0));
    if (t.HasFlag("LowOrderPublic")) {
      EXPECT_TRUE(zero_flag);
    }

    StatusOr<X25519PrivateKey> key = X25519PrivateKey::FromBytes(t.Hex("private"));
    ASSERT_TRUE(key.ok());
    StatusOr<SecretBytes> shared = key->ComputeSharedSecret(t.Hex("public"));
    const bool accepted = shared.ok() && HexEncode(shared->RevealSecret()) == HexEncode(expected);
    if (shared.ok()) {
      EXPECT_EQ(HexEncode(shared->RevealSecret()), HexEncode(expected));
    }
    if (t.result() == WycheproofResult::kAcceptable) {
      if (zero_flag) {
        EXPECT_EQ(shared.status().code(), StatusCode::kInvalidArgument) << "policy: reject";
        ++zero_rejected;
      } else {
        EXPECT_TRUE(accepted) << "policy: accept and match";
      }
    }
    suite.Record(t, accepted ? WycheproofOutcome::kAccepted : WycheproofOutcome::kRejected);
  });
  suite.Finish();
  // 31 ZeroSharedSecret vectors, counted from the file with a separate script.
  EXPECT_EQ(zero_rejected, 31);
  EXPECT_EQ(suite.CountOf(WycheproofResult::kAcceptable, WycheproofOutcome::kRejected), 31);
}

}  // namespace
}  // namespace eml::crypto

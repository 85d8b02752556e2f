// CiphertextBlob v1: layout, binding of key id / header / context, bounds.
#include "kms_server/ciphertext_blob.h"

#include <gtest/gtest.h>

#include "core/encoding.h"

namespace eml::kms_server {
namespace {

const char kKeyId[] = "1234abcd-12ab-44cd-86ef-1234567890ab";

SecretBytes Key(uint8_t fill) { return SecretBytes(Bytes(32, fill)); }

TEST(CiphertextBlobTest, LayoutAndRoundTrip) {
  const EncryptionContext context = {{"b", "2"}, {"a", "1"}};
  const Bytes plaintext = ToBytes("data key bytes");
  auto blob = SealCiphertextBlob(kKeyId, Key(7), plaintext, context);
  ASSERT_TRUE(blob.ok()) << blob.status().ToString();
  // "EKB1" | 1 | 36 | key id | 12-byte nonce | ciphertext | 16-byte tag
  ASSERT_EQ(blob->size(), 4 + 1 + 1 + 36 + 12 + plaintext.size() + 16);
  EXPECT_EQ(AsStringView(ByteSpan(*blob).first(4)), "EKB1");
  EXPECT_EQ((*blob)[4], 1);
  EXPECT_EQ((*blob)[5], 36);
  EXPECT_EQ(AsStringView(ByteSpan(*blob).subspan(6, 36)), kKeyId);
  EXPECT_EQ(*CiphertextBlobKeyId(*blob), kKeyId);
  auto opened = OpenCiphertextBlob(*blob, Key(7), context);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(Bytes(opened->RevealSecret().begin(), opened->RevealSecret().end()), plaintext);
}

TEST(CiphertextBlobTest, EncryptionContextEncodingIsCanonical) {
  // u32 count, then sorted pairs of (u32 len, bytes).
  EXPECT_EQ(HexEncode(EncodeEncryptionContext({{"b", "22"}, {"a", "1"}})),
            "00000002" "00000001" "61" "00000001" "31" "00000001" "62" "00000002" "3232");
  EXPECT_EQ(HexEncode(EncodeEncryptionContext({})), "00000000");
}

TEST(CiphertextBlobTest, EveryChangeFailsToOpen) {
  const EncryptionContext context = {{"purpose", "weights"}};
  auto blob = SealCiphertextBlob(kKeyId, Key(7), ToBytes("secret"), context);
  ASSERT_TRUE(blob.ok());
  for (size_t i = 0; i < blob->size(); ++i) {
    for (uint8_t bit = 1; bit != 0; bit = static_cast<uint8_t>(bit << 1)) {
      Bytes bad = *blob;
      bad[i] ^= bit;
      EXPECT_FALSE(OpenCiphertextBlob(bad, Key(7), context).ok()) << i;
    }
  }
  for (size_t len = 0; len < blob->size(); ++len) {
    EXPECT_FALSE(OpenCiphertextBlob(ByteSpan(*blob).first(len), Key(7), context).ok()) << len;
  }
  Bytes longer = *blob;
  longer.push_back(0);
  EXPECT_FALSE(OpenCiphertextBlob(longer, Key(7), context).ok());
  EXPECT_EQ(OpenCiphertextBlob(*blob, Key(8), context).status().code(), StatusCode::kVerificationFailed);
  EXPECT_EQ(OpenCiphertextBlob(*blob, Key(7), {}).status().code(), StatusCode::kVerificationFailed);
  EXPECT_EQ(OpenCiphertextBlob(*blob, Key(7), {{"purpose", "weightz"}}).status().code(),
            StatusCode::kVerificationFailed);
  EXPECT_EQ(OpenCiphertextBlob(*blob, Key(7), {{"purpose", "weights"}, {"x", "y"}}).status().code(),
            StatusCode::kVerificationFailed);
  // Re-labelled with another key id of the same length: AAD mismatch.
  Bytes moved = *blob;
  moved[6] = moved[6] == 'f' ? 'e' : 'f';
  EXPECT_EQ(OpenCiphertextBlob(moved, Key(7), context).status().code(),
            StatusCode::kVerificationFailed);
}

TEST(CiphertextBlobTest, Bounds) {
  EXPECT_FALSE(SealCiphertextBlob(kKeyId, Key(1), {}, {}).ok());
  EXPECT_FALSE(SealCiphertextBlob(kKeyId, Key(1), Bytes(kMaxBlobPlaintextSize + 1), {}).ok());
  EXPECT_TRUE(SealCiphertextBlob(kKeyId, Key(1), Bytes(kMaxBlobPlaintextSize), {}).ok());
  EXPECT_FALSE(SealCiphertextBlob("", Key(1), ToBytes("x"), {}).ok());
  EXPECT_FALSE(SealCiphertextBlob("bad/id", Key(1), ToBytes("x"), {}).ok());
  EXPECT_FALSE(SealCiphertextBlob(kKeyId, SecretBytes(Bytes(16, 1)), ToBytes("x"), {}).ok());
  EXPECT_FALSE(CiphertextBlobKeyId(Bytes(kMaxBlobSize + 1, 0)).ok());
  EXPECT_FALSE(CiphertextBlobKeyId(ToBytes("EKB2")).ok());
}

}  // namespace
}  // namespace eml::kms_server

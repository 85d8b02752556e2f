#include "crypto/aead.h"

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/encoding.h"
#include "crypto/wycheproof_test_util.h"
#include "tests/testing.h"

namespace eml::crypto {
namespace {

using eml::testing::Hex;

Aead MakeAead(AeadAlg alg, uint8_t fill) {
  StatusOr<Aead> aead = Aead::Create(alg, SecretBytes(Bytes(AeadKeySize(alg), fill)));
  EXPECT_TRUE(aead.ok());
  return *std::move(aead);
}

// The AEAD algorithms that a Wycheproof group maps to; empty if its key size
// is outside our API.
std::optional<AeadAlg> AlgFor(const std::string& algorithm, int64_t key_bits) {
  if (algorithm == "AES-GCM" && key_bits == 128) return AeadAlg::kAes128Gcm;
  if (algorithm == "AES-GCM" && key_bits == 256) return AeadAlg::kAes256Gcm;
  if (algorithm == "CHACHA20-POLY1305" && key_bits == 256) return AeadAlg::kChaCha20Poly1305;
  return std::nullopt;
}

// Checks one vector whose parameters our API offers. Returns the outcome.
WycheproofOutcome CheckInApi(const Aead& aead, const WycheproofCase& t) {
  Bytes iv = t.Hex("iv"), msg = t.Hex("msg"), aad = t.Hex("aad");
  Bytes sealed = Concat({t.Hex("ct"), t.Hex("tag")});
  StatusOr<Bytes> opened = aead.Open(iv, sealed, aad);
  if (t.result() == WycheproofResult::kValid) {
    StatusOr<Bytes> seal = aead.Seal(iv, msg, aad);
    EXPECT_TRUE(seal.ok() && *seal == sealed) << "seal mismatch";
  } else if (!opened.ok()) {
    EXPECT_EQ(opened.status().code(), StatusCode::kVerificationFailed);
  }
  return opened.ok() && *opened == msg ? WycheproofOutcome::kAccepted
                                       : WycheproofOutcome::kRejected;
}

// Asserts that our API refuses a vector with parameters it does not offer.
void ExpectOutOfApiRejected(const WycheproofCase& t, const std::string& algorithm) {
  SecretBytes key(t.Hex("key"));
  const bool aes = algorithm == "AES-GCM";
  std::optional<AeadAlg> alg = AlgFor(algorithm, t.GroupInt("keySize"));
  if (!alg) {  // unsupported key size: every factory that could apply rejects it
    const std::vector<AeadAlg> algs =
        aes ? std::vector<AeadAlg>{AeadAlg::kAes128Gcm, AeadAlg::kAes256Gcm}
            : std::vector<AeadAlg>{AeadAlg::kChaCha20Poly1305};
    for (AeadAlg a : algs) {
      EXPECT_EQ(Aead::Create(a, key).status().code(), StatusCode::kInvalidArgument);
    }
    return;
  }
  StatusOr<Aead> aead = Aead::Create(*alg, key);
  ASSERT_TRUE(aead.ok());
  Bytes iv = t.Hex("iv"), aad = t.Hex("aad");
  Bytes sealed = Concat({t.Hex("ct"), t.Hex("tag")});
  if (t.GroupInt("ivSize") != 96) {
    EXPECT_EQ(aead->Seal(iv, t.Hex("msg"), aad).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(aead->Open(iv, sealed, aad).status().code(), StatusCode::kInvalidArgument);
  } else {  // tag size other than 128 bits: cannot verify as a 16-byte tag
    EXPECT_FALSE(aead->Open(iv, sealed, aad).ok());
  }
}

struct AeadCounts {
  int64_t valid_checked, invalid_checked, out_of_api;
};

// Runs a whole Wycheproof AEAD file: every vector is either checked or
// asserted rejected as outside the API (12-byte nonce, 16-byte tag, our key
// sizes). `expected` was counted independently from the file's groups.
void RunAeadFile(const std::string& file, AeadCounts expected) {
  WycheproofSuite suite(file);
  const std::string algorithm = suite.algorithm();
  suite.ForEachTest([&](const WycheproofCase& t) {
    std::optional<AeadAlg> alg = AlgFor(algorithm, t.GroupInt("keySize"));
    if (!alg || t.GroupInt("ivSize") != 96 || t.GroupInt("tagSize") != 128) {
      ExpectOutOfApiRejected(t, algorithm);
      suite.Record(t, WycheproofOutcome::kOutOfApi);
      return;
    }
    StatusOr<Aead> aead = Aead::Create(*alg, SecretBytes(t.Hex("key")));
    ASSERT_TRUE(aead.ok());
    suite.Record(t, CheckInApi(*aead, t));
  });
  suite.Finish();
  EXPECT_EQ(suite.CountOf(WycheproofResult::kValid, WycheproofOutcome::kAccepted),
            expected.valid_checked);
  EXPECT_EQ(suite.CountOf(WycheproofResult::kInvalid, WycheproofOutcome::kRejected),
            expected.invalid_checked);
  EXPECT_EQ(suite.CountOf(WycheproofResult::kValid, WycheproofOutcome::kOutOfApi) +
                suite.CountOf(WycheproofResult::kInvalid, WycheproofOutcome::kOutOfApi),
            expected.out_of_api);
}

// Expected counts were tallied from the JSON with a separate script
// (python: groups with keySize in {128,256}, ivSize 96, tagSize 128).
TEST(AeadTest, WycheproofAesGcm) {
  RunAeadFile("aes_gcm_test.json", {.valid_checked = 79, .invalid_checked = 54, .out_of_api = 183});
}

TEST(AeadTest, WycheproofChaCha20Poly1305) {
  RunAeadFile("chacha20_poly1305_test.json",
              {.valid_checked = 256, .invalid_checked = 60, .out_of_api = 9});
}

TEST(AeadTest, RejectsBadKeyAndNonceSizes) {
  EXPECT_EQ(Aead::Create(AeadAlg::kAes128Gcm, SecretBytes(Bytes(32, 1))).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Aead::Create(AeadAlg::kAes256Gcm, SecretBytes(Bytes(16, 1))).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Aead::Create(AeadAlg::kChaCha20Poly1305, SecretBytes()).status().code(),
            StatusCode::kInvalidArgument);
  Aead aead = MakeAead(AeadAlg::kAes256Gcm, 7);
  EXPECT_EQ(aead.Seal(Bytes(11), {}, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(aead.Seal(Bytes(13), {}, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(aead.Open(Bytes(12), Bytes(15), {}).status().code(), StatusCode::kInvalidArgument);
}

// Every single-bit flip of the sealed record and of the AAD, and every
// truncation, must fail authentication, for each algorithm.
TEST(AeadTest, EveryBitFlipAndTruncationFails) {
  for (AeadAlg alg : {AeadAlg::kAes128Gcm, AeadAlg::kAes256Gcm, AeadAlg::kChaCha20Poly1305}) {
    Aead aead = MakeAead(alg, 0x42);
    Bytes nonce(12, 9), aad = ToBytes("header"), pt = ToBytes("attack at dawn");
    StatusOr<Bytes> sealed = aead.Seal(nonce, pt, aad);
    ASSERT_TRUE(sealed.ok());
    ASSERT_EQ(sealed->size(), pt.size() + kAeadTagSize);
    StatusOr<Bytes> opened = aead.Open(nonce, *sealed, aad);
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(*opened, pt);
    for (size_t bit = 0; bit < sealed->size() * 8; ++bit) {
      Bytes bad = *sealed;
      bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      EXPECT_EQ(aead.Open(nonce, bad, aad).status().code(), StatusCode::kVerificationFailed);
    }
    for (size_t bit = 0; bit < aad.size() * 8; ++bit) {
      Bytes bad_aad = aad;
      bad_aad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      EXPECT_EQ(aead.Open(nonce, *sealed, bad_aad).status().code(),
                StatusCode::kVerificationFailed);
    }
    for (size_t len = 0; len < sealed->size(); ++len) {
      EXPECT_FALSE(aead.Open(nonce, ByteSpan(*sealed).first(len), aad).ok()) << len;
    }
    Bytes other_nonce = nonce;
    other_nonce[0] ^= 1;
    EXPECT_EQ(aead.Open(other_nonce, *sealed, aad).status().code(),
              StatusCode::kVerificationFailed);
  }
}

// OpenInto writes the plaintext into the caller's buffer, refuses a buffer
// of the wrong size, and wipes the buffer when authentication fails.
TEST(AeadTest, OpenIntoCallerBuffer) {
  Aead aead = MakeAead(AeadAlg::kAes256Gcm, 7);
  const Bytes nonce(12, 1), pt = ToBytes("weights, chunk 0");
  StatusOr<Bytes> sealed = aead.Seal(nonce, pt, {});
  ASSERT_TRUE(sealed.ok());
  Bytes out(pt.size(), 0xee);
  ASSERT_TRUE(aead.OpenInto(nonce, *sealed, {}, out).ok());
  EXPECT_EQ(out, pt);
  Bytes wrong_size(pt.size() + 1);
  EXPECT_EQ(aead.OpenInto(nonce, *sealed, {}, wrong_size).code(), StatusCode::kInvalidArgument);
  Bytes bad = *sealed;
  bad.back() ^= 1;
  Bytes wiped(pt.size(), 0xee);
  EXPECT_EQ(aead.OpenInto(nonce, bad, {}, wiped).code(), StatusCode::kVerificationFailed);
  EXPECT_EQ(wiped, Bytes(pt.size(), 0));
}

// SealInto writes exactly Seal's bytes into the caller's buffer and refuses
// a buffer of any other size.
TEST(AeadTest, SealIntoCallerBuffer) {
  Aead aead = MakeAead(AeadAlg::kAes256Gcm, 7);
  const Bytes nonce(12, 1), pt = ToBytes("a record"), aad = ToBytes("header");
  Bytes out(pt.size() + kAeadTagSize);
  ASSERT_TRUE(aead.SealInto(nonce, pt, aad, out).ok());
  EXPECT_EQ(out, *aead.Seal(nonce, pt, aad));
  for (size_t size : {pt.size(), pt.size() + kAeadTagSize - 1, pt.size() + kAeadTagSize + 1}) {
    Bytes wrong(size);
    EXPECT_EQ(aead.SealInto(nonce, pt, aad, wrong).code(), StatusCode::kInvalidArgument) << size;
  }
}

TEST(AeadTest, EmptyPlaintextAndMove) {
  Aead aead = MakeAead(AeadAlg::kChaCha20Poly1305, 3);
  StatusOr<Bytes> sealed = aead.Seal(Bytes(12), {}, {});
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->size(), kAeadTagSize);
  Aead moved = std::move(aead);
  StatusOr<Bytes> opened = moved.Open(Bytes(12), *sealed, {});
  ASSERT_TRUE(opened.ok());
  EXPECT_TRUE(opened->empty());
}

}  // namespace
}  // namespace eml::crypto

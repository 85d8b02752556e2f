#include "crypto/hash.h"

#include <string>

#include <gtest/gtest.h>

#include "core/encoding.h"
#include "crypto/wycheproof_test_util.h"
#include "tests/testing.h"

namespace eml::crypto {
namespace {

using eml::testing::Hex;

std::string HexOf(const StatusOr<Bytes>& b) { return b.ok() ? HexEncode(*b) : b.status().ToString(); }
std::string HexOf(const StatusOr<SecretBytes>& b) {
  return b.ok() ? HexEncode(b->RevealSecret()) : b.status().ToString();
}

// FIPS 180-2 Appendix B.1 / C.1 / D.1: the message "abc".
TEST(HashTest, FipsAbc) {
  EXPECT_EQ(HexEncode(Sha256(AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexEncode(Sha384(AsBytes("abc"))),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163"
            "1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
  EXPECT_EQ(HexEncode(Sha512(AsBytes("abc"))),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  EXPECT_EQ(HashSize(HashAlg::kSha256), 32u);
  EXPECT_EQ(HashSize(HashAlg::kSha384), 48u);
  EXPECT_EQ(HashSize(HashAlg::kSha512), 64u);
}

// FIPS 180-2 Appendix B.2 (448-bit message) fed in uneven pieces, and the
// million-'a' message of B.3 in 1000-byte pieces.
TEST(HashTest, Sha256HasherInPieces) {
  const std::string m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  for (size_t cut : {size_t{0}, size_t{1}, size_t{13}, size_t{55}, m.size()}) {
    Sha256Hasher h;
    h.Update(AsBytes(m).first(cut));
    h.Update(AsBytes(m).subspan(cut));
    EXPECT_EQ(HexEncode(h.Finish()),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") << cut;
  }
  Sha256Hasher million;
  const std::string thousand(1000, 'a');
  for (int i = 0; i < 1000; ++i) million.Update(AsBytes(thousand));
  EXPECT_EQ(HexEncode(million.Finish()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// RFC 4231 §4.2 (Test Case 1), §4.3 (Test Case 2), §4.7 (Test Case 6).
TEST(HmacTest, Rfc4231) {
  struct Case {
    Bytes key;
    std::string data;
    const char* sha256;
    const char* sha384;
    const char* sha512;
  };
  const Case cases[] = {
      {Bytes(20, 0x0b), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
       "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
       "faea9ea9076ede7f4af152e8b2fa9cb6",
       "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
       "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
      {ToBytes("Jefe"), "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
       "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
       "8e2240ca5e69e2c78b3239ecfab21649",
       "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
       "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
      {Bytes(131, 0xaa), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
       "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
       "0c2ef6ab4030fe8296248df163f44952",
       "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
       "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.data);
    EXPECT_EQ(HexOf(Hmac(HashAlg::kSha256, c.key, AsBytes(c.data))), c.sha256);
    EXPECT_EQ(HexOf(Hmac(HashAlg::kSha384, c.key, AsBytes(c.data))), c.sha384);
    EXPECT_EQ(HexOf(Hmac(HashAlg::kSha512, c.key, AsBytes(c.data))), c.sha512);
  }
}

// An empty HMAC key is the all-zero block (RFC 2104 §2), so it must equal a
// HashLen-byte zero key; RFC 5869 §A.3's PRK exercises exactly this.
TEST(HmacTest, EmptyKeyEqualsZeroKey) {
  StatusOr<Bytes> empty = Hmac(HashAlg::kSha256, {}, AsBytes("data"));
  StatusOr<Bytes> zero = Hmac(HashAlg::kSha256, Bytes(32, 0), AsBytes("data"));
  ASSERT_TRUE(empty.ok());
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(*empty, *zero);
}

// RFC 5869 Appendix A.1 (basic SHA-256) and A.3 (zero-length salt and info).
TEST(HkdfTest, Rfc5869) {
  Bytes ikm(22, 0x0b);
  SecretBytes prk1 = HkdfExtract(HashAlg::kSha256, Hex("000102030405060708090a0b0c"), ikm);
  EXPECT_EQ(HexEncode(prk1.RevealSecret()),
            "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
  EXPECT_EQ(HexOf(HkdfExpand(HashAlg::kSha256, prk1.RevealSecret(), Hex("f0f1f2f3f4f5f6f7f8f9"),
                             42)),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");

  SecretBytes prk3 = HkdfExtract(HashAlg::kSha256, {}, ikm);
  EXPECT_EQ(HexEncode(prk3.RevealSecret()),
            "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04");
  EXPECT_EQ(HexOf(Hkdf(HashAlg::kSha256, {}, ikm, {}, 42)),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(HkdfTest, LengthLimits) {
  SecretBytes prk = HkdfExtract(HashAlg::kSha256, {}, AsBytes("ikm"));
  EXPECT_TRUE(HkdfExpand(HashAlg::kSha256, prk.RevealSecret(), {}, 255 * 32).ok());
  EXPECT_EQ(HkdfExpand(HashAlg::kSha256, prk.RevealSecret(), {}, 255 * 32 + 1).status().code(),
            StatusCode::kLimitExceeded);
  EXPECT_EQ(HkdfExpand(HashAlg::kSha256, prk.RevealSecret(), {}, 0).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(HkdfExpand(HashAlg::kSha256, Bytes(31, 1), {}, 16).status().code(),
            StatusCode::kInvalidArgument);
  SecretBytes prk384 = HkdfExtract(HashAlg::kSha384, {}, AsBytes("ikm"));
  EXPECT_EQ(prk384.size(), 48u);
  EXPECT_TRUE(HkdfExpand(HashAlg::kSha384, prk384.RevealSecret(), {}, 255 * 48).ok());
  EXPECT_EQ(HkdfExpand(HashAlg::kSha384, prk384.RevealSecret(), {}, 255 * 48 + 1).status().code(),
            StatusCode::kLimitExceeded);
}

// Wycheproof hkdf_sha256_test.json: valid vectors must match; "invalid"
// ones (output size above 255*HashLen) must be rejected.
TEST(HkdfTest, Wycheproof) {
  WycheproofSuite suite("hkdf_sha256_test.json");
  suite.ForEachTest([&](const WycheproofCase& t) {
    StatusOr<SecretBytes> okm = Hkdf(HashAlg::kSha256, t.Hex("salt"), t.Hex("ikm"), t.Hex("info"),
                                     static_cast<size_t>(t.Int("size")));
    if (okm.ok() && t.result() == WycheproofResult::kValid) {
      EXPECT_EQ(HexEncode(okm->RevealSecret()), HexEncode(t.Hex("okm")));
    }
    suite.Record(t, okm.ok() ? WycheproofOutcome::kAccepted : WycheproofOutcome::kRejected);
  });
  suite.Finish();
  EXPECT_GT(suite.CountOf(WycheproofResult::kInvalid, WycheproofOutcome::kRejected), 0);
}

}  // namespace
}  // namespace eml::crypto

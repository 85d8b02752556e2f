#include "core/encoding.h"

#include <gtest/gtest.h>

namespace eml {
namespace {

TEST(HexTest, RoundTripAndErrors) {
  const Bytes data = {0x00, 0x7f, 0xff, 0xa5};
  EXPECT_EQ(HexEncode(data), "007fffa5");
  EXPECT_EQ(*HexDecode("007FFFa5"), data);
  EXPECT_FALSE(HexDecode("abc").ok());
  EXPECT_FALSE(HexDecode("zz").ok());
}

// RFC 4648 section 10 test vectors.
TEST(Base64Test, Rfc4648Vectors) {
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(Base64Encode(AsBytes(plain[i])), coded[i]);
    StatusOr<Bytes> d = Base64Decode(coded[i]);
    ASSERT_TRUE(d.ok()) << coded[i];
    EXPECT_EQ(AsStringView(*d), plain[i]);
  }
}

TEST(Base64Test, UrlUnpadded) {
  const Bytes data = {0xfb, 0xff, 0xbf};
  Base64Options url{.alphabet = Base64Alphabet::kUrl, .pad = false};
  EXPECT_EQ(Base64Encode(data, url), "-_-_");
  EXPECT_EQ(*Base64Decode("-_-_", url), data);
  EXPECT_EQ(Base64Encode(AsBytes("f"), url), "Zg");
  EXPECT_EQ(AsStringView(*Base64Decode("Zg", url)), "f");
}

TEST(Base64Test, RejectsMalformed) {
  EXPECT_FALSE(Base64Decode("Zg=").ok());      // bad length
  EXPECT_FALSE(Base64Decode("Zh==").ok());     // non-zero padding bits
  EXPECT_FALSE(Base64Decode("Zm9v!A==").ok()); // bad character
  EXPECT_FALSE(Base64Decode("Z===").ok());     // truncated quantum
  EXPECT_FALSE(Base64Decode("-_-_").ok());     // URL alphabet in standard mode
}

}  // namespace
}  // namespace eml

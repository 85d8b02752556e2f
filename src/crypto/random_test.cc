#include "crypto/random.h"

#include <set>

#include <gtest/gtest.h>

#include "core/encoding.h"

namespace eml::crypto {
namespace {

// Randomness cannot be proven by a unit test; these check the plumbing:
// requested sizes are honoured and outputs differ between calls (the chance
// of a 32-byte collision or an all-zero 64-byte output is negligible).
TEST(RandomTest, FillsAndDiffers) {
  std::set<std::string> seen;
  for (int i = 0; i < 16; ++i) {
    StatusOr<SecretBytes> s = RandomSecret(32);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    ASSERT_EQ(s->size(), 32u);
    seen.insert(HexEncode(s->RevealSecret()));
  }
  EXPECT_EQ(seen.size(), 16u);

  Bytes buf(64, 0);
  ASSERT_TRUE(RandomBytes(buf).ok());
  EXPECT_NE(buf, Bytes(64, 0));
}

TEST(RandomTest, EmptyAndLarge) {
  EXPECT_TRUE(RandomBytes({}).ok());
  StatusOr<SecretBytes> empty = RandomSecret(0);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  // Larger than one internal chunk, so the chunking loop is exercised.
  Bytes big((1 << 20) + 17, 0);
  ASSERT_TRUE(RandomBytes(big).ok());
  // The tail beyond the first chunk was written too.
  EXPECT_NE(Bytes(big.end() - 16, big.end()), Bytes(16, 0));
}

}  // namespace
}  // namespace eml::crypto

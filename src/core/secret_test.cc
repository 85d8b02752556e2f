#include "core/secret.h"

#include <gtest/gtest.h>

#include "core/clock.h"

namespace eml {
namespace {

TEST(SecretBytesTest, ConstantTimeEquality) {
  const Bytes a = {1, 2, 3};
  const Bytes b = {1, 2, 4};
  EXPECT_TRUE(SecretBytes(ByteSpan(a)) == SecretBytes(ByteSpan(a)));
  EXPECT_FALSE(SecretBytes(ByteSpan(a)) == SecretBytes(ByteSpan(b)));
  EXPECT_FALSE(SecretBytes(ByteSpan(a)) == SecretBytes(ByteSpan(a).first(2)));
}

TEST(SecretBytesTest, MoveLeavesSourceEmptyAndCloneCopies) {
  const Bytes a = {9, 9, 9, 9};
  SecretBytes s(a);
  SecretBytes c = s.Clone();
  SecretBytes m = std::move(s);
  EXPECT_TRUE(s.empty());  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_EQ(m.size(), 4u);
  EXPECT_TRUE(m == c);
}

TEST(SecretBytesTest, SecureWipeZeroes) {
  uint8_t buf[16];
  for (uint8_t& x : buf) x = 0xab;
  SecureWipe(buf, sizeof(buf));
  for (uint8_t x : buf) EXPECT_EQ(x, 0);
}

TEST(ClockTest, FakeClockIsInjectable) {
  FakeClock clock(1'700'000'000'123);
  EXPECT_EQ(clock.NowUnixSeconds(), 1'700'000'000);
  clock.AdvanceMillis(1'000);
  EXPECT_EQ(clock.NowUnixMillis(), 1'700'000'001'123);
  const Clock& real = SystemClock::Get();
  EXPECT_GT(real.NowUnixSeconds(), 1'700'000'000);
}

}  // namespace
}  // namespace eml

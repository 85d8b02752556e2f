#include "net/deadline.h"

#include <poll.h>

#include <chrono>
#include <climits>

#include <gtest/gtest.h>

namespace eml::net {
namespace {

using namespace std::chrono_literals;

TEST(DeadlineTest, NeverNeverExpires) {
  const Deadline d = Deadline::Never();
  EXPECT_TRUE(d.is_never());
  EXPECT_FALSE(d.Expired());
  EXPECT_EQ(d.PollTimeoutMs(), -1);
}

TEST(DeadlineTest, PastDeadlineIsExpiredAndPollsZero) {
  EXPECT_TRUE(Deadline::In(0ms).Expired());
  EXPECT_TRUE(Deadline::In(-5s).Expired());
  EXPECT_EQ(Deadline::In(-5s).PollTimeoutMs(), 0);
}

TEST(DeadlineTest, PollingForTheTimeoutNeverWakesEarly) {
  // poll() sleeps at least the timeout it is given, so rounding up makes one
  // poll always reach the deadline; rounding 1.5 ms down to 1 ms would not.
  for (int i = 0; i < 20; ++i) {
    const Deadline d = Deadline::At(Deadline::Clock::now() + 1500us);
    const int ms = d.PollTimeoutMs();
    EXPECT_GE(ms, 1);
    EXPECT_LE(ms, 2);
    poll(nullptr, 0, ms);
    EXPECT_TRUE(d.Expired()) << "woke before the deadline after polling " << ms << " ms";
  }
  const Deadline d2 = Deadline::In(10s);
  EXPECT_GT(d2.PollTimeoutMs(), 9000);
  EXPECT_LE(d2.PollTimeoutMs(), 10000);
  EXPECT_FALSE(d2.Expired());
}

TEST(DeadlineTest, HugeDurationsSaturate) {
  const Deadline d = Deadline::In(Deadline::Clock::duration::max());
  EXPECT_TRUE(d.is_never());
  // Far but representable: capped at INT_MAX for poll().
  EXPECT_EQ(Deadline::In(std::chrono::hours(24 * 365)).PollTimeoutMs(), INT_MAX);
}

}  // namespace
}  // namespace eml::net

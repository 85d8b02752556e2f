#include "net/deadline.h"

#include <climits>

namespace eml::net {

Deadline Deadline::In(Clock::duration d) {
  const Clock::time_point now = Clock::now();
  if (d > Clock::time_point::max() - now) return Never();
  return At(now + d);
}

bool Deadline::Expired() const { return !never_ && Clock::now() >= at_; }

int Deadline::PollTimeoutMs() const {
  if (never_) return -1;
  const Clock::time_point now = Clock::now();
  if (now >= at_) return 0;
  const auto left = at_ - now;
  // Round up: ceil(left / 1 ms).
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

}  // namespace eml::net

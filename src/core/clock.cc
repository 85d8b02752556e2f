#include "core/clock.h"

#include <chrono>

namespace eml {

int64_t SystemClock::NowUnixSeconds() const { return NowUnixMillis() / 1000; }

int64_t SystemClock::NowUnixMillis() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

const SystemClock& SystemClock::Get() {
  static const SystemClock clock;
  return clock;
}

}  // namespace eml

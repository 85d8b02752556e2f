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

int64_t UnixSecondsFromCivil(int64_t year, int64_t month, int64_t day, int64_t hour,
                             int64_t minute, int64_t second) {
  // Days since 1970-01-01 (Howard Hinnant's days_from_civil).
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t yoe = year - era * 400;
  const int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = era * 146097 + doe - 719468;
  return days * 86400 + hour * 3600 + minute * 60 + second;
}

}  // namespace eml

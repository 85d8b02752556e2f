// An injectable clock. Code that judges time (certificate validity, receipt
// freshness, session TTL) takes a `const Clock&` so tests and offline
// verification of archived evidence can supply the time to judge at.
//
// Thread-safety: implementations must be safe to call concurrently.
#ifndef EML_CORE_CLOCK_H_
#define EML_CORE_CLOCK_H_

#include <atomic>
#include <cstdint>

namespace eml {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch (UTC).
  virtual int64_t NowUnixSeconds() const = 0;
  // Milliseconds since the Unix epoch (UTC).
  virtual int64_t NowUnixMillis() const = 0;
};

// The process's real-time clock.
class SystemClock final : public Clock {
 public:
  int64_t NowUnixSeconds() const override;
  int64_t NowUnixMillis() const override;
  static const SystemClock& Get();
};

// A clock that reads what the test sets.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t unix_millis = 0) : millis_(unix_millis) {}
  int64_t NowUnixSeconds() const override { return millis_.load() / 1000; }
  int64_t NowUnixMillis() const override { return millis_.load(); }
  void SetUnixSeconds(int64_t s) { millis_.store(s * 1000); }
  void AdvanceMillis(int64_t ms) { millis_.fetch_add(ms); }

 private:
  std::atomic<int64_t> millis_;
};

// Seconds since the Unix epoch of a proleptic Gregorian UTC date and time
// (month 1..12, day 1..31; the caller validates the fields).
int64_t UnixSecondsFromCivil(int64_t year, int64_t month, int64_t day, int64_t hour,
                             int64_t minute, int64_t second);

}  // namespace eml

#endif  // EML_CORE_CLOCK_H_

// Deadline: a point on the steady clock by which a network call must finish.
//
// Every blocking call in src/net takes a Deadline instead of a timeout so a
// loop of several reads (a frame header, then its body) shares one budget.
// Deadlines use std::chrono::steady_clock, so wall-clock jumps do not fire or
// extend them. Never() means "block until the peer acts".
//
// Thread-safety: a value type; no shared state.
#ifndef EML_NET_DEADLINE_H_
#define EML_NET_DEADLINE_H_

#include <chrono>

namespace eml::net {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  // Now + `d`. A negative `d` is already expired; a `d` too large to add
  // without overflow behaves as Never().
  static Deadline In(Clock::duration d);
  static Deadline At(Clock::time_point t) { return Deadline(t, false); }
  static Deadline Never() { return Deadline(Clock::time_point::max(), true); }

  bool is_never() const { return never_; }
  bool Expired() const;
  // The wait to hand to poll(2): -1 for Never(), 0 once expired, otherwise
  // the remaining time rounded *up* to whole milliseconds (so a poll never
  // wakes before the deadline), capped at INT_MAX.
  int PollTimeoutMs() const;

 private:
  Deadline(Clock::time_point t, bool never) : at_(t), never_(never) {}
  Clock::time_point at_;
  bool never_;
};

}  // namespace eml::net

#endif  // EML_NET_DEADLINE_H_

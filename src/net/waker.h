// Waker: a one-shot, level-triggered wake-up signal backed by an eventfd.
//
// Once Wake() is called the descriptor stays readable forever, so any
// number of threads polling fd() (each in its own poll set, next to the
// sockets it serves) all see it, now and later. Used by Listener::Shutdown()
// and by SessionGroup to tell session threads to stop.
//
// Thread-safety: Wake(), woken() and fd() are safe from any thread. Moving or
// destroying a Waker while another thread uses it is not.
#ifndef EML_NET_WAKER_H_
#define EML_NET_WAKER_H_

#include "core/status.h"

namespace eml::net {

class Waker {
 public:
  // kIo if the kernel refuses an eventfd (descriptor limit).
  static StatusOr<Waker> Create();

  Waker(Waker&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Waker& operator=(Waker&& other) noexcept;
  Waker(const Waker&) = delete;
  Waker& operator=(const Waker&) = delete;
  ~Waker();

  void Wake() const;
  bool woken() const;
  // Poll this for POLLIN next to your sockets.
  int fd() const { return fd_; }

 private:
  explicit Waker(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace eml::net

#endif  // EML_NET_WAKER_H_

#include "net/waker.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

namespace eml::net {

StatusOr<Waker> Waker::Create() {
  const int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return IoError(std::string("net: eventfd: ") + std::strerror(errno));
  return Waker(fd);
}

Waker& Waker::operator=(Waker&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

Waker::~Waker() {
  if (fd_ >= 0) close(fd_);
}

void Waker::Wake() const {
  // The counter only grows and is never read, so the fd stays readable.
  // A write can fail only with EAGAIN at counter overflow, by which point
  // the fd is readable anyway.
  const uint64_t one = 1;
  ssize_t n;
  do {
    n = write(fd_, &one, sizeof(one));
  } while (n < 0 && errno == EINTR);
}

bool Waker::woken() const {
  pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
  int rc;
  do {
    rc = poll(&p, 1, 0);
  } while (rc < 0 && errno == EINTR);
  return rc > 0 && (p.revents & POLLIN) != 0;
}

}  // namespace eml::net

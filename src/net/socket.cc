#include "net/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace eml::net {
namespace {

// A sockaddr large enough for every family we use.
struct SockAddr {
  sockaddr_storage storage{};
  socklen_t len = 0;
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
};

Status ErrnoStatus(std::string_view what, int err) {
  return IoError("net: " + std::string(what) + ": " + std::strerror(err));
}

int FamilyOf(const Endpoint& ep) {
  switch (ep.family) {
    case Endpoint::Family::kIpv4: return AF_INET;
    case Endpoint::Family::kIpv6: return AF_INET6;
    case Endpoint::Family::kVsock: return AF_VSOCK;
  }
  return AF_UNSPEC;
}

// `listening`: port 0 on vsock means "any" (VMADDR_PORT_ANY).
StatusOr<SockAddr> ToSockAddr(const Endpoint& ep, bool listening) {
  SockAddr a;
  if (ep.family == Endpoint::Family::kVsock) {
    auto* vm = reinterpret_cast<sockaddr_vm*>(&a.storage);
    vm->svm_family = AF_VSOCK;
    vm->svm_cid = ep.cid;
    vm->svm_port = (listening && ep.port == 0) ? VMADDR_PORT_ANY : ep.port;
    a.len = sizeof(sockaddr_vm);
    return a;
  }
  if (ep.port > 65535) return InvalidArgumentError("net: TCP port above 65535");
  if (ep.family == Endpoint::Family::kIpv4) {
    auto* in = reinterpret_cast<sockaddr_in*>(&a.storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(static_cast<uint16_t>(ep.port));
    if (inet_pton(AF_INET, ep.host.c_str(), &in->sin_addr) != 1) {
      return InvalidArgumentError("net: not an IPv4 literal: " + ep.host);
    }
    a.len = sizeof(sockaddr_in);
    return a;
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(static_cast<uint16_t>(ep.port));
  if (inet_pton(AF_INET6, ep.host.c_str(), &in6->sin6_addr) != 1) {
    return InvalidArgumentError("net: not an IPv6 literal: " + ep.host);
  }
  a.len = sizeof(sockaddr_in6);
  return a;
}

// Reads back an address; false for families we do not know.
bool FromSockAddr(const sockaddr_storage& s, Endpoint* out) {
  char text[INET6_ADDRSTRLEN] = {};
  if (s.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&s);
    if (!inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text))) return false;
    *out = Endpoint{.family = Endpoint::Family::kIpv4, .host = text, .cid = 0,
                    .port = ntohs(in->sin_port)};
    return true;
  }
  if (s.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&s);
    if (!inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text))) return false;
    *out = Endpoint{.family = Endpoint::Family::kIpv6, .host = text, .cid = 0,
                    .port = ntohs(in6->sin6_port)};
    return true;
  }
  if (s.ss_family == AF_VSOCK) {
    const auto* vm = reinterpret_cast<const sockaddr_vm*>(&s);
    *out = Endpoint{.family = Endpoint::Family::kVsock, .host = "", .cid = vm->svm_cid,
                    .port = vm->svm_port};
    return true;
  }
  return false;
}

StatusOr<Socket> NewSocket(const Endpoint& ep) {
  const int fd = socket(FamilyOf(ep), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus("socket(" + ep.ToString() + ")", errno);
  return Socket(fd);
}

void SetNoDelay(const Socket& s) {
  // Only TCP has Nagle; on vsock this fails harmlessly (ENOPROTOOPT/EOPNOTSUPP).
  const int one = 1;
  (void)setsockopt(s.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

// Waits until `fd` reports one of `events` (or an error/hangup, which the
// following syscall turns into a Status).
Status WaitFor(int fd, short events, Deadline deadline, std::string_view what) {
  for (;;) {
    pollfd p{.fd = fd, .events = events, .revents = 0};
    const int rc = poll(&p, 1, deadline.PollTimeoutMs());
    if (rc > 0) {
      if (p.revents & POLLNVAL) return FailedPreconditionError("net: socket is not open");
      return OkStatus();
    }
    if (rc == 0) return LimitExceededError("net: " + std::string(what) + " deadline exceeded");
    if (errno != EINTR) return ErrnoStatus("poll", errno);
  }
}

Status CheckOpen(const Socket& s) {
  if (!s.valid()) return FailedPreconditionError("net: socket is not open");
  return OkStatus();
}

bool IsTransientAcceptError(int err) {
  // The connection died between SYN and accept, or a signal interrupted us.
  return err == EAGAIN || err == EWOULDBLOCK || err == EINTR || err == ECONNABORTED ||
         err == EPROTO || err == ENETDOWN || err == ENOPROTOOPT || err == EHOSTDOWN ||
         err == ENONET || err == EHOSTUNREACH || err == EOPNOTSUPP || err == ENETUNREACH ||
         err == ECONNRESET || err == ETIMEDOUT;
}

}  // namespace

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = other.Release();
  }
  return *this;
}

void Socket::Close() {
  if (fd_ >= 0) {
    // close(2) must not be retried on EINTR on Linux: the fd is gone either way.
    close(fd_);
    fd_ = -1;
  }
}

int Socket::Release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

StatusOr<Listener> Listen(const Endpoint& endpoint, int backlog) {
  if (backlog < 1 || backlog > 65535) return InvalidArgumentError("net: backlog must be 1..65535");
  ASSIGN_OR_RETURN(SockAddr addr, ToSockAddr(endpoint, /*listening=*/true));
  ASSIGN_OR_RETURN(Socket s, NewSocket(endpoint));
  const int one = 1;
  if (endpoint.family != Endpoint::Family::kVsock &&
      setsockopt(s.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
    return ErrnoStatus("SO_REUSEADDR", errno);
  }
  if (endpoint.family == Endpoint::Family::kIpv6 &&
      setsockopt(s.fd(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) {
    return ErrnoStatus("IPV6_V6ONLY", errno);
  }
  if (bind(s.fd(), addr.get(), addr.len) != 0) {
    return ErrnoStatus("bind " + endpoint.ToString(), errno);
  }
  if (listen(s.fd(), backlog) != 0) return ErrnoStatus("listen " + endpoint.ToString(), errno);
  SockAddr bound;
  bound.len = sizeof(bound.storage);
  Endpoint actual;
  if (getsockname(s.fd(), bound.get(), &bound.len) != 0 || !FromSockAddr(bound.storage, &actual)) {
    return ErrnoStatus("getsockname", errno);
  }
  ASSIGN_OR_RETURN(Waker waker, Waker::Create());
  return Listener(std::move(s), std::move(waker), std::move(actual));
}

StatusOr<Socket> Accept(Listener& listener, Deadline deadline) {
  for (;;) {
    pollfd p[2] = {{.fd = listener.socket_.fd(), .events = POLLIN, .revents = 0},
                   {.fd = listener.waker_.fd(), .events = POLLIN, .revents = 0}};
    const int rc = poll(p, 2, deadline.PollTimeoutMs());
    if (rc < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("poll", errno);
    }
    if (p[1].revents != 0) return FailedPreconditionError("net: listener shut down");
    if (rc == 0) return LimitExceededError("net: accept deadline exceeded");
    const int fd = accept4(listener.socket_.fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      Socket s(fd);
      SetNoDelay(s);
      return s;
    }
    const int err = errno;
    if (IsTransientAcceptError(err)) continue;
    if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
      return LimitExceededError(std::string("net: accept: ") + std::strerror(err));
    }
    return ErrnoStatus("accept", err);
  }
}

StatusOr<Socket> Connect(const Endpoint& endpoint, Deadline deadline) {
  ASSIGN_OR_RETURN(SockAddr addr, ToSockAddr(endpoint, /*listening=*/false));
  ASSIGN_OR_RETURN(Socket s, NewSocket(endpoint));
  const std::string what = "connect " + endpoint.ToString();
  if (connect(s.fd(), addr.get(), addr.len) != 0) {
    // EINTR on a non-blocking connect means it continues asynchronously.
    if (errno != EINPROGRESS && errno != EINTR) return ErrnoStatus(what, errno);
    RETURN_IF_ERROR(WaitFor(s.fd(), POLLOUT, deadline, what));
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) return ErrnoStatus(what, err);
  }
  SetNoDelay(s);
  return s;
}

StatusOr<size_t> ReadSome(Socket& socket, MutableByteSpan out, Deadline deadline) {
  RETURN_IF_ERROR(CheckOpen(socket));
  if (out.empty()) return size_t{0};
  for (;;) {
    const ssize_t n = recv(socket.fd(), out.data(), out.size(), 0);
    if (n > 0) return static_cast<size_t>(n);
    if (n == 0) return OutOfRangeError("net: connection closed by peer");
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return ErrnoStatus("recv", errno);
    RETURN_IF_ERROR(WaitFor(socket.fd(), POLLIN, deadline, "read"));
  }
}

Status ReadFull(Socket& socket, MutableByteSpan out, Deadline deadline) {
  size_t got = 0;
  while (got < out.size()) {
    StatusOr<size_t> n = ReadSome(socket, out.subspan(got), deadline);
    if (!n.ok()) {
      if (IsEndOfStream(n.status()) && got > 0) {
        return InvalidArgumentError("net: connection closed after " + std::to_string(got) +
                                    " of " + std::to_string(out.size()) + " bytes");
      }
      return n.status();
    }
    got += *n;
  }
  return OkStatus();
}

Status ReadFull(Socket& socket, uint8_t* out, size_t size, Deadline deadline) {
  return ReadFull(socket, MutableByteSpan(out, size), deadline);
}

Status WriteAll(Socket& socket, ByteSpan data, Deadline deadline) {
  RETURN_IF_ERROR(CheckOpen(socket));
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = send(socket.fd(), data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return ErrnoStatus("send", errno);
    RETURN_IF_ERROR(WaitFor(socket.fd(), POLLOUT, deadline, "write"));
  }
  return OkStatus();
}

Status ShutdownWrite(Socket& socket) {
  RETURN_IF_ERROR(CheckOpen(socket));
  if (shutdown(socket.fd(), SHUT_WR) != 0) return ErrnoStatus("shutdown", errno);
  return OkStatus();
}

void ShutdownBoth(const Socket& socket) {
  if (socket.valid()) (void)shutdown(socket.fd(), SHUT_RDWR);
}

std::string PeerAddress(const Socket& socket) {
  SockAddr a;
  a.len = sizeof(a.storage);
  Endpoint ep;
  if (!socket.valid() || getpeername(socket.fd(), a.get(), &a.len) != 0 ||
      !FromSockAddr(a.storage, &ep)) {
    return "?";
  }
  return ep.ToString();
}

}  // namespace eml::net

// Blocking-with-deadline TCP and vsock sockets over plain POSIX calls.
//
// Every socket made here is non-blocking and close-on-exec; the calls below
// wait with poll(2) until their Deadline, retry on EINTR, and never raise
// SIGPIPE (send uses MSG_NOSIGNAL). Connected TCP sockets have TCP_NODELAY on.
//
// Status codes (stable, relied on by callers):
//   kOutOfRange         clean end of stream: the peer closed before the first
//                       byte a ReadSome/ReadFull asked for (IsEndOfStream()).
//   kInvalidArgument    truncated: the peer closed after some, not all, of the
//                       bytes a ReadFull asked for.
//   kLimitExceeded      the deadline passed; or Accept hit the process or
//                       system descriptor limit (back off and retry).
//   kFailedPrecondition the Listener was shut down, or the Socket is closed.
//   kIo                 any other OS error: refused, reset, unreachable, EPIPE.
// Messages carry the errno text and endpoint, never payload bytes.
//
// Thread-safety: a Socket belongs to one thread at a time. The exceptions,
// which exist so another thread can stop a blocked one, are
// Listener::Shutdown() and ShutdownBoth(): both may be called while the owner
// is blocked in Accept / ReadSome / ReadFull / WriteAll, and make it return.
// Close() and destruction are never safe concurrently with other calls on the
// same object (the descriptor number could be reused).
//
// Accept loop with a thread per session (what eml-host does; see
// session_group.h for the bounded thread group):
//
//   ASSIGN_OR_RETURN(net::Listener listener, net::Listen(endpoint, 128));
//   ASSIGN_OR_RETURN(auto sessions, net::SessionGroup::Create(max_sessions));
//   // Another thread (a signal waiter) calls listener.Shutdown() to stop.
//   for (;;) {
//     StatusOr<net::Socket> s = net::Accept(listener, net::Deadline::Never());
//     if (!s.ok()) {
//       if (listener.is_shut_down()) break;
//       std::this_thread::sleep_for(20ms);  // fd limit: back off, keep serving
//       continue;
//     }
//     Status started = sessions->Start(std::move(*s), [](net::Socket& c, const net::Waker& stop) {
//       // ReadFull(c, header, net::Deadline::In(30s)) ... WriteAll(...)
//     });
//     if (!started.ok()) { /* over the limit: socket already closed; count it */ }
//   }
//   sessions->ShutdownAndJoin();  // wakes and joins every session thread
#ifndef EML_NET_SOCKET_H_
#define EML_NET_SOCKET_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/bytes.h"
#include "core/status.h"
#include "net/deadline.h"
#include "net/endpoint.h"
#include "net/waker.h"

namespace eml::net {

using MutableByteSpan = std::span<uint8_t>;

// An owned socket descriptor (move-only; closes on destruction).
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}  // takes ownership of `fd`
  ~Socket() { Close(); }
  Socket(Socket&& other) noexcept : fd_(other.Release()) {}
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  bool valid() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  void Close();
  int Release();  // gives up ownership; returns the descriptor

 private:
  int fd_ = -1;
};

// A listening socket plus a wake-up descriptor for Shutdown().
class Listener {
 public:
  Listener(Listener&&) = default;
  Listener& operator=(Listener&&) = default;

  // The bound port (the kernel's choice when Listen() was given port 0).
  uint32_t port() const { return endpoint_.port; }
  // The bound endpoint, with the real port.
  const Endpoint& endpoint() const { return endpoint_; }

  // Makes the current and every later Accept() return kFailedPrecondition.
  // Safe from any thread, idempotent. The descriptor stays open until the
  // Listener is destroyed, so a concurrent Accept never sees a reused fd.
  void Shutdown() { waker_.Wake(); }
  bool is_shut_down() const { return waker_.woken(); }

 private:
  friend StatusOr<Listener> Listen(const Endpoint&, int);
  friend StatusOr<Socket> Accept(Listener&, Deadline);
  Listener(Socket socket, Waker waker, Endpoint endpoint)
      : socket_(std::move(socket)), waker_(std::move(waker)), endpoint_(std::move(endpoint)) {}

  Socket socket_;
  Waker waker_;
  Endpoint endpoint_;
};

// Binds and listens. TCP listeners set SO_REUSEADDR (a restarted relay can
// rebind while old connections sit in TIME_WAIT); IPv6 listeners are
// IPv6-only. Port 0 asks the kernel for a free port. `backlog` is 1..65535.
StatusOr<Listener> Listen(const Endpoint& endpoint, int backlog);

// Waits for a connection. Transient accept errors (a client that reset
// before we accepted it) are retried inside; descriptor exhaustion is
// kLimitExceeded so the caller can back off instead of spinning.
StatusOr<Socket> Accept(Listener& listener, Deadline deadline);

// Connects (non-blocking connect + poll). kLimitExceeded at the deadline,
// kIo when refused or unreachable.
StatusOr<Socket> Connect(const Endpoint& endpoint, Deadline deadline);

// Reads at least one byte, at most out.size(). kOutOfRange on clean EOF.
// An empty `out` returns 0 at once.
StatusOr<size_t> ReadSome(Socket& socket, MutableByteSpan out, Deadline deadline);

// Reads exactly out.size() bytes. On error the contents of `out` are
// unspecified. kOutOfRange: EOF before the first byte; kInvalidArgument: EOF
// after some bytes (truncated).
Status ReadFull(Socket& socket, MutableByteSpan out, Deadline deadline);
Status ReadFull(Socket& socket, uint8_t* out, size_t size, Deadline deadline);

// Writes all of `data` (looping over partial sends).
Status WriteAll(Socket& socket, ByteSpan data, Deadline deadline);

// Sends FIN: the peer reads EOF while this side can still read.
Status ShutdownWrite(Socket& socket);
// shutdown(SHUT_RDWR): wakes a thread blocked on this socket (see top).
// Errors are ignored: the only purpose is to wake.
void ShutdownBoth(const Socket& socket);

// "127.0.0.1:5000", "[::1]:5000", "vsock:3:5000", or "?" if unknown.
std::string PeerAddress(const Socket& socket);

inline bool IsEndOfStream(const Status& status) {
  return status.code() == StatusCode::kOutOfRange;
}

}  // namespace eml::net

#endif  // EML_NET_SOCKET_H_

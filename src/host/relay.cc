#include "host/relay.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace eml::host {
namespace {

using SteadyClock = std::chrono::steady_clock;

// One direction: bytes read from `from` and not yet written to `to` sit in
// buf[head, tail).
struct Pipe {
  Direction direction;
  int from;
  int to;
  RelayEnd from_error;  // how to report an error on `from`
  RelayEnd to_error;    // ... and on `to`
  Bytes buf;
  size_t head = 0;
  size_t tail = 0;
  bool eof = false;   // `from` sent FIN
  bool shut = false;  // FIN forwarded to `to`
  uint64_t bytes = 0;

  bool empty() const { return head == tail; }
  bool wants_read() const { return !eof && empty(); }
};

struct Failure {
  RelayEnd end;
  std::string detail;
};

bool IsRetry(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR; }

// Reads once if there is room. Returns false on a read error.
bool ReadOnce(Pipe& p, short revents, bool* progressed, Failure* f) {
  if (!p.wants_read() || revents == 0) return true;
  const ssize_t n = recv(p.from, p.buf.data(), p.buf.size(), 0);
  if (n > 0) {
    p.head = 0;
    p.tail = static_cast<size_t>(n);
    *progressed = true;
  } else if (n == 0) {
    p.eof = true;
  } else if (!IsRetry(errno)) {
    *f = {p.from_error, std::string("recv: ") + std::strerror(errno)};
    return false;
  }
  return true;
}

// Writes buffered bytes until done or the socket would block.
bool WriteBuffered(Pipe& p, RelayObserver& observer, bool* progressed, Failure* f) {
  while (!p.empty()) {
    const ssize_t n = send(p.to, p.buf.data() + p.head, p.tail - p.head, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      *f = {p.to_error, std::string("send: ") + std::strerror(errno)};
      return false;
    }
    const size_t sent = static_cast<size_t>(n);
    if (Status st = observer.OnRelayed(p.direction, ByteSpan(p.buf).subspan(p.head, sent));
        !st.ok()) {
      *f = {RelayEnd::kObserverError, st.ToString()};
      return false;
    }
    p.head += sent;
    p.bytes += sent;
    *progressed = true;
  }
  return true;
}

// One step of one direction after poll: read, write, forward FIN.
bool Pump(Pipe& p, short from_revents, short to_revents, RelayObserver& observer,
          bool* progressed, Failure* f) {
  const bool was_empty = p.empty();
  if (!ReadOnce(p, from_revents, progressed, f)) return false;
  // Write at once after a read (the socket is usually writable; saves a
  // poll round per message), otherwise only when poll said so.
  if (!p.empty() && (was_empty || to_revents != 0)) {
    if (!WriteBuffered(p, observer, progressed, f)) return false;
  }
  if (p.eof && p.empty() && !p.shut) {
    // ENOTCONN here means the peer is already gone; the next write reports it.
    (void)shutdown(p.to, SHUT_WR);
    p.shut = true;
  }
  return true;
}

short Events(const Pipe& reader, const Pipe& writer) {
  short e = 0;
  if (reader.wants_read()) e |= POLLIN;
  if (!writer.empty()) e |= POLLOUT;
  return e;
}

}  // namespace

std::string_view RelayEndName(RelayEnd end) {
  switch (end) {
    case RelayEnd::kClosed: return "closed";
    case RelayEnd::kIdleTimeout: return "idle_timeout";
    case RelayEnd::kStopped: return "stopped";
    case RelayEnd::kClientError: return "client_error";
    case RelayEnd::kEnclaveError: return "enclave_error";
    case RelayEnd::kObserverError: return "record_error";
  }
  return "unknown";
}

RelayResult Relay(net::Socket& client, net::Socket& enclave, const RelayOptions& options,
                  const net::Waker& stop, RelayObserver& observer) {
  const size_t size = options.buffer_size == 0 ? 1 : options.buffer_size;
  Pipe c2e{.direction = Direction::kClientToEnclave, .from = client.fd(), .to = enclave.fd(),
           .from_error = RelayEnd::kClientError, .to_error = RelayEnd::kEnclaveError,
           .buf = Bytes(size)};
  Pipe e2c{.direction = Direction::kEnclaveToClient, .from = enclave.fd(), .to = client.fd(),
           .from_error = RelayEnd::kEnclaveError, .to_error = RelayEnd::kClientError,
           .buf = Bytes(size)};
  RelayResult result;
  Failure failure{RelayEnd::kClosed, ""};
  auto last_activity = SteadyClock::now();
  while (!(c2e.shut && e2c.shut)) {
    const short client_events = Events(c2e, e2c);
    const short enclave_events = Events(e2c, c2e);
    // A descriptor with nothing to wait for is left out, or a hung-up peer
    // would make poll() return at once forever.
    pollfd fds[3] = {
        {.fd = client_events ? client.fd() : -1, .events = client_events, .revents = 0},
        {.fd = enclave_events ? enclave.fd() : -1, .events = enclave_events, .revents = 0},
        {.fd = stop.fd(), .events = POLLIN, .revents = 0}};
    const auto idle_left = options.idle_timeout - (SteadyClock::now() - last_activity);
    const auto wait_ms = std::chrono::ceil<std::chrono::milliseconds>(idle_left).count();
    const int rc = poll(fds, 3, wait_ms < 0 ? 0 : static_cast<int>(wait_ms));
    if (rc < 0) {
      if (errno == EINTR) continue;
      failure = {RelayEnd::kClientError, std::string("poll: ") + std::strerror(errno)};
      break;
    }
    if (fds[2].revents != 0) {
      failure = {RelayEnd::kStopped, ""};
      break;
    }
    if (rc == 0) {
      if (SteadyClock::now() - last_activity >= options.idle_timeout) {
        failure = {RelayEnd::kIdleTimeout, ""};
        break;
      }
      continue;
    }
    bool progressed = false;
    const short client_re = fds[0].revents;
    const short enclave_re = fds[1].revents;
    constexpr short kReadable = POLLIN | POLLHUP | POLLERR;
    constexpr short kWritable = POLLOUT | POLLHUP | POLLERR;
    if (!Pump(c2e, client_re & kReadable, enclave_re & kWritable, observer, &progressed,
              &failure) ||
        !Pump(e2c, enclave_re & kReadable, client_re & kWritable, observer, &progressed,
              &failure)) {
      break;
    }
    if (progressed) last_activity = SteadyClock::now();
  }
  result.end = failure.end;
  result.detail = std::move(failure.detail);
  result.client_to_enclave = c2e.bytes;
  result.enclave_to_client = e2c.bytes;
  return result;
}

}  // namespace eml::host

#include "host/admin.h"

#include <chrono>
#include <thread>

#include "host/log.h"

namespace eml::host {
namespace {

constexpr size_t kMaxMethod = 16;
constexpr size_t kMaxTarget = 2048;
constexpr size_t kMaxDrain = 64 * 1024;

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 431: return "Request Header Fields Too Large";
  }
  return "Error";
}

HttpResponse Text(int status, std::string body) {
  return HttpResponse{.status = status, .content_type = "text/plain; charset=utf-8",
                      .body = std::move(body)};
}

bool IsMethod(std::string_view m) {
  if (m.empty() || m.size() > kMaxMethod) return false;
  for (char c : m) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

bool IsTarget(std::string_view t) {
  if (t.empty() || t.size() > kMaxTarget || t[0] != '/') return false;
  for (char c : t) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// After answering, read and discard what the client still sends (briefly), so
// closing with unread bytes does not turn into a RST that destroys our reply
// before the client reads it.
void LingeringClose(net::Socket& socket) {
  if (!net::ShutdownWrite(socket).ok()) return;
  const net::Deadline deadline = net::Deadline::In(std::chrono::milliseconds(500));
  uint8_t buf[4096];
  size_t drained = 0;
  while (drained < kMaxDrain) {
    StatusOr<size_t> n = net::ReadSome(socket, net::MutableByteSpan(buf, sizeof(buf)), deadline);
    if (!n.ok()) return;
    drained += *n;
  }
}

}  // namespace

StatusOr<std::string> ReadRequestHead(net::Socket& socket, net::Deadline deadline) {
  std::string head;
  uint8_t buf[1024];
  while (true) {
    const size_t room = kMaxAdminRequestHead - head.size();
    if (room == 0) return LimitExceededError("admin: request head over 8192 bytes");
    const size_t want = room < sizeof(buf) ? room : sizeof(buf);
    ASSIGN_OR_RETURN(const size_t n, net::ReadSome(socket, net::MutableByteSpan(buf, want), deadline));
    // Search only where a terminator could newly appear.
    const size_t from = head.size() < 3 ? 0 : head.size() - 3;
    head.append(reinterpret_cast<const char*>(buf), n);
    if (const size_t end = head.find("\r\n\r\n", from); end != std::string::npos) {
      head.resize(end + 4);
      return head;
    }
  }
}

StatusOr<HttpRequestHead> ParseRequestHead(std::string_view head) {
  const size_t eol = head.find("\r\n");
  if (eol == std::string_view::npos) return InvalidArgumentError("admin: no request line");
  const std::string_view line = head.substr(0, eol);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return InvalidArgumentError("admin: request line is not METHOD SP TARGET SP VERSION");
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!IsMethod(method)) return InvalidArgumentError("admin: bad method");
  if (!IsTarget(target)) return InvalidArgumentError("admin: bad request target");
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    return InvalidArgumentError("admin: unsupported HTTP version");
  }
  return HttpRequestHead{.method = std::string(method),
                         .path = std::string(target.substr(0, target.find('?')))};
}

HttpResponse RouteAdminRequest(const HttpRequestHead& request,
                               const std::function<std::string()>& render_metrics) {
  if (request.method == "GET" && request.path == "/metrics") {
    return HttpResponse{.status = 200, .content_type = "text/plain; version=0.0.4; charset=utf-8",
                        .body = render_metrics()};
  }
  if (request.method == "GET" && request.path == "/healthz") return Text(200, "ok\n");
  return Text(404, "not found\n");
}

std::string SerializeResponse(const HttpResponse& r) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " +
                    std::string(ReasonPhrase(r.status)) + "\r\n";
  out += "Content-Type: " + r.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  out += r.body;
  return out;
}

void ServeAdminConnection(net::Socket& socket, const std::function<std::string()>& render_metrics) {
  const net::Deadline deadline = net::Deadline::In(kAdminRequestTimeout);
  StatusOr<std::string> head = ReadRequestHead(socket, deadline);
  HttpResponse response;
  if (head.ok()) {
    StatusOr<HttpRequestHead> request = ParseRequestHead(*head);
    response = request.ok() ? RouteAdminRequest(*request, render_metrics) : Text(400, "bad request\n");
  } else if (head.status().code() == StatusCode::kLimitExceeded && !deadline.Expired()) {
    response = Text(431, "request head too large\n");
  } else {
    return;  // timed out or closed early: nobody to answer
  }
  const std::string bytes = SerializeResponse(response);
  if (net::WriteAll(socket, AsBytes(bytes), deadline).ok()) LingeringClose(socket);
}

void ServeAdmin(net::Listener& listener, const std::function<std::string()>& render_metrics) {
  for (;;) {
    StatusOr<net::Socket> s = net::Accept(listener, net::Deadline::Never());
    if (!s.ok()) {
      if (listener.is_shut_down()) return;
      LogLine("admin accept failed: %s", s.status().ToString().c_str());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    ServeAdminConnection(*s, render_metrics);
  }
}

}  // namespace eml::host

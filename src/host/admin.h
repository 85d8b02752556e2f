// The admin port of eml-host: a deliberately tiny HTTP/1.1 responder.
//
// Serves exactly GET /metrics (Prometheus text format 0.0.4) and GET /healthz
// ("ok"); any other well-formed request is 404, a malformed one 400, a head
// over 8 KiB 431. The request head must arrive within 2 s. Every response
// closes the connection. Connections are served one at a time on one thread,
// so a slow admin client delays other scrapes by at most 2 s and never
// touches the relay. Bind it to a loopback or private address.
//
// Grammar accepted (RFC 9112 subset; header fields are skipped unread):
//   head         = request-line *( field-line CRLF ) CRLF      ; <= 8192 bytes
//   request-line = method SP request-target SP HTTP-version CRLF
//   method       = 1*16( %x41-5A )                               ; "GET", ...
//   request-target = "/" *( %x21-7E )                            ; <= 2048 bytes
//   HTTP-version = "HTTP/1.0" / "HTTP/1.1"
//
// Thread-safety: ServeAdmin runs on one thread; the render callback is
// called from it.
#ifndef EML_HOST_ADMIN_H_
#define EML_HOST_ADMIN_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "net/deadline.h"
#include "net/socket.h"

namespace eml::host {

inline constexpr size_t kMaxAdminRequestHead = 8192;
inline constexpr std::chrono::milliseconds kAdminRequestTimeout{2000};

struct HttpRequestHead {
  std::string method;
  std::string path;  // request-target without the query
};

struct HttpResponse {
  int status = 200;
  std::string content_type;
  std::string body;
};

// Reads up to the blank line ending the head. LimitExceeded past 8 KiB or the
// deadline; OutOfRange/InvalidArgument if the peer closes first.
StatusOr<std::string> ReadRequestHead(net::Socket& socket, net::Deadline deadline);

// Parses the request line of a head returned by ReadRequestHead().
StatusOr<HttpRequestHead> ParseRequestHead(std::string_view head);

// Routes a parsed request; `render_metrics` is called only for /metrics.
HttpResponse RouteAdminRequest(const HttpRequestHead& request,
                               const std::function<std::string()>& render_metrics);

std::string SerializeResponse(const HttpResponse& response);

// Serves one admin connection start to finish.
void ServeAdminConnection(net::Socket& socket, const std::function<std::string()>& render_metrics);

// Accepts and serves admin connections until `listener` is shut down.
void ServeAdmin(net::Listener& listener, const std::function<std::string()>& render_metrics);

}  // namespace eml::host

#endif  // EML_HOST_ADMIN_H_

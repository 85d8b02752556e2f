// A small, bounded HTTP/1.1 message layer over net::Socket: what the KMS and
// storage proxies in eml-host, the enclave's KMS/storage clients and eml-kms
// speak to each other (docs/proxy.md).
//
// Only what those peers need is accepted: one request per connection or
// keep-alive with Content-Length bodies; no chunked request bodies, no
// trailers, no upgrades, no obsolete line folding. Everything is bounded:
//   request/status line  <= 8 KiB
//   header section       <= 64 KiB and <= 100 header fields
//   body                 <= the caller's max_body (never more than 64 MiB)
// Violations are InvalidArgument (malformed) or LimitExceeded (too large)
// from the bytes already read, before any allocation of the body.
// Messages never quote header values or body bytes (an Authorization header
// or a ciphertext must not reach a log); they name the field.
//
// Header names compare case-insensitively; the original spelling and order
// are kept, because a SigV4 signature covers them.
//
// Thread-safety: value types and free functions; a Socket belongs to one
// thread at a time (net/socket.h).
#ifndef EML_NET_HTTP_H_
#define EML_NET_HTTP_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"
#include "net/deadline.h"
#include "net/socket.h"

namespace eml::net {

inline constexpr size_t kHttpMaxStartLine = 8 * 1024;
inline constexpr size_t kHttpMaxHeaderBytes = 64 * 1024;
inline constexpr size_t kHttpMaxHeaderCount = 100;
inline constexpr size_t kHttpMaxBody = size_t{64} << 20;

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// First value of `name` (case-insensitive), or nullopt.
std::optional<std::string_view> FindHeader(const HttpHeaders& headers, std::string_view name);

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // origin-form, e.g. "/" or "/bucket/key?x=1"
  HttpHeaders headers;
  Bytes body;
};

struct HttpResponse {
  int status = 0;  // 100..599
  std::string reason;
  HttpHeaders headers;
  Bytes body;
};

// Serialises with a Content-Length header computed from the body (an
// existing Content-Length header is replaced, never duplicated).
Bytes SerializeHttpRequest(const HttpRequest& request);
Bytes SerializeHttpResponse(const HttpResponse& response);

// Reads one message from `socket`. kOutOfRange (IsEndOfStream) when the peer
// closed cleanly before the first byte, so a keep-alive server can stop.
StatusOr<HttpRequest> ReadHttpRequest(Socket& socket, size_t max_body, Deadline deadline);
StatusOr<HttpResponse> ReadHttpResponse(Socket& socket, size_t max_body, Deadline deadline);

// Connects, writes `request`, reads the response, closes.
StatusOr<HttpResponse> HttpRoundTrip(const Endpoint& endpoint, const HttpRequest& request,
                                     size_t max_body, Deadline deadline);

}  // namespace eml::net

#endif  // EML_NET_HTTP_H_

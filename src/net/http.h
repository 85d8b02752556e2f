// A small, bounded HTTP/1.1 message layer over net::Socket: what the KMS and
// storage proxies in eml-host, the enclave's KMS/storage clients and eml-kms
// speak to each other (docs/proxy.md).
//
// Only what those peers need is accepted: one request per connection or
// keep-alive with Content-Length bodies; no chunked request bodies, no
// trailers, no upgrades, no obsolete line folding. Everything is bounded:
//   request/status line  <= 8 KiB
//   header section       <= 64 KiB and <= 100 header fields, both counted
//                        as the serialiser writes them (see below)
//   body                 <= the caller's max_body (never more than 64 MiB)
// Violations are InvalidArgument (malformed), LimitExceeded (too large) or
// Unsupported (another HTTP version, Transfer-Encoding), found from the bytes
// already read, before any allocation of the body. Body memory grows as body
// bytes arrive (at most doubling), not up front from Content-Length.
// Messages never quote header values or body bytes (an Authorization header
// or a ciphertext must not reach a log); they name the field.
//
// Header names compare case-insensitively; the original spelling and order
// are kept, because a SigV4 signature covers them.
//
// Decisions the parser makes (docs/proxy.md, "HTTP subset"):
//   - Lines end in CRLF. A bare LF or a bare CR anywhere in the head is
//     InvalidArgument (RFC 9112 lets a recipient accept bare LF; we do not, so
//     no two parsers on the path can disagree about where a line ends).
//   - Only "HTTP/1.1". A request-target must be origin-form ("/" then visible
//     ASCII). Header names are RFC 9110 tokens with no space before ':';
//     values are trimmed of SP/HTAB at both ends and may hold SP, HTAB,
//     visible ASCII and bytes >= 0x80; any other control byte is rejected.
//   - Content-Length is 1*DIGIT that fits in 63 bits; a second
//     Content-Length field (even with the same value), a list ("5, 5"), a
//     sign or any Transfer-Encoding field is rejected. A request without
//     Content-Length has an empty body. A response to HEAD, a 1xx, 204 or 304
//     has no body; any other response needs Content-Length (reading until
//     close could not tell a complete body from a truncated one).
//   - Reads never take a byte past the end of the message, so a keep-alive
//     peer's next request stays in the socket for the next call.
// Serialising is the mirror image: CheckHttpRequest/CheckHttpResponse say
// whether a message can be written faithfully (a CR, LF or NUL in a header
// name, value, reason or target cannot: it would inject a line), and the
// Write* functions refuse a message that fails the check.
//
// Thread-safety: value types and free functions; a Socket belongs to one
// thread at a time (net/socket.h).
#ifndef EML_NET_HTTP_H_
#define EML_NET_HTTP_H_

#include <cstddef>
#include <cstdint>
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
// How the header limits count, on the parser's and the serialiser's side
// alike, so that a message that parsed can always be serialised and parsed
// again: every field except Content-Length as "name: value" CRLF, plus the
// final CRLF, plus kHttpContentLengthReserve bytes and one field for the
// Content-Length line the serialiser writes. (So at most 99 other fields.)
// The bytes actually read are bounded too: start line, CRLF and header
// section as received must fit in kHttpMaxStartLine + 2 + kHttpMaxHeaderBytes.
inline constexpr size_t kHttpContentLengthReserve = 40;

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

// True if a Connection field lists the "close" option (case-insensitive).
bool HttpConnectionClose(const HttpHeaders& headers);

// OK if the message can be serialised faithfully: method a token of at most
// 32 bytes, origin-form target, status 100..599, header names tokens, no
// CR/LF/NUL or other control byte in any name, value, target or reason, no
// Transfer-Encoding field, at most kHttpMaxHeaderCount fields, head and body
// within the limits above. InvalidArgument/LimitExceeded name the field.
Status CheckHttpRequest(const HttpRequest& request);
Status CheckHttpResponse(const HttpResponse& response);

// Serialises with a Content-Length header computed from the body (an
// existing Content-Length header is replaced, never duplicated; 1xx, 204 and
// 304 responses get none). Precondition: Check*() is OK; for a message that
// fails it these return an empty Bytes, never a message with injected lines.
Bytes SerializeHttpRequest(const HttpRequest& request);
Bytes SerializeHttpResponse(const HttpResponse& response);
// The head of a response to HEAD: `content_length` is the size a GET would
// return; response.body is ignored and nothing follows the head. Empty Bytes
// if CheckHttpResponse fails.
Bytes SerializeHttpResponseToHead(const HttpResponse& response, uint64_t content_length);

// Check, serialise and write. InvalidArgument/LimitExceeded from the check
// (nothing is written), otherwise the socket's status.
Status WriteHttpRequest(Socket& socket, const HttpRequest& request, Deadline deadline);
Status WriteHttpResponse(Socket& socket, const HttpResponse& response, Deadline deadline);

// Reads one message from `socket`. kOutOfRange (IsEndOfStream) when the peer
// closed cleanly before the first byte, so a keep-alive server can stop.
StatusOr<HttpRequest> ReadHttpRequest(Socket& socket, size_t max_body, Deadline deadline);
StatusOr<HttpResponse> ReadHttpResponse(Socket& socket, size_t max_body, Deadline deadline);
// Reads the response to a HEAD request: status line and headers, no body
// (a Content-Length field is checked, and kept, but no bytes are read).
StatusOr<HttpResponse> ReadHttpResponseToHead(Socket& socket, Deadline deadline);

// Parse one complete message held in memory (what the readers do after
// reading; also the fuzz target's entry). Every byte must belong to the
// message: trailing bytes are InvalidArgument. A body shorter than its
// Content-Length is InvalidArgument ("truncated").
StatusOr<HttpRequest> ParseHttpRequest(ByteSpan message, size_t max_body);
StatusOr<HttpResponse> ParseHttpResponse(ByteSpan message, size_t max_body);

// Connects, writes `request`, reads the response (ReadHttpResponseToHead for
// method "HEAD"), closes. The request is sent as given (no Host or
// Connection field is added).
StatusOr<HttpResponse> HttpRoundTrip(const Endpoint& endpoint, const HttpRequest& request,
                                     size_t max_body, Deadline deadline);

}  // namespace eml::net

#endif  // EML_NET_HTTP_H_

#include "net/http.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace eml::net {
namespace {

constexpr std::string_view kVersion = "HTTP/1.1";
constexpr size_t kMaxMethod = 32;
// The longest head a reader accepts: start line, CRLF, header section.
constexpr size_t kMaxHead = kHttpMaxStartLine + 2 + kHttpMaxHeaderBytes;
// Body bytes are read in chunks that at most double what has arrived, so an
// announced Content-Length costs memory only as its bytes come in.
constexpr size_t kFirstBodyChunk = 64 * 1024;
// Content-Length digits beyond this cannot fit in 63 bits.
constexpr size_t kMaxLengthDigits = 18;

Status Malformed(std::string_view what) {
  return InvalidArgumentError("http: " + std::string(what));
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

// RFC 9110 tchar.
bool IsTokenChar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return IsTokenChar(static_cast<unsigned char>(c)); });
}

// field-vchar / SP / HTAB: what a field value or reason phrase may hold.
bool IsFieldChar(unsigned char c) { return c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f); }

bool IsFieldText(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsFieldChar(static_cast<unsigned char>(c)); });
}

bool IsOws(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}

// origin-form, loosely: "/" followed by visible ASCII.
bool IsOriginForm(std::string_view s) {
  if (s.empty() || s[0] != '/') return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

bool HasNoBody(int status) { return status < 200 || status == 204 || status == 304; }

// The header limits as documented in http.h (counted as serialised).
Status CheckHeaders(const HttpHeaders& headers, size_t start_line_size) {
  if (start_line_size > kHttpMaxStartLine) return LimitExceededError("http: start line too long");
  size_t count = 1;                             // the Content-Length line
  size_t total = 2 + kHttpContentLengthReserve;  // final CRLF + that line
  for (const auto& [name, value] : headers) {
    if (!IsToken(name)) return Malformed("header field name is not a token");
    if (!IsFieldText(value) || TrimOws(value).size() != value.size()) {
      return Malformed("header field " + name + " has a control byte or surrounding space");
    }
    if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
      return UnsupportedError("http: Transfer-Encoding is not supported");
    }
    if (EqualsIgnoreCase(name, "Content-Length")) continue;
    ++count;
    total += name.size() + value.size() + 4;
  }
  if (count > kHttpMaxHeaderCount) {
    return LimitExceededError("http: more than " + std::to_string(kHttpMaxHeaderCount) +
                              " header fields");
  }
  if (total > kHttpMaxHeaderBytes) {
    return LimitExceededError("http: header section over " + std::to_string(kHttpMaxHeaderBytes) +
                              " bytes");
  }
  return OkStatus();
}

// ---- parsing ---------------------------------------------------------------

// A head split into lines, without the CRLFs. Precondition: ScanHeadEnd()
// accepted it (CRLF only, ends with an empty line).
struct ParsedHead {
  std::string_view start_line;
  HttpHeaders headers;
  std::optional<uint64_t> content_length;
};

StatusOr<uint64_t> ParseContentLength(std::string_view value) {
  if (value.empty()) return Malformed("Content-Length is empty");
  if (value.size() > kMaxLengthDigits) return Malformed("Content-Length is too long");
  uint64_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return Malformed("Content-Length is not a decimal number");
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

Status ParseFieldLine(std::string_view line, ParsedHead* out) {
  if (IsOws(line[0])) return Malformed("obsolete line folding in header section");
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return Malformed("header field without ':'");
  const std::string_view name = line.substr(0, colon);
  if (!IsToken(name)) return Malformed("header field name is not a token");
  const std::string_view value = TrimOws(line.substr(colon + 1));
  if (!IsFieldText(value)) {
    return Malformed("header field " + std::string(name) + " holds a control byte");
  }
  if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
    return UnsupportedError("http: Transfer-Encoding is not supported");
  }
  if (EqualsIgnoreCase(name, "Content-Length")) {
    if (out->content_length.has_value()) return Malformed("duplicate Content-Length");
    ASSIGN_OR_RETURN(out->content_length, ParseContentLength(value));
  }
  if (out->headers.size() >= kHttpMaxHeaderCount) {
    return LimitExceededError("http: more than " + std::to_string(kHttpMaxHeaderCount) +
                              " header fields");
  }
  out->headers.emplace_back(std::string(name), std::string(value));
  return OkStatus();
}

// `head` runs through the final empty line's CRLF.
StatusOr<ParsedHead> ParseHead(std::string_view head) {
  ParsedHead out;
  size_t pos = head.find("\r\n");
  if (pos == std::string_view::npos) return Malformed("head without CRLF");
  if (pos > kHttpMaxStartLine) {
    return LimitExceededError("http: start line over " + std::to_string(kHttpMaxStartLine) +
                              " bytes");
  }
  out.start_line = head.substr(0, pos);
  if (out.start_line.empty()) return Malformed("empty start line");
  pos += 2;
  for (;;) {
    const size_t end = head.find("\r\n", pos);
    if (end == std::string_view::npos) return Malformed("header section not terminated");
    if (end == pos) break;  // the empty line
    RETURN_IF_ERROR(ParseFieldLine(head.substr(pos, end - pos), &out));
    pos = end + 2;
  }
  if (pos + 2 != head.size()) return Malformed("bytes after the empty line in head");
  // The same limits the serialiser applies, so a parsed message can be written.
  RETURN_IF_ERROR(CheckHeaders(out.headers, out.start_line.size()));
  return out;
}

Status ParseRequestLine(std::string_view line, HttpRequest* out) {
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return Malformed("request line without SP");
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return Malformed("request line without version");
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method) || method.size() > kMaxMethod) return Malformed("bad method");
  if (!IsOriginForm(target)) return Malformed("request-target is not origin-form");
  if (version != kVersion) {
    if (version.starts_with("HTTP/") && version.find(' ') == std::string_view::npos) {
      return UnsupportedError("http: version is not HTTP/1.1");
    }
    return Malformed("bad request line");
  }
  out->method = std::string(method);
  out->target = std::string(target);
  return OkStatus();
}

Status ParseStatusLine(std::string_view line, HttpResponse* out) {
  // HTTP-version SP 3DIGIT SP reason ("HTTP/1.1 200" without SP is tolerated).
  if (line.size() < kVersion.size() + 4 || line.substr(0, kVersion.size()) != kVersion) {
    if (line.starts_with("HTTP/")) return UnsupportedError("http: version is not HTTP/1.1");
    return Malformed("bad status line");
  }
  line.remove_prefix(kVersion.size());
  if (line[0] != ' ') return Malformed("bad status line");
  const std::string_view code = line.substr(1, 3);
  int status = 0;
  for (char c : code) {
    if (c < '0' || c > '9') return Malformed("status code is not 3 digits");
    status = status * 10 + (c - '0');
  }
  if (status < 100 || status > 599) return Malformed("status code out of range");
  std::string_view reason = line.substr(4);
  if (!reason.empty()) {
    if (reason[0] != ' ') return Malformed("status code is not 3 digits");
    reason.remove_prefix(1);
  }
  if (!IsFieldText(reason)) return Malformed("reason phrase holds a control byte");
  out->status = status;
  out->reason = std::string(reason);
  return OkStatus();
}

StatusOr<size_t> BodyLength(const std::optional<uint64_t>& content_length, size_t max_body) {
  const uint64_t length = content_length.value_or(0);
  const size_t limit = std::min(max_body, kHttpMaxBody);
  if (length > limit) {
    return LimitExceededError("http: body of " + std::to_string(length) + " bytes over the " +
                              std::to_string(limit) + "-byte limit");
  }
  return static_cast<size_t>(length);
}

// Where the head ends (index just past CRLF CRLF) in `data`, scanning from
// `from` (earlier bytes were already scanned); npos if not yet. Rejects a bare
// LF, a bare CR, and an empty first line.
StatusOr<size_t> ScanHeadEnd(std::string_view data, size_t from) {
  for (size_t i = from; i < data.size(); ++i) {
    const char c = data[i];
    if (i > 0 && data[i - 1] == '\r' && c != '\n') return Malformed("bare CR in head");
    if (c != '\n') continue;
    if (i == 0 || data[i - 1] != '\r') return Malformed("bare LF in head");
    if (i == 1) return Malformed("empty start line");
    if (i >= 3 && data[i - 2] == '\n') return i + 1;  // "\r\n\r\n" ends here
  }
  return std::string_view::npos;
}

// The head of an in-memory message; `*end` is where the body starts.
StatusOr<ParsedHead> SplitMessage(std::string_view text, size_t* end) {
  ASSIGN_OR_RETURN(const size_t head_end, ScanHeadEnd(text.substr(0, kMaxHead + 1), 0));
  if (head_end == std::string_view::npos) {
    if (text.size() > kMaxHead) return LimitExceededError("http: head over the limit");
    return Malformed("head not terminated");
  }
  *end = head_end;
  return ParseHead(text.substr(0, head_end));
}

Status TakeBody(ByteSpan message, size_t body_start, size_t length, Bytes* out) {
  const size_t available = message.size() - body_start;
  if (available < length) return Malformed("body truncated");
  if (available > length) return Malformed("bytes after the body");
  out->assign(message.begin() + static_cast<ptrdiff_t>(body_start), message.end());
  return OkStatus();
}

// ---- reading ---------------------------------------------------------------

Status WaitReadable(const Socket& socket, Deadline deadline) {
  for (;;) {
    pollfd p{.fd = socket.fd(), .events = POLLIN, .revents = 0};
    const int rc = poll(&p, 1, deadline.PollTimeoutMs());
    if (rc > 0) {
      if (p.revents & POLLNVAL) return FailedPreconditionError("net: socket is not open");
      return OkStatus();
    }
    if (rc == 0) return LimitExceededError("http: read deadline exceeded");
    if (errno != EINTR) return IoError(std::string("http: poll: ") + std::strerror(errno));
  }
}

// Looks at up to out.size() waiting bytes without consuming them; waits for
// at least one. 0 means the peer closed.
StatusOr<size_t> PeekSome(const Socket& socket, MutableByteSpan out, Deadline deadline) {
  if (!socket.valid()) return FailedPreconditionError("net: socket is not open");
  for (;;) {
    const ssize_t n = recv(socket.fd(), out.data(), out.size(), MSG_PEEK | MSG_DONTWAIT);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return IoError(std::string("http: recv: ") + std::strerror(errno));
    }
    RETURN_IF_ERROR(WaitReadable(socket, deadline));
  }
}

// Reads the head through its empty line and not one byte further: bytes are
// peeked, scanned, and only the head's bytes are consumed.
StatusOr<std::string> ReadHead(Socket& socket, Deadline deadline) {
  std::string head;
  uint8_t buf[4096];
  for (;;) {
    const size_t want = std::min(sizeof(buf), kMaxHead + 1 - head.size());
    ASSIGN_OR_RETURN(const size_t n, PeekSome(socket, MutableByteSpan(buf, want), deadline));
    if (n == 0) {
      if (head.empty()) return OutOfRangeError("http: connection closed by peer");
      return Malformed("connection closed inside the head");
    }
    const size_t old = head.size();
    head.append(reinterpret_cast<const char*>(buf), n);
    const StatusOr<size_t> end = ScanHeadEnd(head, old);
    if (!end.ok()) return end.status();
    const size_t take = *end == std::string_view::npos ? n : *end - old;
    head.resize(old + take);
    // The peeked bytes are in the socket buffer: this read cannot block.
    RETURN_IF_ERROR(ReadFull(socket, buf, take, deadline));
    if (*end != std::string_view::npos) return head;
    if (head.size() > kMaxHead) return LimitExceededError("http: head over the limit");
    if (head.size() > kHttpMaxStartLine + 2 && head.find('\n') == std::string::npos) {
      return LimitExceededError("http: start line over " + std::to_string(kHttpMaxStartLine) +
                                " bytes");
    }
  }
}

Status ReadBody(Socket& socket, size_t length, Deadline deadline, Bytes* out) {
  out->clear();
  while (out->size() < length) {
    const size_t have = out->size();
    const size_t chunk = std::min(length - have, std::max(kFirstBodyChunk, have));
    out->resize(have + chunk);
    const Status s = ReadFull(socket, MutableByteSpan(out->data() + have, chunk), deadline);
    if (IsEndOfStream(s) || s.code() == StatusCode::kInvalidArgument) {
      return Malformed("connection closed inside the body");
    }
    RETURN_IF_ERROR(s);
  }
  return OkStatus();
}

// ---- writing ---------------------------------------------------------------

void AppendText(Bytes& out, std::string_view s) {
  const ByteSpan b = AsBytes(s);
  out.insert(out.end(), b.begin(), b.end());
}

void AppendHeaders(Bytes& out, const HttpHeaders& headers, std::optional<uint64_t> length) {
  for (const auto& [name, value] : headers) {
    if (EqualsIgnoreCase(name, "Content-Length")) continue;
    AppendText(out, name);
    AppendText(out, ": ");
    AppendText(out, value);
    AppendText(out, "\r\n");
  }
  if (length.has_value()) {
    AppendText(out, "Content-Length: " + std::to_string(*length) + "\r\n");
  }
  AppendText(out, "\r\n");
}

Bytes ResponseHead(const HttpResponse& response, std::optional<uint64_t> length) {
  Bytes out;
  AppendText(out, std::string(kVersion) + " " + std::to_string(response.status) + " ");
  AppendText(out, response.reason);
  AppendText(out, "\r\n");
  AppendHeaders(out, response.headers, HasNoBody(response.status) ? std::nullopt : length);
  return out;
}

}  // namespace

std::optional<std::string_view> FindHeader(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

bool HttpConnectionClose(const HttpHeaders& headers) {
  for (const auto& [name, value] : headers) {
    if (!EqualsIgnoreCase(name, "Connection")) continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      if (EqualsIgnoreCase(TrimOws(rest.substr(0, comma)), "close")) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

Status CheckHttpRequest(const HttpRequest& request) {
  if (!IsToken(request.method) || request.method.size() > kMaxMethod) return Malformed("bad method");
  if (!IsOriginForm(request.target)) return Malformed("request-target is not origin-form");
  if (request.body.size() > kHttpMaxBody) return LimitExceededError("http: body too large");
  return CheckHeaders(request.headers, request.method.size() + request.target.size() + 10);
}

Status CheckHttpResponse(const HttpResponse& response) {
  if (response.status < 100 || response.status > 599) return Malformed("status code out of range");
  if (!IsFieldText(response.reason)) return Malformed("reason phrase holds a control byte");
  if (HasNoBody(response.status) && !response.body.empty()) {
    return Malformed("status " + std::to_string(response.status) + " cannot carry a body");
  }
  if (response.body.size() > kHttpMaxBody) return LimitExceededError("http: body too large");
  return CheckHeaders(response.headers, response.reason.size() + 13);
}

Bytes SerializeHttpRequest(const HttpRequest& request) {
  if (!CheckHttpRequest(request).ok()) return {};
  Bytes out;
  out.reserve(request.body.size() + 512);
  AppendText(out, request.method + " " + request.target + " " + std::string(kVersion) + "\r\n");
  AppendHeaders(out, request.headers, request.body.size());
  out.insert(out.end(), request.body.begin(), request.body.end());
  return out;
}

Bytes SerializeHttpResponse(const HttpResponse& response) {
  if (!CheckHttpResponse(response).ok()) return {};
  Bytes out = ResponseHead(response, response.body.size());
  out.insert(out.end(), response.body.begin(), response.body.end());
  return out;
}

Bytes SerializeHttpResponseToHead(const HttpResponse& response, uint64_t content_length) {
  HttpResponse head_only{.status = response.status, .reason = response.reason,
                         .headers = response.headers, .body = {}};
  if (!CheckHttpResponse(head_only).ok()) return {};
  return ResponseHead(head_only, content_length);
}

Status WriteHttpRequest(Socket& socket, const HttpRequest& request, Deadline deadline) {
  RETURN_IF_ERROR(CheckHttpRequest(request));
  return WriteAll(socket, SerializeHttpRequest(request), deadline);
}

Status WriteHttpResponse(Socket& socket, const HttpResponse& response, Deadline deadline) {
  RETURN_IF_ERROR(CheckHttpResponse(response));
  return WriteAll(socket, SerializeHttpResponse(response), deadline);
}

StatusOr<HttpRequest> ParseHttpRequest(ByteSpan message, size_t max_body) {
  size_t body_start = 0;
  ASSIGN_OR_RETURN(ParsedHead head, SplitMessage(AsStringView(message), &body_start));
  HttpRequest out;
  RETURN_IF_ERROR(ParseRequestLine(head.start_line, &out));
  ASSIGN_OR_RETURN(const size_t length, BodyLength(head.content_length, max_body));
  RETURN_IF_ERROR(TakeBody(message, body_start, length, &out.body));
  out.headers = std::move(head.headers);
  return out;
}

StatusOr<HttpResponse> ParseHttpResponse(ByteSpan message, size_t max_body) {
  size_t body_start = 0;
  ASSIGN_OR_RETURN(ParsedHead head, SplitMessage(AsStringView(message), &body_start));
  HttpResponse out;
  RETURN_IF_ERROR(ParseStatusLine(head.start_line, &out));
  size_t length = 0;
  if (!HasNoBody(out.status)) {
    if (!head.content_length.has_value()) return Malformed("response without Content-Length");
    ASSIGN_OR_RETURN(length, BodyLength(head.content_length, max_body));
  }
  RETURN_IF_ERROR(TakeBody(message, body_start, length, &out.body));
  out.headers = std::move(head.headers);
  return out;
}

StatusOr<HttpRequest> ReadHttpRequest(Socket& socket, size_t max_body, Deadline deadline) {
  ASSIGN_OR_RETURN(const std::string text, ReadHead(socket, deadline));
  ASSIGN_OR_RETURN(ParsedHead head, ParseHead(text));
  HttpRequest out;
  RETURN_IF_ERROR(ParseRequestLine(head.start_line, &out));
  ASSIGN_OR_RETURN(const size_t length, BodyLength(head.content_length, max_body));
  out.headers = std::move(head.headers);
  RETURN_IF_ERROR(ReadBody(socket, length, deadline, &out.body));
  return out;
}

namespace {

StatusOr<HttpResponse> ReadResponse(Socket& socket, size_t max_body, bool head_request,
                                    Deadline deadline) {
  ASSIGN_OR_RETURN(const std::string text, ReadHead(socket, deadline));
  ASSIGN_OR_RETURN(ParsedHead head, ParseHead(text));
  HttpResponse out;
  RETURN_IF_ERROR(ParseStatusLine(head.start_line, &out));
  out.headers = std::move(head.headers);
  if (head_request || HasNoBody(out.status)) return out;
  if (!head.content_length.has_value()) return Malformed("response without Content-Length");
  ASSIGN_OR_RETURN(const size_t length, BodyLength(head.content_length, max_body));
  RETURN_IF_ERROR(ReadBody(socket, length, deadline, &out.body));
  return out;
}

}  // namespace

StatusOr<HttpResponse> ReadHttpResponse(Socket& socket, size_t max_body, Deadline deadline) {
  return ReadResponse(socket, max_body, /*head_request=*/false, deadline);
}

StatusOr<HttpResponse> ReadHttpResponseToHead(Socket& socket, Deadline deadline) {
  return ReadResponse(socket, 0, /*head_request=*/true, deadline);
}

StatusOr<HttpResponse> HttpRoundTrip(const Endpoint& endpoint, const HttpRequest& request,
                                     size_t max_body, Deadline deadline) {
  RETURN_IF_ERROR(CheckHttpRequest(request));
  ASSIGN_OR_RETURN(Socket socket, Connect(endpoint, deadline));
  RETURN_IF_ERROR(WriteAll(socket, SerializeHttpRequest(request), deadline));
  if (request.method == "HEAD") return ReadHttpResponseToHead(socket, deadline);
  return ReadHttpResponse(socket, max_body, deadline);
}

}  // namespace eml::net

#include "host/upstream.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <vector>

namespace eml::host {
namespace {

constexpr size_t kMaxResponseHeaderBytes = net::kHttpMaxHeaderBytes;
constexpr size_t kMaxResponseHeaderCount = net::kHttpMaxHeaderCount;

using Easy = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using HeaderList = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

bool IsHopByHop(std::string_view name) {
  for (std::string_view h : {"Connection", "Keep-Alive", "Transfer-Encoding", "Proxy-Connection",
                             "Upgrade", "TE", "Trailer"}) {
    if (EqualsIgnoreCase(name, h)) return true;
  }
  return false;
}

// What the callbacks collect; bounded.
struct Collected {
  size_t max_body = 0;
  Bytes body;
  bool body_over_limit = false;
  std::string status_line;
  std::vector<std::string> header_lines;
  size_t header_bytes = 0;
  bool headers_over_limit = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* c = static_cast<Collected*>(user);
  const size_t n = size * count;
  if (n > c->max_body - c->body.size()) {
    c->body_over_limit = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  c->body.insert(c->body.end(), data, data + n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* c = static_cast<Collected*>(user);
  const size_t n = size * count;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {  // a new response (after a 1xx): start over
    c->status_line = std::string(line);
    c->header_lines.clear();
    c->header_bytes = 0;
    return n;
  }
  if (line.empty()) return n;
  c->header_bytes += line.size() + 2;
  if (c->header_bytes > kMaxResponseHeaderBytes ||
      c->header_lines.size() >= kMaxResponseHeaderCount) {
    c->headers_over_limit = true;
    return 0;
  }
  c->header_lines.emplace_back(line);
  return n;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

StatusOr<net::HttpResponse> BuildResponse(Collected& c, long status) {
  net::HttpResponse out;
  out.status = static_cast<int>(status);
  // "HTTP/1.1 200 OK": the reason is what follows the second space.
  const size_t sp1 = c.status_line.find(' ');
  const size_t sp2 = sp1 == std::string::npos ? sp1 : c.status_line.find(' ', sp1 + 1);
  if (sp2 != std::string::npos) out.reason = c.status_line.substr(sp2 + 1);
  for (const std::string& line : c.header_lines) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos || line[0] == ' ' || line[0] == '\t') {
      return InvalidArgumentError("upstream: malformed response header line");
    }
    const std::string_view name(line.data(), colon);
    if (IsHopByHop(name)) continue;
    out.headers.emplace_back(std::string(name), std::string(TrimOws(line.substr(colon + 1))));
  }
  out.body = std::move(c.body);
  const Status check = net::CheckHttpResponse(out);
  if (!check.ok()) {
    return InvalidArgumentError("upstream: response cannot be forwarded: " + check.message());
  }
  return out;
}

// The header list for libcurl, in the request's order and spelling.
StatusOr<HeaderList> BuildHeaders(const net::HttpRequest& request, bool has_body, bool signing) {
  HeaderList list(nullptr, &curl_slist_free_all);
  const auto append = [&list](const std::string& line) -> Status {
    curl_slist* next = curl_slist_append(list.get(), line.c_str());
    if (next == nullptr) return InternalError("upstream: curl_slist_append failed");
    list.release();
    list.reset(next);
    return OkStatus();
  };
  for (const auto& [name, value] : request.headers) {
    // "Name;" is libcurl's spelling for a header with an empty value ("Name:"
    // would remove it).
    RETURN_IF_ERROR(append(value.empty() ? name + ";" : name + ": " + value));
  }
  // Suppress the headers libcurl adds on its own when the request lacks them,
  // except when libcurl signs: libcurl 7.88 lists a suppressed header in
  // SignedHeaders although it does not send it, which breaks the signature.
  if (signing) return list;
  if (!net::FindHeader(request.headers, "Accept")) RETURN_IF_ERROR(append("Accept:"));
  if (!net::FindHeader(request.headers, "Expect")) RETURN_IF_ERROR(append("Expect:"));
  if (has_body && !net::FindHeader(request.headers, "Content-Type")) {
    RETURN_IF_ERROR(append("Content-Type:"));
  }
  return list;
}

// curl_easy_setopt with a Status (the option's number names it).
template <typename T>
Status Set(CURL* h, CURLoption option, T value) {
  if (curl_easy_setopt(h, option, value) != CURLE_OK) {
    return InternalError("upstream: curl_easy_setopt(" + std::to_string(static_cast<int>(option)) +
                         ") failed");
  }
  return OkStatus();
}

Status SetMethod(CURL* h, const net::HttpRequest& request) {
  if (request.method == "HEAD") {
    RETURN_IF_ERROR(Set(h, CURLOPT_NOBODY, 1L));
  } else if (request.method == "GET" && request.body.empty()) {
    RETURN_IF_ERROR(Set(h, CURLOPT_HTTPGET, 1L));
  } else {
    static const char kEmpty[] = "";
    RETURN_IF_ERROR(Set(h, CURLOPT_POST, 1L));
    RETURN_IF_ERROR(Set(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size())));
    RETURN_IF_ERROR(Set(h, CURLOPT_POSTFIELDS,
                        request.body.empty() ? kEmpty
                                             : reinterpret_cast<const char*>(request.body.data())));
    if (request.method != "POST") RETURN_IF_ERROR(Set(h, CURLOPT_CUSTOMREQUEST, request.method.c_str()));
  }
  return OkStatus();
}

Status SetTransport(CURL* h, const UpstreamOptions& options) {
  RETURN_IF_ERROR(Set(h, CURLOPT_NOSIGNAL, 1L));
  RETURN_IF_ERROR(Set(h, CURLOPT_PROTOCOLS_STR, "http,https"));
  RETURN_IF_ERROR(Set(h, CURLOPT_PROXY, ""));  // ignore http_proxy & co.
  RETURN_IF_ERROR(Set(h, CURLOPT_PATH_AS_IS, 1L));
  RETURN_IF_ERROR(Set(h, CURLOPT_FOLLOWLOCATION, 0L));
  RETURN_IF_ERROR(Set(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1)));
  RETURN_IF_ERROR(Set(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count())));
  RETURN_IF_ERROR(Set(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options.total_timeout.count())));
  if (!options.aws_sigv4.empty()) {
    RETURN_IF_ERROR(Set(h, CURLOPT_AWS_SIGV4, options.aws_sigv4.c_str()));
    RETURN_IF_ERROR(Set(h, CURLOPT_USERPWD, options.aws_user_password.c_str()));
  }
  return OkStatus();
}

bool IsUrlPathChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '~' || c == '-';
}

}  // namespace

Status InitUpstreamLibrary() {
  static std::once_flag once;
  static CURLcode rc = CURLE_OK;
  std::call_once(once, [] { rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (rc != CURLE_OK) return InternalError("upstream: curl_global_init failed");
  return OkStatus();
}

StatusOr<net::HttpResponse> UpstreamExchange(const std::string& base_url,
                                             const net::HttpRequest& request,
                                             const UpstreamOptions& options) {
  RETURN_IF_ERROR(net::CheckHttpRequest(request));
  Easy easy(curl_easy_init(), &curl_easy_cleanup);
  if (!easy) return InternalError("upstream: curl_easy_init failed");
  CURL* h = easy.get();
  const std::string url = base_url + request.target;
  RETURN_IF_ERROR(Set(h, CURLOPT_URL, url.c_str()));
  RETURN_IF_ERROR(SetTransport(h, options));
  RETURN_IF_ERROR(SetMethod(h, request));
  const bool has_body = !(request.method == "HEAD" || (request.method == "GET" && request.body.empty()));
  ASSIGN_OR_RETURN(HeaderList headers, BuildHeaders(request, has_body, !options.aws_sigv4.empty()));
  RETURN_IF_ERROR(Set(h, CURLOPT_HTTPHEADER, headers.get()));
  Collected collected;
  collected.max_body = std::min(options.max_response_body, net::kHttpMaxBody);
  RETURN_IF_ERROR(Set(h, CURLOPT_WRITEFUNCTION, &OnBody));
  RETURN_IF_ERROR(Set(h, CURLOPT_WRITEDATA, &collected));
  RETURN_IF_ERROR(Set(h, CURLOPT_HEADERFUNCTION, &OnHeader));
  RETURN_IF_ERROR(Set(h, CURLOPT_HEADERDATA, &collected));
  const CURLcode rc = curl_easy_perform(h);
  if (collected.body_over_limit) {
    return LimitExceededError("upstream: response body over " +
                              std::to_string(collected.max_body) + " bytes");
  }
  if (collected.headers_over_limit) return LimitExceededError("upstream: response head too large");
  if (rc == CURLE_OPERATION_TIMEDOUT) return LimitExceededError("upstream: timed out");
  if (rc != CURLE_OK) return IoError(std::string("upstream: ") + curl_easy_strerror(rc));
  long status = 0;
  if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status < 100 ||
      status > 599) {
    return InvalidArgumentError("upstream: no valid status code");
  }
  return BuildResponse(collected, status);
}

StatusOr<UpstreamUrl> ParseUpstreamUrl(std::string_view text) {
  UpstreamUrl out;
  std::string_view rest;
  if (text.starts_with("https://")) {
    rest = text.substr(8);
  } else if (text.starts_with("http://")) {
    rest = text.substr(7);
  } else {
    return InvalidArgumentError("url: must start with http:// or https://");
  }
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  if (authority.empty() || authority.size() > 255) return InvalidArgumentError("url: bad host");
  for (char c : authority) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    if (!ok) return InvalidArgumentError("url: bad character in host (no user info, query or fragment)");
  }
  out.base = std::string(text.substr(0, text.size() - rest.size())) + std::string(authority);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (path == "/") path = {};
  // Segments: "/seg/seg".
  std::string_view segs = path;
  while (!segs.empty()) {
    segs.remove_prefix(1);  // the '/'
    const size_t next = segs.find('/');
    const std::string_view seg = segs.substr(0, next);
    if (seg.empty() || seg == "." || seg == "..") return InvalidArgumentError("url: bad path segment");
    for (char c : seg) {
      if (!IsUrlPathChar(c)) return InvalidArgumentError("url: bad character in path");
    }
    segs = next == std::string_view::npos ? std::string_view() : segs.substr(next);
  }
  out.path = std::string(path);
  return out;
}

}  // namespace eml::host

#include "storage/storage_client.h"

#include <string>

#include "net/http.h"

namespace eml::storage {
namespace {

constexpr size_t kMaxObjectName = 1024;
// Error answers (404, 416, 502) carry a short fixed text; allow that much
// beyond the bytes asked for. A 206 body is then checked exactly.
constexpr size_t kErrorBodyAllowance = 1024;

Status Hostile(std::string_view what) {
  return VerificationFailedError("storage: proxy answer rejected: " + std::string(what));
}

bool IsSegmentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

StatusOr<uint64_t> ParseDecimal(std::string_view s) {
  if (s.empty() || s.size() > 19) return InvalidArgumentError("storage: bad number");
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return InvalidArgumentError("storage: bad number");
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

}  // namespace

Status CheckObjectName(std::string_view name) {
  if (name.empty() || name.size() > kMaxObjectName) {
    return InvalidArgumentError("storage: object name empty or too long");
  }
  for (;;) {
    const size_t slash = name.find('/');
    const std::string_view seg = name.substr(0, slash);
    if (seg.empty() || seg == "." || seg == "..") {
      return InvalidArgumentError("storage: bad object name segment");
    }
    for (char c : seg) {
      if (!IsSegmentChar(c)) return InvalidArgumentError("storage: bad character in object name");
    }
    if (slash == std::string_view::npos) return OkStatus();
    name.remove_prefix(slash + 1);
  }
}

StatusOr<ContentRange> ParseContentRange(std::string_view value) {
  if (!value.starts_with("bytes ")) return InvalidArgumentError("storage: Content-Range unit");
  value.remove_prefix(6);
  const size_t slash = value.find('/');
  if (slash == std::string_view::npos) return InvalidArgumentError("storage: Content-Range without '/'");
  ContentRange out;
  ASSIGN_OR_RETURN(out.size, ParseDecimal(value.substr(slash + 1)));
  const std::string_view span = value.substr(0, slash);
  if (span == "*") {
    out.unsatisfied = true;
    return out;
  }
  const size_t dash = span.find('-');
  if (dash == std::string_view::npos) return InvalidArgumentError("storage: Content-Range without '-'");
  ASSIGN_OR_RETURN(out.first, ParseDecimal(span.substr(0, dash)));
  ASSIGN_OR_RETURN(out.last, ParseDecimal(span.substr(dash + 1)));
  if (out.first > out.last || out.last >= out.size) {
    return InvalidArgumentError("storage: Content-Range out of order");
  }
  return out;
}

StatusOr<Bytes> StorageClient::ReadRange(std::string_view object, uint64_t offset,
                                         size_t length) const {
  RETURN_IF_ERROR(CheckObjectName(object));
  if (length == 0 || length > kMaxStorageRead) {
    return InvalidArgumentError("storage: read length must be 1.." + std::to_string(kMaxStorageRead));
  }
  if (offset > UINT64_MAX - length) return InvalidArgumentError("storage: offset + length overflows");
  const uint64_t want_last = offset + length - 1;
  const net::HttpRequest request{
      .method = "GET",
      .target = "/" + std::string(object),
      .headers = {{"Host", "storage"},
                  {"Range", "bytes=" + std::to_string(offset) + "-" + std::to_string(want_last)}},
      .body = {}};
  ASSIGN_OR_RETURN(net::HttpResponse r,
                   net::HttpRoundTrip(options_.proxy, request, length + kErrorBodyAllowance,
                                      net::Deadline::In(options_.timeout)));
  if (r.status == 404) return NotFoundError("storage: no such object");
  const std::optional<std::string_view> header = net::FindHeader(r.headers, "Content-Range");
  if (r.status == 416) {
    if (!header) return Hostile("416 without Content-Range");
    const StatusOr<ContentRange> cr = ParseContentRange(*header);
    if (!cr.ok() || !cr->unsatisfied || cr->size > offset) return Hostile("416 for a range inside the object");
    return Bytes();
  }
  if (r.status != 206) return Hostile("status " + std::to_string(r.status));
  if (!header) return Hostile("206 without Content-Range");
  const StatusOr<ContentRange> cr = ParseContentRange(*header);
  if (!cr.ok() || cr->unsatisfied) return Hostile("bad Content-Range");
  if (cr->first != offset || cr->last > want_last) return Hostile("another range than asked for");
  if (cr->last < want_last && cr->last + 1 != cr->size) return Hostile("short range before the end");
  if (r.body.size() != cr->last - cr->first + 1) return Hostile("body length differs from Content-Range");
  return std::move(r.body);
}

StatusOr<uint64_t> StorageClient::Size(std::string_view object) const {
  RETURN_IF_ERROR(CheckObjectName(object));
  const net::HttpRequest request{.method = "HEAD",
                                 .target = "/" + std::string(object),
                                 .headers = {{"Host", "storage"}},
                                 .body = {}};
  ASSIGN_OR_RETURN(const net::HttpResponse r,
                   net::HttpRoundTrip(options_.proxy, request, 0, net::Deadline::In(options_.timeout)));
  if (r.status == 404) return NotFoundError("storage: no such object");
  if (r.status != 200) return Hostile("status " + std::to_string(r.status));
  const std::optional<std::string_view> length = net::FindHeader(r.headers, "Content-Length");
  if (!length) return Hostile("HEAD without Content-Length");
  StatusOr<uint64_t> size = ParseDecimal(*length);
  if (!size.ok()) return Hostile("bad Content-Length");
  return *size;
}

StatusOr<Bytes> StorageClient::ReadObject(std::string_view object, size_t max_size) const {
  ASSIGN_OR_RETURN(const uint64_t size, Size(object));
  if (size > max_size || size > kMaxStorageRead) {
    return LimitExceededError("storage: object of " + std::to_string(size) + " bytes over the " +
                              std::to_string(max_size) + "-byte limit");
  }
  if (size == 0) return Bytes();
  ASSIGN_OR_RETURN(Bytes bytes, ReadRange(object, 0, static_cast<size_t>(size)));
  if (bytes.size() != size) return Hostile("object shorter than its size");
  return bytes;
}

}  // namespace eml::storage

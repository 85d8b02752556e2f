#include "host/storage_proxy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/file.h"
#include "host/log.h"

namespace eml::host {
namespace {

// SHA-256 of the empty payload: what a GET or HEAD signs as its body hash.
constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

bool IsSegmentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

std::vector<std::string_view> Segments(std::string_view name) {
  std::vector<std::string_view> out;
  for (;;) {
    const size_t slash = name.find('/');
    out.push_back(name.substr(0, slash));
    if (slash == std::string_view::npos) return out;
    name.remove_prefix(slash + 1);
  }
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

std::string ContentRange(uint64_t first, uint64_t last, uint64_t size) {
  return "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" +
         std::to_string(size);
}

// ---- directory -------------------------------------------------------------

class DirectoryBackend final : public StorageBackend {
 public:
  explicit DirectoryBackend(int dir_fd) : dir_fd_(dir_fd) {}
  ~DirectoryBackend() override { close(dir_fd_); }

  StatusOr<uint64_t> Size(std::string_view object) override {
    ASSIGN_OR_RETURN(const int fd, OpenObject(object));
    UniqueFd owned(fd);
    return FileSize(fd);
  }

  StatusOr<Bytes> Read(std::string_view object, uint64_t offset, size_t length) override {
    ASSIGN_OR_RETURN(const int fd, OpenObject(object));
    UniqueFd owned(fd);
    ASSIGN_OR_RETURN(const uint64_t size, FileSize(fd));
    if (offset > size || length > size - offset) return IoError("storage: object changed");
    Bytes out(length);
    size_t got = 0;
    while (got < length) {
      const ssize_t n = pread(fd, out.data() + got, length - got, static_cast<off_t>(offset + got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return IoError("storage: read failed or object shrank");
      got += static_cast<size_t>(n);
    }
    return out;
  }

 private:
  static StatusOr<uint64_t> FileSize(int fd) {
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return NotFoundError("storage: not a file");
    if (static_cast<uint64_t>(st.st_size) > kMaxStorageObject) {
      return NotFoundError("storage: object over the size limit");
    }
    return static_cast<uint64_t>(st.st_size);
  }

  // Walks the segments beneath dir_fd_ without following any symlink.
  StatusOr<int> OpenObject(std::string_view object) const {
    RETURN_IF_ERROR(CheckObjectName(object));
    const std::vector<std::string_view> segs = Segments(object);
    int at = dir_fd_;
    std::vector<std::unique_ptr<UniqueFd>> dirs;  // intermediate directories, closed on return
    dirs.reserve(segs.size());
    for (size_t i = 0; i < segs.size(); ++i) {
      const bool last = i + 1 == segs.size();
      const std::string seg(segs[i]);
      const int flags = O_CLOEXEC | O_NOFOLLOW | (last ? O_RDONLY | O_NONBLOCK : O_PATH | O_DIRECTORY);
      const int fd = openat(at, seg.c_str(), flags);
      if (fd < 0) return NotFoundError("storage: no such object");
      if (last) return fd;
      dirs.push_back(std::make_unique<UniqueFd>(fd));
      at = fd;
    }
    return NotFoundError("storage: empty object name");
  }

  const int dir_fd_;
};

// ---- S3 ----------------------------------------------------------------------

class S3Backend final : public StorageBackend {
 public:
  S3Backend(UpstreamUrl url, S3BackendOptions options)
      : url_(std::move(url)), options_(std::move(options)) {}

  StatusOr<uint64_t> Size(std::string_view object) override {
    ASSIGN_OR_RETURN(const net::HttpResponse r, Exchange("HEAD", object, std::nullopt));
    if (r.status == 404) return NotFoundError("storage: no such object");
    if (r.status != 200) return IoError("storage: S3 HEAD answered " + std::to_string(r.status));
    const std::optional<std::string_view> length = net::FindHeader(r.headers, "Content-Length");
    if (!length) return IoError("storage: S3 HEAD without Content-Length");
    StatusOr<uint64_t> size = ParseDecimal(*length);
    if (!size.ok() || *size > kMaxStorageObject) return IoError("storage: S3 size not usable");
    return *size;
  }

  StatusOr<Bytes> Read(std::string_view object, uint64_t offset, size_t length) override {
    if (length == 0) return Bytes();
    const uint64_t last = offset + length - 1;
    ASSIGN_OR_RETURN(net::HttpResponse r,
                     Exchange("GET", object,
                              "bytes=" + std::to_string(offset) + "-" + std::to_string(last)));
    if (r.status == 404) return NotFoundError("storage: no such object");
    if (r.status != 206) return IoError("storage: S3 GET answered " + std::to_string(r.status));
    const std::optional<std::string_view> range = net::FindHeader(r.headers, "Content-Range");
    // The size part is not checked against Size(): only the bytes matter here.
    const std::string want = "bytes " + std::to_string(offset) + "-" + std::to_string(last) + "/";
    if (!range || !range->starts_with(want) || r.body.size() != length) {
      return IoError("storage: S3 answered another range than asked for");
    }
    return std::move(r.body);
  }

 private:
  StatusOr<net::HttpResponse> Exchange(std::string_view method, std::string_view object,
                                       std::optional<std::string> range) {
    RETURN_IF_ERROR(CheckObjectName(object));
    ASSIGN_OR_RETURN(const AwsCredentials creds, options_.credentials->Get());
    net::HttpRequest request{.method = std::string(method),
                             .target = url_.path + "/" + std::string(object),
                             .headers = {},
                             .body = {}};
    if (range) request.headers.emplace_back("Range", *range);
    request.headers.emplace_back("x-amz-content-sha256", std::string(kEmptyPayloadSha256));
    if (!creds.session_token.empty()) {
      request.headers.emplace_back("x-amz-security-token", creds.session_token);
    }
    UpstreamOptions upstream = options_.upstream;
    upstream.aws_sigv4 = "aws:amz:" + options_.region + ":s3";
    upstream.aws_user_password = creds.access_key_id + ":" + creds.secret_access_key;
    upstream.max_response_body = kMaxStorageResponse;
    return UpstreamExchange(url_.base, request, upstream);
  }

  const UpstreamUrl url_;
  const S3BackendOptions options_;
};

// ---- handler -----------------------------------------------------------------

net::HttpResponse RangeNotSatisfiable(uint64_t size) {
  net::HttpResponse r = TextResponse(416, "Range Not Satisfiable", "range not satisfiable\n");
  r.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
  return r;
}

net::HttpResponse BackendError(const Status& s) {
  if (s.code() == StatusCode::kNotFound) return TextResponse(404, "Not Found", "not found\n");
  LogLine("storage backend error: %s", s.ToString().c_str());
  return TextResponse(502, "Bad Gateway", "storage backend failed\n");
}

net::HttpResponse Serve(StorageBackend& backend, const net::HttpRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    net::HttpResponse r = TextResponse(405, "Method Not Allowed", "method not allowed\n");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  const std::string_view object = std::string_view(request.target).substr(1);
  if (!CheckObjectName(object).ok()) return TextResponse(404, "Not Found", "not found\n");
  const StatusOr<uint64_t> size = backend.Size(object);
  if (!size.ok()) return BackendError(size.status());
  if (request.method == "HEAD") {
    return net::HttpResponse{.status = 200, .reason = "OK",
                             .headers = {{"Accept-Ranges", "bytes"},
                                         {"Content-Length", std::to_string(*size)}},
                             .body = {}};
  }
  uint64_t first = 0;
  uint64_t last = *size == 0 ? 0 : *size - 1;
  const std::optional<std::string_view> range_header = net::FindHeader(request.headers, "Range");
  if (range_header) {
    const StatusOr<ByteRange> range = ParseRange(*range_header);
    if (!range.ok() || range->first >= *size) return RangeNotSatisfiable(*size);
    first = range->first;
    last = std::min(range->last.value_or(*size - 1), *size - 1);
  }
  const uint64_t length = *size == 0 ? 0 : last - first + 1;
  if (length > kMaxStorageResponse) return RangeNotSatisfiable(*size);
  StatusOr<Bytes> bytes = backend.Read(object, first, static_cast<size_t>(length));
  if (!bytes.ok()) return BackendError(bytes.status());
  net::HttpResponse r{.status = 200, .reason = "OK",
                      .headers = {{"Accept-Ranges", "bytes"},
                                  {"Content-Type", "application/octet-stream"}},
                      .body = std::move(*bytes)};
  if (range_header) {
    r.status = 206;
    r.reason = "Partial Content";
    r.headers.emplace_back("Content-Range", ContentRange(first, last, *size));
  }
  return r;
}

}  // namespace

Status CheckObjectName(std::string_view name) {
  if (name.empty() || name.size() > kMaxObjectName) {
    return InvalidArgumentError("storage: object name empty or too long");
  }
  for (std::string_view seg : Segments(name)) {
    if (seg.empty() || seg == "." || seg == "..") {
      return InvalidArgumentError("storage: bad object name segment");
    }
    for (char c : seg) {
      if (!IsSegmentChar(c)) return InvalidArgumentError("storage: bad character in object name");
    }
  }
  return OkStatus();
}

StatusOr<ByteRange> ParseRange(std::string_view value) {
  if (!value.starts_with("bytes=")) return InvalidArgumentError("storage: range unit not bytes");
  value.remove_prefix(6);
  const size_t dash = value.find('-');
  if (dash == std::string_view::npos) return InvalidArgumentError("storage: range without '-'");
  ByteRange out;
  ASSIGN_OR_RETURN(out.first, ParseDecimal(value.substr(0, dash)));
  const std::string_view last = value.substr(dash + 1);
  if (!last.empty()) {
    ASSIGN_OR_RETURN(const uint64_t l, ParseDecimal(last));
    if (l < out.first) return InvalidArgumentError("storage: range ends before it starts");
    out.last = l;
  }
  return out;
}

StatusOr<std::unique_ptr<StorageBackend>> OpenDirectoryBackend(const std::string& dir) {
  const int fd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return NotFoundError("storage: not a directory: " + dir);
  return std::unique_ptr<StorageBackend>(new DirectoryBackend(fd));
}

StatusOr<std::unique_ptr<StorageBackend>> OpenS3Backend(S3BackendOptions options) {
  ASSIGN_OR_RETURN(UpstreamUrl url, ParseUpstreamUrl(options.url));
  if (url.path.empty()) return InvalidArgumentError("storage: S3 URL needs a bucket path");
  if (options.region.empty() || options.region.size() > 64) {
    return InvalidArgumentError("storage: bad S3 region");
  }
  for (char c : options.region) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return InvalidArgumentError("storage: bad S3 region");
    }
  }
  if (options.credentials == nullptr) return InvalidArgumentError("storage: S3 needs credentials");
  return std::unique_ptr<StorageBackend>(new S3Backend(std::move(url), std::move(options)));
}

ProxyHandler MakeStorageHandler(StorageBackend& backend) {
  return [&backend](const net::HttpRequest& request) { return Serve(backend, request); };
}

}  // namespace eml::host

// The storage proxy of eml-host (docs/proxy.md): serves package objects to
// the enclave from a local directory or from S3. The objects are encrypted
// and signed model packages (docs/model-package.md); the host cannot read
// them and the enclave checks everything it receives.
//
// Requests: GET or HEAD /<object>, object = segment *("/" segment), segment =
// 1*[A-Za-z0-9._-] but not "." or "..", at most 1024 bytes, no query.
// GET may carry "Range: bytes=FIRST-[LAST]" (one range, decimal).
// Answers, all with fixed texts:
//   200  HEAD: Content-Length is the object size, no body; GET without
//        Range: the whole object if it is at most kMaxStorageResponse bytes
//   206  GET with a satisfiable Range: Content-Range "bytes F-L/SIZE", L
//        clamped to SIZE-1; at most kMaxStorageResponse bytes
//   404  bad object name, no such object (also a symlink or a non-regular
//        file in the directory backend)
//   405  any other method
//   416  Range not of the form above, FIRST >= SIZE, or more than
//        kMaxStorageResponse bytes asked for (Content-Range "bytes */SIZE")
//   502  the backend failed (S3 refused, timed out, answered inconsistently)
//
// Directory backend: the directory is opened once at start; each request
// walks the object's segments with openat(O_NOFOLLOW), so no path leaves the
// directory (no "..", no symlink anywhere on the path), and only regular
// files of at most kMaxStorageObject bytes are served.
//
// S3 backend (path-style URL http(s)://ENDPOINT/BUCKET[/PREFIX]): HEAD for the
// size, then GET with "Range: bytes=F-L", both signed by libcurl
// (CURLOPT_AWS_SIGV4 "aws:amz:<region>:s3", x-amz-content-sha256 of the empty
// payload, x-amz-security-token when there is a session token). A 206 is
// accepted only with exactly the Content-Range and length asked for.
//
// Thread-safety: backends and the handler may be called from many threads.
#ifndef EML_HOST_STORAGE_PROXY_H_
#define EML_HOST_STORAGE_PROXY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"
#include "host/credentials.h"
#include "host/proxy_server.h"
#include "host/upstream.h"

namespace eml::host {

inline constexpr size_t kMaxStorageResponse = size_t{16} << 20;
inline constexpr uint64_t kMaxStorageObject = uint64_t{1} << 40;
inline constexpr size_t kMaxObjectName = 1024;

// InvalidArgument unless `name` follows the object grammar above.
Status CheckObjectName(std::string_view name);

struct ByteRange {
  uint64_t first = 0;
  std::optional<uint64_t> last;  // nullopt: to the end
};
// "bytes=F-" or "bytes=F-L" with F <= L. InvalidArgument otherwise.
StatusOr<ByteRange> ParseRange(std::string_view value);

class StorageBackend {
 public:
  virtual ~StorageBackend() = default;
  // NotFound if there is no such (regular) object.
  virtual StatusOr<uint64_t> Size(std::string_view object) = 0;
  // Exactly `length` bytes from `offset` (the caller checked the bounds
  // against Size()); an object that changed in between is an error.
  virtual StatusOr<Bytes> Read(std::string_view object, uint64_t offset, size_t length) = 0;
};

// Opens `dir` now. NotFound if it is not a directory.
StatusOr<std::unique_ptr<StorageBackend>> OpenDirectoryBackend(const std::string& dir);

struct S3BackendOptions {
  std::string url;     // http(s)://ENDPOINT/BUCKET[/PREFIX]
  std::string region;  // [a-z0-9-]+
  const CredentialSource* credentials = nullptr;  // borrowed; outlives the backend
  UpstreamOptions upstream;  // timeouts (aws_* fields are set by the backend)
};
StatusOr<std::unique_ptr<StorageBackend>> OpenS3Backend(S3BackendOptions options);

// The request handler for ProxyServer. `backend` is borrowed and must outlive it.
ProxyHandler MakeStorageHandler(StorageBackend& backend);

}  // namespace eml::host

#endif  // EML_HOST_STORAGE_PROXY_H_

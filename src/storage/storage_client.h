// StorageClient: the enclave's reader of package objects through eml-host's
// storage proxy (docs/proxy.md). The host is hostile: every answer is checked
// against the request, and bounded, before any byte is returned.
//
// ReadRange(object, offset, length) sends GET /<object> with
// "Range: bytes=offset-(offset+length-1)" and accepts only
//   206 with Content-Range "bytes offset-L/SIZE" where L <= the last byte
//       asked for, L < SIZE, and L is short of the request only when the
//       object ends there (L == SIZE-1); the body is exactly L-offset+1 bytes;
//   416 with Content-Range "bytes */SIZE" where SIZE <= offset: an empty
//       result (pread semantics, what model::PackageSource::ReadRange wants);
//   404: NotFound.
// Size(object) sends HEAD and accepts only 200 with a decimal Content-Length.
// Anything else (another status, a missing or inconsistent header, a body of
// the wrong length, more than kMaxStorageRead bytes) is VerificationFailed
// or the transport's Status; messages never carry body bytes.
//
// Object names follow the proxy's grammar (segments of [A-Za-z0-9._-], not
// "." or "..", at most 1024 bytes), checked before anything is sent.
// Each call opens its own connection, so calls may run on several threads.
#ifndef EML_STORAGE_STORAGE_CLIENT_H_
#define EML_STORAGE_STORAGE_CLIENT_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"
#include "net/endpoint.h"

namespace eml::storage {

inline constexpr size_t kMaxStorageRead = size_t{16} << 20;  // the proxy's per-response limit

struct StorageClientOptions {
  net::Endpoint proxy;                       // eml-host --storage-proxy (TCP or vsock)
  std::chrono::milliseconds timeout{30000};  // per call: connect, send, receive
};

class StorageClient {
 public:
  explicit StorageClient(StorageClientOptions options) : options_(std::move(options)) {}

  // Up to `length` (1..kMaxStorageRead) bytes from `offset`; fewer only when
  // the object ends first, none when `offset` is at or past the end.
  StatusOr<Bytes> ReadRange(std::string_view object, uint64_t offset, size_t length) const;

  // The object's size in bytes.
  StatusOr<uint64_t> Size(std::string_view object) const;

  // The whole object, refused (LimitExceeded) if larger than `max_size`
  // (<= kMaxStorageRead) before it is read. For manifest.cose.
  StatusOr<Bytes> ReadObject(std::string_view object, size_t max_size) const;

 private:
  StorageClientOptions options_;
};

// InvalidArgument unless `name` follows the object grammar.
Status CheckObjectName(std::string_view name);

// Parses "bytes F-L/SIZE" (all decimal, F <= L < SIZE) or "bytes */SIZE"
// (first/last absent). InvalidArgument otherwise.
struct ContentRange {
  bool unsatisfied = false;  // "bytes */SIZE"
  uint64_t first = 0;
  uint64_t last = 0;
  uint64_t size = 0;
};
StatusOr<ContentRange> ParseContentRange(std::string_view value);

}  // namespace eml::storage

#endif  // EML_STORAGE_STORAGE_CLIENT_H_

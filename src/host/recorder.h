// --record DIR: an append-only copy of every relayed byte, for tests that
// prove the relay is blind (they search the copies for plaintext).
//
// Connection n appends what it wrote to the enclave to DIR/conn-<n>.c2e and
// what it wrote to the client to DIR/conn-<n>.e2c. Both files are created
// (mode 0600, empty) when the enclave connection opens, so a connection that
// carried nothing still leaves its two files. A failed write ends that
// connection (fail closed: a recording with holes would prove nothing).
//
// Thread-safety: one ConnectionRecorder per connection thread.
#ifndef EML_HOST_RECORDER_H_
#define EML_HOST_RECORDER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "core/bytes.h"
#include "core/status.h"
#include "host/relay.h"

namespace eml::host {

// An owned file descriptor opened for appending.
class AppendFile {
 public:
  // Creates or opens `path` (O_APPEND, mode 0600). kIo names the path.
  static StatusOr<AppendFile> Open(const std::string& path);
  AppendFile(AppendFile&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  AppendFile& operator=(AppendFile&&) = delete;
  AppendFile(const AppendFile&) = delete;
  ~AppendFile();

  Status Append(ByteSpan data);

 private:
  explicit AppendFile(int fd) : fd_(fd) {}
  int fd_;
};

class ConnectionRecorder {
 public:
  static StatusOr<std::unique_ptr<ConnectionRecorder>> Open(const std::string& dir, uint64_t conn);
  Status Append(Direction direction, ByteSpan data);

 private:
  ConnectionRecorder(AppendFile c2e, AppendFile e2c) : c2e_(std::move(c2e)), e2c_(std::move(e2c)) {}
  AppendFile c2e_;
  AppendFile e2c_;
};

// NotFound unless `dir` is an existing directory.
Status CheckRecordDir(const std::string& dir);

}  // namespace eml::host

#endif  // EML_HOST_RECORDER_H_

// Reading small files whole, with a size bound checked before reading, and
// an owned file descriptor.
//
// Model directories, configs and tokenizer files come from the (untrusted)
// host; reading them is bounded so a hostile file cannot exhaust memory.
// Thread-safety: pure functions; a UniqueFd belongs to one thread.
#ifndef EML_CORE_FILE_H_
#define EML_CORE_FILE_H_

#include <cstddef>
#include <string>

#include "core/status.h"

namespace eml {

// Owns a file descriptor and closes it on every path (move-only).
class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd();
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// NotFound if `path` cannot be opened or is not a regular file,
// LimitExceeded if it is larger than `max_size` bytes, Io on a read error.
// Messages name the path, never the content.
StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_size);

}  // namespace eml

#endif  // EML_CORE_FILE_H_

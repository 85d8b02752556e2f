#include "core/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace eml {

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) close(fd_);
}

StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_size) {
  // O_NONBLOCK: opening a FIFO planted by the host must not hang; the type is
  // then checked on the descriptor we read from, so nothing can be swapped in
  // between the check and the read.
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (fd.get() < 0) return NotFoundError("cannot open " + path);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return IoError("cannot stat " + path);
  if (!S_ISREG(st.st_mode)) return NotFoundError("not a regular file: " + path);
  if (st.st_size < 0 || static_cast<uint64_t>(st.st_size) > max_size) {
    return LimitExceededError(path + " exceeds " + std::to_string(max_size) + " bytes");
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = read(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError("file changed while reading: " + path);
    done += static_cast<size_t>(n);
  }
  char extra;
  if (read(fd.get(), &extra, 1) != 0) return IoError("file changed while reading: " + path);
  return text;
}

}  // namespace eml

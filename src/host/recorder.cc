#include "host/recorder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace eml::host {

StatusOr<AppendFile> AppendFile::Open(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return IoError("record: open " + path + ": " + std::strerror(errno));
  return AppendFile(fd);
}

AppendFile::~AppendFile() {
  if (fd_ >= 0) close(fd_);
}

Status AppendFile::Append(ByteSpan data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = write(fd_, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError(std::string("record: write: ") + std::strerror(n < 0 ? errno : EIO));
    off += static_cast<size_t>(n);
  }
  return OkStatus();
}

StatusOr<std::unique_ptr<ConnectionRecorder>> ConnectionRecorder::Open(const std::string& dir,
                                                                       uint64_t conn) {
  const std::string base = dir + "/conn-" + std::to_string(conn);
  ASSIGN_OR_RETURN(AppendFile c2e, AppendFile::Open(base + ".c2e"));
  ASSIGN_OR_RETURN(AppendFile e2c, AppendFile::Open(base + ".e2c"));
  return std::unique_ptr<ConnectionRecorder>(new ConnectionRecorder(std::move(c2e), std::move(e2c)));
}

Status ConnectionRecorder::Append(Direction direction, ByteSpan data) {
  return direction == Direction::kClientToEnclave ? c2e_.Append(data) : e2c_.Append(data);
}

Status CheckRecordDir(const std::string& dir) {
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return NotFoundError("record: not a directory: " + dir);
  }
  return OkStatus();
}

}  // namespace eml::host

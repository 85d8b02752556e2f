// Package objects on disk and in memory: DirectoryPackageSource,
// DirectoryPackageSink and MemoryPackage (docs/model-package.md "Layout").
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <string>

#include "core/file.h"
#include "model/package.h"

namespace eml::model {
namespace {

// Only the names this format defines: "manifest.cose" and "files/<i>.enc"
// with i in [0, kMaxPackageFiles) written without leading zeros. Nothing a
// caller passes can name a path outside the package.
Status CheckObjectName(std::string_view object) {
  if (object == kManifestObject) return OkStatus();
  constexpr std::string_view kPrefix = "files/";
  constexpr std::string_view kSuffix = ".enc";
  if (object.size() > kPrefix.size() + kSuffix.size() && object.starts_with(kPrefix) &&
      object.ends_with(kSuffix)) {
    const std::string_view digits =
        object.substr(kPrefix.size(), object.size() - kPrefix.size() - kSuffix.size());
    if (digits.size() <= 2 && (digits.size() == 1 || digits[0] != '0')) {
      size_t index = 0;
      bool ok = true;
      for (char c : digits) {
        if (c < '0' || c > '9') ok = false;
        index = index * 10 + static_cast<size_t>(c - '0');
      }
      if (ok && index < kMaxPackageFiles) return OkStatus();
    }
  }
  return InvalidArgumentError("package: not a package object name");
}

Status ErrnoError(std::string_view what, const std::string& path, int err) {
  std::string message = "package: " + std::string(what) + " " + path + ": " + std::strerror(err);
  if (err == ENOENT) return NotFoundError(std::move(message));
  return IoError(std::move(message));
}

// Opens a regular file for reading; O_NONBLOCK so a FIFO planted by the host
// cannot block the open.
StatusOr<int> OpenRegular(const std::string& path, off_t* size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return ErrnoError("cannot open", path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return IoError("package: not a regular file: " + path);
  }
  *size = st.st_size;
  return fd;
}

// Reads up to out.size() bytes at `offset`, stopping early only at the end.
StatusOr<size_t> PreadInto(int fd, uint64_t offset, std::span<uint8_t> out,
                           const std::string& path) {
  size_t done = 0;
  while (done < out.size()) {
    if (offset + done > static_cast<uint64_t>(std::numeric_limits<off_t>::max())) break;
    const ssize_t n =
        ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("cannot read", path, errno);
    if (n == 0) break;  // the end (or the file shrank under us)
    done += static_cast<size_t>(n);
  }
  return done;
}

// PreadInto a buffer sized by what the file holds (never more than `length`).
StatusOr<Bytes> PreadUpTo(int fd, off_t file_size, uint64_t offset, size_t length,
                          const std::string& path) {
  const uint64_t size = static_cast<uint64_t>(file_size);
  if (offset >= size) return Bytes{};
  const uint64_t available = size - offset;
  Bytes out(static_cast<size_t>(available < length ? available : length));
  ASSIGN_OR_RETURN(const size_t done, PreadInto(fd, offset, out, path));
  out.resize(done);
  return out;
}

}  // namespace

// ---- DirectoryPackageSource ------------------------------------------------

StatusOr<Bytes> DirectoryPackageSource::ReadManifest(size_t max_size) {
  const std::string path = dir_ + "/" + std::string(kManifestObject);
  off_t size = 0;
  ASSIGN_OR_RETURN(const int raw_fd, OpenRegular(path, &size));
  UniqueFd fd(raw_fd);
  if (static_cast<uint64_t>(size) > max_size) {
    return LimitExceededError("package: manifest.cose exceeds " + std::to_string(max_size) +
                              " bytes");
  }
  return PreadUpTo(fd.get(), size, 0, static_cast<size_t>(size), path);
}

StatusOr<Bytes> DirectoryPackageSource::ReadRange(std::string_view object, uint64_t offset,
                                                  size_t length) {
  RETURN_IF_ERROR(CheckObjectName(object));
  const std::string path = dir_ + "/" + std::string(object);
  off_t size = 0;
  ASSIGN_OR_RETURN(const int raw_fd, OpenRegular(path, &size));
  UniqueFd fd(raw_fd);
  return PreadUpTo(fd.get(), size, offset, length, path);
}

StatusOr<size_t> DirectoryPackageSource::ReadRangeInto(std::string_view object, uint64_t offset,
                                                       std::span<uint8_t> out) {
  RETURN_IF_ERROR(CheckObjectName(object));
  const std::string path = dir_ + "/" + std::string(object);
  off_t size = 0;
  ASSIGN_OR_RETURN(const int raw_fd, OpenRegular(path, &size));
  UniqueFd fd(raw_fd);
  return PreadInto(fd.get(), offset, out, path);
}

// ---- PackageSource -----------------------------------------------------------

StatusOr<size_t> PackageSource::ReadRangeInto(std::string_view object, uint64_t offset,
                                              std::span<uint8_t> out) {
  ASSIGN_OR_RETURN(Bytes bytes, ReadRange(object, offset, out.size()));
  if (bytes.size() > out.size()) {
    return InvalidArgumentError("package: " + std::string(object) +
                                ": the source returned more bytes than asked");
  }
  if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
  return bytes.size();
}

// ---- DirectoryPackageSink --------------------------------------------------

StatusOr<std::unique_ptr<DirectoryPackageSink>> DirectoryPackageSink::Create(
    const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0) {
    if (errno == EEXIST) return AlreadyExistsError("package: output exists: " + dir);
    return ErrnoError("cannot create", dir, errno);
  }
  const std::string files = dir + "/files";
  if (::mkdir(files.c_str(), 0755) != 0) return ErrnoError("cannot create", files, errno);
  return std::unique_ptr<DirectoryPackageSink>(new DirectoryPackageSink(dir));
}

DirectoryPackageSink::~DirectoryPackageSink() {
  if (fd_ >= 0) ::close(fd_);
}

Status DirectoryPackageSink::Begin(std::string_view object) {
  RETURN_IF_ERROR(CheckObjectName(object));
  if (fd_ >= 0) return FailedPreconditionError("package: Begin before Finish");
  const std::string path = dir_ + "/" + std::string(object);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) return ErrnoError("cannot create", path, errno);
  return OkStatus();
}

Status DirectoryPackageSink::Append(ByteSpan bytes) {
  if (fd_ < 0) return FailedPreconditionError("package: Append without Begin");
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("cannot write to", dir_, errno);
    done += static_cast<size_t>(n);
  }
  return OkStatus();
}

Status DirectoryPackageSink::Finish() {
  if (fd_ < 0) return FailedPreconditionError("package: Finish without Begin");
  const bool synced = ::fsync(fd_) == 0;
  const int err = errno;
  const bool closed = ::close(fd_) == 0;
  fd_ = -1;
  if (!synced || !closed) return ErrnoError("cannot sync a file in", dir_, synced ? errno : err);
  return OkStatus();
}

// ---- MemoryPackage ---------------------------------------------------------

Status MemoryPackage::Begin(std::string_view object) {
  RETURN_IF_ERROR(CheckObjectName(object));
  if (!open_.empty()) return FailedPreconditionError("package: Begin before Finish");
  if (objects_.contains(object)) return AlreadyExistsError("package: object written twice");
  open_ = std::string(object);
  objects_[open_];
  return OkStatus();
}

Status MemoryPackage::Append(ByteSpan bytes) {
  if (open_.empty()) return FailedPreconditionError("package: Append without Begin");
  Bytes& object = objects_[open_];
  object.insert(object.end(), bytes.begin(), bytes.end());
  return OkStatus();
}

Status MemoryPackage::Finish() {
  if (open_.empty()) return FailedPreconditionError("package: Finish without Begin");
  open_.clear();
  return OkStatus();
}

StatusOr<Bytes> MemoryPackage::ReadManifest(size_t max_size) {
  auto it = objects_.find(kManifestObject);
  if (it == objects_.end()) return NotFoundError("package: no manifest.cose");
  if (it->second.size() > max_size) {
    return LimitExceededError("package: manifest.cose exceeds " + std::to_string(max_size) +
                              " bytes");
  }
  return it->second;
}

StatusOr<Bytes> MemoryPackage::ReadRange(std::string_view object, uint64_t offset,
                                         size_t length) {
  RETURN_IF_ERROR(CheckObjectName(object));
  auto it = objects_.find(object);
  if (it == objects_.end()) return NotFoundError("package: no object " + std::string(object));
  const Bytes& bytes = it->second;
  if (offset >= bytes.size()) return Bytes{};
  const size_t n = std::min<uint64_t>(length, bytes.size() - offset);
  return Bytes(bytes.begin() + static_cast<ptrdiff_t>(offset),
               bytes.begin() + static_cast<ptrdiff_t>(offset + n));
}

}  // namespace eml::model

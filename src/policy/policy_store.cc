// PolicyStore (policy_store.h): stat, reload, verify, accept.
#include "policy/policy_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "core/file.h"
#include "policy/signed_policy.h"

namespace eml::policy {
namespace {

int64_t Nanos(const struct timespec& ts) {
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

Status ReadAll(int fd, size_t size, const std::string& path, Bytes* out) {
  out->assign(size, 0);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = read(fd, out->data() + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError("policy: " + path + " changed while reading");
    done += static_cast<size_t>(n);
  }
  uint8_t extra;
  if (read(fd, &extra, 1) != 0) return IoError("policy: " + path + " changed while reading");
  return OkStatus();
}

}  // namespace

PolicyStore::PolicyStore(std::string path, Bytes owner_public_key, const Clock& clock,
                         const PolicyStoreOptions& options)
    : path_(std::move(path)),
      owner_public_key_(std::move(owner_public_key)),
      clock_(clock),
      candidate_error_(NotFoundError("policy: not loaded yet")),
      high_version_(options.min_version) {}

StatusOr<std::unique_ptr<PolicyStore>> PolicyStore::Open(const std::string& path,
                                                         ByteSpan owner_public_key,
                                                         const Clock& clock,
                                                         const PolicyStoreOptions& options) {
  if (owner_public_key.size() != crypto::kEd25519PublicKeySize) {
    return InvalidArgumentError("policy: owner public key must be 32 bytes");
  }
  std::unique_ptr<PolicyStore> store(new PolicyStore(
      path, Bytes(owner_public_key.begin(), owner_public_key.end()), clock, options));
  RETURN_IF_ERROR(store->Current().status());
  return store;
}

StatusOr<std::shared_ptr<const Policy>> PolicyStore::Current() {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(Refresh());
  if (candidate_ == nullptr) return candidate_error_;
  RETURN_IF_ERROR(Accept());
  return accepted_;
}

uint64_t PolicyStore::accepted_version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return accepted_ == nullptr ? 0 : high_version_;
}

Status PolicyStore::Refresh() {
  struct stat st;
  if (stat(path_.c_str(), &st) != 0) {
    if (errno != ENOENT && errno != ENOTDIR) return IoError("policy: cannot stat " + path_);
    stamp_ = FileStamp{};
    file_bytes_.clear();
    candidate_.reset();
    candidate_error_ = NotFoundError("policy: " + path_ + " does not exist");
    return OkStatus();
  }
  const FileStamp now{.exists = true,
                      .dev = static_cast<uint64_t>(st.st_dev),
                      .ino = static_cast<uint64_t>(st.st_ino),
                      .size = static_cast<int64_t>(st.st_size),
                      .mtime_ns = Nanos(st.st_mtim),
                      .ctime_ns = Nanos(st.st_ctim)};
  if (now == stamp_ && !racy_) return OkStatus();
  return Reload(now);
}

// Reads the file through one descriptor and stamps it from that descriptor,
// so the stamp describes the bytes read, whatever happens to the path.
Status PolicyStore::Reload(const FileStamp& seen) {
  stamp_ = seen;
  racy_ = true;  // until a read succeeds
  UniqueFd fd(open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  struct stat st;
  Status read_status;
  Bytes bytes;
  if (fd.get() < 0 || fstat(fd.get(), &st) != 0) {
    read_status = NotFoundError("policy: cannot open " + path_);
  } else if (!S_ISREG(st.st_mode)) {
    read_status = NotFoundError("policy: " + path_ + " is not a regular file");
  } else if (static_cast<uint64_t>(st.st_size) > kMaxPolicyFileSize) {
    read_status = LimitExceededError("policy: file exceeds " +
                                     std::to_string(kMaxPolicyFileSize) + " bytes");
  } else {
    read_status = ReadAll(fd.get(), static_cast<size_t>(st.st_size), path_, &bytes);
  }
  if (!read_status.ok()) {
    file_bytes_.clear();
    candidate_.reset();
    candidate_error_ = read_status;
    return OkStatus();
  }
  stamp_ = FileStamp{.exists = true,
                     .dev = static_cast<uint64_t>(st.st_dev),
                     .ino = static_cast<uint64_t>(st.st_ino),
                     .size = static_cast<int64_t>(st.st_size),
                     .mtime_ns = Nanos(st.st_mtim),
                     .ctime_ns = Nanos(st.st_ctim)};
  struct timespec real_now;
  clock_gettime(CLOCK_REALTIME, &real_now);
  racy_ = Nanos(real_now) - stamp_.mtime_ns < kRacyWindowNs;
  const bool same_bytes = bytes == file_bytes_ && (candidate_ != nullptr || !file_bytes_.empty());
  if (!same_bytes) Consider(std::move(bytes));
  return OkStatus();
}

void PolicyStore::Consider(Bytes bytes) {
  file_bytes_ = std::move(bytes);
  StatusOr<Policy> verified = VerifySignedPolicySignatureOnly(file_bytes_, owner_public_key_);
  if (!verified.ok()) {
    candidate_.reset();
    candidate_error_ = verified.status();
    return;
  }
  candidate_ = std::make_shared<const Policy>(std::move(verified).value());
  candidate_error_ = OkStatus();
}

Status PolicyStore::Accept() {
  RETURN_IF_ERROR(CheckPolicyTime(*candidate_, clock_.NowUnixSeconds()));
  if (candidate_ == accepted_) return OkStatus();
  const uint64_t version = candidate_->version;
  if (version < high_version_) {
    return FailedPreconditionError("policy: rollback refused: version " + std::to_string(version) +
                                   " is lower than " + std::to_string(high_version_));
  }
  if (version == high_version_ && accepted_ != nullptr) {
    if (file_bytes_ != accepted_bytes_) {
      return FailedPreconditionError("policy: version " + std::to_string(version) +
                                     " was already accepted with different content");
    }
    candidate_ = accepted_;  // the same file again
    return OkStatus();
  }
  accepted_ = candidate_;
  accepted_bytes_ = file_bytes_;
  high_version_ = version;
  return OkStatus();
}

}  // namespace eml::policy

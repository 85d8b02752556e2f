// PolicyStore: the signed policy file, reloaded while the client runs.
//
// Current() stats the file on every call (device, inode, size, mtime and
// ctime in nanoseconds) and, when anything changed, reads it (at most
// kMaxPolicyFileSize), verifies the owner's signature and decodes it. A new
// file is accepted only if its version is HIGHER than the highest version
// this store has accepted (or the same version with byte-identical content,
// e.g. the same file copied again); a lower version is refused as a
// rollback, and the same version with different content is refused too.
// Time is judged on every call with the injected clock, so a policy that
// expires while its file is unchanged stops being served, and one signed
// slightly ahead of the client's clock is accepted once it becomes valid.
//
// Fail closed: while the file on disk is not an acceptable policy (missing,
// unreadable, bad signature, malformed, rollback, expired, not yet valid),
// Current() returns that error, never the previously accepted policy. It
// recovers by itself as soon as an acceptable file appears.
//
// Racy timestamps: file systems stamp mtime with a coarse clock, so a file
// rewritten in place twice within one tick, with the same size, keeps its
// stamp. As git does for its index, a file whose mtime is within
// kRacyWindowNs of the moment it was read is re-read (not re-verified unless
// the bytes differ) on each call until it is old enough. Writers should
// still replace the file atomically (write a temporary file, then rename),
// as `eml policy sign` does.
//
// FIXME: the rollback high-water mark lives in memory only; a restarted
// client accepts any valid version >= PolicyStoreOptions::min_version.
// Persisting the highest version seen is the caller's job.
//
// Thread-safety: all methods may be called concurrently; one mutex (mu_)
// guards the state, and a reload (read + verify) happens under it, so
// concurrent callers wait for it rather than verify twice. The clock must
// outlive the store. Returned policies are immutable and shared.
#ifndef EML_POLICY_POLICY_STORE_H_
#define EML_POLICY_POLICY_STORE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/status.h"
#include "policy/policy.h"

namespace eml::policy {

struct PolicyStoreOptions {
  // The lowest version the store will accept (a persisted high-water mark).
  uint64_t min_version = 1;
};

class PolicyStore {
 public:
  static constexpr int64_t kRacyWindowNs = 2'000'000'000;

  // Loads and verifies the file once; fails with that error if it is not an
  // acceptable policy now. `owner_public_key` is the raw 32-byte key.
  static StatusOr<std::unique_ptr<PolicyStore>> Open(const std::string& path,
                                                     ByteSpan owner_public_key,
                                                     const Clock& clock,
                                                     const PolicyStoreOptions& options = {});

  PolicyStore(const PolicyStore&) = delete;
  PolicyStore& operator=(const PolicyStore&) = delete;

  StatusOr<std::shared_ptr<const Policy>> Current();

  // The highest version accepted so far.
  uint64_t accepted_version() const;

 private:
  // What stat() says about the file; equal stamps mean "probably unchanged".
  struct FileStamp {
    bool exists = false;
    uint64_t dev = 0, ino = 0;
    int64_t size = 0;
    int64_t mtime_ns = 0, ctime_ns = 0;
    friend bool operator==(const FileStamp&, const FileStamp&) = default;
  };

  PolicyStore(std::string path, Bytes owner_public_key, const Clock& clock,
              const PolicyStoreOptions& options);

  Status Refresh();                                  // requires mu_
  Status Reload(const FileStamp& stamp);             // requires mu_
  void Consider(Bytes bytes);                        // requires mu_
  Status Accept();                                   // requires mu_

  const std::string path_;
  const Bytes owner_public_key_;
  const Clock& clock_;

  mutable std::mutex mu_;
  FileStamp stamp_;       // of the bytes last read; guarded by mu_
  bool racy_ = true;      // stamp_ cannot be trusted yet; guarded by mu_
  Bytes file_bytes_;      // last bytes read; guarded by mu_
  // Result of verifying file_bytes_ (signature + payload, no time, no
  // rollback): a candidate policy or an error. Guarded by mu_.
  std::shared_ptr<const Policy> candidate_;
  Status candidate_error_;
  // The accepted policy and its bytes, and the high-water version.
  std::shared_ptr<const Policy> accepted_;
  Bytes accepted_bytes_;
  uint64_t high_version_;
};

}  // namespace eml::policy

#endif  // EML_POLICY_POLICY_STORE_H_

// Persistent symmetric KMS keys for eml-kms (docs/kms.md "State directory").
//
//   <state-dir>/                 0700, created if missing (its parent must exist)
//     key-<uuid>.json            0600, one per key:
//       {"Format":"eml-kms key v1","KeyId":"<uuid>","CreationDate":<unix s>,
//        "Description":"...","Policy":"<key policy JSON text>",
//        "Material":"<base64 of 32 random bytes>"}
//
// Open() loads every key file and refuses to start (FailedPrecondition
// naming the file) if the directory or a key file is readable by group or
// others, is not a regular file, does not parse, has the wrong material
// length, a policy that no longer parses, or a KeyId that differs from its
// name. Nothing is ever regenerated or skipped silently. Writes go to a
// temporary file (O_EXCL, 0600), are fsync'ed and renamed into place.
// Key material lives in SecretBytes and is never logged or put in a message.
//
// Thread-safety: all methods are safe from any thread (one mutex, mu_).
// Records are immutable and shared; PutPolicy replaces a key's record.
// One process per state directory.
#ifndef EML_KMS_SERVER_KEY_STORE_H_
#define EML_KMS_SERVER_KEY_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/secret.h"
#include "core/status.h"
#include "kms_server/key_policy.h"

namespace eml::kms_server {

inline constexpr size_t kMaxKeys = 1024;
inline constexpr size_t kKeyMaterialSize = 32;
inline constexpr size_t kMaxDescriptionSize = 8192;

struct KeyRecord {
  std::string key_id;  // UUID
  int64_t creation_date = 0;
  std::string description;
  std::string policy_json;
  KeyPolicy policy;
  SecretBytes material;  // AES-256
};

class KeyStore {
 public:
  static StatusOr<std::unique_ptr<KeyStore>> Open(const std::string& state_dir);

  // A new key with fresh material; `policy_json` must already parse.
  StatusOr<std::shared_ptr<const KeyRecord>> Create(std::string description,
                                                    std::string policy_json, int64_t now);
  // Null if there is no such key.
  std::shared_ptr<const KeyRecord> Find(std::string_view key_id) const;
  Status PutPolicy(std::string_view key_id, std::string policy_json);
  size_t size() const;

 private:
  explicit KeyStore(std::string dir) : dir_(std::move(dir)) {}
  Status Write(const KeyRecord& record) const;  // requires mu_

  const std::string dir_;
  mutable std::mutex mu_;  // guards keys_ and the files in dir_
  std::map<std::string, std::shared_ptr<const KeyRecord>, std::less<>> keys_;
};

}  // namespace eml::kms_server

#endif  // EML_KMS_SERVER_KEY_STORE_H_

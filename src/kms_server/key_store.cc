// KeyStore: one JSON file per key, loaded strictly (key_store.h).
#include "kms_server/key_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "core/file.h"
#include "crypto/random.h"
#include "kms/kms_json.h"

namespace eml::kms_server {
namespace {

using nlohmann::json;

constexpr char kFormat[] = "eml-kms key v1";
constexpr char kPrefix[] = "key-";
constexpr char kSuffix[] = ".json";
constexpr size_t kMaxKeyFileSize = 64 * 1024;

Status Damaged(const std::string& path, const std::string& why) {
  return FailedPreconditionError("kms state: " + path + ": " + why +
                                 " (refusing to start; nothing was regenerated)");
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

StatusOr<std::string> NewUuid() {
  uint8_t b[16];
  RETURN_IF_ERROR(crypto::RandomBytes(b));
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // variant 10
  const std::string hex = HexEncode(b);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

Status PrepareDir(const std::string& dir) {
  struct stat st = {};
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) return IoError("kms state: stat " + dir + ": " + std::strerror(errno));
    if (::mkdir(dir.c_str(), 0700) != 0) {
      return IoError("kms state: mkdir " + dir + ": " + std::strerror(errno));
    }
    return OkStatus();
  }
  if (!S_ISDIR(st.st_mode)) return Damaged(dir, "not a directory");
  if ((st.st_mode & 077) != 0) return Damaged(dir, "directory is accessible by group or others");
  if (st.st_uid != ::geteuid()) return Damaged(dir, "directory is owned by another user");
  return OkStatus();
}

StatusOr<std::shared_ptr<const KeyRecord>> LoadKeyFile(const std::string& path,
                                                       std::string_view expected_id) {
  struct stat st = {};
  if (::lstat(path.c_str(), &st) != 0) return Damaged(path, "cannot stat");
  if (!S_ISREG(st.st_mode)) return Damaged(path, "not a regular file");
  if ((st.st_mode & 077) != 0) return Damaged(path, "readable by group or others");
  StatusOr<std::string> text = ReadSmallFile(path, kMaxKeyFileSize);
  if (!text.ok()) return Damaged(path, "cannot read");
  StatusOr<json> root = kms::ParseJsonObject(*text, kMaxKeyFileSize);
  SecureWipe(text->data(), text->size());
  if (!root.ok()) return Damaged(path, "not a JSON object");
  auto record = std::make_shared<KeyRecord>();
  auto format = kms::GetString(*root, "Format", 64);
  auto key_id = kms::GetString(*root, "KeyId", 64);
  auto policy = kms::GetString(*root, "Policy", kMaxKeyPolicySize);
  auto material = kms::GetBase64(*root, "Material", kKeyMaterialSize);
  if (auto it = root->find("Material"); it != root->end() && it->is_string()) {
    std::string& m = it->get_ref<std::string&>();
    SecureWipe(m.data(), m.size());
  }
  if (!format.ok() || !*format || **format != kFormat) return Damaged(path, "unknown Format");
  if (!key_id.ok() || !*key_id || **key_id != expected_id) return Damaged(path, "KeyId does not match the file name");
  if (!policy.ok() || !*policy) return Damaged(path, "missing Policy");
  if (!material.ok() || !*material || (*material)->size() != kKeyMaterialSize) {
    return Damaged(path, "Material is not 32 bytes of base64");
  }
  record->material = SecretBytes(**material);
  SecureWipe((*material)->data(), (*material)->size());
  auto description = root->find("Description");  // may be empty
  if (description == root->end() || !description->is_string() ||
      description->get_ref<const std::string&>().size() > kMaxDescriptionSize) {
    return Damaged(path, "bad Description");
  }
  auto created = root->find("CreationDate");
  if (created == root->end() || !created->is_number_integer()) return Damaged(path, "bad CreationDate");
  StatusOr<KeyPolicy> parsed_policy = ParseKeyPolicy(**policy);
  if (!parsed_policy.ok()) return Damaged(path, "Policy does not parse");
  record->key_id = **key_id;
  record->creation_date = created->get<int64_t>();
  record->description = description->get<std::string>();
  record->policy_json = **policy;
  record->policy = *std::move(parsed_policy);
  return std::shared_ptr<const KeyRecord>(std::move(record));
}

}  // namespace

StatusOr<std::unique_ptr<KeyStore>> KeyStore::Open(const std::string& state_dir) {
  if (state_dir.empty()) return InvalidArgumentError("kms state: empty --state-dir");
  RETURN_IF_ERROR(PrepareDir(state_dir));
  std::unique_ptr<KeyStore> store(new KeyStore(state_dir));
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(state_dir.c_str()), ::closedir);
  if (!dir) return IoError("kms state: opendir " + state_dir + ": " + std::strerror(errno));
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir.get())) {
    const std::string name = entry->d_name;
    if (name.rfind(kPrefix, 0) == 0 && name.size() > sizeof(kSuffix) &&
        name.compare(name.size() - (sizeof(kSuffix) - 1), sizeof(kSuffix) - 1, kSuffix) == 0) {
      names.push_back(name);
    }
  }
  if (names.size() > kMaxKeys) return Damaged(state_dir, "more than 1024 key files");
  for (const std::string& name : names) {
    const std::string id =
        name.substr(sizeof(kPrefix) - 1, name.size() - (sizeof(kPrefix) - 1) - (sizeof(kSuffix) - 1));
    const std::string path = state_dir + "/" + name;
    if (!IsUuid(id)) return Damaged(path, "file name is not key-<uuid>.json");
    ASSIGN_OR_RETURN(std::shared_ptr<const KeyRecord> record, LoadKeyFile(path, id));
    store->keys_.emplace(id, std::move(record));
  }
  return store;
}

Status KeyStore::Write(const KeyRecord& r) const {
  json j = {{"Format", kFormat},           {"KeyId", r.key_id},
            {"CreationDate", r.creation_date}, {"Description", r.description},
            {"Policy", r.policy_json},     {"Material", Base64Encode(r.material.RevealSecret())}};
  std::string text = j.dump(1) + "\n";
  std::string& material = j["Material"].get_ref<std::string&>();
  SecureWipe(material.data(), material.size());
  const std::string path = dir_ + "/" + kPrefix + r.key_id + kSuffix;
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    SecureWipe(text.data(), text.size());
    return IoError("kms state: create " + tmp + ": " + std::strerror(errno));
  }
  UniqueFd owned(fd);
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  const bool written = done == text.size() && ::fsync(fd) == 0;
  SecureWipe(text.data(), text.size());
  if (!written || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return IoError("kms state: cannot write " + path);
  }
  UniqueFd dir_fd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0) ::fsync(dir_fd.get());
  return OkStatus();
}

StatusOr<std::shared_ptr<const KeyRecord>> KeyStore::Create(std::string description,
                                                            std::string policy_json, int64_t now) {
  ASSIGN_OR_RETURN(KeyPolicy policy, ParseKeyPolicy(policy_json));
  if (description.size() > kMaxDescriptionSize) {
    return InvalidArgumentError("kms: Description longer than 8192 bytes");
  }
  auto record = std::make_shared<KeyRecord>();
  ASSIGN_OR_RETURN(record->key_id, NewUuid());
  ASSIGN_OR_RETURN(record->material, crypto::RandomSecret(kKeyMaterialSize));
  record->creation_date = now;
  record->description = std::move(description);
  record->policy_json = std::move(policy_json);
  record->policy = std::move(policy);
  std::lock_guard<std::mutex> lock(mu_);
  if (keys_.size() >= kMaxKeys) return LimitExceededError("kms: at most 1024 keys");
  RETURN_IF_ERROR(Write(*record));
  std::shared_ptr<const KeyRecord> shared = std::move(record);
  keys_.emplace(shared->key_id, shared);
  return shared;
}

std::shared_ptr<const KeyRecord> KeyStore::Find(std::string_view key_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = keys_.find(key_id);
  return it == keys_.end() ? nullptr : it->second;
}

Status KeyStore::PutPolicy(std::string_view key_id, std::string policy_json) {
  ASSIGN_OR_RETURN(KeyPolicy policy, ParseKeyPolicy(policy_json));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = keys_.find(key_id);
  if (it == keys_.end()) return NotFoundError("kms: no such key");
  auto record = std::make_shared<KeyRecord>();
  record->key_id = it->second->key_id;
  record->creation_date = it->second->creation_date;
  record->description = it->second->description;
  record->material = it->second->material.Clone();
  record->policy_json = std::move(policy_json);
  record->policy = std::move(policy);
  RETURN_IF_ERROR(Write(*record));
  it->second = std::move(record);
  return OkStatus();
}

size_t KeyStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return keys_.size();
}

}  // namespace eml::kms_server

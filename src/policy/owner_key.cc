// Owner key files (owner_key.h).
#include "policy/owner_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "core/encoding.h"
#include "core/file.h"
#include "core/secret.h"
#include "crypto/random.h"

namespace eml::policy {
namespace {

constexpr size_t kMaxKeyFileSize = 256;  // 64 hex digits and some whitespace

// Wipes a string that held key material when it goes out of scope.
class WipedString {
 public:
  explicit WipedString(std::string s) : s_(std::move(s)) {}
  ~WipedString() { SecureWipe(s_.data(), s_.size()); }
  WipedString(const WipedString&) = delete;
  WipedString& operator=(const WipedString&) = delete;
  const std::string& get() const { return s_; }

 private:
  std::string s_;
};

std::string_view Trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool WriteAll(int fd, std::string_view content) {
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Creates `path` (never replacing a file or following a link) with `mode`
// and writes `line` and a newline (separately, so a key's hex text is never
// copied into a longer, unwiped string).
Status WriteNewFile(const std::string& path, std::string_view line, mode_t mode) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) {
    if (errno == EEXIST) return AlreadyExistsError("refusing to overwrite " + path);
    if (errno == ENOENT) return NotFoundError("directory for " + path + " does not exist");
    return IoError("cannot create " + path);
  }
  const bool ok = WriteAll(fd, line) && WriteAll(fd, "\n") && fsync(fd) == 0;
  close(fd);
  if (!ok) {
    unlink(path.c_str());
    return IoError("cannot write " + path);
  }
  return OkStatus();
}

Status MustNotExist(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) return AlreadyExistsError("refusing to overwrite " + path);
  return OkStatus();
}

}  // namespace

StatusOr<OwnerKeyFiles> GenerateOwnerKeyFiles(const std::string& dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return NotFoundError("not a directory: " + dir);
  }
  OwnerKeyFiles out{.key_path = dir + "/" + std::string(kOwnerKeyFile),
                    .pub_path = dir + "/" + std::string(kOwnerPubFile),
                    .public_key = {}};
  RETURN_IF_ERROR(MustNotExist(out.key_path));
  RETURN_IF_ERROR(MustNotExist(out.pub_path));
  ASSIGN_OR_RETURN(SecretBytes seed, crypto::RandomSecret(crypto::kEd25519SeedSize));
  ASSIGN_OR_RETURN(crypto::Ed25519PrivateKey key,
                   crypto::Ed25519PrivateKey::FromSeed(seed.RevealSecret()));
  out.public_key = key.PublicKey();
  const WipedString seed_hex(HexEncode(seed.RevealSecret()));
  RETURN_IF_ERROR(WriteNewFile(out.key_path, seed_hex.get(), 0600));
  Status pub = WriteNewFile(out.pub_path, HexEncode(out.public_key), 0644);
  if (!pub.ok()) {
    unlink(out.key_path.c_str());
    return pub;
  }
  return out;
}

StatusOr<crypto::Ed25519PrivateKey> ReadOwnerPrivateKey(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return NotFoundError("cannot open " + path);
  if ((st.st_mode & 077) != 0) {
    return FailedPreconditionError(path + " is accessible by group or others; chmod 600 it");
  }
  ASSIGN_OR_RETURN(std::string raw, ReadSmallFile(path, kMaxKeyFileSize));
  const WipedString text(std::move(raw));
  StatusOr<Bytes> decoded = HexDecode(Trim(text.get()));
  if (!decoded.ok() || decoded->size() != crypto::kEd25519SeedSize) {
    if (decoded.ok()) SecureWipe(decoded->data(), decoded->size());
    return InvalidArgumentError(path + " is not a 32-byte hex Ed25519 seed");
  }
  const SecretBytes seed{ByteSpan(*decoded)};
  SecureWipe(decoded->data(), decoded->size());
  return crypto::Ed25519PrivateKey::FromSeed(seed.RevealSecret());
}

StatusOr<Bytes> ParseOwnerPublicKey(std::string_view hex_text) {
  StatusOr<Bytes> key = HexDecode(Trim(hex_text));
  if (!key.ok() || key->size() != crypto::kEd25519PublicKeySize) {
    return InvalidArgumentError("owner public key must be 64 hex digits (32 bytes)");
  }
  return key;
}

StatusOr<Bytes> ReadOwnerPublicKey(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, kMaxKeyFileSize));
  return ParseOwnerPublicKey(text);
}

StatusOr<Bytes> OwnerPublicKeyFromArg(const std::string& arg) {
  if (!arg.empty() && arg[0] == '@') return ReadOwnerPublicKey(arg.substr(1));
  return ParseOwnerPublicKey(arg);
}

}  // namespace eml::policy

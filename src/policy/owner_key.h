// The policy owner's Ed25519 key files.
//
//   owner.key  the 32-byte seed as 64 lower-case hex digits and a newline,
//              mode 0600. Reading refuses a file that group or others may
//              access (like ssh does), so a leaked-permission key is noticed.
//   owner.pub  the 32-byte public key as 64 hex digits and a newline; this
//              is what clients pin (VerifySignedPolicy, PolicyStore).
//
// Key generation never overwrites an existing file. The seed passes through
// SecretBytes; the hex text is wiped after use.
//
// Thread-safety: pure functions over the file system.
#ifndef EML_POLICY_OWNER_KEY_H_
#define EML_POLICY_OWNER_KEY_H_

#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"
#include "crypto/ed25519.h"

namespace eml::policy {

inline constexpr std::string_view kOwnerKeyFile = "owner.key";
inline constexpr std::string_view kOwnerPubFile = "owner.pub";

struct OwnerKeyFiles {
  std::string key_path;
  std::string pub_path;
  Bytes public_key;  // 32 bytes
};

// Writes DIR/owner.key (0600) and DIR/owner.pub (0644). AlreadyExists if
// either file exists; NotFound if DIR does not.
StatusOr<OwnerKeyFiles> GenerateOwnerKeyFiles(const std::string& dir);

// FailedPrecondition if the file's mode lets group or others in.
StatusOr<crypto::Ed25519PrivateKey> ReadOwnerPrivateKey(const std::string& path);

// 64 hex digits (either case); surrounding whitespace is ignored.
StatusOr<Bytes> ParseOwnerPublicKey(std::string_view hex_text);
StatusOr<Bytes> ReadOwnerPublicKey(const std::string& path);
// A command-line argument: HEX, or @FILE holding HEX.
StatusOr<Bytes> OwnerPublicKeyFromArg(const std::string& arg);

}  // namespace eml::policy

#endif  // EML_POLICY_OWNER_KEY_H_

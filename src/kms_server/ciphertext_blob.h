// eml-kms's CiphertextBlob: a symmetric KMS key's ciphertext, version 1
// (docs/kms.md "CiphertextBlob format").
//
//   offset  size  field
//   0       4     magic "EKB1"
//   4       1     version = 1
//   5       1     key id length L (1..64)
//   6       L     key id (the key's UUID, ASCII)
//   6+L     12    AES-GCM nonce (random)
//   18+L    n+16  AES-256-GCM(key material) ciphertext || tag
//
// AAD = "eml-kms CiphertextBlob v1" || 0x00 || bytes[0 .. 18+L) ||
//       EncodeEncryptionContext(context)
// so the key id, the whole header and the encryption context are bound:
// a blob moved to another key, edited, or decrypted with another context
// fails authentication. The key id is readable without the key (Decrypt
// without KeyId finds the key from it, as AWS does).
//
// Limits: plaintext 1..4096 bytes, blob at most 6144 bytes (AWS's bound).
// Every parse or authentication failure is a Status without secret bytes;
// eml-kms answers all of them as InvalidCiphertextException.
//
// Thread-safety: pure functions.
#ifndef EML_KMS_SERVER_CIPHERTEXT_BLOB_H_
#define EML_KMS_SERVER_CIPHERTEXT_BLOB_H_

#include <map>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/secret.h"
#include "core/status.h"

namespace eml::kms_server {

inline constexpr char kBlobMagic[] = "EKB1";
inline constexpr uint8_t kBlobVersion = 1;
inline constexpr size_t kMaxBlobKeyIdSize = 64;
inline constexpr size_t kMaxBlobPlaintextSize = 4096;
inline constexpr size_t kMaxBlobSize = 6144;

using EncryptionContext = std::map<std::string, std::string>;

// u32be(count), then per pair in key order: u32be(len) key u32be(len) value.
Bytes EncodeEncryptionContext(const EncryptionContext& context);

// `key_material` is 32 bytes (AES-256).
StatusOr<Bytes> SealCiphertextBlob(std::string_view key_id, const SecretBytes& key_material,
                                   ByteSpan plaintext, const EncryptionContext& context);

// The key id in the header (structure checked, nothing authenticated yet).
StatusOr<std::string> CiphertextBlobKeyId(ByteSpan blob);

// Authenticates and decrypts; VerificationFailed for a wrong key, context or
// any modified byte, InvalidArgument for a malformed blob.
StatusOr<SecretBytes> OpenCiphertextBlob(ByteSpan blob, const SecretBytes& key_material,
                                         const EncryptionContext& context);

}  // namespace eml::kms_server

#endif  // EML_KMS_SERVER_CIPHERTEXT_BLOB_H_

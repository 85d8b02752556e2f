// CiphertextBlob v1 (ciphertext_blob.h).
#include "kms_server/ciphertext_blob.h"

#include <cstring>

#include "crypto/aead.h"
#include "crypto/random.h"

namespace eml::kms_server {
namespace {

constexpr std::string_view kAadLabel = "eml-kms CiphertextBlob v1";
constexpr size_t kMagicSize = 4;

struct ParsedBlob {
  std::string key_id;
  ByteSpan header;  // magic .. nonce
  ByteSpan nonce;
  ByteSpan sealed;  // ciphertext || tag
};

bool IsKeyIdChar(uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
         c == '_';
}

StatusOr<ParsedBlob> Parse(ByteSpan blob) {
  if (blob.size() > kMaxBlobSize) return InvalidArgumentError("blob: larger than 6144 bytes");
  ByteReader r(blob);
  ByteSpan magic;
  uint8_t version = 0, key_id_size = 0;
  RETURN_IF_ERROR(r.ReadSpan(kMagicSize, &magic));
  if (std::memcmp(magic.data(), kBlobMagic, kMagicSize) != 0) {
    return InvalidArgumentError("blob: not an eml-kms CiphertextBlob");
  }
  RETURN_IF_ERROR(r.ReadU8(&version));
  if (version != kBlobVersion) return InvalidArgumentError("blob: unknown version");
  RETURN_IF_ERROR(r.ReadU8(&key_id_size));
  if (key_id_size == 0 || key_id_size > kMaxBlobKeyIdSize) {
    return InvalidArgumentError("blob: bad key id length");
  }
  ParsedBlob out;
  ByteSpan key_id;
  RETURN_IF_ERROR(r.ReadSpan(key_id_size, &key_id));
  for (uint8_t c : key_id) {
    if (!IsKeyIdChar(c)) return InvalidArgumentError("blob: bad key id");
  }
  out.key_id = std::string(AsStringView(key_id));
  RETURN_IF_ERROR(r.ReadSpan(crypto::kAeadNonceSize, &out.nonce));
  out.header = blob.first(blob.size() - r.remaining());
  if (r.remaining() < crypto::kAeadTagSize + 1) return InvalidArgumentError("blob: truncated");
  out.sealed = r.rest();
  return out;
}

Bytes Aad(ByteSpan header, const EncryptionContext& context) {
  ByteWriter w;
  w.PutBytes(AsBytes(kAadLabel));
  w.PutU8(0);
  w.PutBytes(header);
  w.PutBytes(EncodeEncryptionContext(context));
  return w.Take();
}

}  // namespace

Bytes EncodeEncryptionContext(const EncryptionContext& context) {
  ByteWriter w;
  w.PutU32Be(static_cast<uint32_t>(context.size()));
  for (const auto& [k, v] : context) {  // std::map: sorted by key bytes
    w.PutU32Be(static_cast<uint32_t>(k.size()));
    w.PutBytes(AsBytes(k));
    w.PutU32Be(static_cast<uint32_t>(v.size()));
    w.PutBytes(AsBytes(v));
  }
  return w.Take();
}

StatusOr<Bytes> SealCiphertextBlob(std::string_view key_id, const SecretBytes& key_material,
                                   ByteSpan plaintext, const EncryptionContext& context) {
  if (plaintext.empty() || plaintext.size() > kMaxBlobPlaintextSize) {
    return InvalidArgumentError("blob: plaintext must be 1..4096 bytes");
  }
  if (key_id.empty() || key_id.size() > kMaxBlobKeyIdSize) {
    return InvalidArgumentError("blob: bad key id length");
  }
  for (char c : key_id) {
    if (!IsKeyIdChar(static_cast<uint8_t>(c))) return InvalidArgumentError("blob: bad key id");
  }
  ASSIGN_OR_RETURN(crypto::Aead aead, crypto::Aead::Create(crypto::AeadAlg::kAes256Gcm, key_material));
  Bytes nonce(crypto::kAeadNonceSize);
  RETURN_IF_ERROR(crypto::RandomBytes(nonce));
  ByteWriter header;
  header.PutBytes(AsBytes(std::string_view(kBlobMagic, kMagicSize)));
  header.PutU8(kBlobVersion);
  header.PutU8(static_cast<uint8_t>(key_id.size()));
  header.PutBytes(AsBytes(key_id));
  header.PutBytes(nonce);
  ASSIGN_OR_RETURN(Bytes sealed, aead.Seal(nonce, plaintext, Aad(header.bytes(), context)));
  Bytes out = header.Take();
  out.insert(out.end(), sealed.begin(), sealed.end());
  if (out.size() > kMaxBlobSize) return InvalidArgumentError("blob: larger than 6144 bytes");
  return out;
}

StatusOr<std::string> CiphertextBlobKeyId(ByteSpan blob) {
  ASSIGN_OR_RETURN(ParsedBlob parsed, Parse(blob));
  return parsed.key_id;
}

StatusOr<SecretBytes> OpenCiphertextBlob(ByteSpan blob, const SecretBytes& key_material,
                                         const EncryptionContext& context) {
  ASSIGN_OR_RETURN(ParsedBlob parsed, Parse(blob));
  ASSIGN_OR_RETURN(crypto::Aead aead, crypto::Aead::Create(crypto::AeadAlg::kAes256Gcm, key_material));
  StatusOr<Bytes> opened = aead.Open(parsed.nonce, parsed.sealed, Aad(parsed.header, context));
  if (!opened.ok()) return VerificationFailedError("blob: authentication failed");
  SecretBytes out(*opened);
  SecureWipe(opened->data(), opened->size());
  return out;
}

}  // namespace eml::kms_server

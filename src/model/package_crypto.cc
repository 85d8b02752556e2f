// Chunk key, nonce and AAD of the package format (docs/model-package.md
// "Chunk encryption"); shared by the writer and the reader.
#include <string>

#include "core/bytes.h"
#include "crypto/hash.h"
#include "model/package.h"

namespace eml::model {
namespace {

void PutLengthPrefixed(std::string_view s, ByteWriter* out) {
  out->PutU32Be(static_cast<uint32_t>(s.size()));
  out->PutBytes(AsBytes(s));
}

}  // namespace

StatusOr<SecretBytes> DeriveChunkKey(const SecretBytes& data_key) {
  if (data_key.size() != kDataKeySize) {
    return InvalidArgumentError("package: the data key must be " + std::to_string(kDataKeySize) +
                                " bytes");
  }
  return crypto::Hkdf(crypto::HashAlg::kSha256, ByteSpan(), data_key.RevealSecret(),
                      AsBytes(kChunkKeyInfo), kDataKeySize);
}

Bytes ChunkNonce(uint32_t file_index, uint64_t chunk_index) {
  ByteWriter w;
  w.PutU32Be(file_index);
  w.PutU64Be(chunk_index);
  return w.Take();
}

// Every field is bounded by the manifest limits (names <= 128 bytes), so the
// 32-bit length prefixes cannot truncate.
Bytes ChunkAad(std::string_view model_id, std::string_view model_version,
               std::string_view file_name, uint64_t chunk_index, bool last) {
  ByteWriter w;
  PutLengthPrefixed(kChunkAadDomain, &w);
  PutLengthPrefixed(model_id, &w);
  PutLengthPrefixed(model_version, &w);
  PutLengthPrefixed(file_name, &w);
  w.PutU64Be(chunk_index);
  w.PutU8(last ? 1 : 0);
  return w.Take();
}

}  // namespace eml::model

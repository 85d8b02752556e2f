// WritePackage: the model owner's side (docs/model-package.md).
#include <string>

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "model/package.h"

namespace eml::model {
namespace {

Status EncryptFile(const crypto::Aead& aead, const PackageManifest& m, uint32_t index,
                   ByteSpan contents, PackageSink& sink, uint64_t* done, uint64_t total,
                   const std::function<void(uint64_t, uint64_t)>& progress) {
  const PackageFileEntry& entry = m.files[index];
  RETURN_IF_ERROR(sink.Begin(FileObjectName(index)));
  for (uint64_t c = 0; c < entry.chunks; ++c) {
    const uint64_t offset = c * m.chunk_size;
    const size_t length = static_cast<size_t>(std::min<uint64_t>(m.chunk_size, entry.size - offset));
    const bool last = c + 1 == entry.chunks;
    ASSIGN_OR_RETURN(Bytes sealed,
                     aead.Seal(ChunkNonce(index, c), contents.subspan(offset, length),
                               ChunkAad(m.model_id, m.model_version, entry.name, c, last)));
    RETURN_IF_ERROR(sink.Append(sealed));
    *done += length;
    if (progress) progress(*done, total);
  }
  return sink.Finish();
}

}  // namespace

StatusOr<PackageResult> WritePackage(std::span<const PackageInput> files,
                                     const PackageParams& params, const DataKey& key,
                                     const crypto::Ed25519PrivateKey& owner_key,
                                     PackageSink& sink) {
  PackageManifest m;
  m.model_id = params.model_id;
  m.model_version = params.model_version;
  m.model_format = params.model_format;
  m.chunk_size = params.chunk_size;
  m.kms_key_id = key.key_id;
  m.wrapped_data_key = key.ciphertext_blob;
  m.encryption_context = PackageEncryptionContext(params.model_id, params.model_version);
  m.created = params.created;
  uint64_t total = 0;
  for (const PackageInput& f : files) {
    const uint64_t chunks = params.chunk_size == 0 ? 0 : ChunkCount(f.contents.size(), params.chunk_size);
    m.files.push_back({f.name, f.contents.size(), Bytes(32), chunks});
    total += f.contents.size();
  }
  // Every name, size and limit is checked before any key is used or any
  // object written (the hashes are still placeholders).
  RETURN_IF_ERROR(EncodeManifestPayload(m).status());
  ASSIGN_OR_RETURN(SecretBytes chunk_key, DeriveChunkKey(key.plaintext));
  ASSIGN_OR_RETURN(crypto::Aead aead, crypto::Aead::Create(crypto::AeadAlg::kAes256Gcm, chunk_key));
  uint64_t done = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    m.files[i].sha256 = crypto::Sha256(files[i].contents);
    RETURN_IF_ERROR(EncryptFile(aead, m, static_cast<uint32_t>(i), files[i].contents, sink, &done,
                                total, params.progress));
  }
  ASSIGN_OR_RETURN(Bytes payload, EncodeManifestPayload(m));
  ASSIGN_OR_RETURN(Bytes cose, SignManifestPayload(payload, owner_key));
  if (cose.size() > kMaxManifestSize) {
    return LimitExceededError("package: manifest.cose exceeds " + std::to_string(kMaxManifestSize) +
                              " bytes");
  }
  RETURN_IF_ERROR(sink.Begin(kManifestObject));
  RETURN_IF_ERROR(sink.Append(cose));
  RETURN_IF_ERROR(sink.Finish());
  return PackageResult{std::move(cose), PackageModelHash(payload)};
}

}  // namespace eml::model

// The enclave's model: loads a BERT sentence model from a directory, names
// it by a manifest hash, and serves embedding batches.
//
// model_hash = SHA-256 of the deterministic CBOR map {file name: SHA-256 of
// the file} over config.json, model.safetensors and vocab.txt
// (docs/protocol.md §5.4; model_hash_scheme "sha256-manifest").
//
// Thread-safety: Embed() may be called from many session threads; calls are
// serialised (the engine already uses every core for one batch).
#ifndef EML_ENCLAVE_MODEL_SERVICE_H_
#define EML_ENCLAVE_MODEL_SERVICE_H_

#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "core/bytes.h"
#include "core/status.h"
#include "engine/bert.h"
#include "protocol/messages.h"

namespace eml::enclave {

// The files covered by the manifest, in manifest order.
inline constexpr const char* kManifestFiles[] = {"config.json", "model.safetensors", "vocab.txt"};

struct ModelIdentity {
  std::string id;
  std::string version;
  Bytes manifest;  // deterministic CBOR
  Bytes hash;      // SHA-256(manifest)
};

// Hashes the manifest files of `model_dir`.
StatusOr<ModelIdentity> ComputeModelIdentity(const std::string& model_dir, std::string id,
                                             std::string version);

class ModelService {
 public:
  static StatusOr<std::unique_ptr<ModelService>> Load(const std::string& model_dir,
                                                      std::string id, std::string version,
                                                      const engine::EngineOptions& options);
  // A model already built in memory (an encrypted package, enclave/package_boot.h).
  static std::unique_ptr<ModelService> FromEmbedder(
      ModelIdentity identity, std::unique_ptr<engine::SentenceEmbedder> embedder) {
    return std::unique_ptr<ModelService>(new ModelService(std::move(identity), std::move(embedder)));
  }

  const ModelIdentity& identity() const { return identity_; }

  StatusOr<protocol::EmbedResponseBody> Embed(std::span<const std::string> texts) const;

 private:
  ModelService(ModelIdentity identity, std::unique_ptr<engine::SentenceEmbedder> embedder)
      : identity_(std::move(identity)), embedder_(std::move(embedder)) {}

  ModelIdentity identity_;
  std::unique_ptr<engine::SentenceEmbedder> embedder_;
  mutable std::mutex mu_;
};

}  // namespace eml::enclave

#endif  // EML_ENCLAVE_MODEL_SERVICE_H_

#include "enclave/model_service.h"

#include "cbor/encode.h"
#include "cbor/value.h"
#include "crypto/hash.h"
#include "model/mapped_file.h"

namespace eml::enclave {

StatusOr<ModelIdentity> ComputeModelIdentity(const std::string& model_dir, std::string id,
                                             std::string version) {
  cbor::MapEntries entries;
  for (const char* name : kManifestFiles) {
    ASSIGN_OR_RETURN(model::MappedFile file, model::MappedFile::Open(model_dir + "/" + name));
    entries.emplace_back(cbor::Value::Text(name),
                         cbor::Value::ByteString(crypto::Sha256(file.bytes())));
  }
  ModelIdentity identity{std::move(id), std::move(version), {}, {}};
  ASSIGN_OR_RETURN(identity.manifest, cbor::Encode(cbor::Value::FromMap(std::move(entries))));
  identity.hash = crypto::Sha256(identity.manifest);
  return identity;
}

StatusOr<std::unique_ptr<ModelService>> ModelService::Load(const std::string& model_dir,
                                                           std::string id, std::string version,
                                                           const engine::EngineOptions& options) {
  ASSIGN_OR_RETURN(ModelIdentity identity,
                   ComputeModelIdentity(model_dir, std::move(id), std::move(version)));
  ASSIGN_OR_RETURN(auto embedder, engine::SentenceEmbedder::Load(model_dir, options));
  return std::unique_ptr<ModelService>(new ModelService(std::move(identity), std::move(embedder)));
}

StatusOr<protocol::EmbedResponseBody> ModelService::Embed(
    std::span<const std::string> texts) const {
  std::vector<engine::Embedding> embeddings;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ASSIGN_OR_RETURN(embeddings, embedder_->Embed(texts));
  }
  protocol::EmbedResponseBody body;
  body.dims = static_cast<uint32_t>(embedder_->config().hidden_size);
  for (const engine::Embedding& e : embeddings) {
    body.vectors.insert(body.vectors.end(), e.values.begin(), e.values.end());
    body.token_counts.push_back(static_cast<uint32_t>(e.num_tokens));
  }
  return body;
}

}  // namespace eml::enclave

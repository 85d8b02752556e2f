#include "engine/bert_weights.h"

#include <cstdint>
#include <string>
#include <utility>

namespace eml::engine {
namespace {

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

class Binder {
 public:
  explicit Binder(BertWeights* weights) : weights_(weights) {
    // Checkpoints saved from BertModel have no prefix; from BertFor* they
    // have "bert.". Decide once, from the word embeddings.
    if (weights_->file->Find("embeddings.word_embeddings.weight") == nullptr &&
        weights_->file->Find("bert.embeddings.word_embeddings.weight") != nullptr) {
      prefix_ = "bert.";
    }
  }

  Status Bind(const std::string& name, std::vector<int64_t> shape, const float** out) {
    const model::TensorView* t = weights_->file->Find(prefix_ + name);
    if (t == nullptr) return NotFoundError("bert weights: missing tensor " + prefix_ + name);
    if (t->shape != shape) {
      return InvalidArgumentError("bert weights: tensor " + prefix_ + name + " has shape " +
                                  ShapeString(t->shape) + ", expected " + ShapeString(shape));
    }
    if (t->dtype == model::DType::kF32) {
      StatusOr<std::span<const float>> span = model::AsF32Span(*t);
      if (span.ok()) {
        *out = span->data();
        return OkStatus();
      }
      // Unaligned F32: fall through to a converted copy.
    }
    std::vector<float>& copy = weights_->owned.emplace_back(t->num_elements);
    RETURN_IF_ERROR(model::ConvertToF32(*t, copy));
    *out = copy.data();
    return OkStatus();
  }

  Status BindLinear(const std::string& name, int64_t out_features, int64_t in_features,
                    LinearWeights* out) {
    RETURN_IF_ERROR(Bind(name + ".weight", {out_features, in_features}, &out->weight));
    return Bind(name + ".bias", {out_features}, &out->bias);
  }

  Status BindNorm(const std::string& name, int64_t hidden, LayerNormWeights* out) {
    RETURN_IF_ERROR(Bind(name + ".weight", {hidden}, &out->gamma));
    return Bind(name + ".bias", {hidden}, &out->beta);
  }

 private:
  BertWeights* weights_;
  std::string prefix_;
};

Status BindLayer(Binder& binder, const BertConfig& config, int index, EncoderLayerWeights* out) {
  const int64_t h = config.hidden_size;
  const int64_t inter = config.intermediate_size;
  const std::string p = "encoder.layer." + std::to_string(index) + ".";
  RETURN_IF_ERROR(binder.BindLinear(p + "attention.self.query", h, h, &out->query));
  RETURN_IF_ERROR(binder.BindLinear(p + "attention.self.key", h, h, &out->key));
  RETURN_IF_ERROR(binder.BindLinear(p + "attention.self.value", h, h, &out->value));
  RETURN_IF_ERROR(binder.BindLinear(p + "attention.output.dense", h, h, &out->attention_output));
  RETURN_IF_ERROR(binder.BindNorm(p + "attention.output.LayerNorm", h, &out->attention_norm));
  RETURN_IF_ERROR(binder.BindLinear(p + "intermediate.dense", inter, h, &out->intermediate));
  RETURN_IF_ERROR(binder.BindLinear(p + "output.dense", h, inter, &out->output));
  return binder.BindNorm(p + "output.LayerNorm", h, &out->output_norm);
}

}  // namespace

StatusOr<BertWeights> BindBertWeights(std::unique_ptr<model::SafetensorsFile> file,
                                      const BertConfig& config) {
  if (file == nullptr) return InvalidArgumentError("bert weights: no file");
  BertWeights weights;
  weights.file = std::move(file);
  // Converted tensors are referenced by pointer: reserve so the vector of
  // buffers never reallocates (the inner buffers would survive a move, but
  // this keeps the invariant obvious). 16 tensors per layer + 6.
  weights.owned.reserve(16 * static_cast<size_t>(config.num_hidden_layers) + 6);
  Binder binder(&weights);
  const int64_t h = config.hidden_size;
  RETURN_IF_ERROR(binder.Bind("embeddings.word_embeddings.weight", {config.vocab_size, h},
                              &weights.word_embeddings));
  RETURN_IF_ERROR(binder.Bind("embeddings.position_embeddings.weight",
                              {config.max_position_embeddings, h}, &weights.position_embeddings));
  RETURN_IF_ERROR(binder.Bind("embeddings.token_type_embeddings.weight",
                              {config.type_vocab_size, h}, &weights.token_type_embeddings));
  RETURN_IF_ERROR(binder.BindNorm("embeddings.LayerNorm", h, &weights.embedding_norm));
  weights.layers.resize(config.num_hidden_layers);
  for (int i = 0; i < config.num_hidden_layers; ++i) {
    RETURN_IF_ERROR(BindLayer(binder, config, i, &weights.layers[i]));
  }
  return weights;
}

}  // namespace eml::engine

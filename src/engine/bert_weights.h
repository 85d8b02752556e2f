// BERT weights bound from a safetensors file: every tensor looked up by its
// Hugging Face name (with or without a "bert." prefix), checked for presence
// and exact shape, then exposed as plain f32 pointers.
//
// F32 tensors are used in place from the file mapping (no copy; the mapping
// must stay 4-byte aligned, which safetensors files written by the reference
// tools are). F16 / BF16 tensors, or F32 ones at an unaligned offset, are
// converted once into buffers owned here. The pooler is ignored.
//
// Lifetime: pointers borrow from `file` and `owned`; a BertWeights is
// move-only and immutable after BindBertWeights. Thread-safety: read-only.
#ifndef EML_ENGINE_BERT_WEIGHTS_H_
#define EML_ENGINE_BERT_WEIGHTS_H_

#include <memory>
#include <vector>

#include "core/status.h"
#include "engine/bert_config.h"
#include "model/safetensors.h"

namespace eml::engine {

struct LinearWeights {
  const float* weight = nullptr;  // f32 [out_features, in_features] (PyTorch layout)
  const float* bias = nullptr;    // f32 [out_features]
};

struct LayerNormWeights {
  const float* gamma = nullptr;  // f32 [hidden]
  const float* beta = nullptr;   // f32 [hidden]
};

struct EncoderLayerWeights {
  LinearWeights query, key, value;  // [hidden, hidden]
  LinearWeights attention_output;   // [hidden, hidden]
  LayerNormWeights attention_norm;
  LinearWeights intermediate;       // [intermediate, hidden]
  LinearWeights output;             // [hidden, intermediate]
  LayerNormWeights output_norm;
};

struct BertWeights {
  const float* word_embeddings = nullptr;        // f32 [vocab, hidden]
  const float* position_embeddings = nullptr;    // f32 [max_positions, hidden]
  const float* token_type_embeddings = nullptr;  // f32 [type_vocab, hidden]
  LayerNormWeights embedding_norm;
  std::vector<EncoderLayerWeights> layers;

  std::unique_ptr<model::SafetensorsFile> file;  // the mapping F32 tensors point into
  std::vector<std::vector<float>> owned;         // converted F16 / BF16 tensors
};

// Binds every tensor the config needs. Missing tensor: kNotFound naming it;
// wrong shape: kInvalidArgument naming it and both shapes.
StatusOr<BertWeights> BindBertWeights(std::unique_ptr<model::SafetensorsFile> file,
                                      const BertConfig& config);

}  // namespace eml::engine

#endif  // EML_ENGINE_BERT_WEIGHTS_H_

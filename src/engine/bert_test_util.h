// Test helpers for the BERT engine: small random BERT models written to a
// temporary directory (config.json, model.safetensors, vocab.txt and the
// sentence-transformers pooling files), with knobs to break them.
//
// Thread-safety: not shared; one call per test.
#ifndef EML_ENGINE_BERT_TEST_UTIL_H_
#define EML_ENGINE_BERT_TEST_UTIL_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/bert_config.h"
#include "model/safetensors.h"

namespace eml::engine::testing {

struct RandomModelOptions {
  BertConfig config;
  uint64_t seed = 1;
  float weight_scale = 0.08f;  // uniform in [-scale, scale]
  model::DType dtype = model::DType::kF32;
  std::string prefix;                    // e.g. "bert."
  std::string omit_tensor;               // name (without prefix) to leave out
  std::string misshape_tensor;           // name whose first dim is off by one
  Pooling pooling = Pooling::kMean;
  bool normalize = true;
  bool write_modules = true;             // modules.json + 1_Pooling/config.json
  int max_seq_length = 0;                // sentence_bert_config.json if > 0
};

// A config with the given sizes and layer_norm_eps 1e-12.
BertConfig MakeConfig(int vocab, int hidden, int layers, int heads, int intermediate,
                      int max_positions);
// all-MiniLM-L6-v2 shapes (vocab reduced to keep the test file small).
BertConfig MiniLmConfig(int vocab = 1000);

// config.json text for `config` (model_type bert, hidden_act gelu).
std::string ConfigJson(const BertConfig& config);

// A fresh empty directory under the system temp dir.
std::string MakeTempDir(const std::string& tag);

// Writes a complete random model into `dir`.
Status WriteRandomModel(const std::string& dir, const RandomModelOptions& options);

// Deterministic random token ids in [0, vocab).
std::vector<int32_t> RandomIds(size_t count, int vocab, uint64_t seed);

}  // namespace eml::engine::testing

#endif  // EML_ENGINE_BERT_TEST_UTIL_H_

// BERT model configuration: Hugging Face config.json and the
// sentence-transformers pooling modules, parsed and validated.
//
// Every size read here later sizes an allocation or a tensor shape check, so
// ParseBertConfig bounds each field (see kMax* below) before anything else
// uses it. Unsupported but well-formed models (another activation, relative
// position embeddings) are kUnsupported; malformed JSON or inconsistent sizes
// are kInvalidArgument.
//
// Thread-safety: plain values and pure functions.
#ifndef EML_ENGINE_BERT_CONFIG_H_
#define EML_ENGINE_BERT_CONFIG_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace eml::engine {

struct BertConfig {
  int vocab_size = 0;
  int hidden_size = 0;
  int num_hidden_layers = 0;
  int num_attention_heads = 0;
  int intermediate_size = 0;
  int max_position_embeddings = 0;
  int type_vocab_size = 0;
  float layer_norm_eps = 1e-12f;

  int head_dim() const { return hidden_size / num_attention_heads; }
};

// Bounds enforced by ParseBertConfig.
inline constexpr int kMaxLayers = 64;
inline constexpr int kMaxHidden = 8192;
inline constexpr int kMaxIntermediate = 4 * 8192;
inline constexpr int kMaxHeads = 256;
inline constexpr int kMaxVocab = 1 << 20;
inline constexpr int kMaxPositions = 8192;
inline constexpr int kMaxTypeVocab = 16;
// config.json, modules.json and the pooling/sentence configs are read whole.
inline constexpr size_t kMaxConfigFileSize = 1 << 20;

// Parses config.json. Requires model_type "bert" (or "BertModel" among
// "architectures"), hidden_act "gelu" (exact erf GELU; anything else is
// kUnsupported), position_embedding_type "absolute" if present, all sizes
// present, positive, bounded and hidden_size % num_attention_heads == 0.
// layer_norm_eps defaults to 1e-12 (the HF default) when absent.
StatusOr<BertConfig> ParseBertConfig(std::string_view config_json);

enum class Pooling { kMean, kCls };

struct PoolingConfig {
  Pooling pooling = Pooling::kMean;
  bool normalize = true;
};

// Reads <model_dir>/modules.json and the Pooling module's config.json.
// Defaults when modules.json is absent: mean pooling + L2 normalisation (what
// all-MiniLM-L6-v2 and most sentence-transformers models use). When
// modules.json is present, normalize is true iff it lists a
// sentence_transformers.models.Normalize module, and the Pooling module's
// config must select exactly one of mean / cls (max and mean_sqrt_len are
// kUnsupported). A Pooling module without a config.json means mean pooling.
StatusOr<PoolingConfig> LoadPoolingConfig(const std::string& model_dir);

// Parses the two JSON documents LoadPoolingConfig reads (exposed for tests).
// `pooling_config_json` may be empty when the Pooling module is absent.
StatusOr<PoolingConfig> ParsePoolingConfig(std::string_view modules_json,
                                           std::string_view pooling_config_json);

// max_seq_length from sentence_bert_config.json, or 0 if the file is absent.
StatusOr<int> LoadMaxSeqLength(const std::string& model_dir);

// The two text-level steps of the loaders above, for model files held in
// memory (SentenceEmbedder::LoadFromMemory):
// the Pooling module's folder named in modules.json ("1_Pooling" if none is
// named; InvalidArgument if it contains ".."), and max_seq_length from the
// text of sentence_bert_config.json (0 if the field is absent).
StatusOr<std::string> PoolingModuleDir(std::string_view modules_json);
StatusOr<int> ParseMaxSeqLength(std::string_view sentence_bert_config_json);

}  // namespace eml::engine

#endif  // EML_ENGINE_BERT_CONFIG_H_

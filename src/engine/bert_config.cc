#include "engine/bert_config.h"

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/file.h"

namespace eml::engine {
namespace {

using Json = nlohmann::json;

// Parses without exceptions; a discarded value means malformed JSON.
StatusOr<Json> ParseJsonObject(std::string_view text, std::string_view what) {
  Json json = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return InvalidArgumentError(std::string(what) + ": malformed JSON");
  if (!json.is_object()) return InvalidArgumentError(std::string(what) + ": not a JSON object");
  return json;
}

Status ReadInt(const Json& json, const char* field, int max, int* out) {
  auto it = json.find(field);
  if (it == json.end()) return InvalidArgumentError(std::string("bert config: missing ") + field);
  if (!it->is_number_integer()) {
    return InvalidArgumentError(std::string("bert config: ") + field + " is not an integer");
  }
  int64_t value = it->get<int64_t>();
  if (value <= 0) return InvalidArgumentError(std::string("bert config: ") + field + " must be > 0");
  if (value > max) {
    return LimitExceededError(std::string("bert config: ") + field + " exceeds limit " +
                              std::to_string(max));
  }
  *out = static_cast<int>(value);
  return OkStatus();
}

bool IsBert(const Json& json) {
  auto type = json.find("model_type");
  if (type != json.end() && type->is_string() && type->get<std::string>() == "bert") return true;
  auto archs = json.find("architectures");
  if (archs == json.end() || !archs->is_array()) return false;
  for (const Json& arch : *archs) {
    if (arch.is_string() && arch.get<std::string>() == "BertModel") return true;
  }
  return false;
}

Status CheckStringField(const Json& json, const char* field, const char* required) {
  auto it = json.find(field);
  if (it == json.end()) return OkStatus();
  if (!it->is_string()) {
    return InvalidArgumentError(std::string("bert config: ") + field + " is not a string");
  }
  if (it->get<std::string>() != required) {
    return UnsupportedError(std::string("bert config: ") + field + " must be \"" + required + "\"");
  }
  return OkStatus();
}

// Existence only, without opening: opening a FIFO would block. Whatever
// exists is then read with ReadSmallFile, which rejects non-regular files.
bool FileExists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

}  // namespace

StatusOr<BertConfig> ParseBertConfig(std::string_view config_json) {
  if (config_json.size() > kMaxConfigFileSize) return LimitExceededError("bert config: larger than 1 MiB");
  ASSIGN_OR_RETURN(Json json, ParseJsonObject(config_json, "bert config"));
  if (!IsBert(json)) return UnsupportedError("bert config: model_type is not \"bert\"");
  auto act = json.find("hidden_act");
  if (act == json.end()) return InvalidArgumentError("bert config: missing hidden_act");
  RETURN_IF_ERROR(CheckStringField(json, "hidden_act", "gelu"));
  RETURN_IF_ERROR(CheckStringField(json, "position_embedding_type", "absolute"));

  BertConfig config;
  RETURN_IF_ERROR(ReadInt(json, "vocab_size", kMaxVocab, &config.vocab_size));
  RETURN_IF_ERROR(ReadInt(json, "hidden_size", kMaxHidden, &config.hidden_size));
  RETURN_IF_ERROR(ReadInt(json, "num_hidden_layers", kMaxLayers, &config.num_hidden_layers));
  RETURN_IF_ERROR(ReadInt(json, "num_attention_heads", kMaxHeads, &config.num_attention_heads));
  RETURN_IF_ERROR(ReadInt(json, "intermediate_size", kMaxIntermediate, &config.intermediate_size));
  RETURN_IF_ERROR(
      ReadInt(json, "max_position_embeddings", kMaxPositions, &config.max_position_embeddings));
  RETURN_IF_ERROR(ReadInt(json, "type_vocab_size", kMaxTypeVocab, &config.type_vocab_size));
  if (config.hidden_size % config.num_attention_heads != 0) {
    return InvalidArgumentError("bert config: hidden_size is not a multiple of num_attention_heads");
  }
  auto eps = json.find("layer_norm_eps");
  if (eps != json.end()) {
    if (!eps->is_number()) return InvalidArgumentError("bert config: layer_norm_eps is not a number");
    double value = eps->get<double>();
    // Checked after narrowing: a tiny double becomes 0.0f, and LayerNorm of
    // a constant row would then divide by zero.
    if (!(value > 0.0 && value < 1.0) || !(static_cast<float>(value) > 0.0f)) {
      return InvalidArgumentError("bert config: layer_norm_eps must be in (0, 1)");
    }
    config.layer_norm_eps = static_cast<float>(value);
  }
  return config;
}

StatusOr<PoolingConfig> ParsePoolingConfig(std::string_view modules_json,
                                           std::string_view pooling_config_json) {
  Json modules = Json::parse(modules_json.begin(), modules_json.end(), nullptr, false);
  if (modules.is_discarded() || !modules.is_array()) {
    return InvalidArgumentError("modules.json: not a JSON array");
  }
  PoolingConfig config;
  config.normalize = false;
  bool has_pooling = false;
  for (const Json& module : modules) {
    auto type = module.is_object() ? module.find("type") : module.end();
    if (!module.is_object() || type == module.end() || !type->is_string()) {
      return InvalidArgumentError("modules.json: module without a string \"type\"");
    }
    const std::string name = type->get<std::string>();
    if (name == "sentence_transformers.models.Normalize") config.normalize = true;
    if (name == "sentence_transformers.models.Pooling") has_pooling = true;
  }
  if (!has_pooling || pooling_config_json.empty()) return config;  // mean pooling

  ASSIGN_OR_RETURN(Json pooling, ParseJsonObject(pooling_config_json, "pooling config"));
  auto flag = [&](const char* field) {
    auto it = pooling.find(field);
    return it != pooling.end() && it->is_boolean() && it->get<bool>();
  };
  if (flag("pooling_mode_max_tokens") || flag("pooling_mode_mean_sqrt_len_tokens") ||
      flag("pooling_mode_weightedmean_tokens") || flag("pooling_mode_lasttoken")) {
    return UnsupportedError("pooling config: only mean or cls pooling is supported");
  }
  const bool mean = flag("pooling_mode_mean_tokens");
  const bool cls = flag("pooling_mode_cls_token");
  if (mean == cls) {
    return InvalidArgumentError("pooling config: exactly one of mean / cls pooling must be set");
  }
  config.pooling = cls ? Pooling::kCls : Pooling::kMean;
  return config;
}

StatusOr<std::string> PoolingModuleDir(std::string_view modules_json) {
  // The Pooling module's folder is named by its "path" (conventionally
  // 1_Pooling); look it up rather than assuming.
  Json parsed = Json::parse(modules_json.begin(), modules_json.end(), nullptr, false);
  std::string pooling_dir = "1_Pooling";
  if (parsed.is_array()) {
    for (const Json& module : parsed) {
      // No value("type", ""): it throws on a non-string; ParsePoolingConfig
      // rejects such a module with a Status.
      if (module.is_object() && module.contains("type") && module["type"].is_string() &&
          module["type"].get<std::string>() == "sentence_transformers.models.Pooling" &&
          module.contains("path") && module["path"].is_string()) {
        pooling_dir = module["path"].get<std::string>();
      }
    }
  }
  if (pooling_dir.find("..") != std::string::npos) {
    return InvalidArgumentError("modules.json: pooling path escapes the model directory");
  }
  return pooling_dir;
}

StatusOr<PoolingConfig> LoadPoolingConfig(const std::string& model_dir) {
  const std::string modules_path = model_dir + "/modules.json";
  if (!FileExists(modules_path)) return PoolingConfig{};
  ASSIGN_OR_RETURN(std::string modules, ReadSmallFile(modules_path, kMaxConfigFileSize));
  ASSIGN_OR_RETURN(const std::string pooling_dir, PoolingModuleDir(modules));
  std::string pooling_json;
  const std::string pooling_path = model_dir + "/" + pooling_dir + "/config.json";
  if (FileExists(pooling_path)) {
    ASSIGN_OR_RETURN(pooling_json, ReadSmallFile(pooling_path, kMaxConfigFileSize));
  }
  return ParsePoolingConfig(modules, pooling_json);
}

StatusOr<int> ParseMaxSeqLength(std::string_view sentence_bert_config_json) {
  ASSIGN_OR_RETURN(Json json, ParseJsonObject(sentence_bert_config_json, "sentence_bert_config.json"));
  auto it = json.find("max_seq_length");
  if (it == json.end()) return 0;
  if (!it->is_number_integer() || it->get<int64_t>() <= 0 || it->get<int64_t>() > kMaxPositions) {
    return InvalidArgumentError("sentence_bert_config.json: max_seq_length out of range");
  }
  return static_cast<int>(it->get<int64_t>());
}

StatusOr<int> LoadMaxSeqLength(const std::string& model_dir) {
  const std::string path = model_dir + "/sentence_bert_config.json";
  if (!FileExists(path)) return 0;
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, kMaxConfigFileSize));
  return ParseMaxSeqLength(text);
}

}  // namespace eml::engine

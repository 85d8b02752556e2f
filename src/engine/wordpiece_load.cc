// Loading a WordPiece tokenizer from Hugging Face files: tokenizer.json, or
// vocab.txt with tokenizer_config.json. Files are bounded in size and every
// field used is type-checked; unsupported pipelines are rejected rather than
// approximated.
#include <exception>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/file.h"

#include "engine/wordpiece.h"

namespace eml::engine {
namespace {

using nlohmann::json;

constexpr size_t kMaxTokenizerFileSize = 64u << 20;

// `what` names the file in messages (a path, or the file's name in memory).
StatusOr<json> ParseJson(std::string_view text, std::string_view what) {
  if (text.size() > kMaxTokenizerFileSize) {
    return LimitExceededError("tokenizer: " + std::string(what) + " exceeds " +
                              std::to_string(kMaxTokenizerFileSize) + " bytes");
  }
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgumentError("tokenizer: not a JSON object: " + std::string(what));
  }
  return j;
}

Status Bad(std::string_view what) {
  return InvalidArgumentError("tokenizer: " + std::string(what));
}

// A bool field that may be absent (keeps *out) or must be a bool.
Status ReadBool(const json& obj, const char* key, bool* out) {
  if (!obj.contains(key)) return OkStatus();
  if (!obj[key].is_boolean()) return Bad(std::string(key) + " is not a boolean");
  *out = obj[key].get<bool>();
  return OkStatus();
}

// strip_accents: null (follow lowercase) or a bool.
Status ReadStripAccents(const json& obj, NormalizerOptions* options) {
  options->strip_accents = options->lowercase;
  if (!obj.contains("strip_accents") || obj["strip_accents"].is_null()) return OkStatus();
  return ReadBool(obj, "strip_accents", &options->strip_accents);
}

// A token in tokenizer_config.json: "[CLS]" or {"content": "[CLS]", ...}.
Status ReadTokenName(const json& obj, const char* key, std::string* out) {
  if (!obj.contains(key) || obj[key].is_null()) return OkStatus();
  const json& v = obj[key];
  if (v.is_string()) {
    *out = v.get<std::string>();
  } else if (v.is_object() && v.contains("content") && v["content"].is_string()) {
    *out = v["content"].get<std::string>();
  } else {
    return Bad(std::string(key) + " is not a token string");
  }
  return OkStatus();
}

// model.vocab {token: id} with ids exactly 0..n-1.
StatusOr<std::vector<std::string>> VocabFromJson(const json& vocab) {
  if (!vocab.is_object() || vocab.empty()) return Bad("model.vocab is not a non-empty object");
  std::vector<std::string> tokens(vocab.size());
  std::vector<bool> seen(vocab.size(), false);
  for (const auto& [token, id] : vocab.items()) {
    if (!id.is_number_unsigned() || id.get<uint64_t>() >= tokens.size()) {
      return Bad("model.vocab ids are not 0..n-1");
    }
    size_t i = static_cast<size_t>(id.get<uint64_t>());
    if (seen[i]) return AlreadyExistsError("tokenizer: model.vocab repeats an id");
    seen[i] = true;
    tokens[i] = token;
  }
  return tokens;
}

Status ReadNormalizer(const json& n, NormalizerOptions* options) {
  if (!n.is_object() || n.value("type", "") != "BertNormalizer") {
    return UnsupportedError("tokenizer: only BertNormalizer is supported");
  }
  RETURN_IF_ERROR(ReadBool(n, "clean_text", &options->clean_text));
  RETURN_IF_ERROR(ReadBool(n, "handle_chinese_chars", &options->handle_chinese_chars));
  RETURN_IF_ERROR(ReadBool(n, "lowercase", &options->lowercase));
  return ReadStripAccents(n, options);
}

// TemplateProcessing single = [SpecialToken, Sequence A, SpecialToken].
Status ReadPostProcessor(const json& p, std::string* cls, std::string* sep) {
  if (!p.is_object()) return UnsupportedError("tokenizer: post_processor missing");
  std::string type = p.value("type", "");
  if (type == "BertProcessing") {
    const json& c = p.value("cls", json());
    const json& s = p.value("sep", json());
    if (!c.is_array() || c.empty() || !c[0].is_string() || !s.is_array() || s.empty() ||
        !s[0].is_string()) {
      return Bad("BertProcessing cls/sep malformed");
    }
    *cls = c[0].get<std::string>();
    *sep = s[0].get<std::string>();
    return OkStatus();
  }
  if (type != "TemplateProcessing") {
    return UnsupportedError("tokenizer: unsupported post_processor");
  }
  const json& single = p.value("single", json());
  if (!single.is_array() || single.size() != 3 || !single[0].contains("SpecialToken") ||
      !single[1].contains("Sequence") || !single[2].contains("SpecialToken")) {
    return UnsupportedError("tokenizer: template must be [CLS] $A [SEP]");
  }
  const json& first = single[0]["SpecialToken"];
  const json& last = single[2]["SpecialToken"];
  if (!first.contains("id") || !first["id"].is_string() || !last.contains("id") ||
      !last["id"].is_string()) {
    return Bad("TemplateProcessing special token id malformed");
  }
  *cls = first["id"].get<std::string>();
  *sep = last["id"].get<std::string>();
  return OkStatus();
}

std::vector<std::string> SplitVocabLines(std::string_view text) {
  std::vector<std::string> tokens;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    tokens.emplace_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return tokens;
}

}  // namespace

StatusOr<WordPieceTokenizer> WordPieceTokenizer::FromTokenizerJsonText(std::string_view text,
                                                                    std::string_view what) {
  try {
    ASSIGN_OR_RETURN(json j, ParseJson(text, what));
    const json& model = j.value("model", json());
    if (!model.is_object() || model.value("type", "") != "WordPiece") {
      return UnsupportedError("tokenizer: model.type is not WordPiece");
    }
    WordPieceTokenizer t;
    ASSIGN_OR_RETURN(std::vector<std::string> tokens, VocabFromJson(model.value("vocab", json())));
    RETURN_IF_ERROR(t.SetVocab(std::move(tokens)));
    t.unk_token_ = model.value("unk_token", t.unk_token_);
    t.continuing_prefix_ = model.value("continuing_subword_prefix", t.continuing_prefix_);
    if (model.contains("max_input_chars_per_word")) {
      const json& max_chars = model["max_input_chars_per_word"];
      if (!max_chars.is_number_unsigned()) {
        return Bad("max_input_chars_per_word is not a non-negative integer");
      }
      t.limits_.max_chars_per_word = max_chars.get<size_t>();
    }
    RETURN_IF_ERROR(ReadNormalizer(j.value("normalizer", json()), &t.normalizer_));
    const json& pre = j.value("pre_tokenizer", json());
    if (!pre.is_object() || pre.value("type", "") != "BertPreTokenizer") {
      return UnsupportedError("tokenizer: only BertPreTokenizer is supported");
    }
    RETURN_IF_ERROR(ReadPostProcessor(j.value("post_processor", json()), &t.cls_token_,
                                      &t.sep_token_));
    const json& padding = j.value("padding", json());
    if (padding.is_object()) t.pad_token_ = padding.value("pad_token", t.pad_token_);
    RETURN_IF_ERROR(t.ResolveSpecialTokens());
    return t;
  } catch (const std::exception&) {  // nlohmann type_error from value() on a wrong type
    return InvalidArgumentError("tokenizer: malformed tokenizer.json: " + std::string(what));
  }
}

StatusOr<WordPieceTokenizer> WordPieceTokenizer::FromTokenizerJson(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, kMaxTokenizerFileSize));
  return FromTokenizerJsonText(text, path);
}

StatusOr<WordPieceTokenizer> WordPieceTokenizer::FromVocabTxtText(
    std::string_view vocab_text, std::string_view tokenizer_config_json) {
  if (vocab_text.size() > kMaxTokenizerFileSize) {
    return LimitExceededError("tokenizer: vocab.txt exceeds " +
                              std::to_string(kMaxTokenizerFileSize) + " bytes");
  }
  WordPieceTokenizer t;
  RETURN_IF_ERROR(t.SetVocab(SplitVocabLines(vocab_text)));
  if (!tokenizer_config_json.empty()) {
    try {
      ASSIGN_OR_RETURN(json c, ParseJson(tokenizer_config_json, "tokenizer_config.json"));
      RETURN_IF_ERROR(ReadBool(c, "do_lower_case", &t.normalizer_.lowercase));
      RETURN_IF_ERROR(ReadStripAccents(c, &t.normalizer_));
      RETURN_IF_ERROR(
          ReadBool(c, "tokenize_chinese_chars", &t.normalizer_.handle_chinese_chars));
      RETURN_IF_ERROR(ReadTokenName(c, "unk_token", &t.unk_token_));
      RETURN_IF_ERROR(ReadTokenName(c, "cls_token", &t.cls_token_));
      RETURN_IF_ERROR(ReadTokenName(c, "sep_token", &t.sep_token_));
      RETURN_IF_ERROR(ReadTokenName(c, "pad_token", &t.pad_token_));
    } catch (const std::exception&) {
      return InvalidArgumentError("tokenizer: malformed tokenizer_config.json");
    }
  }
  RETURN_IF_ERROR(t.ResolveSpecialTokens());
  return t;
}

StatusOr<WordPieceTokenizer> WordPieceTokenizer::FromVocabTxt(
    const std::string& vocab_path, const std::string& tokenizer_config_path) {
  ASSIGN_OR_RETURN(std::string vocab, ReadSmallFile(vocab_path, kMaxTokenizerFileSize));
  std::string config;
  if (!tokenizer_config_path.empty()) {
    ASSIGN_OR_RETURN(config, ReadSmallFile(tokenizer_config_path, kMaxTokenizerFileSize));
    // An empty file is not a JSON object (FromVocabTxtText would skip it).
    if (config.empty()) {
      return InvalidArgumentError("tokenizer: not a JSON object: " + tokenizer_config_path);
    }
  }
  return FromVocabTxtText(vocab, config);
}

StatusOr<WordPieceTokenizer> WordPieceTokenizer::FromModelDir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path json_path = fs::path(dir) / "tokenizer.json";
  if (fs::exists(json_path, ec)) return FromTokenizerJson(json_path.string());
  fs::path config_path = fs::path(dir) / "tokenizer_config.json";
  return FromVocabTxt((fs::path(dir) / "vocab.txt").string(),
                      fs::exists(config_path, ec) ? config_path.string() : std::string());
}

}  // namespace eml::engine

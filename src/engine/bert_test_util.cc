#include "engine/bert_test_util.h"

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

namespace eml::engine::testing {
namespace {

Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  return out.good() ? OkStatus() : IoError("cannot write " + path);
}

uint16_t F32ToF16Bits(float f) {
  // Round-to-nearest conversion for the small, normal values used here.
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000;
  const int exp = static_cast<int>((x >> 23) & 0xff) - 127 + 15;
  uint32_t mant = x & 0x7fffff;
  if (exp <= 0) return static_cast<uint16_t>(sign);  // flush tiny values to zero
  uint32_t bits = sign | (static_cast<uint32_t>(exp) << 10) | (mant >> 13);
  if ((mant & 0x1fff) > 0x1000 || ((mant & 0x1fff) == 0x1000 && (bits & 1))) ++bits;
  return static_cast<uint16_t>(bits);
}

uint16_t F32ToBF16Bits(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  return static_cast<uint16_t>((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}

struct Tensor {
  std::string name;
  std::vector<int64_t> shape;
  Bytes data;
};

}  // namespace

BertConfig MakeConfig(int vocab, int hidden, int layers, int heads, int intermediate,
                      int max_positions) {
  BertConfig c;
  c.vocab_size = vocab;
  c.hidden_size = hidden;
  c.num_hidden_layers = layers;
  c.num_attention_heads = heads;
  c.intermediate_size = intermediate;
  c.max_position_embeddings = max_positions;
  c.type_vocab_size = 2;
  c.layer_norm_eps = 1e-12f;
  return c;
}

BertConfig MiniLmConfig(int vocab) { return MakeConfig(vocab, 384, 6, 12, 1536, 512); }

std::string ConfigJson(const BertConfig& c) {
  nlohmann::json j = {{"architectures", {"BertModel"}},
                      {"model_type", "bert"},
                      {"hidden_act", "gelu"},
                      {"vocab_size", c.vocab_size},
                      {"hidden_size", c.hidden_size},
                      {"num_hidden_layers", c.num_hidden_layers},
                      {"num_attention_heads", c.num_attention_heads},
                      {"intermediate_size", c.intermediate_size},
                      {"max_position_embeddings", c.max_position_embeddings},
                      {"type_vocab_size", c.type_vocab_size},
                      {"layer_norm_eps", c.layer_norm_eps},
                      {"position_embedding_type", "absolute"}};
  return j.dump(2);
}

std::string MakeTempDir(const std::string& tag) {
  std::string pattern = (std::filesystem::temp_directory_path() / ("eml_bert_" + tag + "_XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) return "";
  return pattern;
}

std::vector<int32_t> RandomIds(size_t count, int vocab, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int32_t> ids(count);
  for (int32_t& id : ids) id = static_cast<int32_t>(rng() % static_cast<uint64_t>(vocab));
  return ids;
}

Status WriteRandomModel(const std::string& dir, const RandomModelOptions& o) {
  const BertConfig& c = o.config;
  const int64_t h = c.hidden_size;
  const int64_t inter = c.intermediate_size;
  std::vector<std::pair<std::string, std::vector<int64_t>>> specs = {
      {"embeddings.word_embeddings.weight", {c.vocab_size, h}},
      {"embeddings.position_embeddings.weight", {c.max_position_embeddings, h}},
      {"embeddings.token_type_embeddings.weight", {c.type_vocab_size, h}},
      {"embeddings.LayerNorm.weight", {h}},
      {"embeddings.LayerNorm.bias", {h}},
      {"pooler.dense.weight", {h, h}},
      {"pooler.dense.bias", {h}}};
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    for (const char* qkv : {"query", "key", "value"}) {
      specs.push_back({p + "attention.self." + qkv + ".weight", {h, h}});
      specs.push_back({p + "attention.self." + qkv + ".bias", {h}});
    }
    specs.push_back({p + "attention.output.dense.weight", {h, h}});
    specs.push_back({p + "attention.output.dense.bias", {h}});
    specs.push_back({p + "attention.output.LayerNorm.weight", {h}});
    specs.push_back({p + "attention.output.LayerNorm.bias", {h}});
    specs.push_back({p + "intermediate.dense.weight", {inter, h}});
    specs.push_back({p + "intermediate.dense.bias", {inter}});
    specs.push_back({p + "output.dense.weight", {h, inter}});
    specs.push_back({p + "output.dense.bias", {h}});
    specs.push_back({p + "output.LayerNorm.weight", {h}});
    specs.push_back({p + "output.LayerNorm.bias", {h}});
  }
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<float> uniform(-o.weight_scale, o.weight_scale);
  std::vector<Tensor> tensors;
  for (auto& [name, shape] : specs) {
    if (name == o.omit_tensor) continue;
    if (name == o.misshape_tensor) shape[0] += 1;
    size_t count = 1;
    for (int64_t d : shape) count *= static_cast<size_t>(d);
    const bool is_gamma = name.find("LayerNorm.weight") != std::string::npos;
    Tensor t{o.prefix + name, shape, {}};
    const size_t elem = o.dtype == model::DType::kF32 ? 4 : 2;
    t.data.resize(count * elem);
    for (size_t i = 0; i < count; ++i) {
      const float v = is_gamma ? 1.0f + uniform(rng) : uniform(rng);
      if (o.dtype == model::DType::kF32) {
        std::memcpy(&t.data[i * 4], &v, 4);
      } else {
        const uint16_t bits = o.dtype == model::DType::kF16 ? F32ToF16Bits(v) : F32ToBF16Bits(v);
        std::memcpy(&t.data[i * 2], &bits, 2);
      }
    }
    tensors.push_back(std::move(t));
  }
  std::vector<model::TensorToWrite> to_write;
  for (const Tensor& t : tensors) to_write.push_back({t.name, o.dtype, t.shape, t.data});
  RETURN_IF_ERROR(model::WriteSafetensors(dir + "/model.safetensors", to_write));
  RETURN_IF_ERROR(WriteText(dir + "/config.json", ConfigJson(c)));

  std::string vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
  for (int i = 5; i < c.vocab_size; ++i) vocab += "w" + std::to_string(i) + "\n";
  RETURN_IF_ERROR(WriteText(dir + "/vocab.txt", vocab));
  if (o.write_modules) {
    nlohmann::json modules = nlohmann::json::array(
        {{{"idx", 0}, {"name", "0"}, {"path", ""}, {"type", "sentence_transformers.models.Transformer"}},
         {{"idx", 1}, {"name", "1"}, {"path", "1_Pooling"}, {"type", "sentence_transformers.models.Pooling"}}});
    if (o.normalize) {
      modules.push_back({{"idx", 2}, {"name", "2"}, {"path", "2_Normalize"},
                         {"type", "sentence_transformers.models.Normalize"}});
    }
    RETURN_IF_ERROR(WriteText(dir + "/modules.json", modules.dump(2)));
    std::filesystem::create_directories(dir + "/1_Pooling");
    nlohmann::json pooling = {{"word_embedding_dimension", c.hidden_size},
                              {"pooling_mode_cls_token", o.pooling == Pooling::kCls},
                              {"pooling_mode_mean_tokens", o.pooling == Pooling::kMean},
                              {"pooling_mode_max_tokens", false},
                              {"pooling_mode_mean_sqrt_len_tokens", false}};
    RETURN_IF_ERROR(WriteText(dir + "/1_Pooling/config.json", pooling.dump(2)));
  }
  if (o.max_seq_length > 0) {
    nlohmann::json sb = {{"max_seq_length", o.max_seq_length}, {"do_lower_case", false}};
    RETURN_IF_ERROR(WriteText(dir + "/sentence_bert_config.json", sb.dump()));
  }
  return OkStatus();
}

}  // namespace eml::engine::testing

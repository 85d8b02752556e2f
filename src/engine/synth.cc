#include "engine/synth.h"

#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string_view>
#include <system_error>

#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "model/safetensors.h"

namespace eml::engine {
namespace {

namespace fs = std::filesystem;

// splitmix64: expands one 64-bit seed into well-mixed state words.
uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// xoshiro256** (Blackman & Vigna): small, fast, fully specified.
class Xoshiro256 {
 public:
  explicit Xoshiro256(uint64_t seed) {
    for (uint64_t& word : s_) word = SplitMix64(&seed);
  }
  uint64_t Next() {
    const uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = std::rotl(s_[3], 45);
    return result;
  }
  // 24 uniformly distributed bits in [0, 2^24).
  int64_t Next24() { return static_cast<int64_t>(Next() >> 40); }

 private:
  uint64_t s_[4];
};

constexpr double kTwo24 = 16777216.0;
constexpr double kTwo23 = 8388608.0;
constexpr double kSqrt3 = 1.7320508075688772;

// FNV-1a over the tensor name: every tensor gets its own stream, so adding a
// tensor never changes the bytes of another.
uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

enum class Init { kNormal, kUniform };

struct TensorSpec {
  std::string name;
  std::vector<int64_t> shape;
  Init init;
  double center;  // mean (normal) or midpoint (uniform)
  double scale;   // standard deviation (normal) or half-width (uniform)
};

// Irwin-Hall(4) has variance 4/12, so sum - 2*2^24 scaled by
// sqrt(3)/2^24 has unit variance; tails are bounded at +-2*sqrt(3).
float SampleNormal(Xoshiro256* rng, double center, double sigma) {
  const int64_t sum = rng->Next24() + rng->Next24() + rng->Next24() + rng->Next24() -
                      2 * static_cast<int64_t>(kTwo24);
  // Separate statements: no compiler may fuse the multiply and add.
  const double scaled = static_cast<double>(sum) * (sigma * kSqrt3 / kTwo24);
  return static_cast<float>(center + scaled);
}

float SampleUniform(Xoshiro256* rng, double center, double half_width) {
  const int64_t u = rng->Next24() - static_cast<int64_t>(kTwo23);
  const double scaled = static_cast<double>(u) * (half_width / kTwo23);
  return static_cast<float>(center + scaled);
}

// Little-endian IEEE-754 bytes, independent of host byte order.
Bytes GenerateTensor(const TensorSpec& spec, uint64_t seed) {
  size_t count = 1;
  for (int64_t d : spec.shape) count *= static_cast<size_t>(d);
  Xoshiro256 rng(seed ^ Fnv1a(spec.name));
  Bytes out(count * 4);
  for (size_t i = 0; i < count; ++i) {
    const float v = spec.init == Init::kNormal ? SampleNormal(&rng, spec.center, spec.scale)
                                               : SampleUniform(&rng, spec.center, spec.scale);
    const uint32_t bits = std::bit_cast<uint32_t>(v);
    for (int b = 0; b < 4; ++b) out[i * 4 + b] = static_cast<uint8_t>(bits >> (8 * b));
  }
  return out;
}

void AddLinear(const std::string& prefix, int64_t out_dim, int64_t in_dim,
               std::vector<TensorSpec>* specs) {
  specs->push_back({prefix + ".weight", {out_dim, in_dim}, Init::kNormal, 0.0, 0.02});
  specs->push_back({prefix + ".bias", {out_dim}, Init::kUniform, 0.0, 0.02});
}

void AddLayerNorm(const std::string& prefix, int64_t dim, std::vector<TensorSpec>* specs) {
  specs->push_back({prefix + ".weight", {dim}, Init::kUniform, 1.0, 0.05});
  specs->push_back({prefix + ".bias", {dim}, Init::kUniform, 0.0, 0.02});
}

// The tensor list of sentence-transformers/all-MiniLM-L6-v2 (BertModel).
std::vector<TensorSpec> BertTensorSpecs(const BertConfig& p) {
  const int64_t h = p.hidden_size;
  std::vector<TensorSpec> specs;
  specs.push_back({"embeddings.word_embeddings.weight", {p.vocab_size, h}, Init::kNormal, 0.0, 0.05});
  specs.push_back({"embeddings.position_embeddings.weight", {p.max_position_embeddings, h},
                   Init::kNormal, 0.0, 0.02});
  specs.push_back({"embeddings.token_type_embeddings.weight", {p.type_vocab_size, h},
                   Init::kNormal, 0.0, 0.02});
  AddLayerNorm("embeddings.LayerNorm", h, &specs);
  for (int layer = 0; layer < p.num_hidden_layers; ++layer) {
    const std::string l = "encoder.layer." + std::to_string(layer);
    AddLinear(l + ".attention.self.query", h, h, &specs);
    AddLinear(l + ".attention.self.key", h, h, &specs);
    AddLinear(l + ".attention.self.value", h, h, &specs);
    AddLinear(l + ".attention.output.dense", h, h, &specs);
    AddLayerNorm(l + ".attention.output.LayerNorm", h, &specs);
    AddLinear(l + ".intermediate.dense", p.intermediate_size, h, &specs);
    AddLinear(l + ".output.dense", h, p.intermediate_size, &specs);
    AddLayerNorm(l + ".output.LayerNorm", h, &specs);
  }
  AddLinear("pooler.dense", h, h, &specs);
  return specs;
}

Status WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return IoError("synth: cannot create " + path.string());
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) return IoError("synth: cannot write " + path.string());
  return OkStatus();
}

Status WriteJson(const fs::path& path, const nlohmann::ordered_json& json) {
  return WriteText(path, json.dump(2) + "\n");
}

Status WriteConfigs(const SynthPreset& preset, const fs::path& dir) {
  const BertConfig& p = preset.config;
  nlohmann::ordered_json config = {
      {"architectures", {"BertModel"}},
      {"attention_probs_dropout_prob", 0.1},
      {"hidden_act", "gelu"},
      {"hidden_dropout_prob", 0.1},
      {"hidden_size", p.hidden_size},
      {"initializer_range", 0.02},
      {"intermediate_size", p.intermediate_size},
      {"layer_norm_eps", 1e-12},
      {"max_position_embeddings", p.max_position_embeddings},
      {"model_type", "bert"},
      {"num_attention_heads", p.num_attention_heads},
      {"num_hidden_layers", p.num_hidden_layers},
      {"pad_token_id", 0},
      {"position_embedding_type", "absolute"},
      {"type_vocab_size", p.type_vocab_size},
      {"vocab_size", p.vocab_size},
      {"eml_synthetic_preset", preset.name}};
  RETURN_IF_ERROR(WriteJson(dir / "config.json", config));

  nlohmann::ordered_json modules = nlohmann::ordered_json::array();
  modules.push_back({{"idx", 0}, {"name", "0"}, {"path", ""},
                     {"type", "sentence_transformers.models.Transformer"}});
  modules.push_back({{"idx", 1}, {"name", "1"}, {"path", "1_Pooling"},
                     {"type", "sentence_transformers.models.Pooling"}});
  modules.push_back({{"idx", 2}, {"name", "2"}, {"path", "2_Normalize"},
                     {"type", "sentence_transformers.models.Normalize"}});
  RETURN_IF_ERROR(WriteJson(dir / "modules.json", modules));

  nlohmann::ordered_json pooling = {{"word_embedding_dimension", p.hidden_size},
                                    {"pooling_mode_cls_token", false},
                                    {"pooling_mode_mean_tokens", true},
                                    {"pooling_mode_max_tokens", false},
                                    {"pooling_mode_mean_sqrt_len_tokens", false}};
  RETURN_IF_ERROR(WriteJson(dir / "1_Pooling" / "config.json", pooling));

  nlohmann::ordered_json sbert = {{"max_seq_length", preset.max_seq_length}, {"do_lower_case", false}};
  return WriteJson(dir / "sentence_bert_config.json", sbert);
}

Status WriteWeights(const SynthPreset& p, uint64_t seed, const fs::path& path) {
  const std::vector<TensorSpec> specs = BertTensorSpecs(p.config);
  std::vector<Bytes> buffers;
  buffers.reserve(specs.size());
  std::vector<model::TensorToWrite> tensors;
  tensors.reserve(specs.size());
  for (const TensorSpec& spec : specs) {
    buffers.push_back(GenerateTensor(spec, seed));
    tensors.push_back({spec.name, model::DType::kF32, spec.shape, buffers.back()});
  }
  const std::map<std::string, std::string> metadata = {{"format", "pt"}};
  return model::WriteSafetensors(path.string(), tensors, metadata);
}

// vocab.txt must exist and hold exactly one token per embedding row.
Status CheckVocab(const fs::path& vocab_path, int vocab_size) {
  std::ifstream in(vocab_path, std::ios::binary);
  if (!in) return NotFoundError("synth: tokenizer dir has no readable vocab.txt");
  int64_t lines = 0;
  std::string line;
  while (std::getline(in, line)) ++lines;
  if (lines != vocab_size) {
    return InvalidArgumentError("synth: vocab.txt has " + std::to_string(lines) +
                                " tokens, preset expects vocab_size " +
                                std::to_string(vocab_size));
  }
  return OkStatus();
}

Status CopyTokenizer(const fs::path& from, const fs::path& to, int vocab_size) {
  std::error_code ec;
  if (!fs::is_directory(from, ec)) {
    return NotFoundError("synth: tokenizer dir not found: " + from.string());
  }
  RETURN_IF_ERROR(CheckVocab(from / "vocab.txt", vocab_size));
  for (const char* name : {"vocab.txt", "tokenizer.json", "tokenizer_config.json",
                           "special_tokens_map.json"}) {
    if (!fs::exists(from / name, ec)) continue;
    // Source files may be read-only (shared fixtures): replace, then make
    // the copy writable so a later run can replace it again.
    fs::remove(to / name, ec);
    fs::copy_file(from / name, to / name, ec);
    if (!ec) fs::permissions(to / name, fs::perms::owner_read | fs::perms::owner_write,
                             fs::perm_options::add, ec);
    if (ec) return IoError(std::string("synth: cannot copy ") + name + ": " + ec.message());
  }
  return OkStatus();
}

}  // namespace

std::vector<std::string> SynthPresetNames() { return {"minilm-l6", "tiny"}; }

StatusOr<SynthPreset> FindSynthPreset(const std::string& name) {
  // Shapes of sentence-transformers/all-MiniLM-L6-v2, and a small one for fast tests.
  if (name == "minilm-l6") {
    return SynthPreset{.name = name,
                       .config = {.vocab_size = 30522, .hidden_size = 384, .num_hidden_layers = 6,
                                  .num_attention_heads = 12, .intermediate_size = 1536,
                                  .max_position_embeddings = 512, .type_vocab_size = 2},
                       .max_seq_length = 256};
  }
  if (name == "tiny") {
    return SynthPreset{.name = name,
                       .config = {.vocab_size = 30522, .hidden_size = 32, .num_hidden_layers = 2,
                                  .num_attention_heads = 4, .intermediate_size = 64,
                                  .max_position_embeddings = 512, .type_vocab_size = 2},
                       .max_seq_length = 256};
  }
  return NotFoundError("synth: unknown preset '" + name + "' (known: minilm-l6, tiny)");
}

Status WriteSyntheticBert(const SynthOptions& options) {
  ASSIGN_OR_RETURN(const SynthPreset preset, FindSynthPreset(options.preset));
  if (options.out_dir.empty()) return InvalidArgumentError("synth: out_dir is empty");
  const fs::path out(options.out_dir);
  std::error_code ec;
  fs::create_directories(out / "1_Pooling", ec);
  if (!ec) fs::create_directories(out / "2_Normalize", ec);
  if (ec) return IoError("synth: cannot create " + out.string() + ": " + ec.message());
  if (!options.tokenizer_dir.empty()) {
    RETURN_IF_ERROR(CopyTokenizer(options.tokenizer_dir, out, preset.config.vocab_size));
  }
  RETURN_IF_ERROR(WriteConfigs(preset, out));
  return WriteWeights(preset, options.seed, out / "model.safetensors");
}

}  // namespace eml::engine

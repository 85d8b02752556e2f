#include "engine/synth.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "model/safetensors.h"
#include "tests/testing.h"

namespace eml::engine {
namespace {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("eml_synth_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string str() const { return path_.string(); }
  fs::path path() const { return path_; }

 private:
  fs::path path_;
};

std::string TokenizerDir() { return testing::SharedPath("models/all-MiniLM-L6-v2"); }

SynthOptions Options(const std::string& preset, uint64_t seed, const std::string& out_dir,
                     const std::string& tokenizer_dir = "") {
  SynthOptions options;
  options.preset = preset;
  options.seed = seed;
  options.tokenizer_dir = tokenizer_dir;
  options.out_dir = out_dir;
  return options;
}

TEST(SynthTest, SameSeedGivesIdenticalBytesOtherSeedDiffers) {
  TempDir a, b, c;
  ASSERT_TRUE(WriteSyntheticBert(Options("tiny", 7, a.str())).ok());
  ASSERT_TRUE(WriteSyntheticBert(Options("tiny", 7, b.str())).ok());
  ASSERT_TRUE(WriteSyntheticBert(Options("tiny", 8, c.str())).ok());
  const Bytes bytes_a = testing::ReadFileOrFail((a.path() / "model.safetensors").string());
  const Bytes bytes_b = testing::ReadFileOrFail((b.path() / "model.safetensors").string());
  const Bytes bytes_c = testing::ReadFileOrFail((c.path() / "model.safetensors").string());
  ASSERT_FALSE(bytes_a.empty());
  EXPECT_EQ(bytes_a, bytes_b);
  ASSERT_EQ(bytes_a.size(), bytes_c.size());
  EXPECT_NE(bytes_a, bytes_c);
}

// The exact all-MiniLM-L6-v2 tensor list, spelled out independently of synth.cc.
std::map<std::string, std::vector<int64_t>> ExpectedMiniLmShapes() {
  std::map<std::string, std::vector<int64_t>> want = {
      {"embeddings.word_embeddings.weight", {30522, 384}},
      {"embeddings.position_embeddings.weight", {512, 384}},
      {"embeddings.token_type_embeddings.weight", {2, 384}},
      {"embeddings.LayerNorm.weight", {384}},
      {"embeddings.LayerNorm.bias", {384}},
      {"pooler.dense.weight", {384, 384}},
      {"pooler.dense.bias", {384}}};
  const std::vector<std::pair<std::string, std::vector<int64_t>>> per_layer = {
      {"attention.self.query.weight", {384, 384}}, {"attention.self.query.bias", {384}},
      {"attention.self.key.weight", {384, 384}},   {"attention.self.key.bias", {384}},
      {"attention.self.value.weight", {384, 384}}, {"attention.self.value.bias", {384}},
      {"attention.output.dense.weight", {384, 384}}, {"attention.output.dense.bias", {384}},
      {"attention.output.LayerNorm.weight", {384}}, {"attention.output.LayerNorm.bias", {384}},
      {"intermediate.dense.weight", {1536, 384}},  {"intermediate.dense.bias", {1536}},
      {"output.dense.weight", {384, 1536}},        {"output.dense.bias", {384}},
      {"output.LayerNorm.weight", {384}},          {"output.LayerNorm.bias", {384}}};
  for (int layer = 0; layer < 6; ++layer) {
    for (const auto& [suffix, shape] : per_layer) {
      want["encoder.layer." + std::to_string(layer) + "." + suffix] = shape;
    }
  }
  return want;
}

struct Moments {
  double mean = 0;
  double stddev = 0;
  float min = 0;
  float max = 0;
};

Moments Measure(const model::TensorView& t) {
  std::vector<float> v(t.num_elements);
  EXPECT_TRUE(model::ConvertToF32(t, v).ok());
  double sum = 0, sq = 0;
  Moments m{.min = v[0], .max = v[0]};
  for (float x : v) {
    sum += x;
    sq += static_cast<double>(x) * x;
    m.min = std::min(m.min, x);
    m.max = std::max(m.max, x);
  }
  m.mean = sum / v.size();
  m.stddev = std::sqrt(sq / v.size() - m.mean * m.mean);
  return m;
}

TEST(SynthTest, MiniLmHasExactTensorNamesShapesAndRealisticScales) {
  TempDir dir;
  ASSERT_TRUE(WriteSyntheticBert(Options("minilm-l6", 1, dir.str(), TokenizerDir())).ok());
  auto file = model::SafetensorsFile::Open((dir.path() / "model.safetensors").string());
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  const auto want = ExpectedMiniLmShapes();
  ASSERT_EQ((*file)->tensors().size(), want.size());
  for (const model::TensorView& t : (*file)->tensors()) {
    auto it = want.find(t.name);
    ASSERT_NE(it, want.end()) << t.name;
    EXPECT_EQ(t.shape, it->second) << t.name;
    EXPECT_EQ(t.dtype, model::DType::kF32) << t.name;
  }
  const Moments word = Measure(*(*file)->Find("embeddings.word_embeddings.weight"));
  EXPECT_NEAR(word.mean, 0.0, 1e-3);
  EXPECT_NEAR(word.stddev, 0.05, 0.001);
  const Moments query = Measure(*(*file)->Find("encoder.layer.3.attention.self.query.weight"));
  EXPECT_NEAR(query.stddev, 0.02, 0.0005);
  EXPECT_LE(query.max, 0.02f * 3.47f);  // Irwin-Hall(4) tails end at 2*sqrt(3) sigma
  const Moments gamma = Measure(*(*file)->Find("encoder.layer.5.output.LayerNorm.weight"));
  EXPECT_NEAR(gamma.mean, 1.0, 0.01);
  EXPECT_GE(gamma.min, 0.95f);
  EXPECT_LE(gamma.max, 1.05f);
  const Moments bias = Measure(*(*file)->Find("encoder.layer.0.intermediate.dense.bias"));
  EXPECT_GE(bias.min, -0.02f);
  EXPECT_LE(bias.max, 0.02f);
  EXPECT_GT(bias.stddev, 0.005);

  for (const char* name : {"config.json", "modules.json", "1_Pooling/config.json",
                           "sentence_bert_config.json", "vocab.txt", "tokenizer.json",
                           "tokenizer_config.json", "special_tokens_map.json"}) {
    EXPECT_TRUE(fs::is_regular_file(dir.path() / name)) << name;
  }
  EXPECT_TRUE(fs::is_directory(dir.path() / "2_Normalize"));
  const auto config = testing::ReadJsonOrFail((dir.path() / "config.json").string());
  EXPECT_EQ(config["hidden_size"], 384);
  EXPECT_EQ(config["num_hidden_layers"], 6);
  EXPECT_EQ(config["num_attention_heads"], 12);
  EXPECT_EQ(config["intermediate_size"], 1536);
  EXPECT_EQ(config["hidden_act"], "gelu");
  const auto sbert = testing::ReadJsonOrFail((dir.path() / "sentence_bert_config.json").string());
  EXPECT_EQ(sbert["max_seq_length"], 256);
}

TEST(SynthTest, BadOptionsAreErrors) {
  TempDir dir;
  EXPECT_EQ(WriteSyntheticBert(Options("gpt-5", 1, dir.str())).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(WriteSyntheticBert(Options("tiny", 1, "")).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteSyntheticBert(Options("tiny", 1, dir.str() + "/out", dir.str() + "/missing")).code(),
            StatusCode::kNotFound);
  // A vocabulary that does not fit the embedding table.
  const fs::path tok = dir.path() / "tok";
  fs::create_directories(tok);
  std::ofstream(tok / "vocab.txt") << "[PAD]\n[UNK]\n[CLS]\n[SEP]\n";
  EXPECT_EQ(WriteSyntheticBert(Options("tiny", 1, (dir.path() / "out2").string(), tok.string()))
                .code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace eml::engine

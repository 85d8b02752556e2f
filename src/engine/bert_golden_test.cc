// Golden tests: the C++ engine against the independent PyTorch reference.
//
// tests/data/engine/minilm_l6_synth_expected.json was produced by
// tools/reference/make_golden.sh: `eml model synth` wrote the synthetic
// MiniLM-L6 model and tools/reference/bert_reference.py (its own safetensors
// reader, WordPiece tokenizer and BERT forward in PyTorch) computed token ids
// and embeddings. Here the model is regenerated with WriteSyntheticBert, its
// sha256 must equal the recorded one (so both sides saw the same weights),
// and every case must match on both kernel paths.
//
// The genuine-weights test runs only when EML_MINILM_DIR points at the real
// all-MiniLM-L6-v2 (sha256-checked) and otherwise skips with its reason.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "crypto/hash.h"
#include "engine/bert.h"
#include "engine/synth.h"
#include "engine/wordpiece.h"
#include "tests/testing.h"

namespace eml::engine {
namespace {

namespace fs = std::filesystem;

constexpr double kMinCosine = 0.99999;
constexpr double kMaxAbsDiff = 1e-4;
constexpr size_t kMinCases = 20;

struct Agreement {
  double cosine = 0;
  double max_abs_diff = 0;
};

Agreement Compare(const std::vector<float>& got, const std::vector<double>& want) {
  Agreement a;
  if (got.size() != want.size()) return a;
  double dot = 0, ng = 0, nw = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    dot += got[i] * want[i];
    ng += static_cast<double>(got[i]) * got[i];
    nw += want[i] * want[i];
    a.max_abs_diff = std::max(a.max_abs_diff, std::abs(got[i] - want[i]));
  }
  a.cosine = dot / std::sqrt(ng * nw);
  return a;
}

std::string Sha256Hex(const std::string& path) {
  const Bytes bytes = testing::ReadFileOrFail(path);
  return HexEncode(crypto::Sha256(bytes));
}

struct GoldenCase {
  std::string name;
  std::string text;
  std::vector<int32_t> ids;
  bool truncated = false;
  std::vector<double> embedding;
};

class GoldenTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    golden_ = new nlohmann::json(testing::ReadJsonOrFail(
        testing::SourceDir() + "/tests/data/engine/minilm_l6_synth_expected.json"));
    dir_ = new fs::path(fs::temp_directory_path() /
                        ("eml_golden_" + std::to_string(getpid())));
    SynthOptions options;
    options.preset = golden_->value("preset", "");
    options.seed = golden_->value("seed", uint64_t{0});
    options.tokenizer_dir = testing::SharedPath("models/all-MiniLM-L6-v2");
    options.out_dir = dir_->string();
    synth_status_ = new Status(WriteSyntheticBert(options));
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
    delete golden_;
    delete synth_status_;
  }

  void SetUp() override { ASSERT_TRUE(synth_status_->ok()) << synth_status_->ToString(); }

  static std::vector<GoldenCase> Cases() {
    std::vector<GoldenCase> out;
    for (const auto& c : golden_->at("cases")) {
      out.push_back({c.at("name"), c.at("text"), c.at("token_ids"), c.at("truncated"),
                     c.at("embedding")});
    }
    return out;
  }

  static std::unique_ptr<SentenceEmbedder> LoadOrFail(KernelPath path) {
    EngineOptions options;
    options.num_threads = 2;
    options.path = path;
    auto embedder = SentenceEmbedder::Load(dir_->string(), options);
    EXPECT_TRUE(embedder.ok()) << embedder.status().ToString();
    return embedder.ok() ? std::move(*embedder) : nullptr;
  }

  // Runs EmbedTokenIds on the reference ids, one case at a time (the mix of
  // lengths would otherwise be padded), and returns how many cases matched.
  static size_t CheckPath(KernelPath path) {
    auto embedder = LoadOrFail(KernelPath::kFast);
    if (!embedder) return 0;
    size_t matched = 0;
    Agreement worst{.cosine = 1.0, .max_abs_diff = 0.0};
    for (const GoldenCase& c : Cases()) {
      const std::vector<std::vector<int32_t>> batch = {c.ids};
      auto got = embedder->EmbedTokenIds(batch, path);
      EXPECT_TRUE(got.ok()) << c.name << ": " << got.status().ToString();
      if (!got.ok() || got->size() != 1) continue;
      const Agreement a = Compare((*got)[0], c.embedding);
      EXPECT_GE(a.cosine, kMinCosine) << c.name;
      EXPECT_LE(a.max_abs_diff, kMaxAbsDiff) << c.name;
      if (a.cosine >= kMinCosine && a.max_abs_diff <= kMaxAbsDiff) ++matched;
      worst.cosine = std::min(worst.cosine, a.cosine);
      worst.max_abs_diff = std::max(worst.max_abs_diff, a.max_abs_diff);
    }
    std::printf("  %s path: %zu/%zu cases, worst cosine %.9f, max |diff| %.3g\n",
                path == KernelPath::kFast ? "fast" : "reference", matched, Cases().size(),
                worst.cosine, worst.max_abs_diff);
    return matched;
  }

  static nlohmann::json* golden_;
  static fs::path* dir_;
  static Status* synth_status_;
};

nlohmann::json* GoldenTest::golden_ = nullptr;
fs::path* GoldenTest::dir_ = nullptr;
Status* GoldenTest::synth_status_ = nullptr;

TEST_F(GoldenTest, RegeneratedModelIsTheOneTheReferenceSaw) {
  EXPECT_EQ(golden_->value("preset", ""), "minilm-l6");
  EXPECT_EQ(Sha256Hex((*dir_ / "model.safetensors").string()),
            golden_->value("model_safetensors_sha256", "missing"));
  EXPECT_GE(Cases().size(), kMinCases);
}

TEST_F(GoldenTest, TokenIdsMatchReference) {
  auto tokenizer = WordPieceTokenizer::FromModelDir(dir_->string());
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().ToString();
  const size_t max_length = golden_->at("max_length");
  size_t matched = 0;
  for (const GoldenCase& c : Cases()) {
    auto enc = tokenizer->Encode(c.text, max_length);
    ASSERT_TRUE(enc.ok()) << c.name << ": " << enc.status().ToString();
    EXPECT_EQ(enc->ids, c.ids) << c.name;
    EXPECT_EQ(enc->truncated, c.truncated) << c.name;
    if (enc->ids == c.ids && enc->truncated == c.truncated) ++matched;
  }
  EXPECT_EQ(matched, Cases().size());
}

TEST_F(GoldenTest, FastPathMatchesReference) {
  EXPECT_EQ(CheckPath(KernelPath::kFast), Cases().size());
}

TEST_F(GoldenTest, ReferencePathMatchesReference) {
  EXPECT_EQ(CheckPath(KernelPath::kReference), Cases().size());
}

// Whole pipeline (text in, embedding out), all cases in one padded batch.
TEST_F(GoldenTest, EmbedTextsMatchesReference) {
  auto embedder = LoadOrFail(KernelPath::kFast);
  ASSERT_NE(embedder, nullptr);
  const std::vector<GoldenCase> cases = Cases();
  std::vector<std::string> texts;
  for (const GoldenCase& c : cases) texts.push_back(c.text);
  auto got = embedder->Embed(texts);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const Embedding& e = (*got)[i];
    EXPECT_EQ(e.num_tokens, cases[i].ids.size()) << cases[i].name;
    EXPECT_EQ(e.truncated, cases[i].truncated) << cases[i].name;
    const Agreement a = Compare(e.values, cases[i].embedding);
    EXPECT_GE(a.cosine, kMinCosine) << cases[i].name;
    EXPECT_LE(a.max_abs_diff, kMaxAbsDiff) << cases[i].name;
  }
}

// --- Genuine weights (only where a verified copy exists) ---

constexpr char kGenuineSha256[] =
    "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db";

double Cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  return dot / std::sqrt(na * nb);
}

TEST(GenuineWeightsTest, QuickstartSimilaritiesMatchPublished) {
  const char* dir = std::getenv("EML_MINILM_DIR");
  if (dir == nullptr || *dir == '\0') {
    GTEST_SKIP() << "EML_MINILM_DIR not set: genuine all-MiniLM-L6-v2 weights are not "
                    "available here, so the published-similarity check did not run";
  }
  ASSERT_EQ(Sha256Hex(std::string(dir) + "/model.safetensors"), kGenuineSha256)
      << "EML_MINILM_DIR holds a model.safetensors that is not the genuine one";
  const auto ref = testing::ReadJsonOrFail(
      testing::SharedPath("models/all-MiniLM-L6-v2/reference_embeddings.json"));
  std::vector<std::string> texts;
  for (const auto& s : ref.at("sentences")) texts.push_back(s.at("text"));
  ASSERT_EQ(texts.size(), 3u);
  auto embedder = SentenceEmbedder::Load(dir);
  ASSERT_TRUE(embedder.ok()) << embedder.status().ToString();
  auto got = (*embedder)->Embed(texts);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  const auto& matrix = ref.at("expected_cosine_similarity").at("matrix");
  const double tolerance = ref.at("expected_cosine_similarity").at("tolerance");
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*got)[i].num_tokens, ref.at("sentences")[i].at("token_ids").size());
    for (size_t j = i + 1; j < 3; ++j) {
      EXPECT_NEAR(Cosine((*got)[i].values, (*got)[j].values), matrix[i][j].get<double>(),
                  tolerance)
          << i << " vs " << j;
    }
  }
}

}  // namespace
}  // namespace eml::engine

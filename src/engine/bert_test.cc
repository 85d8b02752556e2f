// SentenceEmbedder end to end on random models written to temp dirs:
// loading errors, fast vs reference, packing without padding leakage,
// pooling, normalisation, input validation and concurrent callers.
//
// Tolerance (fast vs reference, unit-normalised outputs): max abs diff
// <= 2e-5 and cosine >= 0.999999. The reference path is exact per row, so
// "batched == single" is bit-exact there.
#include "engine/bert.h"

#include <cmath>
#include <thread>
#include <vector>

#include <fstream>

#include <gtest/gtest.h>

#include "engine/bert_forward.h"
#include "engine/bert_test_util.h"

namespace eml::engine {
namespace {

using testing::MakeConfig;
using testing::RandomIds;
using testing::RandomModelOptions;

constexpr double kMaxAbs = 2e-5;
constexpr double kMinCosine = 0.999999;

std::unique_ptr<SentenceEmbedder> LoadModel(const RandomModelOptions& options,
                                            const EngineOptions& engine = {},
                                            std::string* dir_out = nullptr) {
  const std::string dir = testing::MakeTempDir("model");
  if (dir_out != nullptr) *dir_out = dir;
  EXPECT_FALSE(dir.empty());
  Status written = testing::WriteRandomModel(dir, options);
  EXPECT_TRUE(written.ok()) << written.ToString();
  StatusOr<std::unique_ptr<SentenceEmbedder>> model = SentenceEmbedder::Load(dir, engine);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? std::move(model).value() : nullptr;
}

Status LoadError(const RandomModelOptions& options) {
  const std::string dir = testing::MakeTempDir("bad");
  Status written = testing::WriteRandomModel(dir, options);
  if (!written.ok()) return written;
  return SentenceEmbedder::Load(dir).status();
}

void ExpectClose(const std::vector<float>& a, const std::vector<float>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  double dot = 0, na = 0, nb = 0, worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    worst = std::fmax(worst, std::fabs(double{a[i]} - b[i]));
    dot += double{a[i]} * b[i];
    na += double{a[i]} * a[i];
    nb += double{b[i]} * b[i];
  }
  EXPECT_LE(worst, kMaxAbs) << what;
  EXPECT_GE(dot / std::sqrt(na * nb), kMinCosine) << what;
}

std::vector<std::vector<float>> Embed(const SentenceEmbedder& model,
                                      const std::vector<std::vector<int32_t>>& batch,
                                      KernelPath path) {
  StatusOr<std::vector<std::vector<float>>> out = model.EmbedTokenIds(batch, path);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? std::move(out).value() : std::vector<std::vector<float>>{};
}

RandomModelOptions SmallModel() {
  RandomModelOptions o;
  o.config = MakeConfig(/*vocab=*/300, /*hidden=*/64, /*layers=*/2, /*heads=*/4,
                        /*intermediate=*/128, /*max_positions=*/160);
  return o;
}

std::vector<std::vector<int32_t>> MixedBatch(int vocab, std::vector<size_t> lengths) {
  std::vector<std::vector<int32_t>> batch;
  for (size_t i = 0; i < lengths.size(); ++i) batch.push_back(RandomIds(lengths[i], vocab, 100 + i));
  return batch;
}

// Fast vs reference, and each sequence of the packed batch vs alone.
void CheckModel(const SentenceEmbedder& model, const std::vector<size_t>& lengths) {
  const auto batch = MixedBatch(model.config().vocab_size, lengths);
  const auto ref = Embed(model, batch, KernelPath::kReference);
  const auto fast = Embed(model, batch, KernelPath::kFast);
  ASSERT_EQ(ref.size(), batch.size());
  ASSERT_EQ(fast.size(), batch.size());
  for (size_t s = 0; s < batch.size(); ++s) {
    const std::string what = "len " + std::to_string(lengths[s]);
    ExpectClose(fast[s], ref[s], what.c_str());
    const std::vector<std::vector<int32_t>> alone = {batch[s]};
    EXPECT_EQ(Embed(model, alone, KernelPath::kReference)[0], ref[s]) << what;
    ExpectClose(Embed(model, alone, KernelPath::kFast)[0], fast[s], what.c_str());
  }
}

TEST(BertTest, FastMatchesReferenceSmallModel) {
  auto model = LoadModel(SmallModel());
  ASSERT_NE(model, nullptr);
  CheckModel(*model, {1, 2, 31, 32, 33, 160, 7});
}

TEST(BertTest, FastMatchesReferenceMiniLmShapes) {
  RandomModelOptions o;
  o.config = testing::MiniLmConfig(/*vocab=*/1000);
  o.weight_scale = 0.05f;
  auto model = LoadModel(o, {.num_threads = 2});
  ASSERT_NE(model, nullptr);
  // 290 tokens: the batch takes the row-split GEMM path, each sequence alone
  // the column-split one.
  CheckModel(*model, {1, 16, 128, 45, 100});
}

TEST(BertTest, PaddingNeverLeaks) {
  // A short sequence's embedding must not change whatever it is batched with.
  auto model = LoadModel(SmallModel());
  ASSERT_NE(model, nullptr);
  const std::vector<int32_t> short_seq = RandomIds(3, 300, 9);
  const auto alone = Embed(*model, {short_seq}, KernelPath::kReference)[0];
  for (size_t other : {1u, 50u, 160u}) {
    const std::vector<std::vector<int32_t>> batch = {RandomIds(other, 300, other), short_seq,
                                                     RandomIds(other, 300, other + 1)};
    EXPECT_EQ(Embed(*model, batch, KernelPath::kReference)[1], alone);
    ExpectClose(Embed(*model, batch, KernelPath::kFast)[1], alone, "fast");
  }
}

TEST(BertTest, PrefixAndHalfPrecisionWeights) {
  for (model::DType dtype : {model::DType::kF32, model::DType::kF16, model::DType::kBF16}) {
    RandomModelOptions o = SmallModel();
    o.prefix = "bert.";
    o.dtype = dtype;
    auto model = LoadModel(o);
    ASSERT_NE(model, nullptr);
    CheckModel(*model, {1, 20, 40});
  }
}

TEST(BertTest, MissingOrMisshapedTensorIsNamed) {
  RandomModelOptions o = SmallModel();
  o.omit_tensor = "encoder.layer.1.attention.self.key.bias";
  Status status = LoadError(o);
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_NE(status.message().find(o.omit_tensor), std::string::npos) << status.ToString();

  for (const char* name : {"embeddings.position_embeddings.weight",
                           "encoder.layer.0.intermediate.dense.weight",
                           "encoder.layer.1.output.LayerNorm.bias"}) {
    o = SmallModel();
    o.misshape_tensor = name;
    status = LoadError(o);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << name;
    EXPECT_NE(status.message().find(name), std::string::npos) << status.ToString();
  }
  // The pooler is optional.
  o = SmallModel();
  o.omit_tensor = "pooler.dense.weight";
  EXPECT_TRUE(LoadError(o).ok());
}

TEST(BertTest, PoolingModesAndNormalisation) {
  // Same weights (same seed), three pooling setups; hidden states from the
  // reference forward pass are pooled here by hand.
  RandomModelOptions o = SmallModel();
  o.normalize = false;
  std::string dir;
  auto mean_raw = LoadModel(o, {}, &dir);
  o.pooling = Pooling::kCls;
  auto cls_raw = LoadModel(o);
  o.pooling = Pooling::kMean;
  o.normalize = true;
  auto mean_norm = LoadModel(o);
  ASSERT_TRUE(mean_raw && cls_raw && mean_norm);
  EXPECT_EQ(cls_raw->pooling().pooling, Pooling::kCls);
  EXPECT_FALSE(mean_raw->pooling().normalize);

  const std::vector<int32_t> ids = RandomIds(11, 300, 5);
  for (KernelPath path : {KernelPath::kReference, KernelPath::kFast}) {
    const auto mean = Embed(*mean_raw, {ids}, path)[0];
    const auto cls = Embed(*cls_raw, {ids}, path)[0];
    const auto norm = Embed(*mean_norm, {ids}, path)[0];
    double n2 = 0;
    for (float v : mean) n2 += double{v} * v;
    ASSERT_GT(n2, 0.0);
    double norm_n2 = 0;
    for (size_t c = 0; c < mean.size(); ++c) {
      EXPECT_NEAR(norm[c], mean[c] / std::sqrt(n2), 1e-6);
      norm_n2 += double{norm[c]} * norm[c];
    }
    EXPECT_NEAR(norm_n2, 1.0, 1e-5);
    EXPECT_NE(mean, cls);
  }

  // The same pooled vectors from the reference hidden states, by hand.
  StatusOr<std::unique_ptr<model::SafetensorsFile>> file =
      model::SafetensorsFile::Open(dir + "/model.safetensors");
  ASSERT_TRUE(file.ok());
  StatusOr<BertWeights> weights = BindBertWeights(std::move(file).value(), mean_raw->config());
  ASSERT_TRUE(weights.ok()) << weights.status().ToString();
  const PackedBatch packed{.ids = ids, .offsets = {0, ids.size()}};
  const std::vector<float> hidden_states = ForwardReference(*weights, mean_raw->config(), packed);
  const size_t h = mean_raw->config().hidden_size;
  const auto mean = Embed(*mean_raw, {ids}, KernelPath::kReference)[0];
  const auto cls = Embed(*cls_raw, {ids}, KernelPath::kReference)[0];
  for (size_t c = 0; c < h; ++c) {
    double sum = 0;
    for (size_t t = 0; t < ids.size(); ++t) sum += hidden_states[t * h + c];
    EXPECT_NEAR(mean[c], sum / ids.size(), 1e-6);
    EXPECT_EQ(cls[c], hidden_states[c]);
  }

  // Pooling itself against hand-computed mean / first row.
  PackedBatch batch{.ids = {1, 2, 3, 4, 5}, .offsets = {0, 2, 5}};
  std::vector<float> hidden = {1, 2, 3, 4, 10, 20, 30, 40, 50, 60};  // [5, 2]
  auto pooled = PoolSequences(hidden, 2, batch, {.pooling = Pooling::kMean, .normalize = false});
  EXPECT_EQ(pooled[0], (std::vector<float>{2, 3}));
  EXPECT_EQ(pooled[1], (std::vector<float>{30, 40}));
  pooled = PoolSequences(hidden, 2, batch, {.pooling = Pooling::kCls, .normalize = false});
  EXPECT_EQ(pooled[1], (std::vector<float>{10, 20}));
  pooled = PoolSequences(hidden, 2, batch, {.pooling = Pooling::kCls, .normalize = true});
  EXPECT_NEAR(pooled[1][0], 10 / std::sqrt(500.0), 1e-7);
}

TEST(BertTest, ValidatesTokenIdsAndLengths) {
  auto model = LoadModel(SmallModel(), {.max_batch_tokens = 200});
  ASSERT_NE(model, nullptr);
  auto code = [&](std::vector<std::vector<int32_t>> batch) {
    return model->EmbedTokenIds(batch, KernelPath::kFast).status().code();
  };
  EXPECT_EQ(code({{1, 2, 300}}), StatusCode::kInvalidArgument);  // id == vocab
  EXPECT_EQ(code({{1, -1}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({{1}, {}}), StatusCode::kInvalidArgument);       // empty sequence
  EXPECT_EQ(code({RandomIds(161, 300, 1)}), StatusCode::kLimitExceeded);  // > positions
  EXPECT_EQ(code({RandomIds(160, 300, 1), RandomIds(41, 300, 2)}), StatusCode::kLimitExceeded);
  EXPECT_TRUE(model->EmbedTokenIds({}, KernelPath::kFast).ok());
  EXPECT_TRUE(model->EmbedTokenIds(std::vector<std::vector<int32_t>>{{299}}, KernelPath::kFast).ok());
}

TEST(BertTest, RejectsBadOptionsAndMissingFiles) {
  const std::string dir = testing::MakeTempDir("opts");
  ASSERT_TRUE(testing::WriteRandomModel(dir, SmallModel()).ok());
  EXPECT_EQ(SentenceEmbedder::Load(dir, {.num_threads = -1}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SentenceEmbedder::Load(dir, {.num_threads = 100000}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SentenceEmbedder::Load(dir + "/nope").status().code(), StatusCode::kNotFound);
}

TEST(BertTest, RejectsTokenizerLargerThanEmbeddingTable) {
  const std::string dir = testing::MakeTempDir("vocab");
  ASSERT_TRUE(testing::WriteRandomModel(dir, SmallModel()).ok());
  ASSERT_TRUE(SentenceEmbedder::Load(dir).ok());
  {
    std::ofstream vocab(dir + "/vocab.txt", std::ios::app);
    vocab << "extra_token_without_an_embedding_row\n";
  }
  StatusOr<std::unique_ptr<SentenceEmbedder>> model = SentenceEmbedder::Load(dir);
  EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(model.status().message().find("vocab_size"), std::string::npos);
}

TEST(BertTest, EmbedTextsTokenizesAndTruncates) {
  RandomModelOptions o = SmallModel();
  o.max_seq_length = 6;
  auto model = LoadModel(o);
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->max_length(), 6u);
  const std::vector<std::string> texts = {"w5 w6", "w7 w8 w9 w10 w11 w12 w13"};
  StatusOr<std::vector<Embedding>> out = model->Embed(texts);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].num_tokens, 4u);
  EXPECT_FALSE((*out)[0].truncated);
  EXPECT_EQ((*out)[1].num_tokens, 6u);
  EXPECT_TRUE((*out)[1].truncated);
  // [CLS]=2, [SEP]=3 in the test vocabulary; token "wN" has id N.
  const auto by_ids = Embed(*model, {{2, 5, 6, 3}, {2, 7, 8, 9, 10, 3}}, KernelPath::kFast);
  EXPECT_EQ((*out)[0].values, by_ids[0]);
  EXPECT_EQ((*out)[1].values, by_ids[1]);
}

TEST(BertTest, ConcurrentCallersGetTheSameResults) {
  auto model = LoadModel(SmallModel(), {.num_threads = 2});
  ASSERT_NE(model, nullptr);
  std::vector<std::vector<std::vector<int32_t>>> inputs;
  std::vector<std::vector<std::vector<float>>> expected;
  for (int i = 0; i < 8; ++i) {
    inputs.push_back(MixedBatch(300, {size_t(1 + i), size_t(40 - i), 5}));
    expected.push_back(Embed(*model, inputs.back(), KernelPath::kFast));
  }
  std::vector<int> mismatches(8, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int call = 0; call < 6; ++call) {
        const int i = (t + call) % 8;
        const KernelPath path = call == 5 ? KernelPath::kReference : KernelPath::kFast;
        StatusOr<std::vector<std::vector<float>>> got = model->EmbedTokenIds(inputs[i], path);
        if (!got.ok() || got->size() != expected[i].size()) {
          ++mismatches[t];
          continue;
        }
        for (size_t s = 0; s < got->size(); ++s) {
          for (size_t c = 0; c < (*got)[s].size(); ++c) {
            if (std::fabs((*got)[s][c] - expected[i][s][c]) > (path == KernelPath::kFast ? 0 : kMaxAbs)) {
              ++mismatches[t];
            }
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace eml::engine

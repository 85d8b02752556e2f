#include "engine/bert_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <future>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/bert_test_util.h"
#include "tests/testing.h"

namespace eml::engine {
namespace {

nlohmann::json MiniLmJson() {
  return nlohmann::json::parse(testing::ConfigJson(testing::MiniLmConfig(30522)));
}

StatusCode CodeOf(const nlohmann::json& j) { return ParseBertConfig(j.dump()).status().code(); }

TEST(BertConfigTest, ParsesMiniLm) {
  StatusOr<BertConfig> config = ParseBertConfig(MiniLmJson().dump());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->vocab_size, 30522);
  EXPECT_EQ(config->hidden_size, 384);
  EXPECT_EQ(config->num_hidden_layers, 6);
  EXPECT_EQ(config->num_attention_heads, 12);
  EXPECT_EQ(config->head_dim(), 32);
  EXPECT_EQ(config->intermediate_size, 1536);
  EXPECT_EQ(config->max_position_embeddings, 512);
  EXPECT_EQ(config->type_vocab_size, 2);
  EXPECT_FLOAT_EQ(config->layer_norm_eps, 1e-12f);
}

TEST(BertConfigTest, RejectsOtherActivations) {
  for (const char* act : {"relu", "gelu_new", "gelu_pytorch_tanh", "silu"}) {
    nlohmann::json j = MiniLmJson();
    j["hidden_act"] = act;
    EXPECT_EQ(CodeOf(j), StatusCode::kUnsupported) << act;
  }
  nlohmann::json j = MiniLmJson();
  j["hidden_act"] = 3;
  EXPECT_EQ(CodeOf(j), StatusCode::kInvalidArgument);
}

TEST(BertConfigTest, RejectsNonBertAndRelativePositions) {
  nlohmann::json j = MiniLmJson();
  j["model_type"] = "roberta";
  j["architectures"] = {"RobertaModel"};
  EXPECT_EQ(CodeOf(j), StatusCode::kUnsupported);
  j = MiniLmJson();
  j["position_embedding_type"] = "relative_key";
  EXPECT_EQ(CodeOf(j), StatusCode::kUnsupported);
}

TEST(BertConfigTest, RejectsEachMissingField) {
  for (const char* field : {"vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                            "intermediate_size", "max_position_embeddings", "type_vocab_size",
                            "hidden_act"}) {
    nlohmann::json j = MiniLmJson();
    j.erase(field);
    StatusOr<BertConfig> config = ParseBertConfig(j.dump());
    ASSERT_FALSE(config.ok()) << field;
    EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument) << field;
    EXPECT_NE(config.status().message().find(field), std::string::npos) << config.status().message();
  }
}

TEST(BertConfigTest, RejectsBadSizes) {
  nlohmann::json j = MiniLmJson();
  j["num_attention_heads"] = 7;  // 384 % 7 != 0
  EXPECT_EQ(CodeOf(j), StatusCode::kInvalidArgument);
  j = MiniLmJson();
  j["hidden_size"] = 0;
  EXPECT_EQ(CodeOf(j), StatusCode::kInvalidArgument);
  j = MiniLmJson();
  j["hidden_size"] = -384;
  EXPECT_EQ(CodeOf(j), StatusCode::kInvalidArgument);
  j = MiniLmJson();
  j["hidden_size"] = "384";
  EXPECT_EQ(CodeOf(j), StatusCode::kInvalidArgument);
  j = MiniLmJson();
  j["hidden_size"] = 1.5;
  EXPECT_EQ(CodeOf(j), StatusCode::kInvalidArgument);
  j = MiniLmJson();
  j["num_hidden_layers"] = kMaxLayers + 1;
  EXPECT_EQ(CodeOf(j), StatusCode::kLimitExceeded);
  j = MiniLmJson();
  j["vocab_size"] = int64_t{1} << 40;
  EXPECT_EQ(CodeOf(j), StatusCode::kLimitExceeded);
  j = MiniLmJson();
  j["max_position_embeddings"] = kMaxPositions + 1;
  EXPECT_EQ(CodeOf(j), StatusCode::kLimitExceeded);
  j = MiniLmJson();
  j["layer_norm_eps"] = -1;
  EXPECT_EQ(CodeOf(j), StatusCode::kInvalidArgument);
  j = MiniLmJson();
  j["layer_norm_eps"] = 1e-60;  // > 0 as a double, 0 as the float the kernels use
  EXPECT_EQ(CodeOf(j), StatusCode::kInvalidArgument);
}

TEST(BertConfigTest, RejectsMalformedJson) {
  EXPECT_EQ(ParseBertConfig("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseBertConfig("{").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseBertConfig("[1, 2]").status().code(), StatusCode::kInvalidArgument);
  const std::string text = MiniLmJson().dump();
  for (size_t cut = 0; cut < text.size(); cut += 7) {
    EXPECT_FALSE(ParseBertConfig(text.substr(0, cut)).ok()) << cut;
  }
}

TEST(PoolingConfigTest, MeanCls) {
  const std::string modules =
      R"([{"type": "sentence_transformers.models.Transformer", "path": ""},
          {"type": "sentence_transformers.models.Pooling", "path": "1_Pooling"},
          {"type": "sentence_transformers.models.Normalize", "path": "2_Normalize"}])";
  StatusOr<PoolingConfig> mean = ParsePoolingConfig(
      modules, R"({"pooling_mode_mean_tokens": true, "pooling_mode_cls_token": false})");
  ASSERT_TRUE(mean.ok()) << mean.status().ToString();
  EXPECT_EQ(mean->pooling, Pooling::kMean);
  EXPECT_TRUE(mean->normalize);
  StatusOr<PoolingConfig> cls = ParsePoolingConfig(
      R"([{"type": "sentence_transformers.models.Pooling"}])",
      R"({"pooling_mode_mean_tokens": false, "pooling_mode_cls_token": true})");
  ASSERT_TRUE(cls.ok());
  EXPECT_EQ(cls->pooling, Pooling::kCls);
  EXPECT_FALSE(cls->normalize);
}

TEST(PoolingConfigTest, RejectsUnsupportedOrAmbiguous) {
  const std::string modules = R"([{"type": "sentence_transformers.models.Pooling"}])";
  EXPECT_EQ(ParsePoolingConfig(modules, R"({"pooling_mode_max_tokens": true})").status().code(),
            StatusCode::kUnsupported);
  EXPECT_EQ(ParsePoolingConfig(modules, R"({"pooling_mode_mean_tokens": true,
                                            "pooling_mode_cls_token": true})")
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsePoolingConfig("{}", "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsePoolingConfig("[1]", "").status().code(), StatusCode::kInvalidArgument);
}

TEST(PoolingConfigTest, DefaultsWhenAbsent) {
  const std::string dir = testing::MakeTempDir("pooling");
  ASSERT_FALSE(dir.empty());
  StatusOr<PoolingConfig> config = LoadPoolingConfig(dir);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->pooling, Pooling::kMean);
  EXPECT_TRUE(config->normalize);
  StatusOr<int> max_seq = LoadMaxSeqLength(dir);
  ASSERT_TRUE(max_seq.ok());
  EXPECT_EQ(*max_seq, 0);
}

// A hostile modules.json with a non-string "type" must be a Status, not an
// escaping nlohmann::json::type_error.
TEST(PoolingConfigTest, LoadRejectsNonStringModuleType) {
  const std::string dir = testing::MakeTempDir("pooling_type");
  ASSERT_FALSE(dir.empty());
  std::ofstream(dir + "/modules.json") << R"([{"type": 7, "path": "1_Pooling"}])";
  ASSERT_NO_THROW({
    StatusOr<PoolingConfig> config = LoadPoolingConfig(dir);
    EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  });
}

// A FIFO planted as modules.json must be an error, not a hang waiting for a
// writer.
TEST(PoolingConfigTest, LoadRejectsFifoWithoutBlocking) {
  const std::string dir = testing::MakeTempDir("pooling_fifo");
  ASSERT_FALSE(dir.empty());
  const std::string path = dir + "/modules.json";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  auto result = std::async(std::launch::async, [&] { return LoadPoolingConfig(dir); });
  bool finished = result.wait_for(std::chrono::seconds(3)) == std::future_status::ready;
  if (!finished) {  // unblock the reader so the test ends
    int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd >= 0) ::close(fd);
  }
  EXPECT_TRUE(finished) << "LoadPoolingConfig blocked on a FIFO";
  EXPECT_FALSE(result.get().ok());
}

TEST(PoolingConfigTest, RealMiniLmDirectory) {
  const std::string dir = eml::testing::SharedPath("models/all-MiniLM-L6-v2");
  StatusOr<PoolingConfig> pooling = LoadPoolingConfig(dir);
  ASSERT_TRUE(pooling.ok()) << pooling.status().ToString();
  EXPECT_EQ(pooling->pooling, Pooling::kMean);
  EXPECT_TRUE(pooling->normalize);
  StatusOr<int> max_seq = LoadMaxSeqLength(dir);
  ASSERT_TRUE(max_seq.ok());
  EXPECT_EQ(*max_seq, 256);
  StatusOr<BertConfig> config =
      ParseBertConfig(eml::testing::ReadTextOrFail(dir + "/config.json"));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->hidden_size, 384);
  EXPECT_EQ(config->vocab_size, 30522);
}

}  // namespace
}  // namespace eml::engine

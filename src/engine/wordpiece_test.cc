// WordPiece tokenizer against external vectors: llama.cpp's bert-bge
// tokenizer test set (texts and ids produced by Hugging Face tokenizers) and
// the token ids of the sentence-transformers quickstart sentences.
#include "engine/wordpiece.h"

#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/testing.h"

namespace eml::engine {
namespace {

using eml::testing::SharedPath;

const std::string kModelDir = "models/all-MiniLM-L6-v2/";
// The .inp file holds 46 texts, each followed by "\n__ggml_vocab_test__\n";
// the .out file has one line of space-prefixed ids per text.
constexpr size_t kBgeCaseCount = 46;

struct VocabCase {
  std::string text;
  std::vector<int32_t> ids;
};

std::vector<VocabCase> LoadBgeCases() {
  std::string inp = eml::testing::ReadTextOrFail(
      SharedPath("models/gguf-vocab/ggml-vocab-bert-bge.gguf.inp"));
  std::string out = eml::testing::ReadTextOrFail(
      SharedPath("models/gguf-vocab/ggml-vocab-bert-bge.gguf.out"));
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> texts;
  size_t pos = 0;
  for (size_t next; (next = inp.find(sep, pos)) != std::string::npos; pos = next + sep.size()) {
    texts.push_back(inp.substr(pos, next - pos));
  }
  EXPECT_EQ(pos, inp.size()) << "text after the last separator";
  std::vector<VocabCase> cases;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    VocabCase c;
    std::istringstream ids(line);
    for (int32_t id; ids >> id;) c.ids.push_back(id);
    EXPECT_TRUE(ids.eof()) << "malformed .out line: " << line;
    cases.push_back(std::move(c));
  }
  EXPECT_EQ(cases.size(), texts.size());
  for (size_t i = 0; i < cases.size() && i < texts.size(); ++i) cases[i].text = texts[i];
  return cases;
}

WordPieceTokenizer LoadJson() {
  auto t = WordPieceTokenizer::FromTokenizerJson(SharedPath(kModelDir + "tokenizer.json"));
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return std::move(t).value();
}

WordPieceTokenizer LoadVocabTxt() {
  auto t = WordPieceTokenizer::FromVocabTxt(SharedPath(kModelDir + "vocab.txt"),
                                            SharedPath(kModelDir + "tokenizer_config.json"));
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return std::move(t).value();
}

void RunBgeCases(const WordPieceTokenizer& tokenizer) {
  std::vector<VocabCase> cases = LoadBgeCases();
  size_t ran = 0;
  for (const VocabCase& c : cases) {
    auto ids = tokenizer.EncodeWithoutSpecialTokens(c.text);
    ASSERT_TRUE(ids.ok()) << ids.status().ToString();
    EXPECT_EQ(*ids, c.ids) << "case " << ran << ": \"" << c.text << "\"";
    ++ran;
  }
  EXPECT_EQ(ran, kBgeCaseCount);
}

TEST(WordPieceTest, LlamaCppBgeVectorsFromTokenizerJson) { RunBgeCases(LoadJson()); }

TEST(WordPieceTest, LlamaCppBgeVectorsFromVocabTxt) { RunBgeCases(LoadVocabTxt()); }

TEST(WordPieceTest, ReferenceEmbeddingSentences) {
  WordPieceTokenizer tokenizer = LoadJson();
  nlohmann::json ref =
      eml::testing::ReadJsonOrFail(SharedPath(kModelDir + "reference_embeddings.json"));
  size_t ran = 0;
  for (const auto& s : ref["sentences"]) {
    auto enc = tokenizer.Encode(s["text"].get<std::string>(), 256);
    ASSERT_TRUE(enc.ok());
    EXPECT_EQ(enc->ids, s["token_ids"].get<std::vector<int32_t>>());
    EXPECT_FALSE(enc->truncated);
    EXPECT_EQ(enc->num_tokens_before_truncation, enc->ids.size());
    ++ran;
  }
  EXPECT_EQ(ran, 3u);
}

TEST(WordPieceTest, JsonAndVocabTxtAgree) {
  WordPieceTokenizer a = LoadJson();
  WordPieceTokenizer b = LoadVocabTxt();
  EXPECT_EQ(a.vocab_size(), 30522u);
  EXPECT_EQ(a.vocab_size(), b.vocab_size());
  for (const auto* t : {&a, &b}) {
    EXPECT_EQ(t->cls_id(), 101);
    EXPECT_EQ(t->sep_id(), 102);
    EXPECT_EQ(t->pad_id(), 0);
    EXPECT_EQ(t->unk_id(), 100);
  }
  std::vector<std::string> texts = {
      "Héllo WÖRLD", "naïve café", "你好世界", "tab\there\r\nnew", "a\x01\x7f" "b",
      "zero\u200bwidth", "x\u3000y\u2028z", "¿Qué?", "\xEF\xBF\xBD", "İstanbul", "[CLS]"};
  for (const auto& c : LoadBgeCases()) texts.push_back(c.text);
  for (const std::string& text : texts) {
    auto ea = a.Encode(text, 512);
    auto eb = b.Encode(text, 512);
    ASSERT_TRUE(ea.ok() && eb.ok()) << text;
    EXPECT_EQ(ea->ids, eb->ids) << text;
  }
  auto dir = WordPieceTokenizer::FromModelDir(SharedPath(kModelDir));
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_EQ(dir->Encode("Hello, world!", 16)->ids,
            (std::vector<int32_t>{101, 7592, 1010, 2088, 999, 102}));
}

TEST(WordPieceTest, NormalizationExamples) {
  WordPieceTokenizer t = LoadJson();
  auto ids = [&](std::string_view s) { return *t.EncodeWithoutSpecialTokens(s); };
  EXPECT_EQ(ids("Héllo"), ids("hello"));           // accents stripped, lower-cased
  EXPECT_EQ(ids("hel\x01lo"), ids("hello"));       // control removed
  EXPECT_EQ(ids("hel\u200blo"), ids("hello"));     // format char removed
  EXPECT_EQ(ids("hello\u3000world"), ids("hello world"));
  EXPECT_EQ(ids("你好").size(), 2u);               // each ideograph is a word
  EXPECT_EQ(ids("[CLS]"), ids("[ cls ]"));         // special-token text is not special
  EXPECT_NE(ids("[CLS]")[0], t.cls_id());
}

TEST(WordPieceTest, EmptyAndWhitespaceOnly) {
  WordPieceTokenizer t = LoadJson();
  for (std::string_view text : {"", "   ", "\t\n", "\x01"}) {
    auto enc = t.Encode(text, 8);
    ASSERT_TRUE(enc.ok());
    EXPECT_EQ(enc->ids, (std::vector<int32_t>{101, 102}));
    EXPECT_EQ(enc->num_tokens_before_truncation, 2u);
  }
}

TEST(WordPieceTest, Truncation) {
  WordPieceTokenizer t = LoadJson();
  auto enc = t.Encode("Hello, world!", 4);  // 4 pieces + 2 specials
  ASSERT_TRUE(enc.ok());
  EXPECT_EQ(enc->ids, (std::vector<int32_t>{101, 7592, 1010, 102}));
  EXPECT_TRUE(enc->truncated);
  EXPECT_EQ(enc->num_tokens_before_truncation, 6u);
  auto exact = t.Encode("Hello, world!", 6);
  ASSERT_TRUE(exact.ok());
  EXPECT_FALSE(exact->truncated);
  EXPECT_EQ(exact->ids.size(), 6u);
  auto minimal = t.Encode("Hello", 2);
  ASSERT_TRUE(minimal.ok());
  EXPECT_EQ(minimal->ids, (std::vector<int32_t>{101, 102}));
  EXPECT_TRUE(minimal->truncated);
  EXPECT_EQ(t.Encode("Hello", 1).status().code(), StatusCode::kInvalidArgument);
}

TEST(WordPieceTest, InvalidUtf8) {
  WordPieceTokenizer t = LoadJson();
  for (std::string_view bad : {"\xff", "ab\xc0\xaf", "\xed\xa0\x80", "\xe2\x82", "\xf4\x90\x80\x80",
                               "ok\x80"}) {
    EXPECT_EQ(t.Encode(bad, 8).status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(WordPieceTest, OversizeText) {
  WordPieceTokenizer t = LoadJson();
  size_t max = t.limits().max_input_bytes;
  std::string at_limit(max, 'a');  // one word of 1 MiB: [UNK]
  auto enc = t.Encode(at_limit, 8);
  ASSERT_TRUE(enc.ok());
  EXPECT_EQ(enc->ids, (std::vector<int32_t>{101, 100, 102}));
  auto over = t.Encode(at_limit + "a", 8);
  EXPECT_EQ(over.status().code(), StatusCode::kLimitExceeded);
  EXPECT_NE(over.status().message().find("max_input_bytes"), std::string::npos);
}

TEST(WordPieceTest, LongWordBecomesUnk) {
  WordPieceTokenizer t = LoadJson();
  std::string word100(100, 'a');
  auto ok = t.EncodeWithoutSpecialTokens(word100);
  ASSERT_TRUE(ok.ok());
  EXPECT_GT(ok->size(), 1u);  // segmentable into a, ##a... pieces
  EXPECT_EQ(std::count(ok->begin(), ok->end(), t.unk_id()), 0);
  auto unk = t.EncodeWithoutSpecialTokens(word100 + "a");
  ASSERT_TRUE(unk.ok());
  EXPECT_EQ(*unk, (std::vector<int32_t>{100}));
  // The limit counts code points, not bytes: 100 x "é" (200 bytes) is fine.
  std::string accented;
  for (int i = 0; i < 100; ++i) accented += "\xc3\xa9";
  EXPECT_NE(*t.EncodeWithoutSpecialTokens(accented), (std::vector<int32_t>{100}));
}

TEST(WordPieceTest, ConcurrentEncode) {
  WordPieceTokenizer t = LoadJson();
  std::vector<VocabCase> cases = LoadBgeCases();
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (const VocabCase& c : cases) {
        auto ids = t.EncodeWithoutSpecialTokens(c.text);
        if (!ids.ok() || *ids != c.ids) ++failures[k];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

TEST(WordPieceTest, LoadErrors) {
  EXPECT_EQ(WordPieceTokenizer::FromTokenizerJson("/nonexistent/tokenizer.json").status().code(),
            StatusCode::kNotFound);
  std::string path = ::testing::TempDir() + "/eml_bad_tokenizer.json";
  auto write = [&](std::string_view text) { std::ofstream(path, std::ios::trunc) << text; };
  write(R"({"model":{"type":"BPE","vocab":{}}})");
  EXPECT_EQ(WordPieceTokenizer::FromTokenizerJson(path).status().code(), StatusCode::kUnsupported);
  write("{not json");
  EXPECT_EQ(WordPieceTokenizer::FromTokenizerJson(path).status().code(),
            StatusCode::kInvalidArgument);
  write(R"({"model":{"type":"WordPiece","vocab":{"a":0,"b":2}}})");
  EXPECT_EQ(WordPieceTokenizer::FromTokenizerJson(path).status().code(),
            StatusCode::kInvalidArgument);
  write(R"({"model":{"type":"WordPiece","vocab":{"a":0},"max_input_chars_per_word":-1}})");
  EXPECT_EQ(WordPieceTokenizer::FromTokenizerJson(path).status().code(),
            StatusCode::kInvalidArgument);
  write("[PAD]\n[UNK]\n[CLS]\n");  // vocab.txt without [SEP]
  EXPECT_EQ(WordPieceTokenizer::FromVocabTxt(path, "").status().code(),
            StatusCode::kInvalidArgument);
  write("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[PAD]\n");
  EXPECT_EQ(WordPieceTokenizer::FromVocabTxt(path, "").status().code(),
            StatusCode::kAlreadyExists);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace eml::engine

// Fuzzes WordPieceTokenizer::Encode with arbitrary bytes as text, using the
// all-MiniLM-L6-v2 tokenizer.json from ../shared (run from the repository
// root, or set EML_SHARED_DIR). Checks the [CLS] ... [SEP] frame, the
// truncation bookkeeping and that every id is inside the vocabulary.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "engine/wordpiece.h"

namespace {

std::unique_ptr<eml::engine::WordPieceTokenizer> g_tokenizer;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  const char* shared = std::getenv("EML_SHARED_DIR");
  std::string path = std::string(shared ? shared : "../shared") +
                     "/models/all-MiniLM-L6-v2/tokenizer.json";
  auto t = eml::engine::WordPieceTokenizer::FromTokenizerJson(path);
  if (!t.ok()) {
    std::fprintf(stderr, "wordpiece_fuzz: %s\n", t.status().ToString().c_str());
    std::abort();
  }
  g_tokenizer = std::make_unique<eml::engine::WordPieceTokenizer>(std::move(t).value());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto& t = *g_tokenizer;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto enc = t.Encode(text, 16);
  if (!enc.ok()) return 0;
  const auto& ids = enc->ids;
  if (ids.size() < 2 || ids.size() > 16 || ids.front() != t.cls_id() ||
      ids.back() != t.sep_id() || enc->truncated != (enc->num_tokens_before_truncation > 16) ||
      (!enc->truncated && enc->num_tokens_before_truncation != ids.size())) {
    std::abort();
  }
  for (int32_t id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= t.vocab_size()) std::abort();
  }
  return 0;
}

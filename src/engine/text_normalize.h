// BERT text normalization and pre-tokenization over Unicode code points.
//
// Implements Hugging Face tokenizers' BertNormalizer and BertPreTokenizer
// (docs/tokenizer.md): clean text (drop NUL, U+FFFD and category C* code
// points, map whitespace to ' '), put spaces around CJK ideographs, strip
// accents (NFD, then drop Mn marks), lower-case, then split on whitespace and
// punctuation. All Unicode data (categories, decomposition, case mapping)
// comes from utf8proc.
//
// Thread-safety: pure functions.
#ifndef EML_ENGINE_TEXT_NORMALIZE_H_
#define EML_ENGINE_TEXT_NORMALIZE_H_

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace eml::engine {

struct NormalizerOptions {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  bool lowercase = true;
  bool strip_accents = true;  // HF: strip_accents null means "same as lowercase"
};

// Strict UTF-8 decoding (no overlongs, surrogates or values past U+10FFFF).
StatusOr<std::u32string> DecodeUtf8(std::string_view text);
void AppendUtf8(char32_t c, std::string* out);
std::string EncodeUtf8(std::u32string_view text);

// Character classes, as defined by BERT / HF tokenizers.
bool IsBertWhitespace(char32_t c);    // \t \n \r, U+000B/C, U+0085, Zs, Zl, Zp
bool IsBertControl(char32_t c);       // category C*, except \t \n \r
bool IsBertPunctuation(char32_t c);   // ASCII 33-47, 58-64, 91-96, 123-126, P*
bool IsCjkIdeograph(char32_t c);      // BERT's CJK Unified Ideograph blocks

// BertNormalizer. Fails only if utf8proc reports an error.
StatusOr<std::u32string> BertNormalize(std::u32string_view text,
                                       const NormalizerOptions& options);

// BertPreTokenizer: whitespace-separated words, each punctuation code point
// its own word. Words are UTF-8.
std::vector<std::string> BertPreTokenize(std::u32string_view text);

}  // namespace eml::engine

#endif  // EML_ENGINE_TEXT_NORMALIZE_H_

// BERT WordPiece tokenizer with Hugging Face BertTokenizer(Fast) semantics.
//
// Pipeline (docs/tokenizer.md): BertNormalizer (clean text, space around CJK
// ideographs, optional lower-casing and accent stripping), BertPreTokenizer
// (split on whitespace and punctuation), greedy longest-match-first
// WordPiece with the "##" continuation prefix, then [CLS] ... [SEP].
// Unicode decomposition, case mapping and categories come from utf8proc.
//
// Input text is hostile: invalid UTF-8 is InvalidArgument and text longer
// than TokenizerLimits::max_input_bytes is LimitExceeded.
//
// Thread-safety: immutable after load; Encode may be called concurrently.
#ifndef EML_ENGINE_WORDPIECE_H_
#define EML_ENGINE_WORDPIECE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "engine/text_normalize.h"

namespace eml::engine {

struct TokenizerEncoding {
  std::vector<int32_t> ids;                 // with [CLS] ... [SEP]
  size_t num_tokens_before_truncation = 0;  // including [CLS]/[SEP]
  bool truncated = false;
};

struct TokenizerLimits {
  size_t max_input_bytes = 1 << 20;
  size_t max_chars_per_word = 100;  // longer words become [UNK]
};

class WordPieceTokenizer {
 public:
  // tokenizer.json with model.type "WordPiece" and a BertNormalizer.
  static StatusOr<WordPieceTokenizer> FromTokenizerJson(const std::string& path);
  // vocab.txt (one token per line, id = line number) and optionally
  // tokenizer_config.json for do_lower_case / strip_accents /
  // tokenize_chinese_chars; an empty config path means BERT uncased defaults.
  static StatusOr<WordPieceTokenizer> FromVocabTxt(
      const std::string& vocab_path, const std::string& tokenizer_config_path);
  // tokenizer.json if present, else vocab.txt (+ tokenizer_config.json).
  static StatusOr<WordPieceTokenizer> FromModelDir(const std::string& dir);
  // The same from file contents already in memory (a decrypted model
  // package); `what` names the file in messages. An empty
  // tokenizer_config_json means no tokenizer_config.json.
  static StatusOr<WordPieceTokenizer> FromTokenizerJsonText(std::string_view json_text,
                                                            std::string_view what);
  static StatusOr<WordPieceTokenizer> FromVocabTxtText(std::string_view vocab_text,
                                                       std::string_view tokenizer_config_json);

  // max_length includes [CLS] and [SEP] and must be >= 2; truncation keeps
  // the first max_length-2 word pieces.
  StatusOr<TokenizerEncoding> Encode(std::string_view text, size_t max_length) const;
  StatusOr<std::vector<int32_t>> EncodeWithoutSpecialTokens(std::string_view text) const;

  size_t vocab_size() const { return vocab_.size(); }
  int32_t cls_id() const { return cls_id_; }
  int32_t sep_id() const { return sep_id_; }
  int32_t pad_id() const { return pad_id_; }
  int32_t unk_id() const { return unk_id_; }
  const NormalizerOptions& normalizer_options() const { return normalizer_; }
  const TokenizerLimits& limits() const { return limits_; }

 private:
  WordPieceTokenizer() = default;
  // Resolves the special-token ids; fails if one is missing from the vocab.
  Status ResolveSpecialTokens();
  // Appends the WordPiece ids of one pre-tokenized word.
  void EncodeWord(std::string_view word, std::vector<int32_t>* out) const;

  // Heterogeneous lookup, so candidate pieces are looked up without copies.
  struct VocabHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Fills vocab_ from tokens in id order; rejects duplicates.
  Status SetVocab(std::vector<std::string> tokens);

  std::unordered_map<std::string, int32_t, VocabHash, std::equal_to<>> vocab_;
  std::string continuing_prefix_ = "##";
  std::string unk_token_ = "[UNK]";
  std::string cls_token_ = "[CLS]";
  std::string sep_token_ = "[SEP]";
  std::string pad_token_ = "[PAD]";
  int32_t cls_id_ = -1;
  int32_t sep_id_ = -1;
  int32_t pad_id_ = -1;
  int32_t unk_id_ = -1;
  NormalizerOptions normalizer_;
  TokenizerLimits limits_;
};

}  // namespace eml::engine

#endif  // EML_ENGINE_WORDPIECE_H_

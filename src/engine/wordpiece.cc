// WordPiece encoding; loading lives in wordpiece_load.cc.
#include "engine/wordpiece.h"

namespace eml::engine {
namespace {

// Byte offsets of code point starts in valid UTF-8, plus the end offset.
std::vector<size_t> CharBoundaries(std::string_view word) {
  std::vector<size_t> bounds;
  for (size_t i = 0; i < word.size(); ++i) {
    if ((static_cast<uint8_t>(word[i]) & 0xC0) != 0x80) bounds.push_back(i);
  }
  bounds.push_back(word.size());
  return bounds;
}

}  // namespace

Status WordPieceTokenizer::SetVocab(std::vector<std::string> tokens) {
  if (tokens.empty()) return InvalidArgumentError("tokenizer: empty vocabulary");
  if (tokens.size() > static_cast<size_t>(INT32_MAX)) {
    return LimitExceededError("tokenizer: vocabulary too large");
  }
  vocab_.clear();
  vocab_.reserve(tokens.size());
  for (size_t id = 0; id < tokens.size(); ++id) {
    if (!vocab_.emplace(std::move(tokens[id]), static_cast<int32_t>(id)).second) {
      return AlreadyExistsError("tokenizer: duplicate vocabulary entry at id " +
                                std::to_string(id));
    }
  }
  return OkStatus();
}

Status WordPieceTokenizer::ResolveSpecialTokens() {
  struct Special {
    const std::string& token;
    int32_t* id;
  };
  for (const Special& s : {Special{unk_token_, &unk_id_}, Special{cls_token_, &cls_id_},
                           Special{sep_token_, &sep_id_}, Special{pad_token_, &pad_id_}}) {
    auto it = vocab_.find(s.token);
    if (it == vocab_.end()) {
      return InvalidArgumentError("tokenizer: special token missing from vocabulary");
    }
    *s.id = it->second;
  }
  return OkStatus();
}

// Greedy longest-match-first; a word with no full segmentation, or longer
// than max_chars_per_word code points, becomes a single [UNK].
void WordPieceTokenizer::EncodeWord(std::string_view word, std::vector<int32_t>* out) const {
  std::vector<size_t> bounds = CharBoundaries(word);
  size_t num_chars = bounds.size() - 1;
  if (num_chars > limits_.max_chars_per_word) {
    out->push_back(unk_id_);
    return;
  }
  size_t first_piece = out->size();
  std::string candidate;
  size_t start = 0;  // index into bounds
  while (start < num_chars) {
    int32_t found = -1;
    size_t end = num_chars;
    for (; end > start; --end) {
      candidate.assign(start > 0 ? continuing_prefix_ : std::string());
      candidate.append(word.substr(bounds[start], bounds[end] - bounds[start]));
      auto it = vocab_.find(std::string_view(candidate));
      if (it != vocab_.end()) {
        found = it->second;
        break;
      }
    }
    if (found < 0) {
      out->resize(first_piece);
      out->push_back(unk_id_);
      return;
    }
    out->push_back(found);
    start = end;
  }
}

StatusOr<std::vector<int32_t>> WordPieceTokenizer::EncodeWithoutSpecialTokens(
    std::string_view text) const {
  if (text.size() > limits_.max_input_bytes) {
    return LimitExceededError("tokenizer: text exceeds max_input_bytes");
  }
  ASSIGN_OR_RETURN(std::u32string chars, DecodeUtf8(text));
  ASSIGN_OR_RETURN(std::u32string normalized, BertNormalize(chars, normalizer_));
  std::vector<int32_t> ids;
  for (const std::string& word : BertPreTokenize(normalized)) EncodeWord(word, &ids);
  return ids;
}

StatusOr<TokenizerEncoding> WordPieceTokenizer::Encode(std::string_view text,
                                                       size_t max_length) const {
  if (max_length < 2) {
    return InvalidArgumentError("tokenizer: max_length must leave room for [CLS] and [SEP]");
  }
  ASSIGN_OR_RETURN(std::vector<int32_t> pieces, EncodeWithoutSpecialTokens(text));
  TokenizerEncoding encoding;
  encoding.num_tokens_before_truncation = pieces.size() + 2;
  if (pieces.size() > max_length - 2) {
    pieces.resize(max_length - 2);
    encoding.truncated = true;
  }
  encoding.ids.reserve(pieces.size() + 2);
  encoding.ids.push_back(cls_id_);
  encoding.ids.insert(encoding.ids.end(), pieces.begin(), pieces.end());
  encoding.ids.push_back(sep_id_);
  return encoding;
}

}  // namespace eml::engine

// BERT normalization and pre-tokenization; see text_normalize.h.
#include "engine/text_normalize.h"

#include <utf8proc.h>

namespace eml::engine {
namespace {

utf8proc_category_t Category(char32_t c) {
  return utf8proc_category(static_cast<utf8proc_int32_t>(c));
}

// Full (not simple) lower-case mapping, as Rust's char::to_lowercase. The
// only unconditional multi-code-point lower-case mapping in Unicode's
// SpecialCasing.txt is U+0130 (I WITH DOT ABOVE) -> "i" U+0307; utf8proc
// implements the simple mapping, so that one case is added here.
void AppendLowercase(char32_t c, std::u32string* out) {
  if (c == 0x130) {
    out->push_back(U'i');
    out->push_back(0x307);
    return;
  }
  out->push_back(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
}

std::u32string CleanText(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if (c == 0 || c == 0xFFFD || IsBertControl(c)) continue;
    out.push_back(IsBertWhitespace(c) ? U' ' : c);
  }
  return out;
}

std::u32string SpaceCjk(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if (IsCjkIdeograph(c)) {
      out.push_back(U' ');
      out.push_back(c);
      out.push_back(U' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// NFD (utf8proc orders combining marks canonically), then drop Mn marks.
StatusOr<std::u32string> StripAccents(std::u32string_view text) {
  std::string utf8 = EncodeUtf8(text);
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(utf8.data());
  auto len = static_cast<utf8proc_ssize_t>(utf8.size());
  utf8proc_ssize_t needed = utf8proc_decompose(bytes, len, nullptr, 0, UTF8PROC_DECOMPOSE);
  if (needed < 0) return InternalError("tokenizer: NFD decomposition failed");
  std::vector<utf8proc_int32_t> nfd(static_cast<size_t>(needed));
  utf8proc_ssize_t written =
      utf8proc_decompose(bytes, len, nfd.data(), needed, UTF8PROC_DECOMPOSE);
  if (written != needed) return InternalError("tokenizer: NFD decomposition failed");
  std::u32string out;
  out.reserve(nfd.size());
  for (utf8proc_int32_t c : nfd) {
    if (utf8proc_category(c) != UTF8PROC_CATEGORY_MN) out.push_back(static_cast<char32_t>(c));
  }
  return out;
}

}  // namespace

StatusOr<std::u32string> DecodeUtf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  auto remaining = static_cast<utf8proc_ssize_t>(text.size());
  while (remaining > 0) {
    utf8proc_int32_t c = 0;
    utf8proc_ssize_t n = utf8proc_iterate(p, remaining, &c);
    if (n <= 0 || c < 0) return InvalidArgumentError("tokenizer: text is not valid UTF-8");
    out.push_back(static_cast<char32_t>(c));
    p += n;
    remaining -= n;
  }
  return out;
}

void AppendUtf8(char32_t c, std::string* out) {
  utf8proc_uint8_t buf[4];
  utf8proc_ssize_t n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(c), buf);
  out->append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
}

std::string EncodeUtf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) AppendUtf8(c, &out);
  return out;
}

bool IsBertWhitespace(char32_t c) {
  if (c == U'\t' || c == U'\n' || c == U'\r' || c == 0x0B || c == 0x0C || c == 0x85) {
    return true;
  }
  utf8proc_category_t cat = Category(c);
  return cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL ||
         cat == UTF8PROC_CATEGORY_ZP;
}

bool IsBertControl(char32_t c) {
  if (c == U'\t' || c == U'\n' || c == U'\r') return false;
  switch (Category(c)) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CN:
      return true;
    default:
      return false;
  }
}

bool IsBertPunctuation(char32_t c) {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
      (c >= 123 && c <= 126)) {
    return true;
  }
  switch (Category(c)) {
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
      return true;
    default:
      return false;
  }
}

bool IsCjkIdeograph(char32_t c) {
  // The blocks BERT's original tokenization.py lists; not all of "CJK".
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

StatusOr<std::u32string> BertNormalize(std::u32string_view text,
                                       const NormalizerOptions& options) {
  std::u32string out(text);
  if (options.clean_text) out = CleanText(out);
  if (options.handle_chinese_chars) out = SpaceCjk(out);
  if (options.strip_accents) {
    ASSIGN_OR_RETURN(out, StripAccents(out));
  }
  if (options.lowercase) {
    std::u32string lower;
    lower.reserve(out.size());
    for (char32_t c : out) AppendLowercase(c, &lower);
    out = std::move(lower);
  }
  return out;
}

std::vector<std::string> BertPreTokenize(std::u32string_view text) {
  std::vector<std::string> words;
  std::string current;
  auto flush = [&] {
    if (!current.empty()) words.push_back(std::move(current));
    current.clear();
  };
  for (char32_t c : text) {
    if (IsBertWhitespace(c)) {
      flush();
    } else if (IsBertPunctuation(c)) {
      flush();
      AppendUtf8(c, &current);
      flush();
    } else {
      AppendUtf8(c, &current);
    }
  }
  flush();
  return words;
}

}  // namespace eml::engine

// Character classes and BertNormalizer steps, with code points whose
// Unicode category is stated next to each expectation.
#include "engine/text_normalize.h"

#include <gtest/gtest.h>

namespace eml::engine {
namespace {

TEST(TextNormalizeTest, Punctuation) {
  for (char32_t c : {U'!', U'/', U':', U'@', U'[', U'`', U'{', U'~', U'$', U'^'}) {
    EXPECT_TRUE(IsBertPunctuation(c)) << static_cast<uint32_t>(c);  // ASCII ranges
  }
  EXPECT_TRUE(IsBertPunctuation(0xBF));    // ¿ Po
  EXPECT_TRUE(IsBertPunctuation(0x2014));  // em dash Pd
  EXPECT_TRUE(IsBertPunctuation(0x300C));  // 「 Ps
  EXPECT_FALSE(IsBertPunctuation(0x20AC)); // € Sc: symbol, not punctuation
  EXPECT_FALSE(IsBertPunctuation(U'a'));
  EXPECT_FALSE(IsBertPunctuation(U'0'));
}

TEST(TextNormalizeTest, WhitespaceAndControl) {
  for (char32_t c : {U' ', U'\t', U'\n', U'\r', char32_t{0xA0}, char32_t{0x3000},
                     char32_t{0x2028}, char32_t{0x2029}}) {
    EXPECT_TRUE(IsBertWhitespace(c)) << static_cast<uint32_t>(c);
  }
  EXPECT_FALSE(IsBertWhitespace(0x200B));  // zero width space is Cf
  EXPECT_TRUE(IsBertControl(0x200B));
  EXPECT_TRUE(IsBertControl(0x01));
  EXPECT_TRUE(IsBertControl(0xE000));      // private use
  EXPECT_TRUE(IsBertControl(0x0378));      // unassigned
  EXPECT_FALSE(IsBertControl(U'\t'));
  EXPECT_FALSE(IsBertControl(U'a'));
}

TEST(TextNormalizeTest, CjkRanges) {
  EXPECT_TRUE(IsCjkIdeograph(0x4E00));
  EXPECT_TRUE(IsCjkIdeograph(0x9FFF));
  EXPECT_TRUE(IsCjkIdeograph(0x20000));
  EXPECT_FALSE(IsCjkIdeograph(0x3042));  // Hiragana is not in BERT's list
  EXPECT_FALSE(IsCjkIdeograph(0xAC00));  // Hangul neither
}

TEST(TextNormalizeTest, DecodeUtf8Strict) {
  EXPECT_EQ(*DecodeUtf8("a\xc3\xa9\xe2\x82\xac\xf0\x9f\xa6\x99"),
            (std::u32string{U'a', 0xE9, 0x20AC, 0x1F999}));
  for (std::string_view bad : {"\x80", "\xc0\x80", "\xed\xbf\xbf", "\xf5\x80\x80\x80", "\xe2\x82"}) {
    EXPECT_EQ(DecodeUtf8(bad).status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(EncodeUtf8(*DecodeUtf8("h\xc3\xa9llo")), "h\xc3\xa9llo");
}

TEST(TextNormalizeTest, NormalizeSteps) {
  NormalizerOptions bert;
  auto norm = [](std::string_view s, const NormalizerOptions& o) {
    return EncodeUtf8(*BertNormalize(*DecodeUtf8(s), o));
  };
  EXPECT_EQ(norm("\xc3\x91" "and\xc3\xba", bert), "nandu");  // Ñandú
  EXPECT_EQ(norm("a\tb\x01" "c\xef\xbf\xbd", bert), "a bc");
  EXPECT_EQ(norm("\xe4\xbd\xa0\xe5\xa5\xbd", bert), " \xe4\xbd\xa0  \xe5\xa5\xbd ");
  NormalizerOptions cased{.lowercase = false, .strip_accents = false};
  EXPECT_EQ(norm("\xc3\x91", cased), "\xc3\x91");
  NormalizerOptions lower_only{.strip_accents = false};
  EXPECT_EQ(norm("\xc3\x91", lower_only), "\xc3\xb1");   // ñ stays precomposed
  EXPECT_EQ(norm("\xc4\xb0", lower_only), "i\xcc\x87");  // İ -> i + U+0307
  EXPECT_EQ(norm("\xc4\xb0", bert), "i");                // NFD first, mark dropped
}

TEST(TextNormalizeTest, PreTokenize) {
  EXPECT_EQ(BertPreTokenize(U"Hello, world!  x"),
            (std::vector<std::string>{"Hello", ",", "world", "!", "x"}));
  EXPECT_EQ(BertPreTokenize(U"3.3 a-b"),
            (std::vector<std::string>{"3", ".", "3", "a", "-", "b"}));
  EXPECT_TRUE(BertPreTokenize(U"   ").empty());
}

}  // namespace
}  // namespace eml::engine

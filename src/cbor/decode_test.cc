// Negative and limit tests for the strict decoder: truncation, bit flips,
// duplicate keys, trailing bytes, depth bombs, hostile lengths, UTF-8 and
// deterministic-mode checks.
#include "cbor/decode.h"

#include <string>

#include <gtest/gtest.h>

#include "cbor/encode.h"
#include "tests/testing.h"

namespace eml::cbor {
namespace {

using testing::Hex;

StatusCode CodeOf(const std::string& hex, const DecodeOptions& options = {}) {
  return Decode(Hex(hex), options).status().code();
}

std::vector<Bytes> AppendixVectors() {
  nlohmann::json cases =
      testing::ReadJsonOrFail(testing::SharedPath("vectors/cbor/appendix_a.json"));
  std::vector<Bytes> out;
  for (const auto& c : cases) out.push_back(Hex(c.at("hex")));
  EXPECT_EQ(out.size(), 82u);
  return out;
}

TEST(CborDecode, TruncationAtEveryLengthIsOutOfRange) {
  DecodeOptions lenient{.allow_indefinite = true};
  int prefixes = 0;
  for (const Bytes& full : AppendixVectors()) {
    if (!Decode(full, lenient).ok()) continue;  // f818, rejected on its own
    for (size_t len = 0; len < full.size(); ++len) {
      ByteSpan prefix(full.data(), len);
      EXPECT_EQ(Decode(prefix, lenient).status().code(), StatusCode::kOutOfRange)
          << "len " << len << " of " << full.size();
      EXPECT_FALSE(Decode(prefix).ok());
      ++prefixes;
    }
  }
  EXPECT_GT(prefixes, 300);
}

TEST(CborDecode, BitFlipsNeverCrashAndDecodedValuesReencode) {
  DecodeOptions lenient{.allow_indefinite = true};
  int accepted = 0, rejected = 0;
  for (const Bytes& full : AppendixVectors()) {
    for (size_t bit = 0; bit < full.size() * 8; ++bit) {
      Bytes flipped = full;
      flipped[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      StatusOr<Value> v = Decode(flipped, lenient);
      if (!v.ok()) {
        ++rejected;
        continue;
      }
      ++accepted;
      StatusOr<Bytes> enc = Encode(*v);
      ASSERT_TRUE(enc.ok()) << enc.status().ToString();
      StatusOr<Value> again = Decode(*enc, DecodeOptions{.require_deterministic = true});
      ASSERT_TRUE(again.ok()) << again.status().ToString();
      EXPECT_EQ(*again, *v);
    }
  }
  EXPECT_GT(accepted, 0);
  EXPECT_GT(rejected, 0);
}

TEST(CborDecode, DuplicateMapKeys) {
  EXPECT_EQ(CodeOf("a201020103"), StatusCode::kAlreadyExists);
  // The same key written in a longer form is still the same key.
  EXPECT_EQ(CodeOf("a20102180103"), StatusCode::kAlreadyExists);
  EXPECT_EQ(CodeOf("a2616101616102"), StatusCode::kAlreadyExists);
  EXPECT_EQ(CodeOf("bf01020103ff", {.allow_indefinite = true}), StatusCode::kAlreadyExists);
  EXPECT_EQ(CodeOf("a201020103", {.require_deterministic = true}), StatusCode::kAlreadyExists);
  // Distinct keys that merely look alike are fine: 1, -2, "1", h'01', 1.0.
  EXPECT_TRUE(Decode(Hex("a501002100613100410100f93c0000")).ok());
}

TEST(CborDecode, TrailingBytes) {
  Status s = Decode(Hex("0000")).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("trailing bytes at offset 1"), std::string::npos) << s.ToString();
  size_t consumed = 0;
  StatusOr<Value> first = DecodeFirst(Hex("8101ff"), &consumed);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(consumed, 2u);
}

std::string Repeat(const std::string& unit, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += unit;
  return out;
}

TEST(CborDecode, DepthBombIsLimitExceeded) {
  EXPECT_EQ(CodeOf(Repeat("81", 10000) + "00"), StatusCode::kLimitExceeded);
  EXPECT_EQ(CodeOf(Repeat("a100", 10000) + "00"), StatusCode::kLimitExceeded);
  EXPECT_EQ(CodeOf(Repeat("c0", 10000) + "00"), StatusCode::kLimitExceeded);
  EXPECT_EQ(CodeOf(Repeat("9f", 10000), {.allow_indefinite = true}),
            StatusCode::kLimitExceeded);
  // The limit is exact: 64 nested containers pass, 65 do not.
  EXPECT_TRUE(Decode(Hex(Repeat("81", 64) + "00")).ok());
  EXPECT_EQ(CodeOf(Repeat("81", 65) + "00"), StatusCode::kLimitExceeded);
  EXPECT_EQ(CodeOf(Repeat("81", 3) + "00", {.max_depth = 2}), StatusCode::kLimitExceeded);
}

TEST(CborDecode, ItemAndSizeLimits) {
  EXPECT_TRUE(Decode(Hex("83010203"), {.max_items = 4}).ok());
  EXPECT_EQ(CodeOf("83010203", {.max_items = 3}), StatusCode::kLimitExceeded);
  EXPECT_EQ(CodeOf("83010203", {.max_size = 3}), StatusCode::kLimitExceeded);
  EXPECT_EQ(CodeOf("5f41014102ff", {.max_items = 2, .allow_indefinite = true}),
            StatusCode::kLimitExceeded);
}

TEST(CborDecode, HugeLengthsFailBeforeAllocating) {
  for (const char* hex : {"5b1000000000000000", "7b1000000000000000", "9b1000000000000000",
                          "bb1000000000000000", "5bffffffffffffffff", "bbffffffffffffffff",
                          "9bffffffffffffffff00", "5a0000000500010203"}) {
    SCOPED_TRACE(hex);
    EXPECT_EQ(CodeOf(hex), StatusCode::kOutOfRange);
  }
  // A map of n entries needs at least 2n bytes.
  EXPECT_EQ(CodeOf("a30102030405"), StatusCode::kOutOfRange);
}

TEST(CborDecode, InvalidUtf8) {
  for (const char* hex : {"62c328", "6180", "62c080", "63eda080", "64f4908080", "61ff",
                          "62e282", "7f6180ff"}) {
    SCOPED_TRACE(hex);
    EXPECT_EQ(CodeOf(hex, {.allow_indefinite = true}), StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(Decode(Hex("64f48fbfbf")).ok());  // U+10FFFF
}

TEST(CborDecode, MalformedHeads) {
  for (int major = 0; major < 8; ++major) {
    for (int info = 28; info <= 30; ++info) {
      Bytes b = {static_cast<uint8_t>(major << 5 | info), 0, 0, 0, 0, 0, 0, 0, 0};
      EXPECT_EQ(Decode(b).status().code(), StatusCode::kInvalidArgument);
    }
  }
  DecodeOptions lenient{.allow_indefinite = true};
  EXPECT_EQ(CodeOf("ff", lenient), StatusCode::kInvalidArgument);      // stray break
  EXPECT_EQ(CodeOf("8201ff", lenient), StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf("bf01ff", lenient), StatusCode::kInvalidArgument);  // break as value
  EXPECT_EQ(CodeOf("1f", lenient), StatusCode::kInvalidArgument);      // indefinite uint
  EXPECT_EQ(CodeOf("3f", lenient), StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf("df00", lenient), StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf("5f6161ff", lenient), StatusCode::kInvalidArgument);  // text in bytes
  EXPECT_EQ(CodeOf("5f5fffff", lenient), StatusCode::kInvalidArgument);  // nested chunks
  EXPECT_EQ(CodeOf("7f01ff", lenient), StatusCode::kInvalidArgument);
  for (int v = 0; v < 32; ++v) {
    Bytes b = {0xf8, static_cast<uint8_t>(v)};
    EXPECT_EQ(Decode(b).status().code(), StatusCode::kInvalidArgument) << v;
  }
  EXPECT_TRUE(Decode(Hex("f820")).ok());
}

TEST(CborDecode, ErrorsNameTheOffset) {
  Status s = Decode(Hex("8301021c")).status();
  EXPECT_NE(s.message().find("reserved additional information at offset 3"),
            std::string::npos) << s.ToString();
  s = Decode(Hex("82019f")).status();
  EXPECT_NE(s.message().find("indefinite-length item not allowed at offset 2"),
            std::string::npos) << s.ToString();
}

TEST(CborDecode, IndefiniteOnlyWhenAllowed) {
  DecodeOptions lenient{.allow_indefinite = true};
  for (const char* hex : {"9fff", "bfff", "5fff", "7fff", "7f6161ff"}) {
    SCOPED_TRACE(hex);
    EXPECT_EQ(CodeOf(hex), StatusCode::kInvalidArgument);
    EXPECT_TRUE(Decode(Hex(hex), lenient).ok());
    EXPECT_FALSE(
        Decode(Hex(hex), {.allow_indefinite = true, .require_deterministic = true}).ok());
  }
}

TEST(CborDecode, DeterministicMode) {
  DecodeOptions det{.require_deterministic = true};
  // Unsorted keys: accepted normally, rejected when deterministic.
  EXPECT_TRUE(Decode(Hex("a202000100")).ok());
  EXPECT_EQ(CodeOf("a202000100", det), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Decode(Hex("a201000200"), det).ok());
  // Bytewise order of encodings, not length-first: 24 (0x1818) < "a" (0x6161).
  EXPECT_TRUE(Decode(Hex("a21818006161" "00"), det).ok());
  EXPECT_EQ(CodeOf("a26161" "00" "1818" "00", det), StatusCode::kInvalidArgument);
  // Non-shortest arguments and floats.
  for (const char* hex : {"1817", "190017", "1a0000ffff", "1b00000000ffffffff", "3817",
                          "5800", "7800", "9800", "b800", "d80500", "fa3f800000",
                          "fb3ff0000000000000", "f97e01", "fa7fc00000"}) {
    SCOPED_TRACE(hex);
    EXPECT_TRUE(Decode(Hex(hex)).ok());
    EXPECT_EQ(CodeOf(hex, det), StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(Decode(Hex("1818"), det).ok());
  EXPECT_TRUE(Decode(Hex("f97e00"), det).ok());
}

}  // namespace
}  // namespace eml::cbor

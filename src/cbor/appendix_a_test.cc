// Runs every example of RFC 8949 Appendix A (../shared/vectors/cbor/
// appendix_a.json, see its SOURCES.md) through the decoder, the diagnostic
// printer and the deterministic encoder. Every case is either checked or
// listed as out of scope with a reason, and the counts must add up.
#include <cstring>
#include <map>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "cbor/decode.h"
#include "cbor/diagnostic.h"
#include "cbor/encode.h"
#include "core/encoding.h"
#include "tests/testing.h"

namespace eml::cbor {
namespace {

using nlohmann::json;

// Big-endian magnitude to decimal by repeated division.
std::string BytesToDecimal(Bytes mag) {
  std::string digits;
  while (std::any_of(mag.begin(), mag.end(), [](uint8_t b) { return b != 0; })) {
    unsigned rem = 0;
    for (uint8_t& b : mag) {
      unsigned cur = (rem << 8) | b;
      b = static_cast<uint8_t>(cur / 10);
      rem = cur % 10;
    }
    digits.insert(digits.begin(), static_cast<char>('0' + rem));
  }
  return digits.empty() ? "0" : digits;
}

Bytes AddOne(Bytes mag) {
  for (size_t i = mag.size(); i > 0; --i) {
    if (++mag[i - 1] != 0) return mag;
  }
  mag.insert(mag.begin(), 1);
  return mag;
}

// Decimal text of an integer or a bignum (tags 2 and 3), or "" otherwise.
std::string IntegerText(const Value& v) {
  Bytes be(8);
  uint64_t n = 0;
  if (v.is_unsigned() || v.is_negative()) {
    n = v.is_unsigned() ? v.unsigned_value() : v.negative_arg();
    for (int i = 0; i < 8; ++i) be[i] = static_cast<uint8_t>(n >> (56 - 8 * i));
    if (v.is_unsigned()) return BytesToDecimal(be);
    return "-" + BytesToDecimal(AddOne(be));
  }
  if (v.is_tag() && (v.tag() == 2 || v.tag() == 3) && v.tag_content().is_bytes()) {
    const Bytes& mag = v.tag_content().bytes();
    if (v.tag() == 2) return BytesToDecimal(mag);
    return "-" + BytesToDecimal(AddOne(mag));
  }
  return "";
}

::testing::AssertionResult MatchesJson(const Value& v, const json& j);

::testing::AssertionResult MatchesJsonObject(const Value& v, const json& j) {
  if (!v.is_map() || v.map().size() != j.size()) {
    return ::testing::AssertionFailure() << "map size/kind differs";
  }
  for (const auto& [key, expected] : j.items()) {
    const Value* found = v.FindText(key);
    if (found == nullptr) return ::testing::AssertionFailure() << "missing key " << key;
    auto r = MatchesJson(*found, expected);
    if (!r) return r;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult MatchesJson(const Value& v, const json& j) {
  auto fail = [&]() {
    return ::testing::AssertionFailure() << Diagnostic(v) << " != " << j.dump();
  };
  if (j.is_number_unsigned()) {
    return v.is_unsigned() && v.unsigned_value() == j.get<uint64_t>()
               ? ::testing::AssertionSuccess() : fail();
  }
  if (j.is_number_integer()) {
    StatusOr<int64_t> n = v.AsInt64();
    return v.is_negative() && n.ok() && *n == j.get<int64_t>()
               ? ::testing::AssertionSuccess() : fail();
  }
  if (j.is_number_float()) {
    double want = j.get<double>();
    if (!v.is_float()) return fail();
    double got = v.float_value();
    return std::memcmp(&got, &want, sizeof(got)) == 0 ? ::testing::AssertionSuccess() : fail();
  }
  if (j.is_boolean()) {
    return v.is_bool() && v.bool_value() == j.get<bool>() ? ::testing::AssertionSuccess()
                                                          : fail();
  }
  if (j.is_null()) return v.is_null() ? ::testing::AssertionSuccess() : fail();
  if (j.is_string()) {
    return v.is_text() && v.text() == j.get<std::string>() ? ::testing::AssertionSuccess()
                                                           : fail();
  }
  if (j.is_array()) {
    if (!v.is_array() || v.array().size() != j.size()) return fail();
    for (size_t i = 0; i < j.size(); ++i) {
      auto r = MatchesJson(v.array()[i], j[i]);
      if (!r) return r;
    }
    return ::testing::AssertionSuccess();
  }
  if (j.is_object()) return MatchesJsonObject(v, j);
  return fail();
}

// nlohmann turns integers outside the 64-bit ranges into doubles, losing
// digits; keep the literal text of every top-level integer `decoded`.
std::map<std::string, std::string> RawIntegers(const std::string& text) {
  std::map<std::string, std::string> out;
  std::regex re(R"re("hex":\s*"([0-9a-f]+)",\s*"roundtrip":\s*(?:true|false),\s*"decoded":\s*(-?[0-9]+)\s*\})re");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
       ++it) {
    out[(*it)[1]] = (*it)[2];
  }
  return out;
}

// RFC 7049 listed 0xf818 as simple(24); RFC 8949 section 3.3 makes a
// two-byte simple value below 32 not well-formed, so we must reject it.
constexpr char kSimple24Hex[] = "f818";
// The value model joins indefinite string chunks, so "(_ h'0102',
// h'030405')" cannot be printed back; the joined value is asserted instead.
constexpr char kChunkedBytesHex[] = "5f42010243030405ff";
constexpr int kIndefiniteCases = 11;  // RFC 8949 Appendix A, "(_ ...)" rows

TEST(CborAppendixA, EveryCase) {
  std::string path = testing::SharedPath("vectors/cbor/appendix_a.json");
  json cases = testing::ReadJsonOrFail(path);
  std::map<std::string, std::string> raw = RawIntegers(testing::ReadTextOrFail(path));
  ASSERT_TRUE(cases.is_array());
  ASSERT_EQ(cases.size(), 82u);
  int checked = 0, out_of_scope = 0, indefinite = 0, big_integers = 0;
  DecodeOptions lenient{.allow_indefinite = true};
  DecodeOptions strict{.require_deterministic = true};
  for (const json& c : cases) {
    std::string hex = c.at("hex");
    SCOPED_TRACE(hex);
    Bytes bytes = testing::Hex(hex);
    StatusOr<Bytes> b64 = Base64Decode(c.at("cbor").get<std::string>());
    ASSERT_TRUE(b64.ok());
    EXPECT_EQ(*b64, bytes);
    bool roundtrip = c.at("roundtrip");

    if (hex == kSimple24Hex) {
      EXPECT_EQ(Decode(bytes).status().code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(Decode(bytes, lenient).status().code(), StatusCode::kInvalidArgument);
      ++out_of_scope;
      continue;
    }
    StatusOr<Value> value = Decode(bytes);
    if (!value.ok()) {
      EXPECT_NE(value.status().message().find("indefinite"), std::string::npos)
          << value.status().ToString();
      EXPECT_FALSE(roundtrip);
      ++indefinite;
      value = Decode(bytes, lenient);
    }
    ASSERT_TRUE(value.ok()) << value.status().ToString();

    if (hex == kChunkedBytesHex) {
      EXPECT_EQ(*value, Value::ByteString(testing::Hex("0102030405")));
      ++out_of_scope;
    } else if (c.contains("decoded")) {
      const json& want = c.at("decoded");
      if (want.is_number_float() && raw.count(hex) != 0) {
        EXPECT_EQ(IntegerText(*value), raw[hex]);
        ++big_integers;
      } else {
        EXPECT_TRUE(MatchesJson(*value, want));
      }
      ++checked;
    } else {
      EXPECT_EQ(Diagnostic(*value), c.at("diagnostic").get<std::string>());
      ++checked;
    }

    StatusOr<Bytes> encoded = Encode(*value);
    ASSERT_TRUE(encoded.ok()) << encoded.status().ToString();
    EXPECT_EQ(Decode(bytes, strict).ok(), roundtrip);
    if (roundtrip) {
      EXPECT_EQ(HexEncode(*encoded), hex);
    } else {
      EXPECT_NE(HexEncode(*encoded), hex);
      StatusOr<Value> again = Decode(*encoded, strict);
      ASSERT_TRUE(again.ok()) << again.status().ToString();
      EXPECT_EQ(*again, *value);
    }
  }
  EXPECT_EQ(indefinite, kIndefiniteCases);
  EXPECT_EQ(out_of_scope, 2);
  EXPECT_EQ(checked + out_of_scope, static_cast<int>(cases.size()));
  EXPECT_EQ(big_integers, 3);  // 2^64 (tag 2), -2^64 (major 1), -2^64-1 (tag 3)
}

}  // namespace
}  // namespace eml::cbor

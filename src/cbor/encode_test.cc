// Deterministic encoder, Value model and diagnostic printer. Expected bytes
// are worked out by hand from RFC 8949 sections 3 and 4.2.
#include "cbor/encode.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "cbor/decode.h"
#include "cbor/diagnostic.h"
#include "core/encoding.h"
#include "tests/testing.h"

namespace eml::cbor {
namespace {

std::string EncHex(const Value& v) {
  StatusOr<Bytes> b = Encode(v);
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  return b.ok() ? HexEncode(*b) : "<error>";
}

TEST(CborEncode, IntegerArgumentBoundaries) {
  EXPECT_EQ(EncHex(Value::Unsigned(23)), "17");
  EXPECT_EQ(EncHex(Value::Unsigned(24)), "1818");
  EXPECT_EQ(EncHex(Value::Unsigned(255)), "18ff");
  EXPECT_EQ(EncHex(Value::Unsigned(256)), "190100");
  EXPECT_EQ(EncHex(Value::Unsigned(65535)), "19ffff");
  EXPECT_EQ(EncHex(Value::Unsigned(65536)), "1a00010000");
  EXPECT_EQ(EncHex(Value::Unsigned(0xffffffff)), "1affffffff");
  EXPECT_EQ(EncHex(Value::Unsigned(0x100000000)), "1b0000000100000000");
  EXPECT_EQ(EncHex(Value::Int(-24)), "37");
  EXPECT_EQ(EncHex(Value::Int(-25)), "3818");
  EXPECT_EQ(EncHex(Value::Int(std::numeric_limits<int64_t>::min())), "3b7fffffffffffffff");
  EXPECT_EQ(EncHex(Value::NegativeArg(~uint64_t{0})), "3bffffffffffffffff");
}

TEST(CborEncode, Int64Conversions) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{24}, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()}) {
    StatusOr<int64_t> back = Value::Int(v).AsInt64();
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, v);
  }
  EXPECT_FALSE(Value::Unsigned(uint64_t{1} << 63).AsInt64().ok());
  EXPECT_FALSE(Value::NegativeArg(uint64_t{1} << 63).AsInt64().ok());
  EXPECT_FALSE(Value::Text("1").AsInt64().ok());
}

TEST(CborEncode, FloatsUseShortestExactWidth) {
  EXPECT_EQ(EncHex(Value::Float(0.0)), "f90000");
  EXPECT_EQ(EncHex(Value::Float(-0.0)), "f98000");
  EXPECT_EQ(EncHex(Value::Float(1.0)), "f93c00");
  EXPECT_EQ(EncHex(Value::Float(65504.0)), "f97bff");
  EXPECT_EQ(EncHex(Value::Float(65505.0)), "fa477fe100");  // not a half
  EXPECT_EQ(EncHex(Value::Float(std::ldexp(1.0, -24))), "f90001");  // smallest half
  EXPECT_EQ(EncHex(Value::Float(std::ldexp(1.0, -15))), "f90200");  // half subnormal
  EXPECT_EQ(EncHex(Value::Float(std::ldexp(1.0, -25))), "fa33000000");
  EXPECT_EQ(EncHex(Value::Float(std::ldexp(3.0, -24))), "f90003");
  EXPECT_EQ(EncHex(Value::Float(1.0 + std::ldexp(1.0, -10))), "f93c01");
  EXPECT_EQ(EncHex(Value::Float(1.0 + std::ldexp(1.0, -11))), "fa3f801000");
  EXPECT_EQ(EncHex(Value::Float(1.1)), "fb3ff199999999999a");
  EXPECT_EQ(EncHex(Value::Float(INFINITY)), "f97c00");
  EXPECT_EQ(EncHex(Value::Float(-INFINITY)), "f9fc00");
  EXPECT_EQ(EncHex(Value::Float(NAN)), "f97e00");
  EXPECT_EQ(EncHex(Value::Float(std::numeric_limits<double>::max())), "fb7fefffffffffffff");
  EXPECT_EQ(EncHex(Value::Float(std::numeric_limits<double>::denorm_min())),
            "fb0000000000000001");
}

TEST(CborEncode, MapKeysSortedBytewise) {
  MapEntries entries;
  entries.emplace_back(Value::Text("b"), Value::Unsigned(1));
  entries.emplace_back(Value::Text("a"), Value::Unsigned(2));
  entries.emplace_back(Value::Unsigned(24), Value::Unsigned(3));  // 0x1818
  entries.emplace_back(Value::Int(-1), Value::Unsigned(4));       // 0x20
  entries.emplace_back(Value::Unsigned(10), Value::Unsigned(5));  // 0x0a
  entries.emplace_back(Value::Text("aa"), Value::Unsigned(6));    // 0x626161
  EXPECT_EQ(EncHex(Value::FromMap(std::move(entries))), "a60a051818032004616102616201626161" "06");
}

TEST(CborEncode, Rejections) {
  MapEntries dup;
  dup.emplace_back(Value::Unsigned(1), Value::Unsigned(1));
  dup.emplace_back(Value::Unsigned(1), Value::Unsigned(2));
  EXPECT_EQ(Encode(Value::FromMap(dup)).status().code(), StatusCode::kAlreadyExists);
  // Nested inside an array, still found.
  EXPECT_EQ(Encode(Value::FromArray({Value::FromMap(dup)})).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(Encode(Value::Text("\xc3\x28")).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Encode(Value::Simple(24)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(EncHex(Value::Simple(32)), "f820");
  EXPECT_EQ(EncHex(Value::Simple(19)), "f3");
}

TEST(CborEncode, CompositeAndTags) {
  Value v = Value::Tagged(18, Value::FromArray({Value::ByteString(testing::Hex("a10126")),
                                                Value::FromMap({}), Value::Null(),
                                                Value::Bool(true), Value::Undefined()}));
  EXPECT_EQ(EncHex(v), "d28543a10126a0f6f5f7");
  StatusOr<Value> back = Decode(testing::Hex("d28543a10126a0f6f5f7"));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, v);
}

TEST(CborValue, Equality) {
  EXPECT_EQ(Value::Float(NAN), Value::Float(-NAN));
  EXPECT_NE(Value::Float(0.0), Value::Float(-0.0));
  EXPECT_NE(Value::Unsigned(1), Value::Float(1.0));
  EXPECT_NE(Value::Unsigned(0), Value::NegativeArg(0));
  EXPECT_NE(Value::Text("a"), Value::ByteString(AsBytes("a")));
  MapEntries ab = {{Value::Text("a"), Value::Unsigned(1)}, {Value::Text("b"), Value::Unsigned(2)}};
  MapEntries ba = {{Value::Text("b"), Value::Unsigned(2)}, {Value::Text("a"), Value::Unsigned(1)}};
  MapEntries bx = {{Value::Text("b"), Value::Unsigned(3)}, {Value::Text("a"), Value::Unsigned(1)}};
  EXPECT_EQ(Value::FromMap(ab), Value::FromMap(ba));
  EXPECT_NE(Value::FromMap(ab), Value::FromMap(bx));
  Value m = Value::FromMap(ab);
  ASSERT_NE(m.FindText("b"), nullptr);
  EXPECT_EQ(*m.FindText("b"), Value::Unsigned(2));
  EXPECT_EQ(m.FindText("c"), nullptr);
  EXPECT_EQ(m.FindInt(1), nullptr);
}

TEST(CborDiagnostic, Forms) {
  StatusOr<Value> v = Decode(testing::Hex("a3012063616263834140f5c11a514b67b06378797a" "f9c400"));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(Diagnostic(*v), "{1: -1, \"abc\": [h'40', true, 1(1363896240)], \"xyz\": -4.0}");
  EXPECT_EQ(Diagnostic(Value::NegativeArg(~uint64_t{0})), "-18446744073709551616");
  EXPECT_EQ(Diagnostic(Value::Text("a\"\\\n")), "\"a\\\"\\\\\\u000a\"");
  EXPECT_EQ(Diagnostic(Value::Float(1.5)), "1.5");
  EXPECT_EQ(Diagnostic(Value::Simple(99)), "simple(99)");
}

}  // namespace
}  // namespace eml::cbor

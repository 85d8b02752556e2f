#include "core/bytes.h"

#include <gtest/gtest.h>

namespace eml {
namespace {

TEST(ByteReaderTest, ReadsBigAndLittleEndian) {
  const Bytes data = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};
  ByteReader r(data);
  uint8_t a;
  uint16_t b;
  uint32_t c;
  ASSERT_TRUE(r.ReadU8(&a).ok());
  ASSERT_TRUE(r.ReadU16Be(&b).ok());
  ASSERT_TRUE(r.ReadU32Le(&c).ok());
  EXPECT_EQ(a, 0x01);
  EXPECT_EQ(b, 0x0203);
  EXPECT_EQ(c, 0x07060504u);
  EXPECT_EQ(r.remaining(), 2u);
  EXPECT_FALSE(r.ExpectEmpty("test").ok());
}

TEST(ByteReaderTest, FailedReadDoesNotAdvance) {
  const Bytes data = {0xaa, 0xbb, 0xcc};
  ByteReader r(data);
  uint32_t v = 0;
  Status s = r.ReadU32Be(&v);
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange);
  EXPECT_EQ(r.remaining(), 3u);
  ByteSpan span;
  EXPECT_FALSE(r.ReadSpan(4, &span).ok());
  EXPECT_TRUE(r.ReadSpan(3, &span).ok());
  EXPECT_EQ(span[2], 0xcc);
  EXPECT_TRUE(r.ExpectEmpty("test").ok());
}

TEST(ByteReaderTest, TruncationAtEveryLength) {
  ByteWriter w;
  w.PutU64Be(0x0102030405060708ull);
  Bytes full = w.Take();
  for (size_t len = 0; len < full.size(); ++len) {
    ByteReader r(ByteSpan(full).first(len));
    uint64_t v;
    EXPECT_FALSE(r.ReadU64Be(&v).ok()) << len;
    EXPECT_EQ(r.remaining(), len);
  }
  ByteReader r(full);
  uint64_t v;
  ASSERT_TRUE(r.ReadU64Be(&v).ok());
  EXPECT_EQ(v, 0x0102030405060708ull);
}

TEST(ByteWriterTest, RoundTrip) {
  ByteWriter w;
  w.PutU16Be(0xbeef);
  w.PutU32Le(0xdeadbeef);
  w.PutU64Le(42);
  const Bytes out = w.Take();
  ASSERT_EQ(out.size(), 14u);
  ByteReader r(out);
  uint16_t a;
  uint32_t b;
  uint64_t c;
  ASSERT_TRUE(r.ReadU16Be(&a).ok());
  ASSERT_TRUE(r.ReadU32Le(&b).ok());
  ASSERT_TRUE(r.ReadU64Le(&c).ok());
  EXPECT_EQ(a, 0xbeef);
  EXPECT_EQ(b, 0xdeadbeefu);
  EXPECT_EQ(c, 42u);
}

}  // namespace
}  // namespace eml

#include "protocol/frame.h"

#include <gtest/gtest.h>

namespace eml::protocol {
namespace {

Bytes Header(uint8_t m0, uint8_t m1, uint8_t version, uint8_t type, uint32_t length) {
  return {m0, m1, version, type, static_cast<uint8_t>(length >> 24),
          static_cast<uint8_t>(length >> 16), static_cast<uint8_t>(length >> 8),
          static_cast<uint8_t>(length)};
}

TEST(FrameTest, RoundTrip) {
  StatusOr<Bytes> frame = EncodeFrame(FrameType::kClientKey, Bytes(32, 7));
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(Bytes(frame->begin(), frame->begin() + 8), Header('E', 'M', 1, 3, 32));
  StatusOr<Frame> parsed = ParseFrame(*frame);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->header.type, FrameType::kClientKey);
  EXPECT_EQ(Bytes(parsed->payload().begin(), parsed->payload().end()), Bytes(32, 7));
}

TEST(FrameTest, HeaderRejectsBadMagicVersionTypeAndLength) {
  EXPECT_FALSE(ParseFrameHeader(Header('E', 'N', 1, 1, 0)).ok());
  EXPECT_FALSE(ParseFrameHeader(Header('X', 'M', 1, 1, 0)).ok());
  EXPECT_EQ(ParseFrameHeader(Header('E', 'M', 2, 1, 0)).status().code(), StatusCode::kUnsupported);
  for (uint8_t type : {0x00, 0x04, 0x0F, 0x14, 0x7E, 0x80, 0xFF}) {
    EXPECT_FALSE(ParseFrameHeader(Header('E', 'M', 1, type, 0)).ok()) << int{type};
  }
  // 16 MiB is the largest payload; one more byte is refused from the header
  // alone, before anything is allocated.
  EXPECT_TRUE(ParseFrameHeader(Header('E', 'M', 1, 0x10, 16u << 20)).ok());
  EXPECT_EQ(ParseFrameHeader(Header('E', 'M', 1, 0x10, (16u << 20) + 1)).status().code(),
            StatusCode::kLimitExceeded);
  EXPECT_EQ(ParseFrameHeader(Header('E', 'M', 1, 0x10, 0xFFFFFFFF)).status().code(),
            StatusCode::kLimitExceeded);
  EXPECT_FALSE(ParseFrameHeader(Bytes(7, 0)).ok());
}

TEST(FrameTest, ParseFrameRequiresExactLength) {
  StatusOr<Bytes> frame = EncodeFrame(FrameType::kAlert, Bytes(4, 1));
  ASSERT_TRUE(frame.ok());
  Bytes longer = *frame;
  longer.push_back(0);
  EXPECT_FALSE(ParseFrame(longer).ok());
  Bytes shorter(frame->begin(), frame->end() - 1);
  EXPECT_FALSE(ParseFrame(shorter).ok());
  EXPECT_FALSE(ParseFrame(Bytes(3, 0)).ok());
}

TEST(FrameTest, RecordTypes) {
  EXPECT_TRUE(IsRecordType(FrameType::kRequest));
  EXPECT_TRUE(IsRecordType(FrameType::kClose));
  EXPECT_FALSE(IsRecordType(FrameType::kClientHello));
  EXPECT_FALSE(IsRecordType(FrameType::kAlert));
}

}  // namespace
}  // namespace eml::protocol

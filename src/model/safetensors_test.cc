// Tests for the safetensors reader, writer and dtype conversions. Every bad
// file is built as bytes here, one per rejection reason in
// docs/safetensors.md.
#include "model/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <chrono>
#include <cstring>
#include <future>
#include <fstream>
#include <limits>

#include <gtest/gtest.h>

#include "tests/testing.h"

namespace eml::model {
namespace {

// 8-byte little-endian header length, the header text, then the data area.
Bytes MakeFile(std::string_view header, const Bytes& data = {}) {
  ByteWriter w;
  w.PutU64Le(header.size());
  w.PutBytes(AsBytes(header));
  w.PutBytes(data);
  return w.Take();
}

Bytes Zeros(size_t n) { return Bytes(n, 0); }

void ExpectError(const Bytes& file, StatusCode code, std::string_view fragment,
                 const SafetensorsLimits& limits = {}) {
  auto result = SafetensorsFile::FromBuffer(file, limits);
  ASSERT_FALSE(result.ok()) << "accepted a bad file, expected: " << fragment;
  EXPECT_EQ(result.status().code(), code) << result.status().ToString();
  EXPECT_NE(result.status().message().find(fragment), std::string::npos)
      << result.status().ToString();
}

constexpr std::string_view kGoodHeader =
    R"({"__metadata__":{"format":"pt"},)"
    R"("b":{"dtype":"F16","shape":[2],"data_offsets":[8,12]},)"
    R"("a":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}   )";  // 128 bytes

Bytes GoodData() {
  Bytes data(12);
  float a[2] = {1.5f, -2.0f};
  std::memcpy(data.data(), a, 8);
  data[8] = 0x00; data[9] = 0x3c;   // F16 1.0
  data[10] = 0x00; data[11] = 0xc0; // F16 -2.0
  return data;
}

TEST(SafetensorsTest, ParsesValidFile) {
  Bytes file = MakeFile(kGoodHeader, GoodData());
  auto st = SafetensorsFile::FromBuffer(file);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  const auto& tensors = (*st)->tensors();
  ASSERT_EQ(tensors.size(), 2u);
  EXPECT_EQ(tensors[0].name, "a");  // sorted by name
  EXPECT_EQ(tensors[1].name, "b");
  const TensorView* a = (*st)->Find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dtype, DType::kF32);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(a->num_elements, 2u);
  EXPECT_EQ(a->data.data(), file.data() + 8 + kGoodHeader.size());
  EXPECT_EQ((*st)->Find("c"), nullptr);
  EXPECT_EQ((*st)->metadata().at("format"), "pt");
  EXPECT_EQ((*st)->file_bytes().size(), file.size());

  std::vector<float> b(2);
  ASSERT_TRUE(ConvertToF32(*(*st)->Find("b"), b).ok());
  EXPECT_EQ(b[0], 1.0f);
  EXPECT_EQ(b[1], -2.0f);
  std::vector<float> af(2);
  ASSERT_TRUE(ConvertToF32(*a, af).ok());
  EXPECT_EQ(af[0], 1.5f);
  EXPECT_EQ(af[1], -2.0f);
  std::vector<float> wrong(3);
  EXPECT_EQ(ConvertToF32(*a, wrong).code(), StatusCode::kInvalidArgument);
}

TEST(SafetensorsTest, AcceptsEmptyTensorListAndScalarsAndZeroSized) {
  EXPECT_TRUE(SafetensorsFile::FromBuffer(MakeFile("{}")).ok());
  EXPECT_TRUE(SafetensorsFile::FromBuffer(MakeFile("{}      ")).ok());  // space padding
  Bytes file = MakeFile(
      R"({"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]},)"
      R"("z":{"dtype":"BF16","shape":[0,3],"data_offsets":[4,4]}})",
      Zeros(4));
  auto st = SafetensorsFile::FromBuffer(file);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ((*st)->Find("s")->num_elements, 1u);
  EXPECT_EQ((*st)->Find("z")->num_elements, 0u);
}

// --- One test per rejection reason -----------------------------------------

TEST(SafetensorsRejectTest, FileTooSmall) {
  ExpectError({}, StatusCode::kOutOfRange, "8-byte header length");
  ExpectError(Zeros(7), StatusCode::kOutOfRange, "8-byte header length");
}

TEST(SafetensorsRejectTest, HeaderLengthOverLimit) {
  SafetensorsLimits limits{.max_header_size = 4};
  ExpectError(MakeFile(R"({"a":1})"), StatusCode::kLimitExceeded, "max_header_size",
              limits);
  Bytes huge = Zeros(8);
  huge[7] = 0xff;  // 2^63-ish: over the default limit, never allocated
  ExpectError(huge, StatusCode::kLimitExceeded, "max_header_size");
}

TEST(SafetensorsRejectTest, HeaderLengthOverFileSize) {
  Bytes file = MakeFile("{}");
  file[0] = 3;  // claims 3 bytes, 2 present
  ExpectError(file, StatusCode::kOutOfRange, "exceeds file size");
}

TEST(SafetensorsRejectTest, HeaderNotAnObject) {
  ExpectError(MakeFile(""), StatusCode::kInvalidArgument, "start with '{'");
  ExpectError(MakeFile(" {}"), StatusCode::kInvalidArgument, "start with '{'");
  ExpectError(MakeFile("[]"), StatusCode::kInvalidArgument, "start with '{'");
}

TEST(SafetensorsRejectTest, InvalidJson) {
  ExpectError(MakeFile("{\"a\":"), StatusCode::kInvalidArgument, "not valid JSON");
  ExpectError(MakeFile("{} x"), StatusCode::kInvalidArgument, "not valid JSON");
  ExpectError(MakeFile("{\"\xff\":1}"), StatusCode::kInvalidArgument, "not valid JSON");
}

TEST(SafetensorsRejectTest, DuplicateKeys) {
  ExpectError(MakeFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                       R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                       Zeros(8)),
              StatusCode::kAlreadyExists, "duplicate key");
  ExpectError(MakeFile(R"({"a":{"dtype":"F32","dtype":"F32","shape":[1],)"
                       R"("data_offsets":[0,4]}})",
                       Zeros(4)),
              StatusCode::kAlreadyExists, "duplicate key");
  ExpectError(MakeFile(R"({"__metadata__":{"k":"1","k":"2"}})"), StatusCode::kAlreadyExists,
              "duplicate key");
}

TEST(SafetensorsRejectTest, UnsupportedDtype) {
  ExpectError(MakeFile(R"({"a":{"dtype":"I8","shape":[1],"data_offsets":[0,1]}})", Zeros(1)),
              StatusCode::kUnsupported, "dtype I8");
  ExpectError(MakeFile(R"({"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})", Zeros(8)),
              StatusCode::kUnsupported, "dtype F64");
}

TEST(SafetensorsRejectTest, DtypeNotString) {
  ExpectError(MakeFile(R"({"a":{"dtype":1,"shape":[1],"data_offsets":[0,4]}})", Zeros(4)),
              StatusCode::kInvalidArgument, "dtype is not a string");
}

TEST(SafetensorsRejectTest, NegativeShape) {
  ExpectError(MakeFile(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", Zeros(4)),
              StatusCode::kInvalidArgument, "negative shape");
}

TEST(SafetensorsRejectTest, NonIntegerShape) {
  ExpectError(MakeFile(R"({"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}})", Zeros(4)),
              StatusCode::kInvalidArgument, "not an integer");
  ExpectError(MakeFile(R"({"a":{"dtype":"F32","shape":"1","data_offsets":[0,4]}})", Zeros(4)),
              StatusCode::kInvalidArgument, "shape is not an array");
}

TEST(SafetensorsRejectTest, RankOverLimit) {
  ExpectError(MakeFile(R"({"a":{"dtype":"F32","shape":[1,1,1],"data_offsets":[0,4]}})",
                       Zeros(4)),
              StatusCode::kLimitExceeded, "max_rank", SafetensorsLimits{.max_rank = 2});
}

TEST(SafetensorsRejectTest, ShapeProductOverflows) {
  ExpectError(MakeFile(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,2],)"
                       R"("data_offsets":[0,0]}})"),
              StatusCode::kInvalidArgument, "overflows");
  // Fits in size_t as elements, but not as bytes.
  ExpectError(MakeFile(R"({"a":{"dtype":"F32","shape":[4611686018427387904],)"
                       R"("data_offsets":[0,0]}})"),
              StatusCode::kInvalidArgument, "does not match dtype and shape");
}

TEST(SafetensorsRejectTest, OffsetsMalformed) {
  ExpectError(MakeFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", Zeros(4)),
              StatusCode::kInvalidArgument, "[begin, end] pair");
  ExpectError(MakeFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[-1,3]}})", Zeros(4)),
              StatusCode::kInvalidArgument, "non-negative integer");
}

TEST(SafetensorsRejectTest, OffsetsBeginAfterEnd) {
  ExpectError(MakeFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})", Zeros(4)),
              StatusCode::kInvalidArgument, "begin > end");
}

TEST(SafetensorsRejectTest, OffsetsBeyondDataArea) {
  ExpectError(MakeFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", Zeros(3)),
              StatusCode::kOutOfRange, "beyond the data area");
}

TEST(SafetensorsRejectTest, OffsetsLengthMismatch) {
  ExpectError(MakeFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", Zeros(4)),
              StatusCode::kInvalidArgument, "does not match dtype and shape");
}

TEST(SafetensorsRejectTest, Overlap) {
  ExpectError(MakeFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                       R"("b":{"dtype":"F16","shape":[2],"data_offsets":[2,6]}})",
                       Zeros(6)),
              StatusCode::kInvalidArgument, "overlaps");
}

TEST(SafetensorsRejectTest, Hole) {
  ExpectError(MakeFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                       R"("b":{"dtype":"F16","shape":[1],"data_offsets":[6,8]}})",
                       Zeros(8)),
              StatusCode::kInvalidArgument, "hole");
  ExpectError(MakeFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})", Zeros(6)),
              StatusCode::kInvalidArgument, "hole");
}

TEST(SafetensorsRejectTest, TrailingBytes) {
  ExpectError(MakeFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", Zeros(5)),
              StatusCode::kInvalidArgument, "unused bytes");
  ExpectError(MakeFile("{}", Zeros(1)), StatusCode::kInvalidArgument, "unused bytes");
}

TEST(SafetensorsRejectTest, MetadataNotStrings) {
  ExpectError(MakeFile(R"({"__metadata__":{"k":1}})"), StatusCode::kInvalidArgument,
              "__metadata__ value is not a string");
  ExpectError(MakeFile(R"({"__metadata__":["k"]})"), StatusCode::kInvalidArgument,
              "__metadata__ is not an object");
}

TEST(SafetensorsRejectTest, UnknownTensorField) {
  ExpectError(MakeFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":0}})",
                       Zeros(4)),
              StatusCode::kInvalidArgument, "unknown tensor field x");
}

TEST(SafetensorsRejectTest, MissingTensorField) {
  ExpectError(MakeFile(R"({"a":{"dtype":"F32","data_offsets":[0,4]}})", Zeros(4)),
              StatusCode::kInvalidArgument, "lacks dtype, shape or data_offsets");
  ExpectError(MakeFile(R"({"a":[]})"), StatusCode::kInvalidArgument,
              "tensor entry is not an object");
}

TEST(SafetensorsRejectTest, TensorNameLength) {
  std::string name(17, 'n');
  std::string header = R"({")" + name + R"(":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  ExpectError(MakeFile(header, Zeros(4)), StatusCode::kLimitExceeded, "max_name_size",
              SafetensorsLimits{.max_name_size = 16});
  ExpectError(MakeFile(R"({"":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", Zeros(4)),
              StatusCode::kInvalidArgument, "empty tensor name");
}

TEST(SafetensorsRejectTest, TooManyTensors) {
  ExpectError(MakeFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                       R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                       Zeros(8)),
              StatusCode::kLimitExceeded, "max_tensors", SafetensorsLimits{.max_tensors = 1});
}

// Every strict prefix of a valid file is rejected (never a crash), and
// flipping any bit never crashes.
TEST(SafetensorsRejectTest, TruncationAndBitFlips) {
  Bytes file = MakeFile(kGoodHeader, GoodData());
  ASSERT_TRUE(SafetensorsFile::FromBuffer(file).ok());
  for (size_t len = 0; len < file.size(); ++len) {
    Bytes prefix(file.begin(), file.begin() + len);
    EXPECT_FALSE(SafetensorsFile::FromBuffer(prefix).ok()) << "prefix length " << len;
  }
  size_t header_end = 8 + kGoodHeader.size();
  for (size_t bit = 0; bit < header_end * 8; ++bit) {
    Bytes flipped = file;
    flipped[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    auto result = SafetensorsFile::FromBuffer(flipped);
    if (result.ok()) {  // e.g. a flipped letter in the metadata value
      EXPECT_EQ((*result)->tensors().size() + (*result)->metadata().size(), 3u);
    }
  }
}

// --- Conversions ------------------------------------------------------------

TEST(SafetensorsConvertTest, F16HandComputedValues) {
  EXPECT_EQ(F16ToF32(0x3C00), 1.0f);
  EXPECT_EQ(F16ToF32(0xC000), -2.0f);
  EXPECT_EQ(F16ToF32(0x3555), 0.333251953125f);  // 2^-2 * (1 + 0x155/1024)
  EXPECT_EQ(F16ToF32(0x7BFF), 65504.0f);                     // largest normal
  EXPECT_EQ(F16ToF32(0x0400), std::ldexp(1.0f, -14));        // smallest normal
  EXPECT_EQ(F16ToF32(0x0001), std::ldexp(1.0f, -24));        // smallest subnormal
  EXPECT_EQ(F16ToF32(0x03FF), std::ldexp(1023.0f, -24));     // largest subnormal
  EXPECT_EQ(F16ToF32(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(F16ToF32(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(F16ToF32(0x7E00)));
  EXPECT_TRUE(std::isnan(F16ToF32(0x7C01)));
  float neg_zero = F16ToF32(0x8000);
  EXPECT_EQ(neg_zero, 0.0f);
  EXPECT_TRUE(std::signbit(neg_zero));
}

TEST(SafetensorsConvertTest, BF16HandComputedValues) {
  EXPECT_EQ(BF16ToF32(0x3F80), 1.0f);
  EXPECT_EQ(BF16ToF32(0xC000), -2.0f);
  EXPECT_EQ(BF16ToF32(0x4049), 3.140625f);
  EXPECT_EQ(BF16ToF32(0x7F80), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(BF16ToF32(0x7FC0)));
}

TEST(SafetensorsConvertTest, AsF32SpanNeedsF32AndAlignment) {
  Bytes file = MakeFile(kGoodHeader, GoodData());
  ASSERT_EQ(kGoodHeader.size() % 8, 0u);  // data area 8-aligned in the buffer
  auto st = SafetensorsFile::FromBuffer(file);
  ASSERT_TRUE(st.ok());
  auto span = AsF32Span(*(*st)->Find("a"));
  ASSERT_TRUE(span.ok()) << span.status().ToString();
  EXPECT_EQ((*span)[0], 1.5f);
  EXPECT_EQ(AsF32Span(*(*st)->Find("b")).status().code(), StatusCode::kInvalidArgument);

  Bytes shifted(file.size() + 1);  // same file one byte into the buffer
  std::memcpy(shifted.data() + 1, file.data(), file.size());
  auto st2 = SafetensorsFile::FromBuffer(ByteSpan(shifted).subspan(1));
  ASSERT_TRUE(st2.ok());
  EXPECT_EQ(AsF32Span(*(*st2)->Find("a")).status().code(), StatusCode::kFailedPrecondition);
  std::vector<float> out(2);
  ASSERT_TRUE(ConvertToF32(*(*st2)->Find("a"), out).ok());  // copy path still works
  EXPECT_EQ(out[1], -2.0f);
}

// The test vector in docs/safetensors.md (made with Python's json.dumps,
// sort_keys, compact separators): read it, and the writer must reproduce it
// byte for byte.
TEST(SafetensorsWriterTest, DocTestVector) {
  Bytes vector = eml::testing::Hex(
      "3800000000000000"
      "7b2261223a7b22646174615f6f666673657473223a5b302c345d2c22647479706522"
      "3a22463136222c227368617065223a5b325d7d7d2020"
      "003c00c0");
  auto st = SafetensorsFile::FromBuffer(vector);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  std::vector<float> out(2);
  ASSERT_TRUE(ConvertToF32(*(*st)->Find("a"), out).ok());
  EXPECT_EQ(out, (std::vector<float>{1.0f, -2.0f}));
  Bytes data = {0x00, 0x3c, 0x00, 0xc0};
  std::vector<TensorToWrite> tensors = {{"a", DType::kF16, {2}, data}};
  auto written = SerializeSafetensors(tensors);
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(*written, vector);
}

// --- Writer and Open ---------------------------------------------------------

std::vector<TensorToWrite> SampleTensors(const Bytes& f32, const Bytes& bf16) {
  return {{"z.weight", DType::kF32, {2, 3}, f32}, {"a.bias", DType::kBF16, {3}, bf16}};
}

TEST(SafetensorsWriterTest, RoundTripAndDeterminism) {
  Bytes f32(24);
  for (size_t i = 0; i < f32.size(); ++i) f32[i] = static_cast<uint8_t>(i * 7);
  Bytes bf16 = {0x80, 0x3f, 0x00, 0xc0, 0x49, 0x40};
  auto tensors = SampleTensors(f32, bf16);
  std::map<std::string, std::string> meta = {{"format", "pt"}};
  auto bytes = SerializeSafetensors(tensors, meta);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  uint64_t header_size = 0;
  std::memcpy(&header_size, bytes->data(), 8);
  EXPECT_EQ((8 + header_size) % 8, 0u);

  std::vector<TensorToWrite> reversed(tensors.rbegin(), tensors.rend());
  auto again = SerializeSafetensors(reversed, meta);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*bytes, *again);  // input order does not matter

  std::string path = ::testing::TempDir() + "/eml_safetensors_roundtrip.safetensors";
  ASSERT_TRUE(WriteSafetensors(path, tensors, meta).ok());
  auto st = SafetensorsFile::Open(path);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(Bytes((*st)->file_bytes().begin(), (*st)->file_bytes().end()), *bytes);
  ASSERT_EQ((*st)->tensors().size(), 2u);
  const TensorView* a = (*st)->Find("a.bias");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->data.data(), (*st)->file_bytes().data() + 8 + header_size);  // name order
  std::vector<float> out(3);
  ASSERT_TRUE(ConvertToF32(*a, out).ok());
  EXPECT_EQ(out, (std::vector<float>{1.0f, -2.0f, 3.140625f}));
  const TensorView* z = (*st)->Find("z.weight");
  EXPECT_TRUE(std::equal(z->data.begin(), z->data.end(), f32.begin(), f32.end()));
  // The data area is 8-aligned in the page-aligned mapping, but z.weight
  // follows 6 bytes of BF16: no padding is allowed, so no zero-copy view.
  EXPECT_EQ(AsF32Span(*z).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*st)->metadata(), meta);
  ::unlink(path.c_str());
}

TEST(SafetensorsWriterTest, RejectsBadInput) {
  Bytes four(4);
  std::vector<TensorToWrite> mismatch = {{"a", DType::kF32, {2}, four}};
  EXPECT_EQ(SerializeSafetensors(mismatch).status().code(), StatusCode::kInvalidArgument);
  std::vector<TensorToWrite> dup = {{"a", DType::kF32, {1}, four},
                                    {"a", DType::kF32, {1}, four}};
  EXPECT_EQ(SerializeSafetensors(dup).status().code(), StatusCode::kAlreadyExists);
  std::vector<TensorToWrite> negative = {{"a", DType::kF32, {-1}, four}};
  EXPECT_EQ(SerializeSafetensors(negative).status().code(), StatusCode::kInvalidArgument);
}

TEST(SafetensorsOpenTest, MissingEmptyAndTooSmallFiles) {
  EXPECT_EQ(SafetensorsFile::Open("/nonexistent/x.safetensors").status().code(),
            StatusCode::kNotFound);
  std::string path = ::testing::TempDir() + "/eml_safetensors_empty.safetensors";
  { std::ofstream f(path, std::ios::binary | std::ios::trunc); }
  EXPECT_EQ(SafetensorsFile::Open(path).status().code(), StatusCode::kOutOfRange);
  { std::ofstream f(path, std::ios::binary | std::ios::trunc); f << "abc"; }
  EXPECT_EQ(SafetensorsFile::Open(path).status().code(), StatusCode::kOutOfRange);
  ::unlink(path.c_str());
  EXPECT_EQ(SafetensorsFile::Open(::testing::TempDir()).status().code(), StatusCode::kIo);
}

// A host can plant a FIFO where the weights should be: open() must not block
// waiting for a writer, and the file must be rejected as not regular.
TEST(SafetensorsOpenTest, FifoIsRejectedWithoutBlocking) {
  std::string path = ::testing::TempDir() + "/eml_safetensors_fifo.safetensors";
  ::unlink(path.c_str());
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  auto result = std::async(std::launch::async, [&] { return SafetensorsFile::Open(path); });
  bool finished = result.wait_for(std::chrono::seconds(3)) == std::future_status::ready;
  if (!finished) {  // unblock the reader so the test ends
    int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd >= 0) ::close(fd);
  }
  EXPECT_TRUE(finished) << "Open blocked on a FIFO";
  EXPECT_EQ(result.get().status().code(), StatusCode::kIo);
  ::unlink(path.c_str());
}

}  // namespace
}  // namespace eml::model

#include "protocol/messages.h"

#include <cstring>

#include <gtest/gtest.h>

#include "cbor/encode.h"
#include "cbor/value.h"

namespace eml::protocol {
namespace {

TEST(MessagesTest, RequestRoundTripAndBounds) {
  EmbedRequest request{Bytes(16, 1), {"a", "b c"}};
  StatusOr<Bytes> encoded = EncodeEmbedRequest(request);
  ASSERT_TRUE(encoded.ok());
  StatusOr<EmbedRequest> parsed = ParseEmbedRequest(*encoded);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->texts, request.texts);
  EXPECT_EQ(parsed->nonce, request.nonce);

  EXPECT_FALSE(EncodeEmbedRequest({Bytes(15, 1), {"a"}}).ok());
  EXPECT_FALSE(EncodeEmbedRequest({Bytes(65, 1), {"a"}}).ok());
  EXPECT_FALSE(EncodeEmbedRequest({Bytes(16, 1), {}}).ok());
  EXPECT_FALSE(EncodeEmbedRequest({Bytes(16, 1), std::vector<std::string>(257, "x")}).ok());
  EXPECT_FALSE(EncodeEmbedRequest({Bytes(16, 1), {std::string(65537, 'x')}}).ok());
}

TEST(MessagesTest, RequestDecoderRejectsHostileShapes) {
  using cbor::Value;
  auto encode = [](cbor::MapEntries e) { return *cbor::Encode(Value::FromMap(std::move(e))); };
  auto base = [] {
    cbor::MapEntries e;
    e.emplace_back(Value::Unsigned(1), Value::Text("embed"));
    e.emplace_back(Value::Unsigned(2), Value::ByteString(Bytes(16, 1)));
    cbor::Array texts;
    texts.push_back(Value::Text("hi"));
    e.emplace_back(Value::Unsigned(3), Value::FromArray(texts));
    return e;
  };
  ASSERT_TRUE(ParseEmbedRequest(encode(base())).ok());
  cbor::MapEntries op = base();
  op[0].second = Value::Text("generate");
  EXPECT_EQ(ParseEmbedRequest(encode(op)).status().code(), StatusCode::kUnsupported);
  cbor::MapEntries number_text = base();
  number_text[2].second.mutable_array()[0] = Value::Unsigned(5);
  EXPECT_FALSE(ParseEmbedRequest(encode(number_text)).ok());
  cbor::MapEntries extra = base();
  extra.emplace_back(Value::Unsigned(4), Value::Null());
  EXPECT_FALSE(ParseEmbedRequest(encode(extra)).ok());
  EXPECT_FALSE(ParseEmbedRequest(Bytes{0x80}).ok());
  EXPECT_FALSE(ParseEmbedRequest(Bytes{0xa1, 0x01}).ok());
}

TEST(MessagesTest, RequestDecoderEnforcesTheBounds) {
  using cbor::Value;
  auto request = [](Bytes nonce, size_t texts, size_t text_size) {
    cbor::MapEntries e;
    e.emplace_back(Value::Unsigned(1), Value::Text("embed"));
    e.emplace_back(Value::Unsigned(2), Value::ByteString(std::move(nonce)));
    cbor::Array items(texts, Value::Text(std::string(text_size, 'a')));
    e.emplace_back(Value::Unsigned(3), Value::FromArray(std::move(items)));
    return *cbor::Encode(Value::FromMap(std::move(e)));
  };
  EXPECT_TRUE(ParseEmbedRequest(request(Bytes(16, 1), 1, 1)).ok());
  EXPECT_TRUE(ParseEmbedRequest(request(Bytes(64, 1), 256, 1)).ok());
  EXPECT_TRUE(ParseEmbedRequest(request(Bytes(16, 1), 1, 65536)).ok());
  EXPECT_FALSE(ParseEmbedRequest(request(Bytes(15, 1), 1, 1)).ok());
  EXPECT_FALSE(ParseEmbedRequest(request(Bytes(65, 1), 1, 1)).ok());
  EXPECT_FALSE(ParseEmbedRequest(request(Bytes(16, 1), 0, 1)).ok());
  EXPECT_FALSE(ParseEmbedRequest(request(Bytes(16, 1), 257, 1)).ok());
  EXPECT_EQ(ParseEmbedRequest(request(Bytes(16, 1), 1, 65537)).status().code(),
            StatusCode::kLimitExceeded);
}

TEST(MessagesTest, ResponseBodyDecoderChecksTheShape) {
  using cbor::Value;
  auto body = [](uint64_t dims, size_t vector_bytes, size_t count) {
    cbor::MapEntries e;
    e.emplace_back(Value::Unsigned(1), Value::Unsigned(dims));
    e.emplace_back(Value::Unsigned(2), Value::ByteString(Bytes(vector_bytes, 0)));
    e.emplace_back(Value::Unsigned(3), Value::FromArray(cbor::Array(count, Value::Unsigned(3))));
    return *cbor::Encode(Value::FromMap(std::move(e)));
  };
  EXPECT_TRUE(ParseEmbedResponseBody(body(4, 32, 2)).ok());
  EXPECT_FALSE(ParseEmbedResponseBody(body(4, 28, 2)).ok());  // one float short
  EXPECT_FALSE(ParseEmbedResponseBody(body(4, 32, 3)).ok());  // one text too many
  EXPECT_FALSE(ParseEmbedResponseBody(body(0, 0, 2)).ok());
  EXPECT_FALSE(ParseEmbedResponseBody(body(65537, 65537 * 4, 1)).ok());
}

TEST(MessagesTest, ResponseBodyRoundTripAndShapeCheck) {
  EmbedResponseBody body;
  body.dims = 3;
  body.vectors = {1.0f, -2.5f, 0.0f, 4.0f, 5.0f, 6.0f};
  body.token_counts = {3, 4};
  StatusOr<Bytes> encoded = EncodeEmbedResponseBody(body);
  ASSERT_TRUE(encoded.ok());
  StatusOr<EmbedResponseBody> parsed = ParseEmbedResponseBody(*encoded);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->vectors, body.vectors);
  EXPECT_EQ(parsed->token_counts, body.token_counts);
  body.token_counts = {3};
  EXPECT_FALSE(EncodeEmbedResponseBody(body).ok());
}

TEST(MessagesTest, EnvelopeAndError) {
  StatusOr<Bytes> env = EncodeResponseEnvelope({Bytes(5, 1), Bytes(7, 2)});
  ASSERT_TRUE(env.ok());
  StatusOr<ResponseEnvelope> parsed = ParseResponseEnvelope(*env);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->receipt, Bytes(7, 2));
  EXPECT_FALSE(ParseResponseEnvelope(*EncodeResponseEnvelope({Bytes(5, 1), Bytes(65537, 2)})).ok());

  StatusOr<Bytes> err = EncodeErrorMessage({"LIMIT", "too many texts"});
  ASSERT_TRUE(err.ok());
  StatusOr<ErrorMessage> e = ParseErrorMessage(*err);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->code, "LIMIT");
  EXPECT_EQ(CloseCodeName(3), "LIFETIME_EXCEEDED");
  EXPECT_EQ(CloseCodeName(99), "UNKNOWN");
}

}  // namespace
}  // namespace eml::protocol

namespace eml::protocol {
namespace {

// The per-request encoders write CBOR directly; their bytes must be exactly
// cbor::Encode's for the same map, at every head-size boundary.
TEST(MessagesTest, DirectEncodersMatchTheGenericEncoder) {
  using cbor::Value;
  auto map3 = [](Value a, Value b, Value c) {
    cbor::MapEntries e;
    e.emplace_back(Value::Unsigned(1), std::move(a));
    e.emplace_back(Value::Unsigned(2), std::move(b));
    e.emplace_back(Value::Unsigned(3), std::move(c));
    return *cbor::Encode(Value::FromMap(std::move(e)));
  };
  for (size_t len : {0, 1, 23, 24, 255, 256, 65535, 65536}) {
    const std::vector<std::string> texts = {std::string(len, 'x'), "h\xc3\xa9llo", ""};
    const Bytes nonce(len % 2 ? 16 : 64, 7);
    cbor::Array text_values;
    for (const std::string& t : texts) text_values.push_back(Value::Text(t));
    EXPECT_EQ(*EncodeEmbedRequest({nonce, texts}),
              map3(Value::Text("embed"), Value::ByteString(nonce), Value::FromArray(text_values)))
        << len;

    const uint32_t dims = len == 0 ? 1 : static_cast<uint32_t>(len);
    const size_t count = len % 3 + 1;
    EmbedResponseBody body{dims, std::vector<float>(dims * count, 0.25f), {}};
    cbor::Array counts;
    for (size_t i = 0; i < count; ++i) {
      body.token_counts.push_back(static_cast<uint32_t>(i * 300 + len));
      counts.push_back(Value::Unsigned(i * 300 + len));
    }
    Bytes vectors(body.vectors.size() * sizeof(float));
    std::memcpy(vectors.data(), body.vectors.data(), vectors.size());
    EXPECT_EQ(*EncodeEmbedResponseBody(body),
              map3(Value::Unsigned(dims), Value::ByteString(vectors), Value::FromArray(counts)))
        << len;

    const ResponseEnvelope envelope{Bytes(len, 1), Bytes(len + 1, 2)};
    cbor::MapEntries e;
    e.emplace_back(Value::Unsigned(1), Value::ByteString(envelope.body));
    e.emplace_back(Value::Unsigned(2), Value::ByteString(envelope.receipt));
    EXPECT_EQ(*EncodeResponseEnvelope(envelope), *cbor::Encode(Value::FromMap(std::move(e)))) << len;
  }
  // Text that is not UTF-8 is refused, as cbor::Encode refuses it.
  EXPECT_EQ(EncodeEmbedRequest({Bytes(16, 1), {"ok", "\xff"}}).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace eml::protocol

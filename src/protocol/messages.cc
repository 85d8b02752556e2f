#include "protocol/messages.h"

#include <bit>
#include <cstring>
#include <utility>

#include "cbor/encode.h"
#include "cbor/utf8.h"
#include "cbor/value.h"
#include "protocol/frame.h"
#include "protocol/cbor_map.h"

namespace eml::protocol {
namespace {

using cbor::Value;

static_assert(std::endian::native == std::endian::little,
              "vectors are sent as little-endian float32 by memcpy");

StatusOr<Bytes> EncodeMap(cbor::MapEntries entries) {
  return cbor::Encode(Value::FromMap(std::move(entries)));
}

Value Key(uint64_t k) { return Value::Unsigned(k); }

// Direct deterministic encoding for the messages sent on every request:
// the keys are 1, 2, 3 in this order, which is already the bytewise order
// of their encodings, so the bytes equal what cbor::Encode produces for the
// same map (messages_test compares the two) without building a Value tree
// and copying each string twice.
constexpr uint8_t kMajorUnsigned = 0;
constexpr uint8_t kMajorBytes = 2;
constexpr uint8_t kMajorText = 3;
constexpr uint8_t kMajorArray = 4;
constexpr uint8_t kMajorMap = 5;
constexpr size_t kMaxHeadSize = 9;

void AppendString(uint8_t major, ByteSpan bytes, Bytes* out) {
  cbor::AppendHead(major, bytes.size(), out);
  out->insert(out->end(), bytes.begin(), bytes.end());
}

}  // namespace

StatusOr<Bytes> EncodeEmbedRequest(const EmbedRequest& request) {
  if (request.nonce.size() < kMinRequestNonce || request.nonce.size() > kMaxRequestNonce ||
      request.texts.empty() || request.texts.size() > kMaxTexts) {
    return Status(StatusCode::kInvalidArgument, "request: nonce or text count out of bounds");
  }
  size_t size = 16 + request.nonce.size();
  for (const std::string& text : request.texts) {
    if (text.size() > kMaxTextSize) {
      return Status(StatusCode::kLimitExceeded, "request: a text exceeds 65536 bytes");
    }
    if (!cbor::IsValidUtf8(AsBytes(text))) {
      return Status(StatusCode::kInvalidArgument, "cbor: encode: text string is not valid UTF-8");
    }
    size += kMaxHeadSize + text.size();
  }
  Bytes out;
  out.reserve(size);
  cbor::AppendHead(kMajorMap, 3, &out);
  cbor::AppendHead(kMajorUnsigned, 1, &out);
  AppendString(kMajorText, AsBytes("embed"), &out);
  cbor::AppendHead(kMajorUnsigned, 2, &out);
  AppendString(kMajorBytes, request.nonce, &out);
  cbor::AppendHead(kMajorUnsigned, 3, &out);
  cbor::AppendHead(kMajorArray, request.texts.size(), &out);
  for (const std::string& text : request.texts) AppendString(kMajorText, AsBytes(text), &out);
  return out;
}

StatusOr<EmbedRequest> ParseEmbedRequest(ByteSpan plaintext) {
  ASSIGN_OR_RETURN(internal::IntMap map,
                   internal::IntMap::Decode(plaintext, "request", 3, kMaxFramePayload));
  ASSIGN_OR_RETURN(std::string op, map.Text(1, "op", 1, 32));
  if (op != "embed") return Status(StatusCode::kUnsupported, "request: unknown op");
  EmbedRequest request;
  ASSIGN_OR_RETURN(request.nonce, map.ByteString(2, "nonce", kMinRequestNonce, kMaxRequestNonce));
  ASSIGN_OR_RETURN(const cbor::Array* texts, map.ArrayOf(3, "texts", 1, kMaxTexts));
  for (const Value& text : *texts) {
    if (!text.is_text()) return Status(StatusCode::kInvalidArgument, "request: texts must be text");
    if (text.text().size() > kMaxTextSize) {
      return Status(StatusCode::kLimitExceeded, "request: a text exceeds 65536 bytes");
    }
    request.texts.push_back(text.text());
  }
  return request;
}

StatusOr<Bytes> EncodeEmbedResponseBody(const EmbedResponseBody& body) {
  if (body.dims == 0 || body.vectors.size() != body.token_counts.size() * body.dims) {
    return Status(StatusCode::kInvalidArgument, "response: vectors do not match dims × count");
  }
  const size_t vectors_size = body.vectors.size() * sizeof(float);
  Bytes out;
  out.reserve(4 * kMaxHeadSize + vectors_size + kMaxHeadSize * body.token_counts.size());
  cbor::AppendHead(kMajorMap, 3, &out);
  cbor::AppendHead(kMajorUnsigned, 1, &out);
  cbor::AppendHead(kMajorUnsigned, body.dims, &out);
  cbor::AppendHead(kMajorUnsigned, 2, &out);
  cbor::AppendHead(kMajorBytes, vectors_size, &out);
  const size_t at = out.size();
  out.resize(at + vectors_size);
  if (vectors_size != 0) {
    std::memcpy(out.data() + at, body.vectors.data(), vectors_size);  // little-endian host
  }
  cbor::AppendHead(kMajorUnsigned, 3, &out);
  cbor::AppendHead(kMajorArray, body.token_counts.size(), &out);
  for (uint32_t c : body.token_counts) cbor::AppendHead(kMajorUnsigned, c, &out);
  return out;
}

StatusOr<EmbedResponseBody> ParseEmbedResponseBody(ByteSpan bytes) {
  ASSIGN_OR_RETURN(internal::IntMap map,
                   internal::IntMap::Decode(bytes, "response body", 3, kMaxFramePayload));
  EmbedResponseBody body;
  ASSIGN_OR_RETURN(uint64_t dims, map.Unsigned(1, "dims"));
  ASSIGN_OR_RETURN(Bytes vectors, map.ByteString(2, "vectors", 0, kMaxFramePayload));
  ASSIGN_OR_RETURN(const cbor::Array* counts, map.ArrayOf(3, "token_counts", 1, kMaxTexts));
  if (dims == 0 || dims > 65536 ||
      vectors.size() != counts->size() * dims * sizeof(float)) {
    return Status(StatusCode::kInvalidArgument, "response body: vectors do not match dims × count");
  }
  body.dims = static_cast<uint32_t>(dims);
  body.vectors.resize(vectors.size() / sizeof(float));
  std::memcpy(body.vectors.data(), vectors.data(), vectors.size());
  for (const Value& c : *counts) {
    if (!c.is_unsigned() || c.unsigned_value() > UINT32_MAX) {
      return Status(StatusCode::kInvalidArgument, "response body: bad token count");
    }
    body.token_counts.push_back(static_cast<uint32_t>(c.unsigned_value()));
  }
  return body;
}

StatusOr<Bytes> EncodeResponseEnvelope(const ResponseEnvelope& envelope) {
  Bytes out;
  out.reserve(3 + 2 * kMaxHeadSize + envelope.body.size() + envelope.receipt.size());
  cbor::AppendHead(kMajorMap, 2, &out);
  cbor::AppendHead(kMajorUnsigned, 1, &out);
  AppendString(kMajorBytes, envelope.body, &out);
  cbor::AppendHead(kMajorUnsigned, 2, &out);
  AppendString(kMajorBytes, envelope.receipt, &out);
  return out;
}

StatusOr<ResponseEnvelope> ParseResponseEnvelope(ByteSpan plaintext) {
  ASSIGN_OR_RETURN(internal::IntMap map,
                   internal::IntMap::Decode(plaintext, "response", 2, kMaxFramePayload));
  ResponseEnvelope envelope;
  ASSIGN_OR_RETURN(envelope.body, map.ByteString(1, "body", 1, kMaxFramePayload));
  ASSIGN_OR_RETURN(envelope.receipt, map.ByteString(2, "receipt", 1, kMaxReceiptSize));
  return envelope;
}

StatusOr<Bytes> EncodeErrorMessage(const ErrorMessage& error) {
  cbor::MapEntries entries;
  entries.emplace_back(Key(1), Value::Text(error.code));
  entries.emplace_back(Key(2), Value::Text(error.message));
  return EncodeMap(std::move(entries));
}

StatusOr<ErrorMessage> ParseErrorMessage(ByteSpan plaintext) {
  ASSIGN_OR_RETURN(internal::IntMap map, internal::IntMap::Decode(plaintext, "error", 2, 1024));
  ErrorMessage error;
  ASSIGN_OR_RETURN(error.code, map.Text(1, "code", 1, 32));
  ASSIGN_OR_RETURN(error.message, map.Text(2, "message", 0, kMaxErrorText));
  return error;
}

std::string_view CloseCodeName(uint8_t code) {
  switch (static_cast<CloseCode>(code)) {
    case CloseCode::kNormal: return "NORMAL";
    case CloseCode::kIdleTimeout: return "IDLE_TIMEOUT";
    case CloseCode::kLifetimeExceeded: return "LIFETIME_EXCEEDED";
    case CloseCode::kRecordLimit: return "RECORD_LIMIT";
    case CloseCode::kProtocolError: return "PROTOCOL_ERROR";
    case CloseCode::kOverloaded: return "OVERLOADED";
  }
  return "UNKNOWN";
}

}  // namespace eml::protocol

#include "protocol/messages.h"

#include <bit>
#include <cstring>
#include <utility>

#include "cbor/encode.h"
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

}  // namespace

StatusOr<Bytes> EncodeEmbedRequest(const EmbedRequest& request) {
  if (request.nonce.size() < kMinRequestNonce || request.nonce.size() > kMaxRequestNonce ||
      request.texts.empty() || request.texts.size() > kMaxTexts) {
    return Status(StatusCode::kInvalidArgument, "request: nonce or text count out of bounds");
  }
  cbor::Array texts;
  for (const std::string& text : request.texts) {
    if (text.size() > kMaxTextSize) {
      return Status(StatusCode::kLimitExceeded, "request: a text exceeds 65536 bytes");
    }
    texts.push_back(Value::Text(text));
  }
  cbor::MapEntries entries;
  entries.emplace_back(Key(1), Value::Text("embed"));
  entries.emplace_back(Key(2), Value::ByteString(ByteSpan(request.nonce)));
  entries.emplace_back(Key(3), Value::FromArray(std::move(texts)));
  return EncodeMap(std::move(entries));
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
  Bytes vectors(body.vectors.size() * sizeof(float));
  std::memcpy(vectors.data(), body.vectors.data(), vectors.size());  // little-endian host
  cbor::Array counts;
  for (uint32_t c : body.token_counts) counts.push_back(Value::Unsigned(c));
  cbor::MapEntries entries;
  entries.emplace_back(Key(1), Value::Unsigned(body.dims));
  entries.emplace_back(Key(2), Value::ByteString(std::move(vectors)));
  entries.emplace_back(Key(3), Value::FromArray(std::move(counts)));
  return EncodeMap(std::move(entries));
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
  cbor::MapEntries entries;
  entries.emplace_back(Key(1), Value::ByteString(ByteSpan(envelope.body)));
  entries.emplace_back(Key(2), Value::ByteString(ByteSpan(envelope.receipt)));
  return EncodeMap(std::move(entries));
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

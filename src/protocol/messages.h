// Application messages carried inside records (docs/protocol.md §5–§6):
// the embedding request, the response envelope (body + AIR v1 receipt), the
// error message and the close codes. All are deterministic CBOR maps with
// small integer keys, decoded strictly and with bounds.
//
// Thread-safety: pure functions.
#ifndef EML_PROTOCOL_MESSAGES_H_
#define EML_PROTOCOL_MESSAGES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"

namespace eml::protocol {

inline constexpr size_t kMinRequestNonce = 16;
inline constexpr size_t kMaxRequestNonce = 64;
inline constexpr size_t kMaxTexts = 256;
inline constexpr size_t kMaxTextSize = 64 * 1024;
inline constexpr size_t kMaxReceiptSize = 64 * 1024;
inline constexpr size_t kMaxErrorText = 256;

struct EmbedRequest {
  Bytes nonce;  // 16..64 bytes, echoed as the receipt's eat_nonce
  std::vector<std::string> texts;
};
StatusOr<Bytes> EncodeEmbedRequest(const EmbedRequest& request);
StatusOr<EmbedRequest> ParseEmbedRequest(ByteSpan plaintext);

struct EmbedResponseBody {
  uint32_t dims = 0;
  std::vector<float> vectors;  // texts × dims, row-major
  std::vector<uint32_t> token_counts;
};
StatusOr<Bytes> EncodeEmbedResponseBody(const EmbedResponseBody& body);
StatusOr<EmbedResponseBody> ParseEmbedResponseBody(ByteSpan body);

struct ResponseEnvelope {
  Bytes body;     // exact bytes hashed into the receipt's response_hash
  Bytes receipt;  // AIR v1 COSE_Sign1
};
StatusOr<Bytes> EncodeResponseEnvelope(const ResponseEnvelope& envelope);
StatusOr<ResponseEnvelope> ParseResponseEnvelope(ByteSpan plaintext);

struct ErrorMessage {
  std::string code;     // BAD_REQUEST, LIMIT, MODEL_ERROR, INTERNAL
  std::string message;  // fixed text; never request data or secrets
};
StatusOr<Bytes> EncodeErrorMessage(const ErrorMessage& error);
StatusOr<ErrorMessage> ParseErrorMessage(ByteSpan plaintext);

enum class CloseCode : uint8_t {
  kNormal = 1,
  kIdleTimeout = 2,
  kLifetimeExceeded = 3,
  kRecordLimit = 4,
  kProtocolError = 5,
  kOverloaded = 6,  // the enclave's budget for request bytes in flight is spent
};
std::string_view CloseCodeName(uint8_t code);

}  // namespace eml::protocol

#endif  // EML_PROTOCOL_MESSAGES_H_

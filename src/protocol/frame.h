// Frames of the EML gateway protocol v1 (docs/protocol.md §1): an 8-byte
// header (magic "EM", version 1, type, big-endian length) and a payload of at
// most kMaxFramePayload bytes. The header is validated on its own, so a reader
// rejects a bad or oversize frame before it allocates or reads the payload.
//
// Thread-safety: pure functions.
#ifndef EML_PROTOCOL_FRAME_H_
#define EML_PROTOCOL_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"

namespace eml::protocol {

inline constexpr size_t kFrameHeaderSize = 8;
inline constexpr size_t kMaxFramePayload = size_t{16} << 20;  // 16 MiB
inline constexpr uint8_t kFrameMagic0 = 0x45;  // 'E'
inline constexpr uint8_t kFrameMagic1 = 0x4D;  // 'M'
inline constexpr uint8_t kProtocolVersion = 1;

enum class FrameType : uint8_t {
  kClientHello = 0x01,
  kServerEvidence = 0x02,
  kClientKey = 0x03,
  kRequest = 0x10,
  kResponse = 0x11,
  kError = 0x12,
  kClose = 0x13,
  kAlert = 0x7F,
};

std::string_view FrameTypeName(FrameType type);

// True for the types that travel as AEAD records (docs/protocol.md §4).
bool IsRecordType(FrameType type);

struct FrameHeader {
  FrameType type = FrameType::kAlert;
  uint32_t length = 0;
};

// Validates magic, version, a known type and length <= max_payload.
StatusOr<FrameHeader> ParseFrameHeader(ByteSpan header, size_t max_payload = kMaxFramePayload);

void EncodeFrameHeader(FrameType type, uint32_t length, uint8_t out[kFrameHeaderSize]);

// header || payload. LimitExceeded if the payload is too large.
StatusOr<Bytes> EncodeFrame(FrameType type, ByteSpan payload);

// Parses a whole buffer that must hold exactly one frame.
struct Frame {
  FrameHeader header;
  Bytes bytes;  // header || payload, as received
  ByteSpan header_bytes() const { return ByteSpan(bytes).first(kFrameHeaderSize); }
  ByteSpan payload() const { return ByteSpan(bytes).subspan(kFrameHeaderSize); }
};
StatusOr<Frame> ParseFrame(ByteSpan bytes, size_t max_payload = kMaxFramePayload);

}  // namespace eml::protocol

#endif  // EML_PROTOCOL_FRAME_H_

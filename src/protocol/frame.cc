#include "protocol/frame.h"

#include <string>

namespace eml::protocol {

std::string_view FrameTypeName(FrameType type) {
  switch (type) {
    case FrameType::kClientHello: return "CLIENT_HELLO";
    case FrameType::kServerEvidence: return "SERVER_EVIDENCE";
    case FrameType::kClientKey: return "CLIENT_KEY";
    case FrameType::kRequest: return "REQUEST";
    case FrameType::kResponse: return "RESPONSE";
    case FrameType::kError: return "ERROR";
    case FrameType::kClose: return "CLOSE";
    case FrameType::kAlert: return "ALERT";
  }
  return "UNKNOWN";
}

bool IsRecordType(FrameType type) {
  return type == FrameType::kRequest || type == FrameType::kResponse ||
         type == FrameType::kError || type == FrameType::kClose;
}

static bool IsKnownType(uint8_t t) {
  switch (static_cast<FrameType>(t)) {
    case FrameType::kClientHello:
    case FrameType::kServerEvidence:
    case FrameType::kClientKey:
    case FrameType::kRequest:
    case FrameType::kResponse:
    case FrameType::kError:
    case FrameType::kClose:
    case FrameType::kAlert:
      return true;
  }
  return false;
}

StatusOr<FrameHeader> ParseFrameHeader(ByteSpan header, size_t max_payload) {
  if (header.size() != kFrameHeaderSize) {
    return Status(StatusCode::kInvalidArgument, "frame: header must be 8 bytes");
  }
  if (header[0] != kFrameMagic0 || header[1] != kFrameMagic1) {
    return Status(StatusCode::kInvalidArgument, "frame: bad magic");
  }
  if (header[2] != kProtocolVersion) {
    return Status(StatusCode::kUnsupported,
                  "frame: unsupported version " + std::to_string(header[2]));
  }
  if (!IsKnownType(header[3])) {
    return Status(StatusCode::kInvalidArgument,
                  "frame: unknown type " + std::to_string(header[3]));
  }
  const uint32_t length = (uint32_t{header[4]} << 24) | (uint32_t{header[5]} << 16) |
                          (uint32_t{header[6]} << 8) | uint32_t{header[7]};
  if (length > max_payload) {
    return Status(StatusCode::kLimitExceeded,
                  "frame: payload of " + std::to_string(length) + " bytes exceeds the limit of " +
                      std::to_string(max_payload));
  }
  return FrameHeader{static_cast<FrameType>(header[3]), length};
}

void EncodeFrameHeader(FrameType type, uint32_t length, uint8_t out[kFrameHeaderSize]) {
  out[0] = kFrameMagic0;
  out[1] = kFrameMagic1;
  out[2] = kProtocolVersion;
  out[3] = static_cast<uint8_t>(type);
  out[4] = static_cast<uint8_t>(length >> 24);
  out[5] = static_cast<uint8_t>(length >> 16);
  out[6] = static_cast<uint8_t>(length >> 8);
  out[7] = static_cast<uint8_t>(length);
}

StatusOr<Bytes> EncodeFrame(FrameType type, ByteSpan payload) {
  if (payload.size() > kMaxFramePayload) {
    return Status(StatusCode::kLimitExceeded, "frame: payload too large");
  }
  Bytes out(kFrameHeaderSize + payload.size());
  EncodeFrameHeader(type, static_cast<uint32_t>(payload.size()), out.data());
  std::copy(payload.begin(), payload.end(), out.begin() + kFrameHeaderSize);
  return out;
}

StatusOr<Frame> ParseFrame(ByteSpan bytes, size_t max_payload) {
  if (bytes.size() < kFrameHeaderSize) {
    return Status(StatusCode::kOutOfRange, "frame: shorter than its header");
  }
  StatusOr<FrameHeader> header = ParseFrameHeader(bytes.first(kFrameHeaderSize), max_payload);
  if (!header.ok()) return header.status();
  if (bytes.size() - kFrameHeaderSize != header->length) {
    return Status(StatusCode::kInvalidArgument, "frame: length does not match the payload");
  }
  return Frame{*header, Bytes(bytes.begin(), bytes.end())};
}

}  // namespace eml::protocol

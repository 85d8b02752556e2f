#include "protocol/io.h"

#include <algorithm>

namespace eml::protocol {

static constexpr size_t kReadChunk = 256 * 1024;

StatusOr<Frame> ReadFrame(net::Socket& socket, net::Deadline deadline, size_t max_payload,
                          const FrameAdmission& admit) {
  Frame frame;
  frame.bytes.resize(kFrameHeaderSize);
  RETURN_IF_ERROR(net::ReadFull(socket, frame.bytes.data(), kFrameHeaderSize, deadline));
  ASSIGN_OR_RETURN(frame.header, ParseFrameHeader(frame.bytes, max_payload));
  if (admit) RETURN_IF_ERROR(admit(frame.header));
  // The buffer grows as bytes arrive, so a peer that announces 16 MiB and
  // then trickles costs memory only for what it actually sent.
  size_t have = 0;
  while (have < frame.header.length) {
    const size_t chunk = std::min<size_t>(frame.header.length - have, kReadChunk);
    frame.bytes.resize(kFrameHeaderSize + have + chunk);
    Status read = net::ReadFull(socket, frame.bytes.data() + kFrameHeaderSize + have, chunk,
                                deadline);
    if (!read.ok() && net::IsEndOfStream(read)) {
      return Status(StatusCode::kInvalidArgument, "frame: connection closed mid-frame");
    }
    RETURN_IF_ERROR(read);
    have += chunk;
  }
  return frame;
}

Status WriteFrame(net::Socket& socket, FrameType type, ByteSpan payload, net::Deadline deadline) {
  ASSIGN_OR_RETURN(Bytes frame, EncodeFrame(type, payload));
  return net::WriteAll(socket, frame, deadline);
}

}  // namespace eml::protocol

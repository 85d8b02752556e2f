#include "protocol/io.h"

namespace eml::protocol {

StatusOr<Frame> ReadFrame(net::Socket& socket, net::Deadline deadline, size_t max_payload) {
  Frame frame;
  frame.bytes.resize(kFrameHeaderSize);
  RETURN_IF_ERROR(net::ReadFull(socket, frame.bytes.data(), kFrameHeaderSize, deadline));
  ASSIGN_OR_RETURN(frame.header, ParseFrameHeader(frame.bytes, max_payload));
  frame.bytes.resize(kFrameHeaderSize + frame.header.length);
  Status read = net::ReadFull(socket, frame.bytes.data() + kFrameHeaderSize, frame.header.length,
                              deadline);
  if (!read.ok() && net::IsEndOfStream(read)) {
    return Status(StatusCode::kInvalidArgument, "frame: connection closed mid-frame");
  }
  RETURN_IF_ERROR(read);
  return frame;
}

Status WriteFrame(net::Socket& socket, FrameType type, ByteSpan payload, net::Deadline deadline) {
  ASSIGN_OR_RETURN(Bytes frame, EncodeFrame(type, payload));
  return net::WriteAll(socket, frame, deadline);
}

}  // namespace eml::protocol

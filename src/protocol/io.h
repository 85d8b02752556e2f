// Frames over sockets: read one frame with a deadline (the header is checked
// before the payload is allocated or read) and write one frame.
//
// Thread-safety: as src/net — one thread per socket.
#ifndef EML_PROTOCOL_IO_H_
#define EML_PROTOCOL_IO_H_

#include <functional>

#include "core/bytes.h"
#include "core/status.h"
#include "net/deadline.h"
#include "net/socket.h"
#include "protocol/frame.h"

namespace eml::protocol {

// Decides, from the header alone, whether a frame's payload may be read
// (e.g. against a memory budget); an error is returned by ReadFrame as is.
using FrameAdmission = std::function<Status(const FrameHeader&)>;

// Status codes are those of net::ReadFull (kOutOfRange: the peer closed
// cleanly before a frame began; kInvalidArgument: truncated mid-frame;
// kLimitExceeded: deadline) plus ParseFrameHeader's and `admit`'s.
StatusOr<Frame> ReadFrame(net::Socket& socket, net::Deadline deadline,
                          size_t max_payload = kMaxFramePayload,
                          const FrameAdmission& admit = nullptr);

Status WriteFrame(net::Socket& socket, FrameType type, ByteSpan payload, net::Deadline deadline);

}  // namespace eml::protocol

#endif  // EML_PROTOCOL_IO_H_

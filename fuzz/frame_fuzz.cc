// libFuzzer target for the gateway protocol's decoders (src/protocol): the
// frame header and whole frames, every handshake and application message,
// the evidence binding, alerts, and opening records with a fixed key. The
// first input byte picks the decoder. Invariants: no crash or sanitizer
// report; whatever decodes re-encodes to the same bytes (the decoders accept
// only deterministic encodings); no record opens (the fuzzer cannot forge
// an AES-GCM tag).
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "protocol/frame.h"
#include "protocol/handshake.h"
#include "protocol/messages.h"
#include "protocol/record.h"

namespace {

using eml::ByteSpan;
using eml::Bytes;
namespace protocol = eml::protocol;

void Require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

template <typename T, typename Encode>
void RoundTrip(const eml::StatusOr<T>& parsed, Encode encode, ByteSpan input, const char* what) {
  if (!parsed.ok()) return;
  eml::StatusOr<Bytes> again = encode(*parsed);
  Require(again.ok() && ByteSpan(*again).size() == input.size() &&
              std::equal(input.begin(), input.end(), again->begin()),
          what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ByteSpan input(data + 1, size - 1);
  switch (data[0] % 8) {
    case 0: {
      auto frame = protocol::ParseFrame(input);
      if (frame.ok()) Require(frame->bytes.size() == input.size(), "frame size");
      if (input.size() >= protocol::kFrameHeaderSize) {
        (void)protocol::ParseFrameHeader(input.first(protocol::kFrameHeaderSize));
      }
      break;
    }
    case 1:
      RoundTrip(protocol::ParseServerEvidence(input), protocol::EncodeServerEvidence, input,
                "server evidence round trip");
      break;
    case 2:
      RoundTrip(protocol::ParseEmbedRequest(input), protocol::EncodeEmbedRequest, input,
                "request round trip");
      break;
    case 3:
      RoundTrip(protocol::ParseEmbedResponseBody(input), protocol::EncodeEmbedResponseBody, input,
                "response body round trip");
      break;
    case 4:
      RoundTrip(protocol::ParseResponseEnvelope(input), protocol::EncodeResponseEnvelope, input,
                "envelope round trip");
      RoundTrip(protocol::ParseErrorMessage(input), protocol::EncodeErrorMessage, input,
                "error round trip");
      break;
    case 5:
      RoundTrip(protocol::ParseBinding(input), protocol::EncodeBinding, input, "binding round trip");
      (void)protocol::ParseClientHello(input);
      break;
    case 6:
      (void)protocol::ParseAlert(input);
      break;
    case 7: {
      static const eml::SecretBytes key(Bytes(32, 0x42));
      static const eml::SecretBytes iv(Bytes(12, 0x24));
      auto channel = protocol::RecordChannel::Create(key, iv, 16);
      auto frame = protocol::ParseFrame(input);
      if (channel.ok() && frame.ok() && protocol::IsRecordType(frame->header.type)) {
        Require(!channel->Open(*frame).ok(), "a forged record opened");
      }
      break;
    }
  }
  return 0;
}

#include "protocol/record.h"

#include <algorithm>

namespace eml::protocol {

StatusOr<RecordChannel> RecordChannel::Create(const SecretBytes& key, const SecretBytes& iv,
                                              uint64_t max_records) {
  if (iv.size() != crypto::kAeadNonceSize) {
    return Status(StatusCode::kInvalidArgument, "record: iv must be 12 bytes");
  }
  ASSIGN_OR_RETURN(crypto::Aead aead, crypto::Aead::Create(crypto::AeadAlg::kAes256Gcm, key));
  return RecordChannel(std::move(aead), iv.Clone(), max_records);
}

std::array<uint8_t, crypto::kAeadNonceSize> RecordChannel::Nonce() const {
  std::array<uint8_t, crypto::kAeadNonceSize> nonce;
  std::copy(iv_.RevealSecret().begin(), iv_.RevealSecret().end(), nonce.begin());
  for (int i = 0; i < 8; ++i) {
    nonce[4 + i] ^= static_cast<uint8_t>(sequence_ >> (56 - 8 * i));
  }
  return nonce;
}

StatusOr<Bytes> RecordChannel::Seal(FrameType type, ByteSpan plaintext) {
  if (!IsRecordType(type)) {
    return Status(StatusCode::kInvalidArgument, "record: not a record type");
  }
  if (exhausted()) return Status(StatusCode::kLimitExceeded, "record: record limit reached");
  if (plaintext.size() > kMaxRecordPlaintext) {
    return Status(StatusCode::kLimitExceeded, "record: plaintext too large");
  }
  // Sealed in place behind the header: one buffer, no copy.
  Bytes frame(kFrameHeaderSize + plaintext.size() + kRecordTagSize);
  EncodeFrameHeader(type, static_cast<uint32_t>(plaintext.size() + kRecordTagSize), frame.data());
  const ByteSpan header = ByteSpan(frame).first(kFrameHeaderSize);
  RETURN_IF_ERROR(aead_.SealInto(Nonce(), plaintext, header,
                                 std::span<uint8_t>(frame).subspan(kFrameHeaderSize)));
  ++sequence_;
  return frame;
}

StatusOr<Bytes> RecordChannel::Open(const Frame& frame) {
  if (!IsRecordType(frame.header.type)) {
    return Status(StatusCode::kInvalidArgument, "record: not a record type");
  }
  if (exhausted()) return Status(StatusCode::kLimitExceeded, "record: record limit reached");
  if (frame.payload().size() < kRecordTagSize) {
    return Status(StatusCode::kInvalidArgument, "record: shorter than its tag");
  }
  StatusOr<Bytes> plaintext = aead_.Open(Nonce(), frame.payload(), frame.header_bytes());
  if (!plaintext.ok()) {
    return Status(StatusCode::kVerificationFailed,
                  "record: authentication failed (tampered, replayed or reordered)");
  }
  ++sequence_;
  return plaintext;
}

}  // namespace eml::protocol

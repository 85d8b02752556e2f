// AEAD records of the gateway protocol (docs/protocol.md §4): AES-256-GCM,
// nonce = iv XOR the 64-bit sequence number, AAD = the 8-byte frame header.
// One RecordChannel protects one direction; each side holds one to seal and
// one to open. The sequence number is implicit and strict, so a replayed,
// reordered, dropped or modified record (type and length included) fails to
// open. After `max_records` records the channel refuses to go on.
//
// Thread-safety: not thread-safe; one session thread owns its channels.
#ifndef EML_PROTOCOL_RECORD_H_
#define EML_PROTOCOL_RECORD_H_

#include <array>
#include <cstdint>
#include <optional>

#include "core/bytes.h"
#include "core/secret.h"
#include "core/status.h"
#include "crypto/aead.h"
#include "protocol/frame.h"

namespace eml::protocol {

inline constexpr size_t kRecordTagSize = 16;
inline constexpr size_t kMaxRecordPlaintext = kMaxFramePayload - kRecordTagSize;

class RecordChannel {
 public:
  static StatusOr<RecordChannel> Create(const SecretBytes& key, const SecretBytes& iv,
                                        uint64_t max_records);

  // The whole frame (header || ciphertext || tag) for the next record.
  StatusOr<Bytes> Seal(FrameType type, ByteSpan plaintext);

  // Opens the next expected record; the sequence number advances only on
  // success. The caller must end the session on any error.
  StatusOr<Bytes> Open(const Frame& frame);

  uint64_t sequence() const { return sequence_; }
  bool exhausted() const { return sequence_ >= max_records_; }

 private:
  RecordChannel(crypto::Aead aead, SecretBytes iv, uint64_t max_records)
      : aead_(std::move(aead)), iv_(std::move(iv)), max_records_(max_records) {}
  std::array<uint8_t, crypto::kAeadNonceSize> Nonce() const;

  crypto::Aead aead_;
  SecretBytes iv_;
  uint64_t max_records_;
  uint64_t sequence_ = 0;
};

}  // namespace eml::protocol

#endif  // EML_PROTOCOL_RECORD_H_

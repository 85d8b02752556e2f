// Strict decoding of the protocol's messages: deterministic CBOR maps with
// small unsigned integer keys (docs/protocol.md §2.2, §5). Internal to
// src/protocol.
//
// Thread-safety: pure functions.
#ifndef EML_PROTOCOL_CBOR_MAP_H_
#define EML_PROTOCOL_CBOR_MAP_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "cbor/value.h"
#include "core/bytes.h"
#include "core/status.h"

namespace eml::protocol::internal {

// A decoded map whose keys are unsigned integers 1..max_key, each at most
// once; the input must be deterministically encoded and at most max_size
// bytes. `what` names the message in errors.
class IntMap {
 public:
  static StatusOr<IntMap> Decode(ByteSpan input, std::string_view what, uint64_t max_key,
                                 size_t max_size);

  // Each getter fails (InvalidArgument naming the field) when the key is
  // absent, has another type or breaks the size bounds.
  StatusOr<std::string> Text(uint64_t key, std::string_view field, size_t min_size,
                             size_t max_size) const;
  StatusOr<Bytes> ByteString(uint64_t key, std::string_view field, size_t min_size,
                             size_t max_size) const;
  StatusOr<uint64_t> Unsigned(uint64_t key, std::string_view field) const;
  StatusOr<const cbor::Array*> ArrayOf(uint64_t key, std::string_view field, size_t min_items,
                                       size_t max_items) const;

 private:
  IntMap(cbor::Value value, std::string what) : value_(std::move(value)), what_(std::move(what)) {}
  StatusOr<const cbor::Value*> Get(uint64_t key, std::string_view field) const;
  Status FieldError(std::string_view field, std::string_view problem) const;

  cbor::Value value_;
  std::string what_;
};

}  // namespace eml::protocol::internal

#endif  // EML_PROTOCOL_CBOR_MAP_H_

#include "cbor/decode.h"

#include <algorithm>
#include <bit>
#include <set>
#include <string>

#include "cbor/encode.h"
#include "cbor/float16.h"
#include "cbor/utf8.h"

namespace eml::cbor {

namespace {

constexpr uint8_t kBreak = 0xff;
constexpr size_t kMaxReserve = 1024;  // growth beyond this is by push_back

struct Head {
  size_t offset = 0;  // of the initial byte
  uint8_t major = 0;
  uint8_t info = 0;  // additional information (low 5 bits)
  uint64_t arg = 0;
  bool indefinite = false;  // info 31
};

class Decoder {
 public:
  Decoder(ByteSpan input, const DecodeOptions& options)
      : input_(input), reader_(input), options_(options) {}

  StatusOr<Value> Item(size_t depth);
  size_t offset() const { return input_.size() - reader_.remaining(); }

 private:
  Status Error(StatusCode code, const std::string& what, size_t at) const {
    return Status(code, "cbor: " + what + " at offset " + std::to_string(at));
  }
  Status Invalid(const std::string& what, size_t at) const {
    return Error(StatusCode::kInvalidArgument, what, at);
  }
  Status Truncated(size_t at) const {
    return Error(StatusCode::kOutOfRange, "input ended early", at);
  }

  Status CountItem(size_t at);
  Status ReadHead(Head* head);
  Status ReadArgument(Head* head);
  Status CheckLength(const Head& head, uint64_t units_per_element);
  Status EnterContainer(size_t depth, size_t at) const;
  bool AtBreak() const { return !reader_.empty() && reader_.rest()[0] == kBreak; }
  Status ExpectIndefiniteAllowed(const Head& head) const;

  StatusOr<Value> String(const Head& head);
  Status StringChunk(uint8_t major, const Head& head, std::string* out);
  StatusOr<Value> ArrayItem(const Head& head, size_t depth);
  StatusOr<Value> MapItem(const Head& head, size_t depth);
  Status MapEntry(size_t depth, ByteSpan* previous_key, std::set<Bytes>* seen,
                  MapEntries* entries);
  StatusOr<Value> MajorSeven(const Head& head);

  ByteSpan input_;
  ByteReader reader_;
  const DecodeOptions& options_;
  size_t items_ = 0;
};

Status Decoder::CountItem(size_t at) {
  if (items_ >= options_.max_items) {
    return Error(StatusCode::kLimitExceeded,
                 "more than " + std::to_string(options_.max_items) + " items", at);
  }
  ++items_;
  return OkStatus();
}

Status Decoder::EnterContainer(size_t depth, size_t at) const {
  if (depth >= options_.max_depth) {
    return Error(StatusCode::kLimitExceeded,
                 "nesting deeper than " + std::to_string(options_.max_depth), at);
  }
  return OkStatus();
}

Status Decoder::ExpectIndefiniteAllowed(const Head& head) const {
  if (!options_.allow_indefinite || options_.require_deterministic) {
    return Invalid("indefinite-length item not allowed", head.offset);
  }
  return OkStatus();
}

Status Decoder::ReadArgument(Head* head) {
  uint8_t info = head->info;
  if (info < 24) {
    head->arg = info;
    return OkStatus();
  }
  if (info == 31) {
    head->indefinite = true;
    return OkStatus();
  }
  if (info > 27) return Invalid("reserved additional information", head->offset);
  Status s;
  uint64_t minimum = 0;  // smallest argument that needs this width
  if (info == 24) {
    uint8_t v;
    s = reader_.ReadU8(&v), head->arg = v, minimum = 24;
  } else if (info == 25) {
    uint16_t v;
    s = reader_.ReadU16Be(&v), head->arg = v, minimum = 0x100;
  } else if (info == 26) {
    uint32_t v;
    s = reader_.ReadU32Be(&v), head->arg = v, minimum = 0x10000;
  } else {
    s = reader_.ReadU64Be(&head->arg), minimum = 0x100000000;
  }
  if (!s.ok()) return Truncated(head->offset);
  // Major type 7 uses info 25..27 for floats; their width is checked apart.
  bool is_float = head->major == 7 && info > 24;
  if (options_.require_deterministic && !is_float && head->arg < minimum) {
    return Invalid("argument not in shortest form", head->offset);
  }
  return OkStatus();
}

Status Decoder::ReadHead(Head* head) {
  head->offset = offset();
  uint8_t initial;
  if (!reader_.ReadU8(&initial).ok()) return Truncated(head->offset);
  head->major = initial >> 5;
  head->info = initial & 0x1f;
  RETURN_IF_ERROR(ReadArgument(head));
  if (head->indefinite && (head->major == 0 || head->major == 1 || head->major == 6)) {
    return Invalid("indefinite length on major type " + std::to_string(head->major),
                   head->offset);
  }
  return OkStatus();
}

// A definite length or count must fit in what is left: each element takes at
// least `units_per_element` bytes. Checked before any allocation.
Status Decoder::CheckLength(const Head& head, uint64_t units_per_element) {
  uint64_t remaining = reader_.remaining();
  if (head.arg > remaining / units_per_element) {
    return Error(StatusCode::kOutOfRange,
                 "length " + std::to_string(head.arg) + " exceeds remaining input", head.offset);
  }
  return OkStatus();
}

Status Decoder::StringChunk(uint8_t major, const Head& head, std::string* out) {
  RETURN_IF_ERROR(CheckLength(head, 1));
  ByteSpan chunk;
  RETURN_IF_ERROR(reader_.ReadSpan(static_cast<size_t>(head.arg), &chunk));
  if (major == 3 && !IsValidUtf8(chunk)) {
    return Invalid("text string is not valid UTF-8", head.offset);
  }
  out->append(AsStringView(chunk));
  return OkStatus();
}

StatusOr<Value> Decoder::String(const Head& head) {
  std::string data;
  if (!head.indefinite) {
    RETURN_IF_ERROR(StringChunk(head.major, head, &data));
  } else {
    RETURN_IF_ERROR(ExpectIndefiniteAllowed(head));
    while (!AtBreak()) {
      Head chunk;
      RETURN_IF_ERROR(CountItem(offset()));
      RETURN_IF_ERROR(ReadHead(&chunk));
      if (chunk.major != head.major || chunk.indefinite) {
        return Invalid("indefinite string chunk of the wrong type", chunk.offset);
      }
      RETURN_IF_ERROR(StringChunk(head.major, chunk, &data));
    }
    RETURN_IF_ERROR(reader_.Skip(1));
  }
  if (head.major == 3) return Value::Text(data);
  return Value::ByteString(ToBytes(data));
}

StatusOr<Value> Decoder::ArrayItem(const Head& head, size_t depth) {
  RETURN_IF_ERROR(EnterContainer(depth, head.offset));
  Array items;
  if (!head.indefinite) {
    RETURN_IF_ERROR(CheckLength(head, 1));
    items.reserve(std::min<uint64_t>(head.arg, kMaxReserve));
    for (uint64_t i = 0; i < head.arg; ++i) {
      ASSIGN_OR_RETURN(Value item, Item(depth + 1));
      items.push_back(std::move(item));
    }
  } else {
    RETURN_IF_ERROR(ExpectIndefiniteAllowed(head));
    while (!AtBreak()) {  // an empty reader fails inside Item
      ASSIGN_OR_RETURN(Value item, Item(depth + 1));
      items.push_back(std::move(item));
    }
    RETURN_IF_ERROR(reader_.Skip(1));
  }
  return Value::FromArray(std::move(items));
}

// Decodes one key/value pair and rejects duplicates. In deterministic mode
// the raw key bytes are already the deterministic encoding and must be
// strictly increasing (compared in place in the input, which outlives the
// decoder); otherwise the key is re-encoded for the comparison.
Status Decoder::MapEntry(size_t depth, ByteSpan* previous_key, std::set<Bytes>* seen,
                         MapEntries* entries) {
  size_t key_offset = offset();
  ASSIGN_OR_RETURN(Value key, Item(depth + 1));
  if (options_.require_deterministic) {
    const ByteSpan raw = input_.subspan(key_offset, offset() - key_offset);
    if (!entries->empty()) {
      if (std::equal(raw.begin(), raw.end(), previous_key->begin(), previous_key->end())) {
        return Error(StatusCode::kAlreadyExists, "duplicate map key", key_offset);
      }
      if (std::lexicographical_compare(raw.begin(), raw.end(), previous_key->begin(),
                                       previous_key->end())) {
        return Invalid("map keys not in deterministic order", key_offset);
      }
    }
    *previous_key = raw;
  } else {
    ASSIGN_OR_RETURN(Bytes key_bytes, Encode(key));
    if (!seen->insert(std::move(key_bytes)).second) {
      return Error(StatusCode::kAlreadyExists, "duplicate map key", key_offset);
    }
  }
  if (AtBreak()) return Invalid("break in place of a map value", offset());
  ASSIGN_OR_RETURN(Value value, Item(depth + 1));
  entries->emplace_back(std::move(key), std::move(value));
  return OkStatus();
}

StatusOr<Value> Decoder::MapItem(const Head& head, size_t depth) {
  RETURN_IF_ERROR(EnterContainer(depth, head.offset));
  MapEntries entries;
  ByteSpan previous_key;
  std::set<Bytes> seen;
  if (!head.indefinite) {
    RETURN_IF_ERROR(CheckLength(head, 2));
    entries.reserve(std::min<uint64_t>(head.arg, kMaxReserve));
    for (uint64_t i = 0; i < head.arg; ++i) {
      RETURN_IF_ERROR(MapEntry(depth, &previous_key, &seen, &entries));
    }
  } else {
    RETURN_IF_ERROR(ExpectIndefiniteAllowed(head));
    while (!AtBreak()) {  // an empty reader fails inside MapEntry
      RETURN_IF_ERROR(MapEntry(depth, &previous_key, &seen, &entries));
    }
    RETURN_IF_ERROR(reader_.Skip(1));
  }
  return Value::FromMap(std::move(entries));
}

StatusOr<Value> Decoder::MajorSeven(const Head& head) {
  if (head.indefinite) return Invalid("unexpected break", head.offset);
  Value out;
  switch (head.info) {
    case 24:
      if (head.arg < 32) return Invalid("two-byte simple value below 32", head.offset);
      return Value::Simple(static_cast<uint8_t>(head.arg));
    case 25:
      out = Value::Float(HalfToDouble(static_cast<uint16_t>(head.arg)));
      break;
    case 26:
      out = Value::Float(std::bit_cast<float>(static_cast<uint32_t>(head.arg)));
      break;
    case 27:
      out = Value::Float(std::bit_cast<double>(head.arg));
      break;
    default:
      return Value::Simple(head.info);  // 0..23
  }
  if (options_.require_deterministic) {
    Bytes preferred;
    AppendFloat(out.float_value(), &preferred);
    ByteSpan raw = input_.subspan(head.offset, offset() - head.offset);
    if (!std::equal(raw.begin(), raw.end(), preferred.begin(), preferred.end())) {
      return Invalid("float not in shortest form", head.offset);
    }
  }
  return out;
}

StatusOr<Value> Decoder::Item(size_t depth) {
  RETURN_IF_ERROR(CountItem(offset()));
  Head head;
  RETURN_IF_ERROR(ReadHead(&head));
  switch (head.major) {
    case 0:
      return Value::Unsigned(head.arg);
    case 1:
      return Value::NegativeArg(head.arg);
    case 2:
    case 3:
      return String(head);
    case 4:
      return ArrayItem(head, depth);
    case 5:
      return MapItem(head, depth);
    case 6: {
      RETURN_IF_ERROR(EnterContainer(depth, head.offset));
      ASSIGN_OR_RETURN(Value content, Item(depth + 1));
      return Value::Tagged(head.arg, std::move(content));
    }
    default:
      return MajorSeven(head);
  }
}

}  // namespace

StatusOr<Value> DecodeFirst(ByteSpan input, size_t* consumed, const DecodeOptions& options) {
  if (input.size() > options.max_size) {
    return LimitExceededError("cbor: input of " + std::to_string(input.size()) +
                              " bytes exceeds max_size " + std::to_string(options.max_size));
  }
  Decoder decoder(input, options);
  ASSIGN_OR_RETURN(Value value, decoder.Item(0));
  *consumed = decoder.offset();
  return value;
}

StatusOr<Value> Decode(ByteSpan input, const DecodeOptions& options) {
  size_t consumed = 0;
  ASSIGN_OR_RETURN(Value value, DecodeFirst(input, &consumed, options));
  if (consumed != input.size()) {
    return InvalidArgumentError("cbor: trailing bytes at offset " + std::to_string(consumed));
  }
  return value;
}

}  // namespace eml::cbor

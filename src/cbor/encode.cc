#include "cbor/encode.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <string>

#include "cbor/float16.h"
#include "cbor/utf8.h"

namespace eml::cbor {

namespace {

void AppendBe(uint64_t v, int size, Bytes* out) {
  for (int i = size - 1; i >= 0; --i) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// Encodes every entry once into one scratch buffer, then appends them in
// the bytewise order of their encoded keys (RFC 8949 4.2.1). One buffer
// instead of two per entry: receipts and responses are encoded per request.
Status EncodeMap(const MapEntries& entries, Bytes* out) {
  struct Span {
    size_t key_begin, key_end, value_end;
  };
  Bytes scratch;
  std::vector<Span> spans;
  spans.reserve(entries.size());
  for (const auto& [key, value] : entries) {
    Span span;
    span.key_begin = scratch.size();
    RETURN_IF_ERROR(EncodeTo(key, &scratch));
    span.key_end = scratch.size();
    RETURN_IF_ERROR(EncodeTo(value, &scratch));
    span.value_end = scratch.size();
    spans.push_back(span);
  }
  auto key_of = [&scratch](const Span& s) {
    return ByteSpan(scratch.data() + s.key_begin, s.key_end - s.key_begin);
  };
  auto key_less = [&](const Span& a, const Span& b) {
    const ByteSpan ka = key_of(a), kb = key_of(b);
    return std::lexicographical_compare(ka.begin(), ka.end(), kb.begin(), kb.end());
  };
  std::sort(spans.begin(), spans.end(), key_less);
  for (size_t i = 1; i < spans.size(); ++i) {
    if (!key_less(spans[i - 1], spans[i])) {
      return AlreadyExistsError("cbor: encode: duplicate map key");
    }
  }
  AppendHead(5, spans.size(), out);
  for (const Span& s : spans) {
    out->insert(out->end(), scratch.begin() + static_cast<std::ptrdiff_t>(s.key_begin),
                scratch.begin() + static_cast<std::ptrdiff_t>(s.value_end));
  }
  return OkStatus();
}

}  // namespace

void AppendHead(uint8_t major, uint64_t arg, Bytes* out) {
  uint8_t mt = static_cast<uint8_t>(major << 5);
  if (arg < 24) {
    out->push_back(static_cast<uint8_t>(mt | arg));
  } else if (arg <= 0xff) {
    out->push_back(mt | 24);
    AppendBe(arg, 1, out);
  } else if (arg <= 0xffff) {
    out->push_back(mt | 25);
    AppendBe(arg, 2, out);
  } else if (arg <= 0xffffffff) {
    out->push_back(mt | 26);
    AppendBe(arg, 4, out);
  } else {
    out->push_back(mt | 27);
    AppendBe(arg, 8, out);
  }
}

void AppendFloat(double v, Bytes* out) {
  uint16_t half;
  uint32_t single;
  if (std::isnan(v)) {
    out->insert(out->end(), {0xf9, 0x7e, 0x00});
  } else if (DoubleToHalfExact(v, &half)) {
    out->push_back(0xf9);
    AppendBe(half, 2, out);
  } else if (DoubleToSingleExact(v, &single)) {
    out->push_back(0xfa);
    AppendBe(single, 4, out);
  } else {
    out->push_back(0xfb);
    AppendBe(std::bit_cast<uint64_t>(v), 8, out);
  }
}

Status EncodeTo(const Value& value, Bytes* out) {
  switch (value.kind()) {
    case Kind::kUnsigned:
      AppendHead(0, value.unsigned_value(), out);
      return OkStatus();
    case Kind::kNegative:
      AppendHead(1, value.negative_arg(), out);
      return OkStatus();
    case Kind::kBytes:
      AppendHead(2, value.bytes().size(), out);
      out->insert(out->end(), value.bytes().begin(), value.bytes().end());
      return OkStatus();
    case Kind::kText:
      if (!IsValidUtf8(AsBytes(value.text()))) {
        return InvalidArgumentError("cbor: encode: text string is not valid UTF-8");
      }
      AppendHead(3, value.text().size(), out);
      out->insert(out->end(), value.text().begin(), value.text().end());
      return OkStatus();
    case Kind::kArray:
      AppendHead(4, value.array().size(), out);
      for (const Value& item : value.array()) RETURN_IF_ERROR(EncodeTo(item, out));
      return OkStatus();
    case Kind::kMap:
      return EncodeMap(value.map(), out);
    case Kind::kTag:
      AppendHead(6, value.tag(), out);
      return EncodeTo(value.tag_content(), out);
    case Kind::kSimple:
      if (value.simple() >= 24 && value.simple() < 32) {
        return InvalidArgumentError("cbor: encode: simple value " +
                                    std::to_string(value.simple()) + " is reserved");
      }
      AppendHead(7, value.simple(), out);
      return OkStatus();
    case Kind::kFloat:
      AppendFloat(value.float_value(), out);
      return OkStatus();
  }
  return InternalError("cbor: encode: unknown kind");
}

StatusOr<Bytes> Encode(const Value& value) {
  Bytes out;
  RETURN_IF_ERROR(EncodeTo(value, &out));
  return out;
}

}  // namespace eml::cbor

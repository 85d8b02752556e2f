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

Status EncodeMap(const MapEntries& entries, Bytes* out) {
  std::vector<std::pair<Bytes, Bytes>> encoded;
  encoded.reserve(entries.size());
  for (const auto& [key, value] : entries) {
    std::pair<Bytes, Bytes> kv;
    RETURN_IF_ERROR(EncodeTo(key, &kv.first));
    RETURN_IF_ERROR(EncodeTo(value, &kv.second));
    encoded.push_back(std::move(kv));
  }
  std::sort(encoded.begin(), encoded.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 1; i < encoded.size(); ++i) {
    if (encoded[i - 1].first == encoded[i].first) {
      return AlreadyExistsError("cbor: encode: duplicate map key");
    }
  }
  AppendHead(5, encoded.size(), out);
  for (const auto& [key, value] : encoded) {
    out->insert(out->end(), key.begin(), key.end());
    out->insert(out->end(), value.begin(), value.end());
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

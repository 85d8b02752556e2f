#include "cbor/value.h"

#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>

namespace eml::cbor {

Value Value::Unsigned(uint64_t v) {
  Value out;
  out.kind_ = Kind::kUnsigned;
  out.arg_ = v;
  return out;
}

Value Value::NegativeArg(uint64_t n) {
  Value out;
  out.kind_ = Kind::kNegative;
  out.arg_ = n;
  return out;
}

Value Value::Int(int64_t v) {
  if (v >= 0) return Unsigned(static_cast<uint64_t>(v));
  // -1 - v without overflow: for v = INT64_MIN this is 2^63 - 1.
  return NegativeArg(static_cast<uint64_t>(-(v + 1)));
}

Value Value::ByteString(ByteSpan b) { return ByteString(Bytes(b.begin(), b.end())); }

Value Value::ByteString(Bytes&& b) {
  Value out;
  out.kind_ = Kind::kBytes;
  out.bytes_ = std::move(b);
  return out;
}

Value Value::Text(std::string_view s) {
  Value out;
  out.kind_ = Kind::kText;
  out.text_.assign(s.begin(), s.end());
  return out;
}

Value Value::FromArray(Array items) {
  Value out;
  out.kind_ = Kind::kArray;
  out.items_ = std::move(items);
  return out;
}

Value Value::FromMap(MapEntries entries) {
  Value out;
  out.kind_ = Kind::kMap;
  out.entries_ = std::move(entries);
  return out;
}

Value Value::Tagged(uint64_t tag, Value content) {
  Value out;
  out.kind_ = Kind::kTag;
  out.arg_ = tag;
  out.items_.push_back(std::move(content));
  return out;
}

Value Value::Simple(uint8_t v) {
  Value out;
  out.kind_ = Kind::kSimple;
  out.arg_ = v;
  return out;
}

Value Value::Float(double v) {
  Value out;
  out.kind_ = Kind::kFloat;
  out.arg_ = 0;
  out.float_ = v;
  return out;
}

uint64_t Value::unsigned_value() const {
  assert(is_unsigned());
  return arg_;
}
uint64_t Value::negative_arg() const {
  assert(is_negative());
  return arg_;
}
const Bytes& Value::bytes() const {
  assert(is_bytes());
  return bytes_;
}
const std::string& Value::text() const {
  assert(is_text());
  return text_;
}
const Array& Value::array() const {
  assert(is_array());
  return items_;
}
Bytes& Value::mutable_bytes() {
  assert(is_bytes());
  return bytes_;
}
std::string& Value::mutable_text() {
  assert(is_text());
  return text_;
}
Array& Value::mutable_array() {
  assert(is_array());
  return items_;
}
const MapEntries& Value::map() const {
  assert(is_map());
  return entries_;
}
MapEntries& Value::mutable_map() {
  assert(is_map());
  return entries_;
}
uint64_t Value::tag() const {
  assert(is_tag());
  return arg_;
}
const Value& Value::tag_content() const {
  assert(is_tag() && items_.size() == 1);
  return items_[0];
}
uint8_t Value::simple() const {
  assert(is_simple());
  return static_cast<uint8_t>(arg_);
}
bool Value::bool_value() const {
  assert(is_bool());
  return arg_ == kSimpleTrue;
}
double Value::float_value() const {
  assert(is_float());
  return float_;
}

StatusOr<int64_t> Value::AsInt64() const {
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (is_unsigned()) {
    if (arg_ > kMax) return InvalidArgumentError("cbor: integer exceeds int64");
    return static_cast<int64_t>(arg_);
  }
  if (is_negative()) {
    if (arg_ > kMax) return InvalidArgumentError("cbor: integer below int64");
    return -1 - static_cast<int64_t>(arg_);
  }
  return InvalidArgumentError("cbor: not an integer");
}

const Value* Value::Find(const Value& key) const {
  if (!is_map()) return nullptr;
  for (const auto& [k, v] : entries_) {
    if (k == key) return &v;
  }
  return nullptr;
}

const Value* Value::FindText(std::string_view key) const {
  if (!is_map()) return nullptr;
  for (const auto& [k, v] : entries_) {
    if (k.is_text() && k.text_ == key) return &v;
  }
  return nullptr;
}

const Value* Value::FindInt(int64_t key) const { return Find(Int(key)); }

namespace {
bool FloatEquals(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::memcmp(&a, &b, sizeof(a)) == 0;  // 0.0 != -0.0
}

// Maps are unordered: same size and every entry of `a` present in `b`. This
// is exact when neither map has duplicate keys (the decoder and encoder both
// reject those). Entries in the same position are checked first so equal,
// identically ordered maps cost O(n).
bool MapEquals(const Value& a, const Value& b) {
  const MapEntries& ea = a.map();
  const MapEntries& eb = b.map();
  if (ea.size() != eb.size()) return false;
  for (size_t i = 0; i < ea.size(); ++i) {
    if (ea[i] == eb[i]) continue;
    const Value* found = b.Find(ea[i].first);
    if (found == nullptr || *found != ea[i].second) return false;
  }
  return true;
}
}  // namespace

bool operator==(const Value& a, const Value& b) {
  if (a.kind_ != b.kind_) return false;
  switch (a.kind_) {
    case Kind::kUnsigned:
    case Kind::kNegative:
    case Kind::kSimple:
      return a.arg_ == b.arg_;
    case Kind::kBytes:
      return a.bytes_ == b.bytes_;
    case Kind::kText:
      return a.text_ == b.text_;
    case Kind::kArray:
      return a.items_ == b.items_;
    case Kind::kMap:
      return MapEquals(a, b);
    case Kind::kTag:
      return a.arg_ == b.arg_ && a.items_ == b.items_;
    case Kind::kFloat:
      return FloatEquals(a.float_, b.float_);
  }
  return false;
}

}  // namespace eml::cbor

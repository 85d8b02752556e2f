// CBOR data model (RFC 8949 section 2): one Value type for every data item.
//
// A Value is a tree owned by value semantics (copyable, movable). Integers
// keep the full CBOR range: major type 0 holds 0..2^64-1 and major type 1
// holds -1-n for n in 0..2^64-1, so the negative kind stores the *argument*
// n, not a signed number. Maps are ordered vectors of (key, value) pairs in
// the order they were built or decoded; the encoder sorts them (see
// encode.h), the decoder rejects duplicates (see decode.h). Floats are held
// as double whatever width they were decoded from; equality treats every NaN
// as equal to every other NaN and distinguishes 0.0 from -0.0, which matches
// what the deterministic encoder can reproduce. Map equality ignores entry
// order (CBOR maps are unordered) and assumes keys are unique.
//
// Format notes and limits: docs/cbor.md. Thread-safety: a value type.
#ifndef EML_CBOR_VALUE_H_
#define EML_CBOR_VALUE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"

namespace eml::cbor {

enum class Kind {
  kUnsigned,  // major type 0
  kNegative,  // major type 1: value is -1 - argument
  kBytes,     // major type 2
  kText,      // major type 3 (valid UTF-8)
  kArray,     // major type 4
  kMap,       // major type 5
  kTag,       // major type 6
  kSimple,    // major type 7, simple values (false/true/null/undefined/...)
  kFloat,     // major type 7, half/single/double
};

// Simple values with a meaning of their own (RFC 8949 section 3.3).
inline constexpr uint8_t kSimpleFalse = 20;
inline constexpr uint8_t kSimpleTrue = 21;
inline constexpr uint8_t kSimpleNull = 22;
inline constexpr uint8_t kSimpleUndefined = 23;

class Value;
using Array = std::vector<Value>;
using MapEntries = std::vector<std::pair<Value, Value>>;

class Value {
 public:
  Value() = default;  // null

  static Value Unsigned(uint64_t v);
  // -1 - n; NegativeArg(0) is -1, NegativeArg(2^64-1) is -2^64.
  static Value NegativeArg(uint64_t n);
  static Value Int(int64_t v);
  static Value ByteString(ByteSpan b);
  static Value ByteString(Bytes&& b);
  // The caller supplies UTF-8; the encoder rejects anything else.
  static Value Text(std::string_view s);
  static Value FromArray(Array items);
  static Value FromMap(MapEntries entries);
  static Value Tagged(uint64_t tag, Value content);
  // Any simple value number; 24..31 are not well-formed and fail to encode.
  static Value Simple(uint8_t v);
  static Value Bool(bool v) { return Simple(v ? kSimpleTrue : kSimpleFalse); }
  static Value Null() { return Simple(kSimpleNull); }
  static Value Undefined() { return Simple(kSimpleUndefined); }
  static Value Float(double v);

  Kind kind() const { return kind_; }
  bool is_unsigned() const { return kind_ == Kind::kUnsigned; }
  bool is_negative() const { return kind_ == Kind::kNegative; }
  bool is_integer() const { return is_unsigned() || is_negative(); }
  bool is_bytes() const { return kind_ == Kind::kBytes; }
  bool is_text() const { return kind_ == Kind::kText; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_map() const { return kind_ == Kind::kMap; }
  bool is_tag() const { return kind_ == Kind::kTag; }
  bool is_simple() const { return kind_ == Kind::kSimple; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  bool is_null() const { return is_simple() && arg_ == kSimpleNull; }
  bool is_bool() const {
    return is_simple() && (arg_ == kSimpleFalse || arg_ == kSimpleTrue);
  }

  // Accessors: calling one for the wrong kind is a programmer error
  // (asserted); check kind() first or use the StatusOr helpers below.
  uint64_t unsigned_value() const;
  uint64_t negative_arg() const;
  const Bytes& bytes() const;
  Bytes& mutable_bytes();  // e.g. to move a decoded byte string out
  const std::string& text() const;
  std::string& mutable_text();
  const Array& array() const;
  Array& mutable_array();
  const MapEntries& map() const;
  MapEntries& mutable_map();
  uint64_t tag() const;
  const Value& tag_content() const;
  uint8_t simple() const;
  bool bool_value() const;
  double float_value() const;

  // The integer as int64, or InvalidArgument if not an integer or out of range.
  StatusOr<int64_t> AsInt64() const;

  // Map lookup by value equality; nullptr if absent or if this is not a map.
  const Value* Find(const Value& key) const;
  const Value* FindText(std::string_view key) const;
  const Value* FindInt(int64_t key) const;

  friend bool operator==(const Value& a, const Value& b);
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

 private:
  Kind kind_ = Kind::kSimple;
  uint64_t arg_ = kSimpleNull;  // unsigned value, negative arg, tag, simple
  double float_ = 0;
  Bytes bytes_;
  std::string text_;
  Array items_;        // array elements; a tag's content is items_[0]
  MapEntries entries_;
};

}  // namespace eml::cbor

#endif  // EML_CBOR_VALUE_H_

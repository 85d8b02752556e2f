#include "protocol/cbor_map.h"

#include "cbor/decode.h"

namespace eml::protocol::internal {

StatusOr<IntMap> IntMap::Decode(ByteSpan input, std::string_view what, uint64_t max_key,
                                size_t max_size) {
  const std::string name(what);
  if (input.size() > max_size) {
    return Status(StatusCode::kLimitExceeded, name + ": message too large");
  }
  cbor::DecodeOptions options;
  options.max_size = max_size;
  options.max_depth = 4;
  options.require_deterministic = true;
  StatusOr<cbor::Value> value = cbor::Decode(input, options);
  if (!value.ok()) {
    return Status(value.status().code(), name + ": " + value.status().message());
  }
  if (!value->is_map()) return Status(StatusCode::kInvalidArgument, name + ": not a map");
  for (const auto& [key, unused] : value->map()) {
    if (!key.is_unsigned() || key.unsigned_value() < 1 || key.unsigned_value() > max_key) {
      return Status(StatusCode::kInvalidArgument, name + ": unknown key");
    }
  }
  // The decoder rejects duplicate keys, so each key appears at most once.
  return IntMap(std::move(value).value(), name);
}

Status IntMap::FieldError(std::string_view field, std::string_view problem) const {
  return Status(StatusCode::kInvalidArgument,
                what_ + ": " + std::string(field) + " " + std::string(problem));
}

StatusOr<const cbor::Value*> IntMap::Get(uint64_t key, std::string_view field) const {
  const cbor::Value* v = value_.FindInt(static_cast<int64_t>(key));
  if (v == nullptr) return FieldError(field, "is missing");
  return v;
}

StatusOr<std::string> IntMap::Text(uint64_t key, std::string_view field, size_t min_size,
                                   size_t max_size) const {
  ASSIGN_OR_RETURN(const cbor::Value* v, Get(key, field));
  if (!v->is_text()) return FieldError(field, "is not a text string");
  if (v->text().size() < min_size || v->text().size() > max_size) {
    return FieldError(field, "has a bad length");
  }
  return v->text();
}

StatusOr<Bytes> IntMap::ByteString(uint64_t key, std::string_view field, size_t min_size,
                                   size_t max_size) const {
  ASSIGN_OR_RETURN(const cbor::Value* v, Get(key, field));
  if (!v->is_bytes()) return FieldError(field, "is not a byte string");
  if (v->bytes().size() < min_size || v->bytes().size() > max_size) {
    return FieldError(field, "has a bad length");
  }
  return v->bytes();
}

StatusOr<uint64_t> IntMap::Unsigned(uint64_t key, std::string_view field) const {
  ASSIGN_OR_RETURN(const cbor::Value* v, Get(key, field));
  if (!v->is_unsigned()) return FieldError(field, "is not an unsigned integer");
  return v->unsigned_value();
}

StatusOr<const cbor::Array*> IntMap::ArrayOf(uint64_t key, std::string_view field,
                                             size_t min_items, size_t max_items) const {
  ASSIGN_OR_RETURN(const cbor::Value* v, Get(key, field));
  if (!v->is_array()) return FieldError(field, "is not an array");
  if (v->array().size() < min_items || v->array().size() > max_items) {
    return FieldError(field, "has a bad number of items");
  }
  return &v->array();
}

}  // namespace eml::protocol::internal

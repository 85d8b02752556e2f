// Policy payload <-> deterministic CBOR (grammar in docs/policy.md).
#include "policy/policy_cbor.h"

#include <algorithm>
#include <initializer_list>
#include <limits>
#include <utility>

#include "cbor/decode.h"
#include "cbor/encode.h"

namespace eml::policy {
namespace {

using cbor::Value;

// Key names: the grammar's vocabulary, shared by encoder and decoder.
constexpr std::string_view kVersion = "version";
constexpr std::string_view kPolicyId = "policy_id";
constexpr std::string_view kCreatedAt = "created_at";
constexpr std::string_view kExpiresAt = "expires_at";
constexpr std::string_view kMaxEvidenceAge = "max_evidence_age_s";
constexpr std::string_view kAllowEvaluation = "allow_evaluation";
constexpr std::string_view kAnyModel = "any_model";
constexpr std::string_view kRoots = "roots";
constexpr std::string_view kMeasurements = "measurements";
constexpr std::string_view kModels = "models";
constexpr std::string_view kTdxExtraTcbStatuses = "tdx_extra_tcb_statuses";  // optional
constexpr std::string_view kPlatform = "platform";
constexpr std::string_view kName = "name";
constexpr std::string_view kDer = "der";
constexpr std::string_view kEvaluation = "evaluation";
constexpr std::string_view kValues = "values";
constexpr std::string_view kModelId = "model_id";
constexpr std::string_view kModelHash = "model_hash";

// Items in a maximal policy are about 80k (1024 tuples of 32 values);
// the decoder refuses more before building them.
constexpr size_t kMaxCborItems = size_t{1} << 17;
constexpr size_t kMaxCborDepth = 6;

std::pair<Value, Value> Entry(std::string_view key, Value value) {
  return {Value::Text(key), std::move(value)};
}

Value RootToCbor(const TrustedRoot& root) {
  return Value::FromMap({Entry(kPlatform, Value::Text(root.platform)),
                         Entry(kName, Value::Text(root.name)),
                         Entry(kDer, Value::ByteString(ByteSpan(root.der))),
                         Entry(kEvaluation, Value::Bool(root.evaluation))});
}

Value TupleToCbor(const MeasurementTuple& tuple) {
  cbor::MapEntries values;
  for (const auto& [index, value] : tuple.values) {
    values.emplace_back(Value::Unsigned(index), Value::ByteString(ByteSpan(value)));
  }
  return Value::FromMap({Entry(kPlatform, Value::Text(tuple.platform)),
                         Entry(kName, Value::Text(tuple.name)),
                         Entry(kValues, Value::FromMap(std::move(values)))});
}

Value ModelToCbor(const AllowedModel& model) {
  cbor::MapEntries entries = {Entry(kModelId, Value::Text(model.model_id))};
  if (model.model_hash.has_value()) {
    entries.push_back(Entry(kModelHash, Value::ByteString(ByteSpan(*model.model_hash))));
  }
  return Value::FromMap(std::move(entries));
}

template <typename T, typename F>
Value ListToCbor(const std::vector<T>& items, F to_cbor) {
  cbor::Array out;
  out.reserve(items.size());
  for (const T& item : items) out.push_back(to_cbor(item));
  return Value::FromArray(std::move(out));
}

// ---- decoding -------------------------------------------------------------

Status Invalid(const std::string& what) { return InvalidArgumentError("policy: " + what); }

// A closed map: every key is text and one of required/optional; every
// required key is present. (Duplicates were already refused by the decoder.)
Status CheckKeys(const Value& map, const std::string& where,
                 std::initializer_list<std::string_view> required,
                 std::initializer_list<std::string_view> optional = {}) {
  if (!map.is_map()) return Invalid(where + " is not a map");
  for (const auto& [key, value] : map.map()) {
    if (!key.is_text()) return Invalid(where + " has a non-text key");
    const std::string& name = key.text();
    const bool known = std::find(required.begin(), required.end(), name) != required.end() ||
                       std::find(optional.begin(), optional.end(), name) != optional.end();
    if (!known) return Invalid(where + " has an unknown key");
  }
  for (std::string_view name : required) {
    if (map.FindText(name) == nullptr) return Invalid(where + "." + std::string(name) + " missing");
  }
  return OkStatus();
}

std::string Field(const std::string& where, std::string_view key) {
  return where + "." + std::string(key);
}

StatusOr<uint64_t> GetUint(const Value& map, const std::string& where, std::string_view key) {
  const Value& v = *map.FindText(key);
  if (!v.is_unsigned()) return Invalid(Field(where, key) + " is not an unsigned integer");
  return v.unsigned_value();
}

// A uint no larger than `max`, as int64 (times) or narrower.
StatusOr<int64_t> GetBoundedUint(const Value& map, const std::string& where,
                                 std::string_view key, int64_t max) {
  ASSIGN_OR_RETURN(uint64_t v, GetUint(map, where, key));
  if (v > static_cast<uint64_t>(max)) return Invalid(Field(where, key) + " out of range");
  return static_cast<int64_t>(v);
}

StatusOr<std::string> GetText(const Value& map, const std::string& where, std::string_view key) {
  const Value& v = *map.FindText(key);
  if (!v.is_text()) return Invalid(Field(where, key) + " is not a text string");
  return v.text();
}

StatusOr<bool> GetBool(const Value& map, const std::string& where, std::string_view key) {
  const Value& v = *map.FindText(key);
  if (!v.is_bool()) return Invalid(Field(where, key) + " is not a bool");
  return v.bool_value();
}

StatusOr<Bytes> GetBytes(const Value& map, const std::string& where, std::string_view key) {
  const Value& v = *map.FindText(key);
  if (!v.is_bytes()) return Invalid(Field(where, key) + " is not a byte string");
  return v.bytes();
}

StatusOr<const cbor::Array*> GetArray(const Value& map, std::string_view key, size_t max) {
  const Value& v = *map.FindText(key);
  if (!v.is_array()) return Invalid(std::string(key) + " is not an array");
  if (v.array().size() > max) {
    return LimitExceededError("policy: " + std::string(key) + " has more than " +
                              std::to_string(max) + " entries");
  }
  return &v.array();
}

StatusOr<TrustedRoot> RootFromCbor(const Value& v, const std::string& where) {
  RETURN_IF_ERROR(CheckKeys(v, where, {kPlatform, kName, kDer, kEvaluation}));
  TrustedRoot root;
  ASSIGN_OR_RETURN(root.platform, GetText(v, where, kPlatform));
  ASSIGN_OR_RETURN(root.name, GetText(v, where, kName));
  ASSIGN_OR_RETURN(root.der, GetBytes(v, where, kDer));
  ASSIGN_OR_RETURN(root.evaluation, GetBool(v, where, kEvaluation));
  return root;
}

StatusOr<std::map<uint32_t, Bytes>> ValuesFromCbor(const Value& v, const std::string& where) {
  if (!v.is_map()) return Invalid(where + " is not a map");
  if (v.map().size() > kMaxValuesPerTuple) {
    return LimitExceededError("policy: " + where + " has more than " +
                              std::to_string(kMaxValuesPerTuple) + " values");
  }
  std::map<uint32_t, Bytes> out;
  for (const auto& [key, value] : v.map()) {
    // Checked before narrowing: index 2^32 must not alias index 0.
    if (!key.is_unsigned() || key.unsigned_value() >= kMaxValuesPerTuple) {
      return Invalid(where + " key is not an index 0..31");
    }
    if (!value.is_bytes()) return Invalid(where + " value is not a byte string");
    out.emplace(static_cast<uint32_t>(key.unsigned_value()), value.bytes());
  }
  return out;
}

StatusOr<MeasurementTuple> TupleFromCbor(const Value& v, const std::string& where) {
  RETURN_IF_ERROR(CheckKeys(v, where, {kPlatform, kName, kValues}));
  MeasurementTuple tuple;
  ASSIGN_OR_RETURN(tuple.platform, GetText(v, where, kPlatform));
  ASSIGN_OR_RETURN(tuple.name, GetText(v, where, kName));
  ASSIGN_OR_RETURN(tuple.values, ValuesFromCbor(*v.FindText(kValues), Field(where, kValues)));
  return tuple;
}

StatusOr<AllowedModel> ModelFromCbor(const Value& v, const std::string& where) {
  RETURN_IF_ERROR(CheckKeys(v, where, {kModelId}, {kModelHash}));
  AllowedModel model;
  ASSIGN_OR_RETURN(model.model_id, GetText(v, where, kModelId));
  if (v.FindText(kModelHash) != nullptr) {
    ASSIGN_OR_RETURN(model.model_hash, GetBytes(v, where, kModelHash));
  }
  return model;
}

StatusOr<std::string> TextFromCbor(const Value& v, const std::string& where) {
  if (!v.is_text()) return Invalid(where + " is not a text string");
  return v.text();
}

template <typename T, typename F>
Status ListFromCbor(const Value& map, std::string_view key, size_t max, F from_cbor,
                    std::vector<T>* out) {
  ASSIGN_OR_RETURN(const cbor::Array* items, GetArray(map, key, max));
  out->reserve(items->size());
  for (size_t i = 0; i < items->size(); ++i) {
    const std::string where = std::string(key) + "[" + std::to_string(i) + "]";
    ASSIGN_OR_RETURN(T item, from_cbor((*items)[i], where));
    out->push_back(std::move(item));
  }
  return OkStatus();
}

Status ScalarsFromCbor(const Value& root, Policy* p) {
  const std::string where = "payload";
  ASSIGN_OR_RETURN(p->version, GetUint(root, where, kVersion));
  ASSIGN_OR_RETURN(p->policy_id, GetText(root, where, kPolicyId));
  ASSIGN_OR_RETURN(p->created_at, GetBoundedUint(root, where, kCreatedAt, kMaxUnixSeconds));
  ASSIGN_OR_RETURN(p->expires_at, GetBoundedUint(root, where, kExpiresAt, kMaxUnixSeconds));
  ASSIGN_OR_RETURN(int64_t age, GetBoundedUint(root, where, kMaxEvidenceAge, kMaxEvidenceAgeLimitS));
  p->max_evidence_age_s = static_cast<uint32_t>(age);
  ASSIGN_OR_RETURN(p->allow_evaluation, GetBool(root, where, kAllowEvaluation));
  ASSIGN_OR_RETURN(p->any_model, GetBool(root, where, kAnyModel));
  return OkStatus();
}

}  // namespace

Value PolicyToCbor(const Policy& p) {
  cbor::MapEntries entries = {
      Entry(kVersion, Value::Unsigned(p.version)),
      Entry(kPolicyId, Value::Text(p.policy_id)),
      Entry(kCreatedAt, Value::Int(p.created_at)),
      Entry(kExpiresAt, Value::Int(p.expires_at)),
      Entry(kMaxEvidenceAge, Value::Unsigned(p.max_evidence_age_s)),
      Entry(kAllowEvaluation, Value::Bool(p.allow_evaluation)),
      Entry(kAnyModel, Value::Bool(p.any_model)),
      Entry(kRoots, ListToCbor(p.roots, RootToCbor)),
      Entry(kMeasurements, ListToCbor(p.measurements, TupleToCbor)),
      Entry(kModels, ListToCbor(p.models, ModelToCbor)),
  };
  // Absent when empty, so one policy has one encoding.
  if (!p.tdx_extra_tcb_statuses.empty()) {
    entries.push_back(Entry(kTdxExtraTcbStatuses,
                            ListToCbor(p.tdx_extra_tcb_statuses,
                                       [](const std::string& s) { return Value::Text(s); })));
  }
  return Value::FromMap(std::move(entries));
}

StatusOr<Bytes> EncodePolicyPayload(const Policy& policy) {
  RETURN_IF_ERROR(ValidatePolicy(policy));
  return cbor::Encode(PolicyToCbor(policy));
}

StatusOr<Policy> DecodePolicyPayload(ByteSpan payload) {
  if (payload.size() > kMaxPolicyFileSize) {
    return LimitExceededError("policy: payload exceeds " + std::to_string(kMaxPolicyFileSize) +
                              " bytes");
  }
  const cbor::DecodeOptions options{.max_depth = kMaxCborDepth,
                                    .max_items = kMaxCborItems,
                                    .max_size = kMaxPolicyFileSize,
                                    .require_deterministic = true};
  ASSIGN_OR_RETURN(Value root, cbor::Decode(payload, options));
  RETURN_IF_ERROR(CheckKeys(root, "payload",
                            {kVersion, kPolicyId, kCreatedAt, kExpiresAt, kMaxEvidenceAge,
                             kAllowEvaluation, kAnyModel, kRoots, kMeasurements, kModels},
                            {kTdxExtraTcbStatuses}));
  Policy p;
  RETURN_IF_ERROR(ScalarsFromCbor(root, &p));
  RETURN_IF_ERROR(ListFromCbor(root, kRoots, kMaxRoots, RootFromCbor, &p.roots));
  RETURN_IF_ERROR(
      ListFromCbor(root, kMeasurements, kMaxMeasurementTuples, TupleFromCbor, &p.measurements));
  RETURN_IF_ERROR(ListFromCbor(root, kModels, kMaxModels, ModelFromCbor, &p.models));
  if (root.FindText(kTdxExtraTcbStatuses) != nullptr) {
    RETURN_IF_ERROR(ListFromCbor(root, kTdxExtraTcbStatuses, kMaxTdxExtraTcbStatuses,
                                 TextFromCbor, &p.tdx_extra_tcb_statuses));
    if (p.tdx_extra_tcb_statuses.empty()) {
      return Invalid(std::string(kTdxExtraTcbStatuses) + " is empty (omit it instead)");
    }
  }
  RETURN_IF_ERROR(ValidatePolicy(p));
  return p;
}

}  // namespace eml::policy

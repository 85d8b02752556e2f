// Policy <-> editable JSON (docs/policy.md "JSON form").
#include "policy/policy_json.h"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "core/file.h"
#include "core/json.h"

namespace eml::policy {
namespace {

using nlohmann::json;

// Deepest legal nesting: top object > measurements array > tuple > values.
constexpr int kMaxJsonDepth = 4;

Status Invalid(const std::string& what) { return InvalidArgumentError("policy json: " + what); }

// Strict JSON (core/json.h), nested no deeper than the policy grammar.
StatusOr<json> ParseStrict(std::string_view text) {
  if (text.size() > kMaxPolicyJsonSize) {
    return LimitExceededError("policy json: text exceeds " + std::to_string(kMaxPolicyJsonSize) +
                              " bytes");
  }
  return ParseJsonStrict(text, kMaxJsonDepth, "policy json");
}

std::string Field(const std::string& where, std::string_view key) {
  return where + "." + std::string(key);
}

Status CheckKeys(const json& object, const std::string& where,
                 std::initializer_list<std::string_view> required,
                 std::initializer_list<std::string_view> optional = {}) {
  if (!object.is_object()) return Invalid(where + " is not an object");
  for (const auto& item : object.items()) {
    const std::string& key = item.key();
    const bool known = std::find(required.begin(), required.end(), key) != required.end() ||
                       std::find(optional.begin(), optional.end(), key) != optional.end();
    if (!known) return Invalid(where + " has an unknown key");
  }
  for (std::string_view key : required) {
    if (!object.contains(key)) return Invalid(Field(where, key) + " missing");
  }
  return OkStatus();
}

StatusOr<uint64_t> GetUint(const json& object, const std::string& where, std::string_view key,
                           uint64_t max) {
  const json& v = object.at(key);
  if (!v.is_number_unsigned()) return Invalid(Field(where, key) + " is not a non-negative integer");
  const uint64_t n = v.get<uint64_t>();
  if (n > max) return Invalid(Field(where, key) + " out of range");
  return n;
}

StatusOr<std::string> GetString(const json& object, const std::string& where,
                                std::string_view key) {
  const json& v = object.at(key);
  if (!v.is_string()) return Invalid(Field(where, key) + " is not a string");
  return v.get<std::string>();
}

StatusOr<bool> GetBool(const json& object, const std::string& where, std::string_view key) {
  const json& v = object.at(key);
  if (!v.is_boolean()) return Invalid(Field(where, key) + " is not a boolean");
  return v.get<bool>();
}

StatusOr<Bytes> GetHex(const json& object, const std::string& where, std::string_view key) {
  ASSIGN_OR_RETURN(std::string text, GetString(object, where, key));
  StatusOr<Bytes> bytes = HexDecode(text);
  if (!bytes.ok()) return Invalid(Field(where, key) + " is not hex");
  return bytes;
}

StatusOr<Bytes> RootDer(const json& object, const std::string& where, const JsonOptions& options) {
  const int sources = static_cast<int>(object.contains("der_file")) +
                      static_cast<int>(object.contains("der_base64")) +
                      static_cast<int>(object.contains("der_hex"));
  if (sources != 1) return Invalid(where + " needs exactly one of der_file, der_base64, der_hex");
  if (object.contains("der_hex")) return GetHex(object, where, "der_hex");
  if (object.contains("der_base64")) {
    ASSIGN_OR_RETURN(std::string text, GetString(object, where, "der_base64"));
    StatusOr<Bytes> der = Base64Decode(text);
    if (!der.ok()) return Invalid(where + ".der_base64 is not base64");
    return der;
  }
  if (!options.allow_der_files) return Invalid(where + ".der_file is not allowed here");
  ASSIGN_OR_RETURN(std::string path, GetString(object, where, "der_file"));
  if (path.empty()) return Invalid(where + ".der_file is empty");
  if (path[0] != '/' && !options.base_dir.empty()) path = options.base_dir + "/" + path;
  return ReadCertificateFile(path);
}

StatusOr<TrustedRoot> RootFromJson(const json& object, const std::string& where,
                                   const JsonOptions& options) {
  RETURN_IF_ERROR(CheckKeys(object, where, {"platform", "name", "evaluation"},
                            {"der_file", "der_base64", "der_hex"}));
  TrustedRoot root;
  ASSIGN_OR_RETURN(root.platform, GetString(object, where, "platform"));
  ASSIGN_OR_RETURN(root.name, GetString(object, where, "name"));
  ASSIGN_OR_RETURN(root.evaluation, GetBool(object, where, "evaluation"));
  ASSIGN_OR_RETURN(root.der, RootDer(object, where, options));
  return root;
}

// {"<measurement name>": hex, ...} for `platform` (policy.h); names are
// checked here, sizes and required ones by ValidatePolicy.
StatusOr<std::map<uint32_t, Bytes>> ValuesFromJson(std::string_view platform, const json& values,
                                                   const std::string& where) {
  if (!values.is_object()) return Invalid(where + " is not an object");
  if (values.size() > kMaxValuesPerTuple) {
    return LimitExceededError("policy json: " + where + " has too many values");
  }
  std::map<uint32_t, Bytes> out;
  for (const auto& item : values.items()) {
    ASSIGN_OR_RETURN(uint32_t index, MeasurementIndex(platform, item.key()));
    ASSIGN_OR_RETURN(Bytes value, GetHex(values, where, item.key()));
    out.emplace(index, std::move(value));
  }
  return out;
}

StatusOr<MeasurementTuple> TupleFromJson(const json& object, const std::string& where,
                                         const JsonOptions& /*options*/) {
  RETURN_IF_ERROR(CheckKeys(object, where, {"platform", "name", "values"}));
  MeasurementTuple tuple;
  ASSIGN_OR_RETURN(tuple.platform, GetString(object, where, "platform"));
  ASSIGN_OR_RETURN(tuple.name, GetString(object, where, "name"));
  if (!IsKnownPlatform(tuple.platform)) {  // the same code ValidatePolicy gives
    return UnsupportedError("policy json: " + Field(where, "platform") + " is not a known platform");
  }
  ASSIGN_OR_RETURN(tuple.values,
                   ValuesFromJson(tuple.platform, object.at("values"), Field(where, "values")));
  return tuple;
}

StatusOr<AllowedModel> ModelFromJson(const json& object, const std::string& where,
                                     const JsonOptions& /*options*/) {
  RETURN_IF_ERROR(CheckKeys(object, where, {"model_id"}, {"model_hash"}));
  AllowedModel model;
  ASSIGN_OR_RETURN(model.model_id, GetString(object, where, "model_id"));
  if (object.contains("model_hash")) {
    ASSIGN_OR_RETURN(model.model_hash, GetHex(object, where, "model_hash"));
  }
  return model;
}

template <typename T, typename F>
Status ListFromJson(const json& root, std::string_view key, size_t max, F from_json,
                    const JsonOptions& options, std::vector<T>* out) {
  const json& list = root.at(key);
  if (!list.is_array()) return Invalid(std::string(key) + " is not an array");
  if (list.size() > max) {
    return LimitExceededError("policy json: " + std::string(key) + " has more than " +
                              std::to_string(max) + " entries");
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = std::string(key) + "[" + std::to_string(i) + "]";
    ASSIGN_OR_RETURN(T item, from_json(list[i], where, options));
    out->push_back(std::move(item));
  }
  return OkStatus();
}

Status ScalarsFromJson(const json& root, Policy* p) {
  const std::string where = "policy";
  ASSIGN_OR_RETURN(p->version, GetUint(root, where, "version", UINT64_MAX));
  ASSIGN_OR_RETURN(p->policy_id, GetString(root, where, "policy_id"));
  const auto max_time = static_cast<uint64_t>(kMaxUnixSeconds);
  ASSIGN_OR_RETURN(uint64_t created, GetUint(root, where, "created_at", max_time));
  ASSIGN_OR_RETURN(uint64_t expires, GetUint(root, where, "expires_at", max_time));
  ASSIGN_OR_RETURN(uint64_t age, GetUint(root, where, "max_evidence_age_s", kMaxEvidenceAgeLimitS));
  p->created_at = static_cast<int64_t>(created);
  p->expires_at = static_cast<int64_t>(expires);
  p->max_evidence_age_s = static_cast<uint32_t>(age);
  ASSIGN_OR_RETURN(p->allow_evaluation, GetBool(root, where, "allow_evaluation"));
  ASSIGN_OR_RETURN(p->any_model, GetBool(root, where, "any_model"));
  return OkStatus();
}

StatusOr<Policy> PolicyFromJsonValue(const json& root, const JsonOptions& options) {
  RETURN_IF_ERROR(CheckKeys(root, "policy",
                            {"policy_id", "version", "created_at", "expires_at",
                             "max_evidence_age_s", "allow_evaluation", "any_model", "roots",
                             "measurements", "models"},
                            {"tdx_extra_tcb_statuses"}));
  Policy p;
  RETURN_IF_ERROR(ScalarsFromJson(root, &p));
  RETURN_IF_ERROR(ListFromJson(root, "roots", kMaxRoots, RootFromJson, options, &p.roots));
  RETURN_IF_ERROR(ListFromJson(root, "measurements", kMaxMeasurementTuples, TupleFromJson,
                               options, &p.measurements));
  RETURN_IF_ERROR(ListFromJson(root, "models", kMaxModels, ModelFromJson, options, &p.models));
  if (root.contains("tdx_extra_tcb_statuses")) {
    RETURN_IF_ERROR(ListFromJson(
        root, "tdx_extra_tcb_statuses", kMaxTdxExtraTcbStatuses,
        [](const json& v, const std::string& where, const JsonOptions&) -> StatusOr<std::string> {
          if (!v.is_string()) return Invalid(where + " is not a string");
          return v.get<std::string>();
        },
        options, &p.tdx_extra_tcb_statuses));
  }
  RETURN_IF_ERROR(ValidatePolicy(p));
  return p;
}

json RootToJson(const TrustedRoot& root) {
  return {{"platform", root.platform},
          {"name", root.name},
          {"evaluation", root.evaluation},
          {"der_base64", Base64Encode(root.der)}};
}

json TupleToJson(const MeasurementTuple& tuple) {
  json values = json::object();
  for (const auto& [index, value] : tuple.values) values[MeasurementName(tuple.platform, index)] = HexEncode(value);
  return {{"platform", tuple.platform}, {"name", tuple.name}, {"values", std::move(values)}};
}

json ModelToJson(const AllowedModel& model) {
  json out = {{"model_id", model.model_id}};
  if (model.model_hash.has_value()) out["model_hash"] = HexEncode(*model.model_hash);
  return out;
}

// The body of the first PEM CERTIFICATE block, or NotFound.
StatusOr<Bytes> DecodePem(std::string_view text) {
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  const size_t begin = text.find(kBegin);
  if (begin == std::string_view::npos) return NotFoundError("no PEM certificate");
  const size_t body = begin + kBegin.size();
  const size_t end = text.find(kEnd, body);
  if (end == std::string_view::npos) return InvalidArgumentError("policy: PEM block not closed");
  std::string base64;
  for (char c : text.substr(body, end - body)) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') base64.push_back(c);
  }
  StatusOr<Bytes> der = Base64Decode(base64);
  if (!der.ok()) return InvalidArgumentError("policy: PEM body is not base64");
  return der;
}

}  // namespace

StatusOr<Bytes> ReadCertificateFile(const std::string& path) {
  // PEM is about 4/3 of the DER plus headers and line breaks.
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, 2 * kMaxRootDerSize));
  StatusOr<Bytes> pem = DecodePem(text);
  if (pem.ok() || pem.status().code() != StatusCode::kNotFound) return pem;
  if (text.size() > kMaxRootDerSize) {
    return LimitExceededError("policy: certificate file " + path + " is too large");
  }
  return ToBytes(text);
}

StatusOr<Policy> PolicyFromJson(std::string_view text, const JsonOptions& options) {
  ASSIGN_OR_RETURN(json root, ParseStrict(text));
  try {
    return PolicyFromJsonValue(root, options);
  } catch (const std::exception&) {
    // Every access above is type-checked first; this is a last line.
    return InternalError("policy json: unexpected JSON access error");
  }
}

StatusOr<std::map<uint32_t, Bytes>> MeasurementsFromJson(std::string_view platform,
                                                         std::string_view text) {
  if (!IsKnownPlatform(platform)) return InvalidArgumentError("measurements file: unknown platform");
  ASSIGN_OR_RETURN(json root, ParseStrict(text));
  try {
    ASSIGN_OR_RETURN(auto values, ValuesFromJson(platform, root, "measurements file"));
    // The same rules as a policy tuple, checked by the one validator.
    const MeasurementTuple tuple{.platform = std::string(platform), .name = "file",
                                 .values = values};
    Policy probe;
    probe.policy_id = "probe";
    probe.expires_at = 1;
    probe.allow_evaluation = true;
    probe.measurements = {tuple};
    RETURN_IF_ERROR(ValidatePolicy(probe));
    return values;
  } catch (const std::exception&) {
    return InternalError("policy json: unexpected JSON access error");
  }
}

std::string PolicyToJson(const Policy& p) {
  json roots = json::array();
  for (const TrustedRoot& root : p.roots) roots.push_back(RootToJson(root));
  json tuples = json::array();
  for (const MeasurementTuple& tuple : p.measurements) tuples.push_back(TupleToJson(tuple));
  json models = json::array();
  for (const AllowedModel& model : p.models) models.push_back(ModelToJson(model));
  json out = {{"policy_id", p.policy_id},
                    {"version", p.version},
                    {"created_at", p.created_at},
                    {"expires_at", p.expires_at},
                    {"max_evidence_age_s", p.max_evidence_age_s},
                    {"allow_evaluation", p.allow_evaluation},
                    {"any_model", p.any_model},
                    {"roots", std::move(roots)},
                    {"measurements", std::move(tuples)},
                    {"models", std::move(models)}};
  if (!p.tdx_extra_tcb_statuses.empty()) out["tdx_extra_tcb_statuses"] = p.tdx_extra_tcb_statuses;
  // Replace invalid UTF-8 rather than throw: ValidatePolicy only admits
  // printable ASCII, but this function also prints unvalidated policies.
  return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace eml::policy

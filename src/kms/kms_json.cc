// Strict JSON helpers and AWS error mapping for the KMS wire protocol.
#include "kms/kms_json.h"


#include "core/encoding.h"
#include "core/json.h"

namespace eml::kms {
namespace {

using nlohmann::json;

bool IsAwsErrorTypeName(std::string_view s) {
  constexpr std::string_view kSuffix = "Exception";
  if (s.size() <= kSuffix.size() || s.size() > 128) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
  }
  return s.substr(s.size() - kSuffix.size()) == kSuffix;
}

Status FieldError(std::string_view key, std::string_view what) {
  return InvalidArgumentError("kms: " + std::string(key) + " " + std::string(what));
}

}  // namespace

StatusOr<json> ParseJsonObject(std::string_view text, size_t max_size) {
  if (text.size() > max_size) {
    return LimitExceededError("kms: JSON body exceeds " + std::to_string(max_size) + " bytes");
  }
  StatusOr<json> root = ParseJsonStrict(text, kMaxKmsJsonDepth, "kms");
  // Every parse failure is InvalidArgument here (SerializationException).
  if (!root.ok()) return InvalidArgumentError(root.status().message());
  if (!root->is_object()) return InvalidArgumentError("kms: body is not a JSON object");
  return root;
}

StatusOr<std::optional<std::string>> GetString(const json& object, std::string_view key,
                                               size_t max_size) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return FieldError(key, "must be a string");
  const std::string& s = it->get_ref<const std::string&>();
  if (s.empty() || s.size() > max_size) {
    return FieldError(key, "length must be 1.." + std::to_string(max_size));
  }
  return std::optional<std::string>(s);
}

StatusOr<std::string> GetRequiredString(const json& object, std::string_view key,
                                        size_t max_size) {
  ASSIGN_OR_RETURN(std::optional<std::string> s, GetString(object, key, max_size));
  if (!s) return FieldError(key, "is required");
  return *std::move(s);
}

StatusOr<std::optional<Bytes>> GetBase64(const json& object, std::string_view key,
                                         size_t max_size) {
  // Base64 of max_size bytes is at most 4 * ceil(max_size / 3) characters.
  ASSIGN_OR_RETURN(std::optional<std::string> text,
                   GetString(object, key, 4 * ((max_size + 2) / 3)));
  if (!text) return std::optional<Bytes>();
  StatusOr<Bytes> decoded = Base64Decode(*text);
  if (!decoded.ok()) return FieldError(key, "is not valid base64");
  if (decoded->empty() || decoded->size() > max_size) {
    return FieldError(key, "must decode to 1.." + std::to_string(max_size) + " bytes");
  }
  return std::optional<Bytes>(*std::move(decoded));
}

StatusOr<Bytes> GetRequiredBase64(const json& object, std::string_view key, size_t max_size) {
  ASSIGN_OR_RETURN(std::optional<Bytes> b, GetBase64(object, key, max_size));
  if (!b) return FieldError(key, "is required");
  return *std::move(b);
}

StatusOr<std::map<std::string, std::string>> GetEncryptionContext(const json& object,
                                                                  std::string_view key) {
  std::map<std::string, std::string> out;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return out;
  if (!it->is_object()) return FieldError(key, "must be an object of strings");
  if (it->size() > kMaxEncryptionContextPairs) return FieldError(key, "has too many pairs");
  size_t total = 0;
  for (const auto& item : it->items()) {
    if (!item.value().is_string()) return FieldError(key, "values must be strings");
    const std::string& value = item.value().get_ref<const std::string&>();
    if (item.key().empty() || value.empty()) return FieldError(key, "keys and values must be non-empty");
    total += item.key().size() + value.size();
    if (total > kMaxEncryptionContextSize) return FieldError(key, "is too large");
    out.emplace(item.key(), value);
  }
  return out;
}

json EncryptionContextToJson(const std::map<std::string, std::string>& context) {
  json out = json::object();
  for (const auto& [k, v] : context) out[k] = v;
  return out;
}

std::string SanitizeText(std::string_view text, size_t max_size) {
  std::string out;
  out.reserve(std::min(text.size(), max_size));
  for (char c : text.substr(0, max_size)) out.push_back(c >= 0x20 && c <= 0x7e ? c : '?');
  return out;
}

StatusCode StatusCodeForAwsError(std::string_view type, int http_status) {
  if (type == kAccessDenied || type == kUnrecognizedClient || type == kInvalidSignature ||
      type == kIncompleteSignature || type == kMissingAuthenticationToken) {
    return StatusCode::kVerificationFailed;
  }
  if (type == kNotFound) return StatusCode::kNotFound;
  if (type == kLimitExceeded) return StatusCode::kLimitExceeded;
  if (http_status >= 500 || type == kKmsInternal) return StatusCode::kInternal;
  return StatusCode::kInvalidArgument;
}

int HttpStatusForAwsError(std::string_view type) {
  if (type == kMissingAuthenticationToken) return 403;
  if (type == kKmsInternal) return 500;
  return 400;
}

Status AwsError(std::string_view type, std::string_view message) {
  return Status(StatusCodeForAwsError(type, HttpStatusForAwsError(type)),
                std::string(type) + ": " + std::string(message));
}

std::string_view AwsErrorTypeOf(const Status& status) {
  std::string_view m = status.message();
  const size_t colon = m.find(':');
  if (colon == std::string_view::npos) return {};
  std::string_view type = m.substr(0, colon);
  return IsAwsErrorTypeName(type) ? type : std::string_view();
}

Status StatusFromAwsErrorResponse(int http_status, ByteSpan body) {
  const std::string where = "kms: HTTP " + std::to_string(http_status);
  StatusOr<json> parsed = ParseJsonObject(AsStringView(body), 64 * 1024);
  if (!parsed.ok()) {
    return Status(http_status >= 500 ? StatusCode::kInternal : StatusCode::kIo,
                  where + " without an AWS error body");
  }
  std::string type;
  if (auto it = parsed->find("__type"); it != parsed->end() && it->is_string()) {
    type = it->get<std::string>();
    if (const size_t hash = type.rfind('#'); hash != std::string::npos) type = type.substr(hash + 1);
  }
  if (!IsAwsErrorTypeName(type)) {
    return Status(http_status >= 500 ? StatusCode::kInternal : StatusCode::kIo,
                  where + " with an unrecognised error type");
  }
  std::string message;
  for (const char* key : {"message", "Message"}) {
    if (auto it = parsed->find(key); it != parsed->end() && it->is_string()) {
      message = SanitizeText(it->get_ref<const std::string&>(), kMaxAwsErrorMessageSize);
      break;
    }
  }
  return Status(StatusCodeForAwsError(type, http_status), type + ": " + message);
}

std::string AwsErrorBody(std::string_view type, std::string_view message) {
  json body = {{"__type", std::string(type)}, {"message", std::string(message)}};
  return body.dump(-1, ' ', /*ensure_ascii=*/true, json::error_handler_t::replace);
}

}  // namespace eml::kms

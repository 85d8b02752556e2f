// JSON pieces of the AWS KMS wire protocol shared by the client
// (kms/kms_client.h) and eml-kms (kms_server/): strict, bounded parsing of
// request/response objects, strict base64 fields, encryption contexts, and
// AWS error types carried in a Status ("<Type>: <message>").
//
// Parsing rules (docs/kms.md "Wire format"): the text is at most the
// caller's bound, nested at most kMaxKmsJsonDepth deep, has no duplicate
// keys, and its top level is an object. Parse and field errors are plain
// InvalidArgument / LimitExceeded "kms: ..." statuses (the server turns them
// into SerializationException / ValidationException); messages name
// fields, never values.
//
// Thread-safety: pure functions.
#ifndef EML_KMS_KMS_JSON_H_
#define EML_KMS_KMS_JSON_H_

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "core/status.h"

namespace eml::kms {

inline constexpr int kMaxKmsJsonDepth = 8;
inline constexpr size_t kMaxEncryptionContextPairs = 64;
inline constexpr size_t kMaxEncryptionContextSize = 8192;  // sum of key and value bytes
inline constexpr size_t kMaxAwsErrorMessageSize = 256;

// Strict parse (see above) of a JSON object.
StatusOr<nlohmann::json> ParseJsonObject(std::string_view text, size_t max_size);

// Object member helpers. Missing optional members give nullopt; a member of
// the wrong type or outside the bounds is InvalidArgument naming `key`.
StatusOr<std::optional<std::string>> GetString(const nlohmann::json& object, std::string_view key,
                                               size_t max_size);
StatusOr<std::string> GetRequiredString(const nlohmann::json& object, std::string_view key,
                                        size_t max_size);
// Standard base64 with padding, decoded strictly; 1..max_size decoded bytes.
StatusOr<std::optional<Bytes>> GetBase64(const nlohmann::json& object, std::string_view key,
                                         size_t max_size);
StatusOr<Bytes> GetRequiredBase64(const nlohmann::json& object, std::string_view key,
                                  size_t max_size);

// {"k": "v", ...}: every value a string, at most kMaxEncryptionContextPairs
// pairs and kMaxEncryptionContextSize bytes; keys and values non-empty.
StatusOr<std::map<std::string, std::string>> GetEncryptionContext(const nlohmann::json& object,
                                                                  std::string_view key);
nlohmann::json EncryptionContextToJson(const std::map<std::string, std::string>& context);

// Printable ASCII only (others become '?'), cut to max_size bytes.
std::string SanitizeText(std::string_view text, size_t max_size);

// AWS error types used by eml-kms and recognised by the client.
inline constexpr std::string_view kAccessDenied = "AccessDeniedException";
inline constexpr std::string_view kValidation = "ValidationException";
inline constexpr std::string_view kInvalidCiphertext = "InvalidCiphertextException";
inline constexpr std::string_view kNotFound = "NotFoundException";
inline constexpr std::string_view kMalformedPolicy = "MalformedPolicyDocumentException";
inline constexpr std::string_view kUnrecognizedClient = "UnrecognizedClientException";
inline constexpr std::string_view kInvalidSignature = "InvalidSignatureException";
inline constexpr std::string_view kIncompleteSignature = "IncompleteSignatureException";
inline constexpr std::string_view kMissingAuthenticationToken = "MissingAuthenticationTokenException";
inline constexpr std::string_view kSerialization = "SerializationException";
inline constexpr std::string_view kUnknownOperation = "UnknownOperationException";
inline constexpr std::string_view kInvalidKeyUsage = "InvalidKeyUsageException";
inline constexpr std::string_view kLimitExceeded = "LimitExceededException";
inline constexpr std::string_view kKmsInternal = "KMSInternalException";

// The StatusCode a given AWS error type maps to (kms_client.h, "Errors").
StatusCode StatusCodeForAwsError(std::string_view type, int http_status);
// The HTTP status eml-kms answers with for `type` (400, 403 or 500).
int HttpStatusForAwsError(std::string_view type);

// Status(code for type, "<type>: <message>").
Status AwsError(std::string_view type, std::string_view message);
// The "<Type>" prefix of a Status built by AwsError (or the client); empty
// if there is none. A type is [A-Za-z]+ ending in "Exception".
std::string_view AwsErrorTypeOf(const Status& status);

// Client side: a non-200 response body -> Status as described in
// kms_client.h. Accepts "__type" with or without a "prefix#", and
// "message" or "Message".
Status StatusFromAwsErrorResponse(int http_status, ByteSpan body);

// Server side: {"__type": type, "message": message}.
std::string AwsErrorBody(std::string_view type, std::string_view message);

}  // namespace eml::kms

#endif  // EML_KMS_KMS_JSON_H_

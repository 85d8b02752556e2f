// KmsClient: JSON 1.1 request bodies, SigV4 signing, response checks.
#include "kms/kms_client.h"

#include <cstdlib>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "crypto/cms.h"
#include "kms/kms_json.h"

namespace eml::kms {
namespace {

using nlohmann::json;

constexpr size_t kMaxKeyIdSize = 2048;
constexpr size_t kMaxPolicySize = 32768;
constexpr size_t kMaxDescriptionSize = 8192;
constexpr char kKeyEncryptionAlgorithm[] = "RSAES_OAEP_SHA_256";

bool IsRegionName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

Status CheckKeyId(std::string_view key_id) {
  if (key_id.empty() || key_id.size() > kMaxKeyIdSize) {
    return InvalidArgumentError("kms: KeyId must be 1..2048 bytes");
  }
  return OkStatus();
}

Status AddContext(const EncryptionContext& context, json* body) {
  if (context.empty()) return OkStatus();
  if (context.size() > kMaxEncryptionContextPairs) {
    return InvalidArgumentError("kms: EncryptionContext has too many pairs");
  }
  (*body)["EncryptionContext"] = EncryptionContextToJson(context);
  return OkStatus();
}

Status AddRecipient(const KmsRecipient* recipient, json* body) {
  if (recipient == nullptr) return OkStatus();
  if (recipient->private_key == nullptr) return InvalidArgumentError("kms: recipient without a key");
  if (recipient->attestation_document.empty() ||
      recipient->attestation_document.size() > kMaxKmsAttestationDocumentSize) {
    return InvalidArgumentError("kms: AttestationDocument must be 1..262144 bytes");
  }
  (*body)["Recipient"] = {{"AttestationDocument", Base64Encode(recipient->attestation_document)},
                          {"KeyEncryptionAlgorithm", kKeyEncryptionAlgorithm}};
  return OkStatus();
}

// Decodes a base64 member that holds secret bytes, wiping the JSON text and
// the intermediate buffer.
StatusOr<std::optional<SecretBytes>> TakeSecretBase64(json& object, std::string_view key,
                                                      size_t max_size) {
  StatusOr<std::optional<Bytes>> decoded = GetBase64(object, key, max_size);
  if (auto it = object.find(key); it != object.end() && it->is_string()) {
    std::string& text = it->get_ref<std::string&>();
    SecureWipe(text.data(), text.size());
  }
  if (!decoded.ok()) return decoded.status();
  if (!decoded->has_value()) return std::optional<SecretBytes>();
  SecretBytes secret(**decoded);
  SecureWipe((*decoded)->data(), (*decoded)->size());
  return std::optional<SecretBytes>(std::move(secret));
}

// Plaintext for the caller: from CiphertextForRecipient with a recipient
// (Plaintext must then be absent), else from Plaintext.
StatusOr<SecretBytes> ExtractPlaintext(json& response, const KmsRecipient* recipient) {
  ASSIGN_OR_RETURN(std::optional<SecretBytes> plaintext,
                   TakeSecretBase64(response, "Plaintext", kMaxKmsPlaintextSize));
  if (recipient == nullptr) {
    if (!plaintext) return InvalidArgumentError("kms: response has no Plaintext");
    return *std::move(plaintext);
  }
  if (plaintext) {
    return VerificationFailedError(
        "kms: response carries Plaintext although a Recipient was sent (refused)");
  }
  ASSIGN_OR_RETURN(Bytes envelope,
                   GetRequiredBase64(response, "CiphertextForRecipient", kMaxKmsCiphertextBlobSize));
  return crypto::DecryptCmsEnvelopedData(envelope, *recipient->private_key);
}

StatusOr<json> ParseResponse(const Bytes& body) {
  return ParseJsonObject(AsStringView(body), kMaxKmsResponseSize);
}

StatusOr<KeyMetadata> ParseKeyMetadata(const json& response) {
  auto it = response.find("KeyMetadata");
  if (it == response.end() || !it->is_object()) {
    return InvalidArgumentError("kms: response has no KeyMetadata");
  }
  KeyMetadata m;
  ASSIGN_OR_RETURN(m.key_id, GetRequiredString(*it, "KeyId", kMaxKeyIdSize));
  ASSIGN_OR_RETURN(std::optional<std::string> arn, GetString(*it, "Arn", kMaxKeyIdSize));
  std::optional<std::string> description;
  if (auto d = it->find("Description"); d != it->end() && d->is_string() &&
      d->get_ref<const std::string&>().empty()) {
    description = "";  // AWS sends "" for a key without a description
  } else {
    ASSIGN_OR_RETURN(description, GetString(*it, "Description", kMaxDescriptionSize));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> state, GetString(*it, "KeyState", 64));
  ASSIGN_OR_RETURN(std::optional<std::string> usage, GetString(*it, "KeyUsage", 64));
  m.arn = arn.value_or("");
  m.description = description.value_or("");
  m.key_state = state.value_or("");
  m.key_usage = usage.value_or("");
  if (auto e = it->find("Enabled"); e != it->end() && e->is_boolean()) m.enabled = e->get<bool>();
  if (auto c = it->find("CreationDate"); c != it->end() && c->is_number()) {
    m.creation_date = c->get<double>();
  }
  return m;
}

}  // namespace

StatusOr<Credentials> CredentialsFromEnvironment() {
  const char* id = std::getenv("AWS_ACCESS_KEY_ID");
  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  const char* token = std::getenv("AWS_SESSION_TOKEN");
  if (id == nullptr || *id == '\0') return NotFoundError("kms: AWS_ACCESS_KEY_ID is not set");
  if (secret == nullptr || *secret == '\0') {
    return NotFoundError("kms: AWS_SECRET_ACCESS_KEY is not set");
  }
  Credentials c;
  c.access_key_id = id;
  c.secret_access_key = SecretBytes(AsBytes(secret));
  if (token != nullptr) c.session_token = token;
  return c;
}

std::string_view AwsErrorType(const Status& status) { return AwsErrorTypeOf(status); }

StatusOr<KmsClient> KmsClient::Create(KmsClientOptions options) {
  if (!IsRegionName(options.region)) return InvalidArgumentError("kms: region must match [a-z0-9-]{1,64}");
  if (options.credentials.access_key_id.empty()) {
    return InvalidArgumentError("kms: empty access key id");
  }
  if (!options.transport) return InvalidArgumentError("kms: no transport");
  if (options.host.empty()) {
    const bool china = options.region.rfind("cn-", 0) == 0;
    options.host = "kms." + options.region + (china ? ".amazonaws.com.cn" : ".amazonaws.com");
  }
  return KmsClient(std::move(options));
}

StatusOr<Bytes> KmsClient::Call(std::string_view op, const std::string& body) const {
  HttpRequest to_sign;
  to_sign.method = "POST";
  to_sign.path = "/";
  to_sign.headers = {{"Host", options_.host},
                     {"Content-Type", "application/x-amz-json-1.1"},
                     {"X-Amz-Target", "TrentService." + std::string(op)}};
  to_sign.body = ToBytes(body);
  const Clock& clock = options_.clock ? *options_.clock : SystemClock::Get();
  SigningParams params{.region = options_.region,
                       .service = "kms",
                       .unix_seconds = clock.NowUnixSeconds(),
                       .sign_body_hash_header = true};
  ASSIGN_OR_RETURN(SignedRequest signed_request, SignRequest(to_sign, options_.credentials, params));

  net::HttpRequest request;
  request.method = "POST";
  request.target = "/";
  request.headers = std::move(to_sign.headers);
  for (auto& header : signed_request.headers_to_add) request.headers.push_back(std::move(header));
  request.body = std::move(to_sign.body);
  ASSIGN_OR_RETURN(net::HttpResponse response, options_.transport(request));
  if (response.body.size() > kMaxKmsResponseSize) {
    return LimitExceededError("kms: response body exceeds 1 MiB");
  }
  if (response.status != 200) return StatusFromAwsErrorResponse(response.status, response.body);
  return std::move(response.body);
}

StatusOr<GenerateDataKeyResult> KmsClient::GenerateDataKey(const GenerateDataKeyRequest& r) const {
  RETURN_IF_ERROR(CheckKeyId(r.key_id));
  json body = {{"KeyId", r.key_id}};
  size_t expected_size = 0;
  if (r.key_spec.has_value() == r.number_of_bytes.has_value()) {
    return InvalidArgumentError("kms: give exactly one of KeySpec and NumberOfBytes");
  }
  if (r.key_spec) {
    if (*r.key_spec == "AES_256") {
      expected_size = 32;
    } else if (*r.key_spec == "AES_128") {
      expected_size = 16;
    } else {
      return InvalidArgumentError("kms: KeySpec must be AES_256 or AES_128");
    }
    body["KeySpec"] = *r.key_spec;
  } else {
    if (*r.number_of_bytes < 1 || *r.number_of_bytes > kMaxKmsDataKeyBytes) {
      return InvalidArgumentError("kms: NumberOfBytes must be 1..1024");
    }
    expected_size = *r.number_of_bytes;
    body["NumberOfBytes"] = *r.number_of_bytes;
  }
  RETURN_IF_ERROR(AddContext(r.encryption_context, &body));
  RETURN_IF_ERROR(AddRecipient(r.recipient, &body));
  ASSIGN_OR_RETURN(Bytes raw, Call("GenerateDataKey", body.dump()));
  StatusOr<json> response = ParseResponse(raw);
  SecureWipe(raw.data(), raw.size());
  if (!response.ok()) return response.status();
  GenerateDataKeyResult result;
  ASSIGN_OR_RETURN(result.plaintext, ExtractPlaintext(*response, r.recipient));
  if (result.plaintext.size() != expected_size) {
    return InvalidArgumentError("kms: data key has the wrong length");
  }
  ASSIGN_OR_RETURN(result.ciphertext_blob,
                   GetRequiredBase64(*response, "CiphertextBlob", kMaxKmsCiphertextBlobSize));
  ASSIGN_OR_RETURN(result.key_id, GetRequiredString(*response, "KeyId", kMaxKeyIdSize));
  return result;
}

StatusOr<DecryptResult> KmsClient::Decrypt(const DecryptRequest& r) const {
  if (r.ciphertext_blob.empty() || r.ciphertext_blob.size() > kMaxKmsCiphertextBlobSize) {
    return InvalidArgumentError("kms: CiphertextBlob must be 1..6144 bytes");
  }
  json body = {{"CiphertextBlob", Base64Encode(r.ciphertext_blob)}};
  if (!r.key_id.empty()) {
    RETURN_IF_ERROR(CheckKeyId(r.key_id));
    body["KeyId"] = r.key_id;
  }
  RETURN_IF_ERROR(AddContext(r.encryption_context, &body));
  RETURN_IF_ERROR(AddRecipient(r.recipient, &body));
  ASSIGN_OR_RETURN(Bytes raw, Call("Decrypt", body.dump()));
  StatusOr<json> response = ParseResponse(raw);
  SecureWipe(raw.data(), raw.size());
  if (!response.ok()) return response.status();
  DecryptResult result;
  ASSIGN_OR_RETURN(result.plaintext, ExtractPlaintext(*response, r.recipient));
  ASSIGN_OR_RETURN(result.key_id, GetRequiredString(*response, "KeyId", kMaxKeyIdSize));
  return result;
}

StatusOr<EncryptResult> KmsClient::Encrypt(const EncryptRequest& r) const {
  RETURN_IF_ERROR(CheckKeyId(r.key_id));
  if (r.plaintext.empty() || r.plaintext.size() > kMaxKmsPlaintextSize) {
    return InvalidArgumentError("kms: Plaintext must be 1..4096 bytes");
  }
  json body = {{"KeyId", r.key_id}, {"Plaintext", Base64Encode(r.plaintext)}};
  RETURN_IF_ERROR(AddContext(r.encryption_context, &body));
  std::string text = body.dump();
  if (auto it = body.find("Plaintext"); it != body.end()) {
    std::string& b64 = it->get_ref<std::string&>();
    SecureWipe(b64.data(), b64.size());
  }
  StatusOr<Bytes> raw = Call("Encrypt", text);
  SecureWipe(text.data(), text.size());
  if (!raw.ok()) return raw.status();
  ASSIGN_OR_RETURN(json response, ParseResponse(*raw));
  EncryptResult result;
  ASSIGN_OR_RETURN(result.ciphertext_blob,
                   GetRequiredBase64(response, "CiphertextBlob", kMaxKmsCiphertextBlobSize));
  ASSIGN_OR_RETURN(result.key_id, GetRequiredString(response, "KeyId", kMaxKeyIdSize));
  return result;
}

StatusOr<KeyMetadata> KmsClient::DescribeKey(std::string_view key_id) const {
  RETURN_IF_ERROR(CheckKeyId(key_id));
  json body = {{"KeyId", std::string(key_id)}};
  ASSIGN_OR_RETURN(Bytes raw, Call("DescribeKey", body.dump()));
  ASSIGN_OR_RETURN(json response, ParseResponse(raw));
  return ParseKeyMetadata(response);
}

StatusOr<KeyMetadata> KmsClient::CreateKey(const CreateKeyRequest& r) const {
  json body = json::object();
  if (!r.description.empty()) body["Description"] = r.description;
  if (r.policy) {
    if (r.policy->empty() || r.policy->size() > kMaxPolicySize) {
      return InvalidArgumentError("kms: Policy must be 1..32768 bytes");
    }
    body["Policy"] = *r.policy;
  }
  ASSIGN_OR_RETURN(Bytes raw, Call("CreateKey", body.dump()));
  ASSIGN_OR_RETURN(json response, ParseResponse(raw));
  return ParseKeyMetadata(response);
}

Status KmsClient::PutKeyPolicy(std::string_view key_id, std::string_view policy) const {
  RETURN_IF_ERROR(CheckKeyId(key_id));
  if (policy.empty() || policy.size() > kMaxPolicySize) {
    return InvalidArgumentError("kms: Policy must be 1..32768 bytes");
  }
  json body = {{"KeyId", std::string(key_id)}, {"PolicyName", "default"},
               {"Policy", std::string(policy)}};
  ASSIGN_OR_RETURN(Bytes raw, Call("PutKeyPolicy", body.dump()));
  (void)raw;
  return OkStatus();
}

StatusOr<std::string> KmsClient::GetKeyPolicy(std::string_view key_id) const {
  RETURN_IF_ERROR(CheckKeyId(key_id));
  json body = {{"KeyId", std::string(key_id)}, {"PolicyName", "default"}};
  ASSIGN_OR_RETURN(Bytes raw, Call("GetKeyPolicy", body.dump()));
  ASSIGN_OR_RETURN(json response, ParseResponse(raw));
  return GetRequiredString(response, "Policy", kMaxPolicySize);
}

}  // namespace eml::kms

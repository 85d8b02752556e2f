// KmsService: authentication, dispatch and the KMS operations (service.h).
#include "kms_server/service.h"

#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include "attest/nitro.h"
#include "core/encoding.h"
#include "crypto/cms.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "kms/kms_json.h"
#include "kms_server/ciphertext_blob.h"

namespace eml::kms_server {
namespace {

using kms::AwsError;
using nlohmann::json;

constexpr std::string_view kTargetPrefix = "TrentService.";
constexpr size_t kMaxKeyIdSize = 2048;
constexpr size_t kMaxAttestationDocumentSize = 262144;  // AWS's bound on the field
constexpr char kSymmetricDefault[] = "SYMMETRIC_DEFAULT";

// Everything an operation needs for one request.
struct Ctx {
  const KmsServiceOptions& options;
  const Clock& clock;
  KeyStore& keys;
  ReplayCache& replay_cache;
  const ServerCredential& caller;
};

std::string Arn(const Ctx& c, std::string_view key_id) {
  return "arn:aws:kms:" + c.options.region + ":" + c.options.account_id + ":key/" +
         std::string(key_id);
}

// Request-field errors are ValidationException (AWS's generic input error).
Status Validation(const Status& s) {
  if (!kms::AwsErrorTypeOf(s).empty()) return s;
  std::string_view m = s.message();
  if (m.rfind("kms: ", 0) == 0) m.remove_prefix(5);
  return AwsError(kms::kValidation, m);
}

template <typename T>
StatusOr<T> Field(StatusOr<T> v) {
  if (!v.ok()) return Validation(v.status());
  return v;
}

// A key id or key ARN of this region and account -> the key.
StatusOr<std::shared_ptr<const KeyRecord>> ResolveKey(const Ctx& c, std::string_view key_id) {
  std::string_view id = key_id;
  const std::string arn_prefix = Arn(c, "");
  if (id.rfind(arn_prefix, 0) == 0) id.remove_prefix(arn_prefix.size());
  std::shared_ptr<const KeyRecord> key = c.keys.Find(id);
  if (!key) {
    return AwsError(kms::kNotFound,
                    "Key '" + kms::SanitizeText(key_id, 256) + "' does not exist");
  }
  return key;
}

Status Authorize(const Ctx& c, const KeyRecord& key, std::string_view action,
                 const std::map<uint32_t, Bytes>* attested_pcrs) {
  const PolicyRequest request{.action = std::string(action),
                              .principal_arn = c.caller.principal_arn,
                              .attested_pcrs = attested_pcrs};
  const PolicyDecision decision = EvaluateKeyPolicy(key.policy, request);
  if (decision == PolicyDecision::kAllow) return OkStatus();
  const std::string how = decision == PolicyDecision::kExplicitDeny
                              ? "with an explicit deny in a resource-based policy"
                              : "because no resource-based policy allows the " +
                                    std::string(action) + " action";
  return AwsError(kms::kAccessDenied, "User: " + c.caller.principal_arn +
                                          " is not authorized to perform: " + std::string(action) +
                                          " on resource: " + Arn(c, key.key_id) + " " + how);
}

struct VerifiedRecipient {
  Bytes public_key_spki;
  std::map<uint32_t, Bytes> pcrs;
  Bytes document_hash;
  int64_t timestamp_ms = 0;
};

// The Recipient member, verified completely; nullopt when absent.
StatusOr<std::optional<VerifiedRecipient>> VerifyRecipient(const Ctx& c, const json& request) {
  auto it = request.find("Recipient");
  if (it == request.end() || it->is_null()) return std::optional<VerifiedRecipient>();
  if (!it->is_object()) return AwsError(kms::kValidation, "Recipient must be an object");
  ASSIGN_OR_RETURN(std::optional<std::string> algorithm,
                   Field(kms::GetString(*it, "KeyEncryptionAlgorithm", 64)));
  if (algorithm && *algorithm != "RSAES_OAEP_SHA_256") {
    return AwsError(kms::kValidation, "KeyEncryptionAlgorithm must be RSAES_OAEP_SHA_256");
  }
  ASSIGN_OR_RETURN(Bytes document, Field(kms::GetRequiredBase64(*it, "AttestationDocument",
                                                                kMaxAttestationDocumentSize)));
  if (c.options.attestation_roots.empty()) {
    return AwsError(kms::kValidation, "this eml-kms has no attestation roots configured");
  }
  std::vector<ByteSpan> roots(c.options.attestation_roots.begin(), c.options.attestation_roots.end());
  attest::NitroVerifyOptions verify{.pinned_roots = std::move(roots),
                                    .clock = &c.clock,
                                    .max_age_millis = c.options.max_attestation_age_ms};
  StatusOr<attest::NitroVerification> verification = attest::VerifyNitroEvidence(document, verify);
  if (!verification.ok()) return AwsError(kms::kKmsInternal, "attestation verifier misconfigured");
  if (!verification->verified()) {
    std::string failed = "unknown";
    for (const attest::EvidenceCheck& check : verification->report.checks) {
      if (!check.passed) {
        failed = check.id;
        break;
      }
    }
    return AwsError(kms::kValidation, "The attestation document is invalid (failed check " +
                                          failed + ")");
  }
  const attest::NitroDocument& doc = *verification->document;
  if (!doc.public_key) {
    return AwsError(kms::kValidation, "The attestation document has no public_key");
  }
  if (!crypto::CheckRsa2048SpkiDer(*doc.public_key).ok()) {
    return AwsError(kms::kValidation,
                    "The attestation document's public_key is not an RSA-2048 SubjectPublicKeyInfo");
  }
  VerifiedRecipient out;
  out.public_key_spki = *doc.public_key;
  out.pcrs = doc.pcrs;
  out.document_hash = crypto::Sha256(document);
  out.timestamp_ms = doc.timestamp_ms;
  return std::optional<VerifiedRecipient>(std::move(out));
}

// Single-use mode: after authorisation, before any key leaves.
Status SpendRecipient(const Ctx& c, const VerifiedRecipient& r) {
  if (!c.options.single_use_attestation) return OkStatus();
  const Status used = c.replay_cache.Use(
      r.document_hash, r.timestamp_ms + c.options.max_attestation_age_ms, c.clock.NowUnixMillis());
  if (used.code() == StatusCode::kAlreadyExists) {
    return AwsError(kms::kAccessDenied,
                    "This attestation document was already used (eml-kms single-use mode); "
                    "request a fresh one");
  }
  if (!used.ok()) return AwsError(kms::kLimitExceeded, used.message());
  return OkStatus();
}

// Plaintext (no Recipient) or CiphertextForRecipient into `response`.
Status PutPlaintext(const std::optional<VerifiedRecipient>& recipient, const SecretBytes& plaintext,
                    json* response) {
  if (recipient) {
    StatusOr<Bytes> envelope =
        crypto::EncryptCmsEnvelopedData(plaintext.RevealSecret(), recipient->public_key_spki);
    if (!envelope.ok()) return AwsError(kms::kKmsInternal, "cannot encrypt to the recipient");
    (*response)["CiphertextForRecipient"] = Base64Encode(*envelope);
  } else {
    (*response)["Plaintext"] = Base64Encode(plaintext.RevealSecret());
  }
  return OkStatus();
}

json KeyMetadataJson(const Ctx& c, const KeyRecord& key) {
  return {{"AWSAccountId", c.options.account_id},
          {"KeyId", key.key_id},
          {"Arn", Arn(c, key.key_id)},
          {"CreationDate", key.creation_date},
          {"Enabled", true},
          {"Description", key.description},
          {"KeyUsage", "ENCRYPT_DECRYPT"},
          {"KeyState", "Enabled"},
          {"Origin", "AWS_KMS"},
          {"KeyManager", "CUSTOMER"},
          {"KeySpec", kSymmetricDefault},
          {"CustomerMasterKeySpec", kSymmetricDefault},
          {"EncryptionAlgorithms", {kSymmetricDefault}},
          {"MultiRegion", false}};
}

Status CheckSymmetricAlgorithm(const json& request) {
  ASSIGN_OR_RETURN(std::optional<std::string> alg,
                   Field(kms::GetString(request, "EncryptionAlgorithm", 64)));
  if (alg && *alg != kSymmetricDefault) {
    return AwsError(kms::kInvalidKeyUsage, "only SYMMETRIC_DEFAULT keys exist in eml-kms");
  }
  return OkStatus();
}

StatusOr<json> CreateKey(const Ctx& c, const json& request) {
  ASSIGN_OR_RETURN(std::optional<std::string> policy,
                   Field(kms::GetString(request, "Policy", kMaxKeyPolicySize)));
  ASSIGN_OR_RETURN(std::optional<std::string> description,
                   Field(kms::GetString(request, "Description", kMaxDescriptionSize)));
  ASSIGN_OR_RETURN(std::optional<std::string> usage, Field(kms::GetString(request, "KeyUsage", 64)));
  ASSIGN_OR_RETURN(std::optional<std::string> spec, Field(kms::GetString(request, "KeySpec", 64)));
  if ((usage && *usage != "ENCRYPT_DECRYPT") || (spec && *spec != kSymmetricDefault)) {
    return AwsError(kms::kValidation, "eml-kms supports SYMMETRIC_DEFAULT ENCRYPT_DECRYPT keys only");
  }
  std::string policy_json = policy.value_or(DefaultKeyPolicyJson());
  if (!ParseKeyPolicy(policy_json).ok()) {
    return AwsError(kms::kMalformedPolicy, "The new key policy will not allow you to use it or "
                                           "is not a valid policy document");
  }
  StatusOr<std::shared_ptr<const KeyRecord>> key =
      c.keys.Create(description.value_or(""), std::move(policy_json), c.clock.NowUnixSeconds());
  if (!key.ok()) {
    if (key.status().code() == StatusCode::kLimitExceeded) {
      return AwsError(kms::kLimitExceeded, key.status().message());
    }
    return key.status();  // I/O: KMSInternalException, logged
  }
  return json{{"KeyMetadata", KeyMetadataJson(c, **key)}};
}

StatusOr<json> DescribeKey(const Ctx& c, const json& request) {
  ASSIGN_OR_RETURN(std::string key_id, Field(kms::GetRequiredString(request, "KeyId", kMaxKeyIdSize)));
  ASSIGN_OR_RETURN(std::shared_ptr<const KeyRecord> key, ResolveKey(c, key_id));
  RETURN_IF_ERROR(Authorize(c, *key, "kms:DescribeKey", nullptr));
  return json{{"KeyMetadata", KeyMetadataJson(c, *key)}};
}

StatusOr<json> Encrypt(const Ctx& c, const json& request) {
  ASSIGN_OR_RETURN(std::string key_id, Field(kms::GetRequiredString(request, "KeyId", kMaxKeyIdSize)));
  ASSIGN_OR_RETURN(Bytes plaintext_bytes,
                   Field(kms::GetRequiredBase64(request, "Plaintext", kMaxBlobPlaintextSize)));
  const SecretBytes plaintext(plaintext_bytes);
  SecureWipe(plaintext_bytes.data(), plaintext_bytes.size());
  ASSIGN_OR_RETURN(EncryptionContext context,
                   Field(kms::GetEncryptionContext(request, "EncryptionContext")));
  RETURN_IF_ERROR(CheckSymmetricAlgorithm(request));
  ASSIGN_OR_RETURN(std::shared_ptr<const KeyRecord> key, ResolveKey(c, key_id));
  RETURN_IF_ERROR(Authorize(c, *key, "kms:Encrypt", nullptr));
  ASSIGN_OR_RETURN(Bytes blob,
                   SealCiphertextBlob(key->key_id, key->material, plaintext.RevealSecret(), context));
  return json{{"CiphertextBlob", Base64Encode(blob)},
              {"KeyId", Arn(c, key->key_id)},
              {"EncryptionAlgorithm", kSymmetricDefault}};
}

StatusOr<json> GenerateDataKey(const Ctx& c, const json& request) {
  ASSIGN_OR_RETURN(std::string key_id, Field(kms::GetRequiredString(request, "KeyId", kMaxKeyIdSize)));
  ASSIGN_OR_RETURN(std::optional<std::string> spec, Field(kms::GetString(request, "KeySpec", 16)));
  auto bytes_it = request.find("NumberOfBytes");
  const bool has_bytes = bytes_it != request.end() && !bytes_it->is_null();
  if (spec.has_value() == has_bytes) {
    return AwsError(kms::kValidation, "Specify either KeySpec or NumberOfBytes, but not both");
  }
  size_t size = 0;
  if (spec) {
    if (*spec == "AES_256") {
      size = 32;
    } else if (*spec == "AES_128") {
      size = 16;
    } else {
      return AwsError(kms::kValidation, "KeySpec must be AES_256 or AES_128");
    }
  } else {
    if (!bytes_it->is_number_unsigned() || bytes_it->get<uint64_t>() < 1 ||
        bytes_it->get<uint64_t>() > 1024) {
      return AwsError(kms::kValidation, "NumberOfBytes must be an integer 1..1024");
    }
    size = bytes_it->get<size_t>();
  }
  ASSIGN_OR_RETURN(EncryptionContext context,
                   Field(kms::GetEncryptionContext(request, "EncryptionContext")));
  ASSIGN_OR_RETURN(std::shared_ptr<const KeyRecord> key, ResolveKey(c, key_id));
  ASSIGN_OR_RETURN(std::optional<VerifiedRecipient> recipient, VerifyRecipient(c, request));
  RETURN_IF_ERROR(Authorize(c, *key, "kms:GenerateDataKey", recipient ? &recipient->pcrs : nullptr));
  if (recipient) RETURN_IF_ERROR(SpendRecipient(c, *recipient));
  ASSIGN_OR_RETURN(SecretBytes data_key, crypto::RandomSecret(size));
  ASSIGN_OR_RETURN(Bytes blob,
                   SealCiphertextBlob(key->key_id, key->material, data_key.RevealSecret(), context));
  json response = {{"CiphertextBlob", Base64Encode(blob)}, {"KeyId", Arn(c, key->key_id)}};
  RETURN_IF_ERROR(PutPlaintext(recipient, data_key, &response));
  return response;
}

StatusOr<json> Decrypt(const Ctx& c, const json& request) {
  ASSIGN_OR_RETURN(Bytes blob,
                   Field(kms::GetRequiredBase64(request, "CiphertextBlob", kMaxBlobSize)));
  ASSIGN_OR_RETURN(std::optional<std::string> key_id,
                   Field(kms::GetString(request, "KeyId", kMaxKeyIdSize)));
  ASSIGN_OR_RETURN(EncryptionContext context,
                   Field(kms::GetEncryptionContext(request, "EncryptionContext")));
  RETURN_IF_ERROR(CheckSymmetricAlgorithm(request));
  StatusOr<std::string> blob_key_id = CiphertextBlobKeyId(blob);
  if (!blob_key_id.ok()) return AwsError(kms::kInvalidCiphertext, "the ciphertext is invalid");
  ASSIGN_OR_RETURN(std::shared_ptr<const KeyRecord> key, ResolveKey(c, *blob_key_id));
  if (key_id) {
    ASSIGN_OR_RETURN(std::shared_ptr<const KeyRecord> named, ResolveKey(c, *key_id));
    if (named->key_id != key->key_id) {
      return AwsError("IncorrectKeyException",
                      "The key ID in the request does not identify a KMS key that can decrypt "
                      "the ciphertext");
    }
  }
  ASSIGN_OR_RETURN(std::optional<VerifiedRecipient> recipient, VerifyRecipient(c, request));
  RETURN_IF_ERROR(Authorize(c, *key, "kms:Decrypt", recipient ? &recipient->pcrs : nullptr));
  StatusOr<SecretBytes> plaintext = OpenCiphertextBlob(blob, key->material, context);
  if (!plaintext.ok()) return AwsError(kms::kInvalidCiphertext, "the ciphertext is invalid");
  if (recipient) RETURN_IF_ERROR(SpendRecipient(c, *recipient));
  json response = {{"KeyId", Arn(c, key->key_id)}, {"EncryptionAlgorithm", kSymmetricDefault}};
  RETURN_IF_ERROR(PutPlaintext(recipient, *plaintext, &response));
  return response;
}

Status CheckPolicyName(const json& request) {
  ASSIGN_OR_RETURN(std::optional<std::string> name,
                   Field(kms::GetString(request, "PolicyName", 128)));
  if (name && *name != "default") return AwsError(kms::kNotFound, "the only PolicyName is default");
  return OkStatus();
}

StatusOr<json> PutKeyPolicy(const Ctx& c, const json& request) {
  ASSIGN_OR_RETURN(std::string key_id, Field(kms::GetRequiredString(request, "KeyId", kMaxKeyIdSize)));
  ASSIGN_OR_RETURN(std::string policy,
                   Field(kms::GetRequiredString(request, "Policy", kMaxKeyPolicySize)));
  RETURN_IF_ERROR(CheckPolicyName(request));
  ASSIGN_OR_RETURN(std::shared_ptr<const KeyRecord> key, ResolveKey(c, key_id));
  RETURN_IF_ERROR(Authorize(c, *key, "kms:PutKeyPolicy", nullptr));
  if (!ParseKeyPolicy(policy).ok()) {
    return AwsError(kms::kMalformedPolicy, "The policy is not a valid key policy document");
  }
  RETURN_IF_ERROR(c.keys.PutPolicy(key->key_id, std::move(policy)));
  return json::object();
}

StatusOr<json> GetKeyPolicy(const Ctx& c, const json& request) {
  ASSIGN_OR_RETURN(std::string key_id, Field(kms::GetRequiredString(request, "KeyId", kMaxKeyIdSize)));
  RETURN_IF_ERROR(CheckPolicyName(request));
  ASSIGN_OR_RETURN(std::shared_ptr<const KeyRecord> key, ResolveKey(c, key_id));
  RETURN_IF_ERROR(Authorize(c, *key, "kms:GetKeyPolicy", nullptr));
  return json{{"Policy", key->policy_json}, {"PolicyName", "default"}};
}

net::HttpResponse JsonResponse(int status, std::string body) {
  net::HttpResponse response;
  response.status = status;
  response.reason = status == 200 ? "OK" : status == 403 ? "Forbidden" : status == 500 ? "Internal Server Error" : "Bad Request";
  response.headers = {{"Content-Type", "application/x-amz-json-1.1"}};
  response.body = ToBytes(body);
  SecureWipe(body.data(), body.size());
  return response;
}

}  // namespace

StatusOr<std::unique_ptr<KmsService>> KmsService::Create(KmsServiceOptions options) {
  if (options.credentials.empty()) return InvalidArgumentError("kms: no credentials configured");
  if (options.account_id.size() != 12 ||
      options.account_id.find_first_not_of("0123456789") != std::string::npos) {
    return InvalidArgumentError("kms: account id must be 12 digits");
  }
  if (options.max_attestation_age_ms <= 0 || options.single_use_capacity == 0) {
    return InvalidArgumentError("kms: max attestation age and single-use capacity must be positive");
  }
  if (options.attestation_roots.size() > attest::kNitroMaxPinnedRoots) {
    return InvalidArgumentError("kms: at most 16 attestation roots");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<KeyStore> keys, KeyStore::Open(options.state_dir));
  return std::unique_ptr<KmsService>(new KmsService(std::move(options), std::move(keys)));
}

KmsService::KmsService(KmsServiceOptions options, std::unique_ptr<KeyStore> keys)
    : options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : SystemClock::Get()),
      keys_(std::move(keys)),
      replay_cache_(options_.single_use_capacity) {}

StatusOr<std::string> KmsService::Dispatch(std::string_view op, const ServerCredential& caller,
                                           std::string_view body) {
  StatusOr<json> request = kms::ParseJsonObject(body, kMaxKmsRequestBody);
  if (!request.ok()) {
    std::string_view m = request.status().message();
    if (m.rfind("kms: ", 0) == 0) m.remove_prefix(5);
    return AwsError(kms::kSerialization, m);
  }
  const Ctx c{options_, clock_, *keys_, replay_cache_, caller};
  StatusOr<json> response = AwsError(kms::kUnknownOperation, "unsupported operation");
  if (op == "CreateKey") {
    response = CreateKey(c, *request);
  } else if (op == "DescribeKey") {
    response = DescribeKey(c, *request);
  } else if (op == "Encrypt") {
    response = Encrypt(c, *request);
  } else if (op == "Decrypt") {
    response = Decrypt(c, *request);
  } else if (op == "GenerateDataKey") {
    response = GenerateDataKey(c, *request);
  } else if (op == "PutKeyPolicy") {
    response = PutKeyPolicy(c, *request);
  } else if (op == "GetKeyPolicy") {
    response = GetKeyPolicy(c, *request);
  }
  // The request may hold plaintext (Encrypt) in base64: wipe it.
  if (auto it = request->find("Plaintext"); it != request->end() && it->is_string()) {
    std::string& text = it->get_ref<std::string&>();
    SecureWipe(text.data(), text.size());
  }
  if (!response.ok()) return response.status();
  std::string out = response->dump();
  if (auto it = response->find("Plaintext"); it != response->end()) {
    std::string& text = it->get_ref<std::string&>();
    SecureWipe(text.data(), text.size());
  }
  return out;
}

net::HttpResponse KmsService::Handle(const net::HttpRequest& request) {
  StatusOr<std::string> body = [&]() -> StatusOr<std::string> {
    AuthOptions auth{.region = options_.region,
                     .clock = &clock_,
                     .max_skew_seconds = options_.max_clock_skew_seconds};
    ASSIGN_OR_RETURN(const ServerCredential* caller,
                     AuthenticateRequest(request, options_.credentials, auth));
    if (request.method != "POST" || request.target != "/") {
      return AwsError(kms::kUnknownOperation, "KMS requests are POST /");
    }
    const std::optional<std::string_view> target = net::FindHeader(request.headers, "X-Amz-Target");
    if (!target || target->substr(0, kTargetPrefix.size()) != kTargetPrefix) {
      return AwsError(kms::kUnknownOperation, "X-Amz-Target must be TrentService.<Operation>");
    }
    return Dispatch(target->substr(kTargetPrefix.size()), *caller, AsStringView(request.body));
  }();
  const std::optional<std::string_view> target = net::FindHeader(request.headers, "X-Amz-Target");
  const std::string op = kms::SanitizeText(target.value_or("-"), 64);
  if (body.ok()) {
    if (options_.log) options_.log(op + " OK");
    return JsonResponse(200, *std::move(body));
  }
  std::string_view type = kms::AwsErrorTypeOf(body.status());
  std::string message = "internal error";
  if (type.empty()) {
    if (options_.log) options_.log(op + " internal error: " + body.status().ToString());
    type = kms::kKmsInternal;
  } else {
    message = body.status().message().substr(type.size() + 2);
    if (options_.log) options_.log(op + " " + std::string(type) + ": " + message);
  }
  return JsonResponse(kms::HttpStatusForAwsError(type), kms::AwsErrorBody(type, message));
}

}  // namespace eml::kms_server

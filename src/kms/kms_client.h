// AWS KMS client on the AWS wire protocol (JSON 1.1 over HTTP/1.1, SigV4).
//
// Each call builds `POST /` with `Content-Type: application/x-amz-json-1.1`
// and `X-Amz-Target: TrentService.<Op>`, signs it with kms/sigv4.h (service
// "kms", x-amz-content-sha256 signed, as aws-nitro-enclaves-sdk-c sends it)
// and hands it to an injected transport: the enclave routes through the
// host's KMS proxy, tests talk to eml-kms with net::HttpRoundTrip, real AWS
// sits behind a TLS proxy. Wire fields and the CMS profile:
// ../shared/vectors/kms/FACTS.md; the subset and error types: docs/kms.md.
//
// Recipient (attested enclave): Decrypt and GenerateDataKey accept a
// KmsRecipient {attestation document, RSA-2048 private key}. The request then
// carries Recipient {AttestationDocument, KeyEncryptionAlgorithm:
// RSAES_OAEP_SHA_256}; the client requires `Plaintext` to be absent from the
// response and decrypts `CiphertextForRecipient` (CMS EnvelopedData) with the
// private key. A response that carries Plaintext anyway is refused: a proxy
// that strips the attestation must not be able to hand us a key in clear.
//
// Errors: an AWS error response ({"__type": "[prefix#]Type", "message"|
// "Message": ...}) becomes a Status whose message starts with the AWS type
// name, e.g. "AccessDeniedException: ..." (AwsErrorType() extracts it).
// Codes: AccessDenied and the SigV4 errors -> kVerificationFailed,
// NotFoundException -> kNotFound, ValidationException/InvalidCiphertext and
// other 4xx -> kInvalidArgument, 5xx -> kInternal. The server's message is
// reduced to printable ASCII and 256 bytes. Transport failures keep the
// transport's Status. Responses are bounded (kMaxKmsResponseSize); base64
// fields are decoded strictly; data keys come back as SecretBytes; no error
// message ever contains the secret key, the session token or plaintext.
//
// Thread-safety: a KmsClient is immutable after Create; calls may run
// concurrently if the transport and clock allow it. Borrowed pointers
// (clock, KmsRecipient's key and document) must outlive the call / client as
// stated on each field.
#ifndef EML_KMS_KMS_CLIENT_H_
#define EML_KMS_KMS_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/secret.h"
#include "core/status.h"
#include "crypto/rsa.h"
#include "kms/sigv4.h"
#include "net/http.h"

namespace eml::kms {

inline constexpr size_t kMaxKmsResponseSize = 1 << 20;
inline constexpr size_t kMaxKmsPlaintextSize = 4096;           // Encrypt input (AWS: 4096)
inline constexpr size_t kMaxKmsCiphertextBlobSize = 6144;      // AWS: 1..6144
inline constexpr size_t kMaxKmsAttestationDocumentSize = 262144;  // AWS: 1..262144
inline constexpr size_t kMaxKmsDataKeyBytes = 1024;            // NumberOfBytes 1..1024

// AWS encryption context: string -> string, bound to the ciphertext.
using EncryptionContext = std::map<std::string, std::string>;

// Sends one HTTP request and returns the response (any status code).
using KmsTransport = std::function<StatusOr<net::HttpResponse>(const net::HttpRequest&)>;

// Reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and (optional)
// AWS_SESSION_TOKEN. NotFound naming the missing variable (never its value).
StatusOr<Credentials> CredentialsFromEnvironment();

// The AWS error type at the start of a Status message produced by this
// client ("AccessDeniedException" for "AccessDeniedException: ..."); empty
// if the message does not start with one.
std::string_view AwsErrorType(const Status& status);

// An attested recipient: both members are borrowed for the call. The
// document must carry private_key's public half (DER SPKI) as public_key.
struct KmsRecipient {
  ByteSpan attestation_document;
  const crypto::RsaPrivateKey* private_key = nullptr;
};

struct KeyMetadata {
  std::string key_id;
  std::string arn;
  std::string description;
  std::string key_state;  // "Enabled"
  std::string key_usage;  // "ENCRYPT_DECRYPT"
  bool enabled = false;
  double creation_date = 0;  // seconds since the epoch (AWS sends a number)
};

struct GenerateDataKeyRequest {
  std::string key_id;
  // Exactly one of the two (AWS): "AES_256" / "AES_128", or 1..1024 bytes.
  std::optional<std::string> key_spec = std::nullopt;
  std::optional<uint32_t> number_of_bytes = std::nullopt;
  EncryptionContext encryption_context = {};
  const KmsRecipient* recipient = nullptr;  // borrowed for the call
};

struct GenerateDataKeyResult {
  SecretBytes plaintext;  // the data key (decrypted from CiphertextForRecipient with a recipient)
  Bytes ciphertext_blob;  // the data key under the KMS key: store it beside the data
  std::string key_id;     // the key ARN KMS reports
};

struct DecryptRequest {
  Bytes ciphertext_blob;
  std::string key_id = {};  // optional for symmetric keys; checked by KMS when given
  EncryptionContext encryption_context = {};
  const KmsRecipient* recipient = nullptr;  // borrowed for the call
};

struct DecryptResult {
  SecretBytes plaintext;
  std::string key_id;
};

struct EncryptRequest {
  std::string key_id;
  ByteSpan plaintext;  // borrowed; 1..4096 bytes
  EncryptionContext encryption_context = {};
};

struct EncryptResult {
  Bytes ciphertext_blob;
  std::string key_id;
};

struct CreateKeyRequest {
  std::string description = {};
  std::optional<std::string> policy = std::nullopt;  // key policy JSON; nullopt: the default
};

struct KmsClientOptions {
  std::string region;        // "us-east-1"
  std::string host = {};     // Host header; empty: "kms.<region>.amazonaws.com[.cn]"
  Credentials credentials;
  KmsTransport transport;
  const Clock* clock = nullptr;  // signing time; null: the system clock. Must outlive the client.
};

class KmsClient {
 public:
  // InvalidArgument for an empty region/access key/transport or a region
  // outside [a-z0-9-].
  static StatusOr<KmsClient> Create(KmsClientOptions options);

  StatusOr<GenerateDataKeyResult> GenerateDataKey(const GenerateDataKeyRequest& request) const;
  StatusOr<DecryptResult> Decrypt(const DecryptRequest& request) const;
  StatusOr<EncryptResult> Encrypt(const EncryptRequest& request) const;
  StatusOr<KeyMetadata> DescribeKey(std::string_view key_id) const;
  StatusOr<KeyMetadata> CreateKey(const CreateKeyRequest& request) const;
  Status PutKeyPolicy(std::string_view key_id, std::string_view policy) const;
  StatusOr<std::string> GetKeyPolicy(std::string_view key_id) const;

  const std::string& host() const { return options_.host; }

 private:
  explicit KmsClient(KmsClientOptions options) : options_(std::move(options)) {}
  // Signs and sends `body` as TrentService.<op>; returns the 200 response
  // body, or the AWS error as a Status.
  StatusOr<Bytes> Call(std::string_view op, const std::string& body) const;

  KmsClientOptions options_;
};

}  // namespace eml::kms

#endif  // EML_KMS_KMS_CLIENT_H_

// KmsService: eml-kms's request handling, independent of the transport.
// One HTTP request in (already read and bounded by the server), one HTTP
// response out; the socket server (kms_server/server.h) and the tests call
// Handle() directly.
//
// Every request is authenticated first (sigv4_auth.h), then dispatched on
// X-Amz-Target = TrentService.<Op>: CreateKey, DescribeKey, Encrypt,
// Decrypt, GenerateDataKey, PutKeyPolicy, GetKeyPolicy. With a Recipient
// (Decrypt, GenerateDataKey) the attestation document is verified fully
// (attest/nitro.h: pinned roots, signature, chain, not-future, max age) and
// its public_key must be an RSA-2048 SPKI before the key policy is
// evaluated with its PCRs; the plaintext then only leaves as
// CiphertextForRecipient (crypto/cms.h). Errors are AWS error responses
// ({"__type", "message"}); internal failures are KMSInternalException and
// logged locally without payloads. API, errors and formats: docs/kms.md.
//
// Thread-safety: Handle may be called from many threads at once.
#ifndef EML_KMS_SERVER_SERVICE_H_
#define EML_KMS_SERVER_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/status.h"
#include "kms_server/key_store.h"
#include "kms_server/replay_cache.h"
#include "kms_server/sigv4_auth.h"
#include "net/http.h"

namespace eml::kms_server {

inline constexpr size_t kMaxKmsRequestBody = 512 * 1024;  // a 256 KiB document in base64 fits
inline constexpr int64_t kDefaultMaxAttestationAgeMs = 5 * 60 * 1000;
inline constexpr size_t kDefaultSingleUseCapacity = 100'000;

struct KmsServiceOptions {
  std::string state_dir;
  std::vector<ServerCredential> credentials;
  std::string region = "us-east-1";
  std::string account_id = "111122223333";  // 12 digits, used in ARNs
  std::vector<Bytes> attestation_roots;     // DER; none: every Recipient is refused
  const Clock* clock = nullptr;             // null: the system clock; must outlive the service
  int64_t max_attestation_age_ms = kDefaultMaxAttestationAgeMs;
  int64_t max_clock_skew_seconds = kDefaultMaxClockSkewSeconds;
  bool single_use_attestation = false;
  size_t single_use_capacity = kDefaultSingleUseCapacity;
  // One line per request (operation, key, outcome; never payloads). Null: quiet.
  std::function<void(std::string_view)> log = nullptr;
};

class KmsService {
 public:
  // Opens the key store (FailedPrecondition for a damaged state directory).
  static StatusOr<std::unique_ptr<KmsService>> Create(KmsServiceOptions options);

  net::HttpResponse Handle(const net::HttpRequest& request);

  size_t key_count() const { return keys_->size(); }

 private:
  KmsService(KmsServiceOptions options, std::unique_ptr<KeyStore> keys);
  // The JSON response body, or an AWS error Status.
  StatusOr<std::string> Dispatch(std::string_view op, const ServerCredential& caller,
                                 std::string_view body);

  KmsServiceOptions options_;
  const Clock& clock_;
  std::unique_ptr<KeyStore> keys_;
  ReplayCache replay_cache_;
};

}  // namespace eml::kms_server

#endif  // EML_KMS_SERVER_SERVICE_H_

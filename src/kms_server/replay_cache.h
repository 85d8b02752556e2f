// Single-use attestation documents for eml-kms --single-use-attestation
// (docs/kms.md "Single-use mode").
//
// AWS KMS accepts the same signed attestation document again for as long as
// it is fresh, so whoever captures one (a host that relays the enclave's KMS
// traffic) can replay it to obtain another CiphertextForRecipient. That
// ciphertext is still encrypted to the enclave's RSA key, so a replay alone
// does not reveal the data key; it lets the replayer spend the enclave's
// authorisation again (e.g. GenerateDataKey under its attested identity).
// In single-use mode a document is accepted once: its SHA-256 is remembered
// until it would fail the max-age check anyway, so memory is bounded by the
// documents seen in one max-age window, and by `capacity`.
//
// Thread-safety: all methods are safe from any thread (one mutex, mu_).
#ifndef EML_KMS_SERVER_REPLAY_CACHE_H_
#define EML_KMS_SERVER_REPLAY_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>

#include "core/bytes.h"
#include "core/status.h"

namespace eml::kms_server {

class ReplayCache {
 public:
  explicit ReplayCache(size_t capacity) : capacity_(capacity) {}

  // Records `document_hash` as used until `expires_ms`. AlreadyExists if it
  // was recorded before and has not expired at `now_ms`; LimitExceeded if
  // `capacity` unexpired documents are already recorded (fail closed).
  Status Use(const Bytes& document_hash, int64_t expires_ms, int64_t now_ms);
  size_t size() const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;  // guards used_
  std::map<Bytes, int64_t> used_;  // hash -> expiry (ms)
};

}  // namespace eml::kms_server

#endif  // EML_KMS_SERVER_REPLAY_CACHE_H_

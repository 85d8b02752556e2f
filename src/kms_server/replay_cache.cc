#include "kms_server/replay_cache.h"

namespace eml::kms_server {

Status ReplayCache::Use(const Bytes& document_hash, int64_t expires_ms, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = used_.find(document_hash);
  if (it != used_.end()) {
    if (it->second >= now_ms) return AlreadyExistsError("attestation document was already used");
    used_.erase(it);
  }
  if (used_.size() >= capacity_) {
    for (auto e = used_.begin(); e != used_.end();) {
      e = e->second < now_ms ? used_.erase(e) : std::next(e);
    }
    if (used_.size() >= capacity_) {
      return LimitExceededError("single-use attestation cache is full");
    }
  }
  used_.emplace(document_hash, expires_ms);
  return OkStatus();
}

size_t ReplayCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return used_.size();
}

}  // namespace eml::kms_server

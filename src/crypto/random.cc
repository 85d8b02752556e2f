#include "crypto/random.h"

#include <algorithm>
#include <climits>

#include <openssl/rand.h>

#include "crypto/crypto_internal.h"

namespace eml::crypto {

Status RandomBytes(std::span<uint8_t> out) {
  // RAND_bytes takes an int length; large requests are made in chunks.
  constexpr size_t kMaxChunk = 1 << 20;
  size_t offset = 0;
  while (offset < out.size()) {
    const size_t chunk = std::min(kMaxChunk, out.size() - offset);
    if (RAND_bytes(out.data() + offset, static_cast<int>(chunk)) != 1) {
      SecureWipe(out.data(), out.size());
      return internal::OpenSslError(StatusCode::kInternal, "random: DRBG failed");
    }
    offset += chunk;
  }
  return OkStatus();
}

StatusOr<SecretBytes> RandomSecret(size_t size) {
  SecretBytes secret(size);
  RETURN_IF_ERROR(RandomBytes(std::span<uint8_t>(secret.MutableData(), secret.size())));
  return secret;
}

}  // namespace eml::crypto

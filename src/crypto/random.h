// Cryptographically secure random bytes from OpenSSL's DRBG (seeded from the
// OS; inside an enclave the platform's entropy source backs getrandom).
//
// Both functions fail closed: if the DRBG cannot produce output they return
// an Internal Status and the output must not be used (RandomBytes wipes the
// buffer first so a partially filled buffer is never mistaken for random).
//
// Thread-safety: safe to call concurrently (OpenSSL's DRBGs are per thread).
#ifndef EML_CRYPTO_RANDOM_H_
#define EML_CRYPTO_RANDOM_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/secret.h"
#include "core/status.h"

namespace eml::crypto {

// Fills `out` with random bytes. An empty span is OK.
Status RandomBytes(std::span<uint8_t> out);

// A fresh random secret of `size` bytes.
StatusOr<SecretBytes> RandomSecret(size_t size);

}  // namespace eml::crypto

#endif  // EML_CRYPTO_RANDOM_H_

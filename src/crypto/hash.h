// Hashes, HMAC and HKDF (RFC 5869) over OpenSSL 3's EVP, EVP_MAC and EVP_KDF.
//
// Used for transcript and measurement digests (SHA-256/384/512), HMAC in
// SigV4, and HKDF in the HPKE key schedule (src/crypto/hpke.h). HKDF is
// offered with SHA-256 and SHA-384 only; SHA-512 is rejected as Unsupported.
// Outputs that are key material are returned as SecretBytes.
//
// Thread-safety: pure functions; every call uses its own OpenSSL contexts.
#ifndef EML_CRYPTO_HASH_H_
#define EML_CRYPTO_HASH_H_

#include <cstddef>
#include <memory>

#include "core/bytes.h"
#include "core/secret.h"
#include "core/status.h"

namespace eml::crypto {

enum class HashAlg { kSha256, kSha384, kSha512 };

// Digest length in bytes: 32, 48 or 64.
size_t HashSize(HashAlg alg);

// One-shot digest. Cannot fail for these algorithms short of an OpenSSL
// malfunction, which aborts the process (a programmer/platform invariant).
Bytes Hash(HashAlg alg, ByteSpan data);
Bytes Sha256(ByteSpan data);
Bytes Sha384(ByteSpan data);
Bytes Sha512(ByteSpan data);

// SHA-256 over data given in pieces (Update in order, then Finish once).
// Move-only; not thread-safe (one owner at a time).
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(Sha256Hasher&&) noexcept;
  Sha256Hasher& operator=(Sha256Hasher&&) noexcept;
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(ByteSpan data);
  Bytes Finish();  // 32 bytes; the hasher is spent afterwards

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// HMAC (RFC 2104). Any key length is allowed, including empty.
StatusOr<Bytes> Hmac(HashAlg alg, ByteSpan key, ByteSpan data);

// HKDF-Extract (RFC 5869 §2.2): PRK = HMAC-Hash(salt, IKM). An empty salt
// means HashLen zero bytes. Cannot fail (any salt and IKM length is valid).
SecretBytes HkdfExtract(HashAlg alg, ByteSpan salt, ByteSpan ikm);

// HKDF-Expand (RFC 5869 §2.3). `prk` must be at least HashLen bytes
// (InvalidArgument); `length` must be 1..255*HashLen (InvalidArgument for 0,
// LimitExceeded above the maximum).
StatusOr<SecretBytes> HkdfExpand(HashAlg alg, ByteSpan prk, ByteSpan info, size_t length);

// Extract then Expand.
StatusOr<SecretBytes> Hkdf(HashAlg alg, ByteSpan salt, ByteSpan ikm, ByteSpan info,
                           size_t length);

}  // namespace eml::crypto

#endif  // EML_CRYPTO_HASH_H_

// Ed25519 over OpenSSL 3, plus the public-key pre-checks that make OpenSSL's
// cofactorless verifier follow the policy documented in ed25519.h.
#include "crypto/ed25519.h"

#include <array>
#include <cstring>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/secret.h"
#include "crypto/crypto_internal.h"

namespace eml::crypto {
namespace {

using internal::OpenSslError;
using internal::UniqueEvpMdCtx;
using internal::UniqueEvpPkey;

// The 8 canonical encodings of the small-order points of edwards25519 (the
// 4-torsion and 8-torsion subgroup), from the curve equation; see the CCTV
// README cited in ed25519_test.cc.
constexpr std::array<std::array<uint8_t, 32>, 8> kSmallOrderEncodings = {{
    {0x00},  // y = 0, x "positive" (order 4)
    {0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
     0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80},  // y = 0, x "negative" (order 4)
    {0x01},  // identity (order 1)
    {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
     0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
    {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
     0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x85},
    {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
     0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
    {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
     0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0xfa},
    {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},  // y = -1
}};

// True if y (little-endian, sign bit masked off) has bytes 1..31 all ones,
// i.e. y >= 2^255 - 256: the only range where y can reach p = 2^255 - 19.
bool YHighBitsAllOnes(ByteSpan p) {
  for (size_t i = 1; i < 31; ++i) {
    if (p[i] != 0xff) return false;
  }
  return (p[31] & 0x7f) == 0x7f;
}

// RFC 8032 5.1.3 decoding is only canonical if y < p and, when x = 0
// (y = 1 or y = p - 1), the sign bit is clear.
bool IsCanonicalPointEncoding(ByteSpan p) {
  const bool sign = (p[31] & 0x80) != 0;
  if (YHighBitsAllOnes(p)) {
    if (p[0] >= 0xed) return false;               // y >= p
    if (p[0] == 0xec && sign) return false;        // y = p - 1, x = -0
  }
  bool y_is_one = p[0] == 1 && (p[31] & 0x7f) == 0;
  for (size_t i = 1; i < 31 && y_is_one; ++i) y_is_one = p[i] == 0;
  return !(y_is_one && sign);                      // y = 1, x = -0
}

bool IsSmallOrderEncoding(ByteSpan p) {
  for (const auto& e : kSmallOrderEncodings) {
    if (std::memcmp(e.data(), p.data(), e.size()) == 0) return true;
  }
  return false;
}

}  // namespace

struct Ed25519PrivateKey::Impl {
  UniqueEvpPkey pkey;
};

Ed25519PrivateKey::Ed25519PrivateKey(std::unique_ptr<Impl> impl, Bytes public_key)
    : impl_(std::move(impl)), public_key_(std::move(public_key)) {}
Ed25519PrivateKey::Ed25519PrivateKey(Ed25519PrivateKey&&) noexcept = default;
Ed25519PrivateKey& Ed25519PrivateKey::operator=(Ed25519PrivateKey&&) noexcept = default;
Ed25519PrivateKey::~Ed25519PrivateKey() = default;

StatusOr<Ed25519PrivateKey> Ed25519PrivateKey::Generate() {
  SecretBytes seed(kEd25519SeedSize);
  if (RAND_bytes(seed.MutableData(), static_cast<int>(seed.size())) != 1) {
    return OpenSslError(StatusCode::kInternal, "ed25519: RAND_bytes failed");
  }
  return FromSeed(seed.RevealSecret());
}

StatusOr<Ed25519PrivateKey> Ed25519PrivateKey::FromSeed(ByteSpan seed32) {
  if (seed32.size() != kEd25519SeedSize) {
    return InvalidArgumentError("ed25519: seed must be 32 bytes");
  }
  UniqueEvpPkey pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed32.data(),
                                                  seed32.size()));
  if (!pkey) return OpenSslError(StatusCode::kInternal, "ed25519: cannot build key");
  Bytes public_key(kEd25519PublicKeySize);
  size_t len = public_key.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), public_key.data(), &len) != 1 ||
      len != kEd25519PublicKeySize) {
    return OpenSslError(StatusCode::kInternal, "ed25519: cannot derive public key");
  }
  return Ed25519PrivateKey(std::make_unique<Impl>(Impl{std::move(pkey)}), std::move(public_key));
}

StatusOr<Bytes> Ed25519PrivateKey::Sign(ByteSpan message) const {
  UniqueEvpMdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, impl_->pkey.get()) != 1) {
    return OpenSslError(StatusCode::kInternal, "ed25519: sign init failed");
  }
  Bytes signature(kEd25519SignatureSize);
  size_t len = signature.size();
  if (EVP_DigestSign(ctx.get(), signature.data(), &len, message.data(), message.size()) != 1 ||
      len != kEd25519SignatureSize) {
    return OpenSslError(StatusCode::kInternal, "ed25519: sign failed");
  }
  return signature;
}

Status Ed25519Verify(ByteSpan public_key, ByteSpan message, ByteSpan signature) {
  if (public_key.size() != kEd25519PublicKeySize) {
    return InvalidArgumentError("ed25519: public key must be 32 bytes");
  }
  if (signature.size() != kEd25519SignatureSize) {
    return InvalidArgumentError("ed25519: signature must be 64 bytes");
  }
  // Policy pre-checks OpenSSL does not do (see ed25519.h).
  if (!IsCanonicalPointEncoding(public_key)) {
    return VerificationFailedError("ed25519: non-canonical public key");
  }
  if (IsSmallOrderEncoding(public_key)) {
    return VerificationFailedError("ed25519: small-order public key");
  }
  UniqueEvpPkey pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(),
                                                 public_key.size()));
  if (!pkey) return OpenSslError(StatusCode::kVerificationFailed, "ed25519: invalid public key");
  UniqueEvpMdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) {
    return OpenSslError(StatusCode::kInternal, "ed25519: verify init failed");
  }
  // OpenSSL rejects S >= L, decodes A (failing off-curve points), and
  // compares the encoding of [S]B - [k]A with the R bytes.
  if (EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                       message.size()) != 1) {
    return OpenSslError(StatusCode::kVerificationFailed, "ed25519: signature did not verify");
  }
  return OkStatus();
}

}  // namespace eml::crypto

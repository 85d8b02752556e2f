// Ed25519 over libsodium, plus the public-key pre-checks that pin the policy
// documented in ed25519.h. libsodium signs in about half and verifies in
// about 60 % of OpenSSL 3's time on this project's CPUs (bench/crypto_bench
// `ed25519_*`), and receipts are signed and verified on every request.
#include "crypto/ed25519.h"

#include <array>
#include <cstring>

#include <sodium.h>

#include "core/secret.h"
#include "crypto/random.h"

namespace eml::crypto {
namespace {

static_assert(crypto_sign_PUBLICKEYBYTES == kEd25519PublicKeySize);
static_assert(crypto_sign_SEEDBYTES == kEd25519SeedSize);
static_assert(crypto_sign_BYTES == kEd25519SignatureSize);

// sodium_init() is thread-safe and idempotent; it only fails if the system
// has no entropy source, which RandomBytes would report as well.
Status EnsureSodium() {
  static const bool ok = sodium_init() >= 0;
  return ok ? OkStatus() : Status(StatusCode::kInternal, "ed25519: libsodium failed to initialise");
}

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
  SecretBytes secret_key{crypto_sign_SECRETKEYBYTES};  // seed || public key, libsodium's form
};

Ed25519PrivateKey::Ed25519PrivateKey(std::unique_ptr<Impl> impl, Bytes public_key)
    : impl_(std::move(impl)), public_key_(std::move(public_key)) {}
Ed25519PrivateKey::Ed25519PrivateKey(Ed25519PrivateKey&&) noexcept = default;
Ed25519PrivateKey& Ed25519PrivateKey::operator=(Ed25519PrivateKey&&) noexcept = default;
Ed25519PrivateKey::~Ed25519PrivateKey() = default;

StatusOr<Ed25519PrivateKey> Ed25519PrivateKey::Generate() {
  SecretBytes seed(kEd25519SeedSize);
  RETURN_IF_ERROR(RandomBytes({seed.MutableData(), seed.size()}));
  return FromSeed(seed.RevealSecret());
}

StatusOr<Ed25519PrivateKey> Ed25519PrivateKey::FromSeed(ByteSpan seed32) {
  if (seed32.size() != kEd25519SeedSize) {
    return InvalidArgumentError("ed25519: seed must be 32 bytes");
  }
  RETURN_IF_ERROR(EnsureSodium());
  auto impl = std::make_unique<Impl>();
  Bytes public_key(kEd25519PublicKeySize);
  if (crypto_sign_seed_keypair(public_key.data(), impl->secret_key.MutableData(), seed32.data()) != 0) {
    return Status(StatusCode::kInternal, "ed25519: cannot derive the key pair");
  }
  return Ed25519PrivateKey(std::move(impl), std::move(public_key));
}

StatusOr<Bytes> Ed25519PrivateKey::Sign(ByteSpan message) const {
  Bytes signature(kEd25519SignatureSize);
  if (crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(),
                           impl_->secret_key.RevealSecret().data()) != 0) {
    return Status(StatusCode::kInternal, "ed25519: sign failed");
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
  // Policy pre-checks (see ed25519.h), independent of how libsodium was built.
  if (!IsCanonicalPointEncoding(public_key)) {
    return VerificationFailedError("ed25519: non-canonical public key");
  }
  if (IsSmallOrderEncoding(public_key)) {
    return VerificationFailedError("ed25519: small-order public key");
  }
  RETURN_IF_ERROR(EnsureSodium());
  // libsodium rejects S >= L, off-curve A and small-order R, and compares
  // the encoding of [S]B - [k]A with the R bytes (cofactorless).
  if (crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                  public_key.data()) != 0) {
    return VerificationFailedError("ed25519: signature did not verify");
  }
  return OkStatus();
}

}  // namespace eml::crypto

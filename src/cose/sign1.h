// COSE_Sign1 (RFC 9052 section 4.2): build, parse and verify single-signer
// signed messages, for receipts and AWS Nitro attestation documents.
//
// Profile (docs/cose.md): algorithms EdDSA (-8, Ed25519 only), ES256 (-7,
// P-256/SHA-256) and ES384 (-35, P-384/SHA-384), signatures raw r||s. The
// algorithm is read from the PROTECTED header only and must match the type
// and curve of the key the caller verifies with, so a message cannot choose
// a weaker or different algorithm than the caller expects. A label present
// in both header buckets, a "crit" header listing a label we do not
// implement, a signature of the wrong size, a tag other than 18 and any
// CBOR that the strict decoder rejects are errors. The Sig_structure is
// ["Signature1", protected bytes as received, external_aad, payload],
// encoded deterministically.
//
// FIXME: COSE_Sign (multi-signer), ES512/P-521 and Ed448 are not supported
// (UNSUPPORTED or a size error); content-type and kid are returned, not
// interpreted.
//
// Thread-safety: pure functions. Sign1Message owns copies of everything it
// returns; it borrows nothing from the input.
#ifndef EML_COSE_SIGN1_H_
#define EML_COSE_SIGN1_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "cbor/value.h"
#include "core/bytes.h"
#include "core/status.h"
#include "crypto/ecdsa.h"
#include "crypto/ed25519.h"

namespace eml::cose {

enum class Algorithm : int64_t {
  kEdDSA = -8,
  kES256 = -7,
  kES384 = -35,
};

inline constexpr uint64_t kSign1Tag = 18;

// Header labels (RFC 9052 section 3.1).
inline constexpr int64_t kLabelAlg = 1;
inline constexpr int64_t kLabelCrit = 2;
inline constexpr int64_t kLabelContentType = 3;
inline constexpr int64_t kLabelKid = 4;

// Size of a signature for `alg`: 64 (EdDSA, ES256) or 96 (ES384).
size_t SignatureSize(Algorithm alg);

// The bytes that are signed: Sig_structure for "Signature1".
StatusOr<Bytes> Sign1ToBeSigned(ByteSpan protected_bytes, ByteSpan external_aad,
                                ByteSpan payload);

struct Sign1BuildParams {
  // Extra protected headers; alg (label 1) is set from the key, never here.
  cbor::MapEntries protected_headers = {};
  cbor::MapEntries unprotected_headers = {};
  ByteSpan payload = {};
  ByteSpan external_aad = {};
  bool detached = false;  // write nil instead of the payload
  bool tagged = true;     // wrap in tag 18
};

StatusOr<Bytes> BuildSign1(const crypto::Ed25519PrivateKey& key, const Sign1BuildParams& params);
// ES256 for a P-256 key, ES384 for a P-384 key.
StatusOr<Bytes> BuildSign1(const crypto::EcdsaPrivateKey& key, const Sign1BuildParams& params);

struct Sign1ParseOptions {
  size_t max_size = size_t{1} << 20;
  // Indefinite-length CBOR anywhere in the message (AWS Nitro documents may
  // use an indefinite-length payload map; the payload is decoded elsewhere,
  // but the flag applies to the outer structure and headers too).
  bool allow_indefinite = false;
};

struct Sign1Message {
  bool tagged = false;
  Bytes protected_bytes;        // the protected bstr's content, as signed
  cbor::Value protected_headers;    // decoded map; empty if bstr was empty
  cbor::Value unprotected_headers;  // map
  std::optional<Bytes> payload;     // nullopt: detached (nil in the message)
  Bytes signature;
  Algorithm algorithm = Algorithm::kEdDSA;  // from the protected header
};

StatusOr<Sign1Message> ParseSign1(ByteSpan message, const Sign1ParseOptions& options = {});

struct Sign1VerifyOptions {
  ByteSpan external_aad = {};
  // Required when the message's payload is detached; forbidden otherwise.
  std::optional<ByteSpan> detached_payload = std::nullopt;
};

// OK only if the signature verifies with `public_key` (32 bytes) and the
// message's algorithm is EdDSA. VerificationFailed otherwise.
Status VerifySign1(const Sign1Message& message, ByteSpan ed25519_public_key,
                   const Sign1VerifyOptions& options = {});
// OK only if the signature verifies and the algorithm is ES256 for a P-256
// key or ES384 for a P-384 key.
Status VerifySign1(const Sign1Message& message, const crypto::EcdsaPublicKey& public_key,
                   const Sign1VerifyOptions& options = {});

}  // namespace eml::cose

#endif  // EML_COSE_SIGN1_H_

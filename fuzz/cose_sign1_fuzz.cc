// libFuzzer target for COSE_Sign1 parsing and verification (src/cose).
//
// Parses the input (strict, then with indefinite lengths allowed), tries to
// verify it against a fixed Ed25519 key and P-256 / P-384 keys generated
// once per process, and decodes an attached payload as CBOR. Nothing the
// fuzzer can produce should verify (it does not know the private keys), so
// a successful verification aborts, as does any crash or sanitizer report.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "cbor/decode.h"
#include "cose/sign1.h"

namespace {

using eml::ByteSpan;
using eml::Bytes;
using eml::StatusOr;

struct Keys {
  Bytes ed25519;
  eml::crypto::EcdsaPublicKey p256;
  eml::crypto::EcdsaPublicKey p384;
};

const Keys& FixedKeys() {
  static const Keys* keys = [] {
    StatusOr<eml::crypto::Ed25519PrivateKey> ed =
        eml::crypto::Ed25519PrivateKey::FromSeed(Bytes(32, 0x42));
    StatusOr<eml::crypto::EcdsaPrivateKey> p256 =
        eml::crypto::EcdsaPrivateKey::Generate(eml::crypto::EcCurve::kP256);
    StatusOr<eml::crypto::EcdsaPrivateKey> p384 =
        eml::crypto::EcdsaPrivateKey::Generate(eml::crypto::EcCurve::kP384);
    if (!ed.ok() || !p256.ok() || !p384.ok()) std::abort();
    return new Keys{ed->PublicKey(), p256->PublicKey(), p384->PublicKey()};
  }();
  return *keys;
}

void TryVerify(const eml::cose::Sign1Message& msg) {
  const Keys& keys = FixedKeys();
  static const uint8_t kDetached[] = {'p'};
  eml::cose::Sign1VerifyOptions options;
  if (!msg.payload.has_value()) options.detached_payload = ByteSpan(kDetached);
  bool verified = eml::cose::VerifySign1(msg, ByteSpan(keys.ed25519), options).ok() ||
                  eml::cose::VerifySign1(msg, keys.p256, options).ok() ||
                  eml::cose::VerifySign1(msg, keys.p384, options).ok();
  if (verified) {
    std::fprintf(stderr, "forged COSE_Sign1 verified\n");
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan input(data, size);
  StatusOr<eml::cose::Sign1Message> strict = eml::cose::ParseSign1(input);
  if (strict.ok()) TryVerify(*strict);
  StatusOr<eml::cose::Sign1Message> lenient =
      eml::cose::ParseSign1(input, {.allow_indefinite = true});
  if (strict.ok() && !lenient.ok()) std::abort();  // lenient accepts a superset
  // Attestation documents carry a CBOR map as payload: decode it the way the
  // Nitro verifier does.
  if (lenient.ok() && lenient->payload.has_value()) {
    eml::cbor::Decode(*lenient->payload, {.allow_indefinite = true}).status().IgnoreError();
  }
  return 0;
}

// libFuzzer target for AIR v1 receipt verification (src/receipt).
//
// Verifies the input with the upstream vector key (seed 2a x 32, so the seed
// corpus of vector receipts verifies) under a policy with a freshness window
// and a replay callback, and aborts unless these hold:
//   * the report lists every check, and `verified` agrees with failure_code;
//   * whenever the claims decoded and EAT_PROFILE and every layer-3 check
//     passed, encoding the decoded claims reproduces the payload bytes
//     exactly (the decoder accepts only what the encoder would write);
//   * a receipt that verifies is byte-identical to the one SignAirReceipt
//     makes from its claims (Ed25519 is deterministic), so no second
//     encoding of a signed receipt is ever accepted.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cbor/decode.h"
#include "crypto/ed25519.h"
#include "receipt/air.h"

namespace {

using eml::ByteSpan;
using eml::Bytes;
using eml::receipt::AirCheck;
using eml::receipt::AirVerifyResult;

const eml::crypto::Ed25519PrivateKey& VectorKey() {
  static const eml::crypto::Ed25519PrivateKey* key = [] {
    auto made = eml::crypto::Ed25519PrivateKey::FromSeed(Bytes(32, 0x2a));
    if (!made.ok()) std::abort();
    return new eml::crypto::Ed25519PrivateKey(std::move(made).value());
  }();
  return *key;
}

void Fail(const char* what) {
  std::fprintf(stderr, "air_receipt_fuzz: %s\n", what);
  std::abort();
}

bool Passed(const AirVerifyResult& result, const std::string& id) {
  for (const AirCheck& check : result.checks) {
    if (check.id == id) return check.result == AirCheck::Result::kPass;
  }
  Fail("check missing from the report");
  return false;
}

// The payload bstr of a tagged COSE_Sign1, or empty if there is none.
Bytes PayloadOf(ByteSpan input) {
  auto root = eml::cbor::Decode(input);
  if (!root.ok() || !root->is_tag()) return {};
  const eml::cbor::Value& message = root->tag_content();
  if (!message.is_array() || message.array().size() != 4) return {};
  const eml::cbor::Value& payload = message.array()[2];
  return payload.is_bytes() ? payload.bytes() : Bytes{};
}

void CheckReencoding(ByteSpan input, const AirVerifyResult& result) {
  for (const char* id : {"CLAIMS_DECODE", "EAT_PROFILE", "CTI", "MHASH_PRESENT", "MEAS",
                         "MTYPE", "MHASH_SCHEME", "SECURITY_MODE"}) {
    if (!Passed(result, id)) return;
  }
  if (!result.claims.has_value()) Fail("claims decoded but not returned");
  auto encoded = eml::receipt::EncodeAirClaims(*result.claims);
  if (!encoded.ok()) Fail("decoded claims do not encode");
  if (*encoded != PayloadOf(input)) Fail("re-encoding differs from the payload");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan input(data, size);
  eml::receipt::AirVerifyPolicy policy{
      .max_age_secs = uint64_t{10} * 365 * 86400,
      .clock_skew_secs = 60,
      .now_unix_seconds = 1740500000 + 86400,
      .seen_cti = [](ByteSpan cti) { return cti.size() != 16; },
  };
  AirVerifyResult result = eml::receipt::VerifyAirReceipt(input, VectorKey().PublicKey(), policy);
  if (result.checks.size() != 26) Fail("report does not list every check");
  if (result.verified != result.failure_code.empty()) Fail("verdict and failure code disagree");
  CheckReencoding(input, result);
  if (result.verified) {
    auto resigned = eml::receipt::SignAirReceipt(VectorKey(), *result.claims);
    if (!resigned.ok()) Fail("verified claims cannot be signed again");
    if (!std::equal(resigned->begin(), resigned->end(), input.begin(), input.end())) {
      Fail("a verified receipt differs from its canonical encoding");
    }
  }
  return 0;
}

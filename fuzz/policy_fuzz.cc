// libFuzzer target for the policy parsers (src/policy): the signed file
// (VerifySignedPolicy, and the envelope + payload decoder without the
// signature, which random bytes would never pass), the payload decoder on
// its own, the JSON form and the measurements file. Properties checked
// beyond "no crash": a payload that decodes re-encodes to exactly the same
// bytes (one policy, one encoding), and JSON that parses survives a
// PolicyToJson round trip unchanged.
//
// Seeds: src/policy/testdata/golden_policy.cose, its payload, and the JSON
// of `eml policy show --format json` (see docs/policy.md "Fuzzing").
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/bytes.h"
#include "policy/policy_cbor.h"
#include "policy/policy_json.h"
#include "policy/signed_policy.h"

namespace {

// Public key of seed 0x2a * 32, the key of the golden policy.
constexpr uint8_t kOwnerPub[32] = {0x19, 0x7f, 0x6b, 0x23, 0xe1, 0x6c, 0x85, 0x32,
                                   0xc6, 0xab, 0xc8, 0x38, 0xfa, 0xcd, 0x5e, 0xa7,
                                   0x89, 0xbe, 0x0c, 0x76, 0xb2, 0x92, 0x03, 0x34,
                                   0x03, 0x9b, 0xfa, 0x8b, 0x3d, 0x36, 0x8d, 0x61};
constexpr int64_t kNow = 1725719900;

void CheckPayloadRoundTrip(eml::ByteSpan data) {
  eml::StatusOr<eml::policy::Policy> policy = eml::policy::DecodePolicyPayload(data);
  if (!policy.ok()) return;
  eml::StatusOr<eml::Bytes> again = eml::policy::EncodePolicyPayload(*policy);
  if (!again.ok() || eml::Bytes(data.begin(), data.end()) != *again) abort();
}

void CheckJsonRoundTrip(std::string_view text) {
  eml::StatusOr<eml::policy::Policy> policy =
      eml::policy::PolicyFromJson(text, {.allow_der_files = false});
  if (!policy.ok()) return;
  eml::StatusOr<eml::policy::Policy> again =
      eml::policy::PolicyFromJson(eml::policy::PolicyToJson(*policy), {.allow_der_files = false});
  if (!again.ok() || !(*again == *policy)) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const eml::ByteSpan bytes(data, size);
  eml::policy::VerifySignedPolicy(bytes, kOwnerPub, kNow).status().IgnoreError();
  eml::policy::InspectSignedPolicyUnverified(bytes).status().IgnoreError();
  CheckPayloadRoundTrip(bytes);
  const std::string_view text = eml::AsStringView(bytes);
  CheckJsonRoundTrip(text);
  eml::policy::NitroMeasurementsFromJson(text).status().IgnoreError();
  return 0;
}

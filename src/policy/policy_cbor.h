// The policy payload: a deterministically encoded CBOR map with text keys
// (docs/policy.md "Payload grammar"). This is what the owner signs; the
// signed envelope is in signed_policy.h.
//
// The decoder is strict and fails closed: the input must be the
// deterministic encoding (RFC 8949 §4.2.1; so one policy has exactly one
// encoding and re-signing reproduces the same bytes), every map is closed
// (unknown keys are errors), every key is required except
// models[].model_hash, duplicate keys are errors (strict CBOR decoder), and
// the result must pass ValidatePolicy. Errors name the field, never echo
// values.
//
// Thread-safety: pure functions.
#ifndef EML_POLICY_POLICY_CBOR_H_
#define EML_POLICY_POLICY_CBOR_H_

#include "cbor/value.h"
#include "core/bytes.h"
#include "core/status.h"
#include "policy/policy.h"

namespace eml::policy {

// The payload as a CBOR value (no validation; for tests and tools that
// build variants). EncodePolicyPayload validates first.
cbor::Value PolicyToCbor(const Policy& policy);
StatusOr<Bytes> EncodePolicyPayload(const Policy& policy);

StatusOr<Policy> DecodePolicyPayload(ByteSpan payload);

}  // namespace eml::policy

#endif  // EML_POLICY_POLICY_CBOR_H_

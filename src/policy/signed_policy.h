// The signed policy file: a tagged COSE_Sign1 (EdDSA / Ed25519) whose
// payload is the deterministic CBOR policy of policy_cbor.h.
//
// The envelope is fixed (docs/policy.md "Signed file"): the whole file must
// be deterministic CBOR; tag 18 is required; the protected header is exactly
// {1: -8 (EdDSA), 3: kPolicyContentType}; the unprotected header is empty;
// the payload is attached. Nothing else is accepted, so the file a verifier
// accepts is byte-for-byte what SignPolicy produces, and signing the same
// policy with the same key twice gives identical bytes (Ed25519 is
// deterministic).
//
// VerifySignedPolicy checks, in this order: size, envelope, signature with
// the owner's key, payload (strict decoder + ValidatePolicy), then time:
// valid from created_at - kPolicyClockSkewS, invalid from expires_at on. The
// payload is parsed only after its signature verified.
//
// Thread-safety: pure functions.
#ifndef EML_POLICY_SIGNED_POLICY_H_
#define EML_POLICY_SIGNED_POLICY_H_

#include <cstdint>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"
#include "crypto/ed25519.h"
#include "policy/policy.h"

namespace eml::policy {

// COSE content type (protected header label 3) of an EML policy, format 1.
inline constexpr std::string_view kPolicyContentType = "application/vnd.eml.policy.v1+cbor";

// InvalidArgument (with the rule) if the policy does not validate.
StatusOr<Bytes> SignPolicy(const Policy& policy, const crypto::Ed25519PrivateKey& owner_key);

// `owner_public_key` is the raw 32-byte Ed25519 key. VerificationFailed for
// a bad signature or a policy that is expired or not yet valid at
// `now_unix_s`; LimitExceeded / InvalidArgument / AlreadyExists /
// Unsupported for malformed files.
StatusOr<Policy> VerifySignedPolicy(ByteSpan file, ByteSpan owner_public_key, int64_t now_unix_s);

// VerifySignedPolicy without the time check, for PolicyStore, which judges
// time on every Current() call so that a policy that becomes valid or
// expires while its file is unchanged is handled. A caller of this function
// MUST call CheckPolicyTime before trusting the result.
StatusOr<Policy> VerifySignedPolicySignatureOnly(ByteSpan file, ByteSpan owner_public_key);

// OK if `now_unix_s` lies in [created_at - kPolicyClockSkewS, expires_at).
Status CheckPolicyTime(const Policy& policy, int64_t now_unix_s);

// Envelope and payload checks WITHOUT the signature or time: for showing a
// file whose key is not at hand. Never use the result to make a trust
// decision.
StatusOr<Policy> InspectSignedPolicyUnverified(ByteSpan file);

}  // namespace eml::policy

#endif  // EML_POLICY_SIGNED_POLICY_H_

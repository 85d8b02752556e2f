// Signing and verifying the policy envelope (docs/policy.md "Signed file").
#include "policy/signed_policy.h"

#include <utility>

#include "cbor/decode.h"
#include "cbor/encode.h"
#include "cose/sign1.h"
#include "policy/policy_cbor.h"

namespace eml::policy {
namespace {

cbor::MapEntries ContentTypeHeader() {
  return {{cbor::Value::Int(cose::kLabelContentType), cbor::Value::Text(kPolicyContentType)}};
}

// The only protected header a policy file may carry, as encoded bytes.
StatusOr<Bytes> ExpectedProtectedBytes() {
  cbor::MapEntries headers = ContentTypeHeader();
  headers.emplace_back(cbor::Value::Int(cose::kLabelAlg),
                       cbor::Value::Int(static_cast<int64_t>(cose::Algorithm::kEdDSA)));
  return cbor::Encode(cbor::Value::FromMap(std::move(headers)));
}

struct Envelope {
  cose::Sign1Message message;
  Bytes payload;  // a copy of *message.payload, which is always present
};

// Size, deterministic encoding of the whole file, and the fixed envelope.
StatusOr<Envelope> ParseEnvelope(ByteSpan file) {
  if (file.size() > kMaxPolicyFileSize) {
    return LimitExceededError("policy: file exceeds " + std::to_string(kMaxPolicyFileSize) +
                              " bytes");
  }
  const cbor::DecodeOptions strict{.max_depth = 4,
                                   .max_items = 16,
                                   .max_size = kMaxPolicyFileSize,
                                   .require_deterministic = true};
  RETURN_IF_ERROR(cbor::Decode(file, strict).status());
  ASSIGN_OR_RETURN(cose::Sign1Message message,
                   cose::ParseSign1(file, {.max_size = kMaxPolicyFileSize}));
  if (!message.tagged) return InvalidArgumentError("policy: COSE_Sign1 tag 18 required");
  ASSIGN_OR_RETURN(Bytes expected, ExpectedProtectedBytes());
  if (message.protected_bytes != expected) {
    return InvalidArgumentError("policy: protected header must be exactly {alg: EdDSA, "
                                "content type: " + std::string(kPolicyContentType) + "}");
  }
  if (!message.unprotected_headers.map().empty()) {
    return InvalidArgumentError("policy: unprotected header must be empty");
  }
  if (!message.payload.has_value()) return InvalidArgumentError("policy: payload is detached");
  Bytes payload = message.payload.value_or(Bytes{});
  return Envelope{std::move(message), std::move(payload)};
}

}  // namespace

StatusOr<Bytes> SignPolicy(const Policy& policy, const crypto::Ed25519PrivateKey& owner_key) {
  ASSIGN_OR_RETURN(Bytes payload, EncodePolicyPayload(policy));
  return cose::BuildSign1(owner_key, {.protected_headers = ContentTypeHeader(),
                                      .payload = payload,
                                      .tagged = true});
}

Status CheckPolicyTime(const Policy& policy, int64_t now_unix_s) {
  if (now_unix_s >= policy.expires_at) {
    return VerificationFailedError("policy: expired at " + std::to_string(policy.expires_at));
  }
  if (now_unix_s < policy.created_at - kPolicyClockSkewS) {
    return VerificationFailedError("policy: not valid before " +
                                   std::to_string(policy.created_at - kPolicyClockSkewS));
  }
  return OkStatus();
}

StatusOr<Policy> VerifySignedPolicySignatureOnly(ByteSpan file, ByteSpan owner_public_key) {
  if (owner_public_key.size() != crypto::kEd25519PublicKeySize) {
    return InvalidArgumentError("policy: owner public key must be 32 bytes");
  }
  ASSIGN_OR_RETURN(Envelope envelope, ParseEnvelope(file));
  if (!cose::VerifySign1(envelope.message, owner_public_key).ok()) {
    return VerificationFailedError("policy: signature does not verify with the owner key");
  }
  return DecodePolicyPayload(envelope.payload);
}

StatusOr<Policy> VerifySignedPolicy(ByteSpan file, ByteSpan owner_public_key,
                                    int64_t now_unix_s) {
  ASSIGN_OR_RETURN(Policy policy, VerifySignedPolicySignatureOnly(file, owner_public_key));
  RETURN_IF_ERROR(CheckPolicyTime(policy, now_unix_s));
  return policy;
}

StatusOr<Policy> InspectSignedPolicyUnverified(ByteSpan file) {
  ASSIGN_OR_RETURN(Envelope envelope, ParseEnvelope(file));
  return DecodePolicyPayload(envelope.payload);
}

}  // namespace eml::policy

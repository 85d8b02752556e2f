// Key policies for eml-kms: the subset of the AWS key-policy language that
// attestation-conditioned keys need (docs/kms.md "Key policies").
//
//   {"Version": "2012-10-17",                      (optional)
//    "Id": "...",                                   (optional, ignored)
//    "Statement": [ {                               (object or list of objects)
//       "Sid": "...",                               (optional)
//       "Effect": "Allow" | "Deny",
//       "Principal": "*" | {"AWS": "*" | ARN | account id | [ ... ]},
//       "Action": "kms:Decrypt" | [ ... ],          ("kms:*" and any "kms:<Op>")
//       "Resource": "*" | ["*"],
//       "Condition": {<operator>: {<key>: value | [values]}}   (optional) } ]}
//
// Evaluation is AWS's: an explicit Deny that matches wins; otherwise an Allow
// that matches allows; otherwise the request is implicitly denied. A
// statement matches when its principal, action and every condition match.
// Condition operators: StringEquals, StringEqualsIgnoreCase (a list of values
// is an OR, as in AWS); keys: kms:RecipientAttestation:ImageSha384 (= PCR0)
// and kms:RecipientAttestation:PCR<n> (n = 0..31), compared with the PCR as
// lower-case hex. A RecipientAttestation key is absent from a request
// without a verified Recipient, so its condition is false ("missing
// recipient -> denied"). Unknown operators or keys (including the IfExists
// and ForAnyValue/ForAllValues forms) never grant access (fail closed): an
// Allow statement that has one never matches, and a Deny statement that has
// one always applies when its principal and action match. (AWS treats an
// unknown key as false, so its Deny would not apply; ours is the stricter
// reading.)
//
// Parsing is strict and bounded (kMaxKeyPolicySize, statements, values);
// anything outside the grammar is InvalidArgument, which eml-kms answers as
// MalformedPolicyDocumentException.
//
// Thread-safety: values; EvaluateKeyPolicy is a pure function.
#ifndef EML_KMS_SERVER_KEY_POLICY_H_
#define EML_KMS_SERVER_KEY_POLICY_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"

namespace eml::kms_server {

inline constexpr size_t kMaxKeyPolicySize = 32768;  // AWS: 32 KiB
inline constexpr size_t kMaxPolicyStatements = 64;
inline constexpr size_t kMaxPolicyValues = 64;  // per list

struct PolicyCondition {
  std::string op;    // "StringEquals", ...
  std::string key;   // "kms:RecipientAttestation:PCR0", ...
  std::vector<std::string> values;
};

struct PolicyStatement {
  std::string sid;
  bool allow = false;                // Effect
  bool any_principal = false;        // "*" or {"AWS": "*"}
  std::vector<std::string> principals;  // ARNs or account ids
  std::vector<std::string> actions;     // "kms:Decrypt", "kms:*"
  std::vector<PolicyCondition> conditions;
};

struct KeyPolicy {
  std::vector<PolicyStatement> statements;
};

StatusOr<KeyPolicy> ParseKeyPolicy(std::string_view json_text);

// The default policy of a key created without one: any authenticated caller
// may use it for every action (docs/kms.md).
std::string DefaultKeyPolicyJson();

// What the policy is evaluated against.
struct PolicyRequest {
  std::string action;         // "kms:Decrypt"
  std::string principal_arn;  // "arn:aws:iam::111122223333:user/alice"
  // PCR index -> value, only from a VERIFIED attestation document; nullopt
  // when the request has no Recipient.
  const std::map<uint32_t, Bytes>* attested_pcrs = nullptr;
};

enum class PolicyDecision { kAllow, kExplicitDeny, kImplicitDeny };

PolicyDecision EvaluateKeyPolicy(const KeyPolicy& policy, const PolicyRequest& request);

}  // namespace eml::kms_server

#endif  // EML_KMS_SERVER_KEY_POLICY_H_

// Appraisal: applying a verified policy to verified evidence.
//
// The caller has already verified the evidence cryptographically (for Nitro:
// attest::VerifyNitroDocument against one of RootsFor(policy, "nitro")) and
// passes what it established: which policy root the chain ended in, the
// measurements, the evidence time, and the model the session will use.
// Appraise evaluates EVERY check and lists each one (passed or not) so a
// refusal can be explained and audited; `allowed` is true only if all
// passed. Checks (docs/policy.md "Appraisal"):
//
//   POLICY_VALID          the policy is valid at now (created_at - skew ..
//                         expires_at)
//   ROOT_TRUSTED          matched_root_der is a policy root of that platform
//   EVALUATION_ALLOWED    a development root, or a debug enclave (an
//                         all-zero PCR0/1/2), only with allow_evaluation
//   MEASUREMENTS_ALLOWED  one tuple matches on ALL its values together
//   EVIDENCE_FRESH        0 <= now - evidence time <= max_evidence_age_s,
//                         or at most kEvidenceFutureSkewMs in the future
//   MODEL_ALLOWED         any_model, or an entry with this model_id (and,
//                         if the entry pins one, this model_hash)
//
// Codes are stable strings ("OK" when passed). Details name the failing
// rule and the policy entry that matched; they contain no secrets (policy
// entries and measurements are public).
//
// Thread-safety: pure function. AppraisalInput borrows matched_root_der for
// the duration of the call.
#ifndef EML_POLICY_APPRAISE_H_
#define EML_POLICY_APPRAISE_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "policy/policy.h"

namespace eml::policy {

inline constexpr std::string_view kCheckPolicyValid = "POLICY_VALID";
inline constexpr std::string_view kCheckRootTrusted = "ROOT_TRUSTED";
inline constexpr std::string_view kCheckEvaluationAllowed = "EVALUATION_ALLOWED";
inline constexpr std::string_view kCheckMeasurementsAllowed = "MEASUREMENTS_ALLOWED";
inline constexpr std::string_view kCheckEvidenceFresh = "EVIDENCE_FRESH";
inline constexpr std::string_view kCheckModelAllowed = "MODEL_ALLOWED";

struct AppraisalInput {
  std::string platform;                  // "nitro"
  ByteSpan matched_root_der;             // the root the evidence chain verified to
  std::map<uint32_t, Bytes> measurements;  // for nitro: PCR index -> 48 bytes
  int64_t evidence_time_ms = 0;          // the evidence's own timestamp
  int64_t now_ms = 0;                    // the time to judge at
  std::string model_id;
  Bytes model_hash;                      // 32 bytes, or empty if unknown
};

struct PolicyCheck {
  std::string id;      // one of kCheck*
  bool passed = false;
  std::string code;    // "OK" or a failure code (docs/policy.md)
  std::string detail;  // for people and logs
};

struct Verdict {
  bool allowed = false;
  std::vector<PolicyCheck> checks;  // always all six, in the order above
  std::string policy_id;
  std::string policy_version;  // decimal version of the policy applied
};

Verdict Appraise(const Policy& policy, const AppraisalInput& input);

// The policy's roots for `platform`, for the chain verifier to try. The
// spans borrow from `policy`.
std::vector<ByteSpan> RootsFor(const Policy& policy, std::string_view platform);

}  // namespace eml::policy

#endif  // EML_POLICY_APPRAISE_H_

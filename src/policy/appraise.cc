// Appraise: the six policy checks of appraise.h, each evaluated and listed.
#include "policy/appraise.h"

#include <algorithm>
#include <utility>

namespace eml::policy {
namespace {

constexpr int64_t kMaxUnixMillis = kMaxUnixSeconds * 1000;

PolicyCheck Pass(std::string_view id, std::string detail) {
  return {std::string(id), true, "OK", std::move(detail)};
}

PolicyCheck Fail(std::string_view id, std::string code, std::string detail) {
  return {std::string(id), false, std::move(code), std::move(detail)};
}

// Floor division, so -1 ms is second -1, not second 0; no negation, so
// INT64_MIN cannot overflow.
int64_t FloorSeconds(int64_t ms) { return ms / 1000 - (ms % 1000 < 0 ? 1 : 0); }

PolicyCheck CheckPolicyValid(const Policy& policy, int64_t now_ms) {
  const int64_t now_s = FloorSeconds(now_ms);
  if (now_s >= policy.expires_at) {
    return Fail(kCheckPolicyValid, "POLICY_EXPIRED",
                "policy expired at " + std::to_string(policy.expires_at));
  }
  if (now_s < policy.created_at - kPolicyClockSkewS) {
    return Fail(kCheckPolicyValid, "POLICY_NOT_YET_VALID",
                "policy created at " + std::to_string(policy.created_at));
  }
  return Pass(kCheckPolicyValid, "valid until " + std::to_string(policy.expires_at));
}

const TrustedRoot* FindRoot(const Policy& policy, const AppraisalInput& input) {
  for (const TrustedRoot& root : policy.roots) {
    if (root.platform == input.platform &&
        std::equal(root.der.begin(), root.der.end(), input.matched_root_der.begin(),
                   input.matched_root_der.end())) {
      return &root;
    }
  }
  return nullptr;
}

PolicyCheck CheckRootTrusted(const AppraisalInput& input, const TrustedRoot* root) {
  if (!IsKnownPlatform(input.platform)) {
    return Fail(kCheckRootTrusted, "PLATFORM_UNKNOWN", "evidence platform is not known");
  }
  if (root == nullptr) {
    return Fail(kCheckRootTrusted, "ROOT_NOT_IN_POLICY",
                "the evidence chain's root is not a policy root for " + input.platform);
  }
  return Pass(kCheckRootTrusted, "root '" + root->name + "'");
}

PolicyCheck CheckEvaluation(const Policy& policy, const AppraisalInput& input,
                            const TrustedRoot* root) {
  if (root == nullptr) {
    return Fail(kCheckEvaluationAllowed, "ROOT_NOT_IN_POLICY", "cannot judge an unknown root");
  }
  const bool debug = input.platform == kPlatformNitro &&
                     IsNitroDebugMeasurement(input.measurements);
  if (policy.allow_evaluation) {
    return Pass(kCheckEvaluationAllowed, "evaluation evidence allowed by policy");
  }
  if (root->evaluation) {
    return Fail(kCheckEvaluationAllowed, "EVALUATION_ROOT_REFUSED",
                "root '" + root->name + "' is a development root and allow_evaluation is false");
  }
  if (debug) {
    return Fail(kCheckEvaluationAllowed, "DEBUG_ENCLAVE_REFUSED",
                "all-zero PCR (debug enclave) and allow_evaluation is false");
  }
  return Pass(kCheckEvaluationAllowed, "production root and measurements");
}

bool TupleMatches(const MeasurementTuple& tuple, const AppraisalInput& input) {
  if (tuple.platform != input.platform) return false;
  for (const auto& [index, value] : tuple.values) {
    auto it = input.measurements.find(index);
    if (it == input.measurements.end() || it->second != value) return false;
  }
  return true;
}

PolicyCheck CheckMeasurements(const Policy& policy, const AppraisalInput& input) {
  for (const MeasurementTuple& tuple : policy.measurements) {
    if (TupleMatches(tuple, input)) {
      return Pass(kCheckMeasurementsAllowed, "matches tuple '" + tuple.name + "'");
    }
  }
  return Fail(kCheckMeasurementsAllowed, "NO_TUPLE_MATCHES",
              "no allowed tuple matches all of its measurements together");
}

PolicyCheck CheckFresh(const Policy& policy, const AppraisalInput& input) {
  const int64_t t = input.evidence_time_ms;
  const int64_t now = input.now_ms;
  if (t <= 0 || t > kMaxUnixMillis) {
    return Fail(kCheckEvidenceFresh, "EVIDENCE_TIME_MISSING", "evidence has no valid time");
  }
  if (now <= 0 || now > kMaxUnixMillis) {
    return Fail(kCheckEvidenceFresh, "CLOCK_INVALID", "verifier time out of range");
  }
  // Both are in (0, kMaxUnixMillis], so the difference cannot overflow.
  const int64_t age_ms = now - t;
  if (age_ms < -kEvidenceFutureSkewMs) {
    return Fail(kCheckEvidenceFresh, "EVIDENCE_FROM_FUTURE",
                "evidence is " + std::to_string(-age_ms) + " ms in the future");
  }
  const int64_t max_ms = int64_t{policy.max_evidence_age_s} * 1000;
  if (age_ms > max_ms) {
    return Fail(kCheckEvidenceFresh, "EVIDENCE_STALE",
                "evidence is " + std::to_string(age_ms) + " ms old, max " + std::to_string(max_ms));
  }
  return Pass(kCheckEvidenceFresh, "evidence age " + std::to_string(age_ms) + " ms");
}

PolicyCheck CheckModel(const Policy& policy, const AppraisalInput& input) {
  if (policy.any_model) return Pass(kCheckModelAllowed, "any_model");
  bool id_listed = false;
  for (const AllowedModel& model : policy.models) {
    if (model.model_id != input.model_id) continue;
    id_listed = true;
    if (!model.model_hash.has_value()) return Pass(kCheckModelAllowed, "model id allowed");
    if (*model.model_hash == input.model_hash) {
      return Pass(kCheckModelAllowed, "model id and hash allowed");
    }
  }
  if (id_listed) {
    return Fail(kCheckModelAllowed, "MODEL_HASH_MISMATCH",
                "model hash is not one the policy pins for this model id");
  }
  return Fail(kCheckModelAllowed, "MODEL_NOT_ALLOWED", "model id is not in the policy");
}

}  // namespace

Verdict Appraise(const Policy& policy, const AppraisalInput& input) {
  const TrustedRoot* root = FindRoot(policy, input);
  Verdict verdict;
  verdict.policy_id = policy.policy_id;
  verdict.policy_version = std::to_string(policy.version);
  verdict.checks = {
      CheckPolicyValid(policy, input.now_ms),
      CheckRootTrusted(input, root),
      CheckEvaluation(policy, input, root),
      CheckMeasurements(policy, input),
      CheckFresh(policy, input),
      CheckModel(policy, input),
  };
  verdict.allowed = std::all_of(verdict.checks.begin(), verdict.checks.end(),
                                [](const PolicyCheck& c) { return c.passed; });
  return verdict;
}

std::vector<ByteSpan> RootsFor(const Policy& policy, std::string_view platform) {
  std::vector<ByteSpan> out;
  for (const TrustedRoot& root : policy.roots) {
    if (root.platform == platform) out.emplace_back(root.der);
  }
  return out;
}

}  // namespace eml::policy

// Appraisal (docs/policy.md "Appraisal"): the real Nitro document end to
// end, then each check on its own.
#include "policy/appraise.h"

#include <algorithm>
#include <climits>

#include <gtest/gtest.h>

#include "attest/nitro.h"
#include "policy/policy_test_util.h"
#include "tests/testing.h"

namespace eml::policy {
namespace {

using testing::Filled;
using testing::RealPcr;
using testing::SamplePolicy;

// Evidence that passes every check of SamplePolicy().
struct Fixture {
  Bytes aws = testing::AwsNitroRootDer();
  Bytes dev = testing::DevRootDer();
  AppraisalInput Good() const {
    return {.platform = "nitro",
            .matched_root_der = aws,
            .measurements = {{0, RealPcr(0)}, {1, RealPcr(1)}, {2, RealPcr(2)}},
            .evidence_time_ms = testing::kNitroDocMs,
            .now_ms = testing::kNow * 1000,
            .model_id = "minilm",
            .model_hash = Filled(32, 0xaa)};
  }
};

const PolicyCheck& Check(const Verdict& v, std::string_view id) {
  for (const PolicyCheck& c : v.checks) {
    if (c.id == id) return c;
  }
  ADD_FAILURE() << "check " << id << " not listed";
  static const PolicyCheck missing;
  return missing;
}

// Asserts that exactly the check `id` failed, with `code`.
void ExpectOnlyFailure(const Verdict& v, std::string_view id, std::string_view code) {
  EXPECT_FALSE(v.allowed);
  for (const PolicyCheck& c : v.checks) {
    if (c.id == id) {
      EXPECT_FALSE(c.passed) << id;
      EXPECT_EQ(c.code, code) << c.detail;
    } else {
      EXPECT_TRUE(c.passed) << "unexpected failure of " << c.id << ": " << c.code << " " << c.detail;
    }
  }
}

TEST(Appraise, RealNitroDocumentIsAllowed) {
  const Bytes doc = eml::testing::ReadFileOrFail(eml::testing::SharedPath(
      "vectors/nitro/blocky-nitrite_nitro_attestation_2024-09-07.cbor"));
  const Policy policy = SamplePolicy();
  StatusOr<attest::NitroDocument> verified = NotFoundError("no nitro root in the policy");
  ByteSpan matched;
  for (ByteSpan root : RootsFor(policy, "nitro")) {
    verified = attest::VerifyNitroDocument(doc, root);
    if (verified.ok()) {
      matched = root;
      break;
    }
  }
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  const Verdict v = Appraise(policy, {.platform = "nitro",
                                      .matched_root_der = matched,
                                      .measurements = verified->pcrs,
                                      .evidence_time_ms = verified->timestamp_ms,
                                      .now_ms = testing::kNow * 1000,
                                      .model_id = "minilm",
                                      .model_hash = Filled(32, 0xaa)});
  EXPECT_TRUE(v.allowed);
  ASSERT_EQ(v.checks.size(), 6u);
  const char* order[] = {"POLICY_VALID", "ROOT_TRUSTED", "EVALUATION_ALLOWED",
                         "MEASUREMENTS_ALLOWED", "EVIDENCE_FRESH", "MODEL_ALLOWED"};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(v.checks[i].id, order[i]);
    EXPECT_TRUE(v.checks[i].passed) << v.checks[i].id << ": " << v.checks[i].detail;
    EXPECT_EQ(v.checks[i].code, "OK");
  }
  EXPECT_EQ(Check(v, kCheckMeasurementsAllowed).detail, "matches tuple 'real'");
  EXPECT_EQ(Check(v, kCheckRootTrusted).detail, "root 'aws'");
  EXPECT_EQ(v.policy_version, "5");
  EXPECT_EQ(v.policy_id, "sample");
}

TEST(Appraise, CrossCombinationOfTwoAllowedTuplesIsRefused) {
  const Fixture f;
  const Policy policy = SamplePolicy();
  const Bytes other[] = {Filled(48, 0x11), Filled(48, 0x22), Filled(48, 0x33)};
  // Every mix of the "real" and "other" tuples: each PCR value on its own is
  // allowed by some tuple, so upstream's per-PCR allowlist accepted them all.
  for (int mask = 0; mask < 8; ++mask) {
    AppraisalInput in = f.Good();
    for (uint32_t i = 0; i < 3; ++i) {
      if (mask & (1 << i)) in.measurements[i] = other[i];
    }
    const Verdict v = Appraise(policy, in);
    if (mask == 0 || mask == 7) {
      EXPECT_TRUE(v.allowed) << mask;
      EXPECT_EQ(Check(v, kCheckMeasurementsAllowed).detail,
                mask == 0 ? "matches tuple 'real'" : "matches tuple 'other'");
    } else {
      ExpectOnlyFailure(v, kCheckMeasurementsAllowed, "NO_TUPLE_MATCHES");
    }
  }
}

TEST(Appraise, TupleMatchingDetails) {
  const Fixture f;
  Policy policy = SamplePolicy();
  AppraisalInput in = f.Good();
  in.measurements[4] = Filled(48, 4);  // unconstrained index: ignored
  EXPECT_TRUE(Appraise(policy, in).allowed);
  in = f.Good();
  in.measurements.erase(2);
  ExpectOnlyFailure(Appraise(policy, in), kCheckMeasurementsAllowed, "NO_TUPLE_MATCHES");
  in = f.Good();
  in.measurements[1].back() ^= 1;
  ExpectOnlyFailure(Appraise(policy, in), kCheckMeasurementsAllowed, "NO_TUPLE_MATCHES");
  // A tuple listing pcr8 requires pcr8 too.
  policy.measurements[0].values[8] = Filled(48, 8);
  ExpectOnlyFailure(Appraise(policy, f.Good()), kCheckMeasurementsAllowed, "NO_TUPLE_MATCHES");
  in = f.Good();
  in.measurements[8] = Filled(48, 8);
  EXPECT_TRUE(Appraise(policy, in).allowed);
}

// A TDX tuple is matched against TDX measurements only: the same bytes
// reported by another platform do not match it, and a TDX root does not
// anchor Nitro evidence.
TEST(Appraise, TdxTupleMatchesOnlyTdxEvidence) {
  const Fixture f;
  Policy policy = SamplePolicy();
  MeasurementTuple tdx{.platform = "tdx", .name = "td", .values = {}};
  for (uint32_t i = 0; i < 4; ++i) tdx.values[i] = Filled(48, static_cast<uint8_t>(0x40 + i));
  policy.measurements.push_back(tdx);
  policy.roots.push_back({.platform = "tdx", .name = "intel", .der = policy.roots[0].der,
                          .evaluation = false});
  ASSERT_TRUE(ValidatePolicy(policy).ok()) << ValidatePolicy(policy).ToString();
  AppraisalInput in = f.Good();
  in.platform = "tdx";
  in.measurements = tdx.values;
  in.measurements[4] = Filled(48, 0x99);  // rtmr3 not pinned: ignored
  const Verdict v = Appraise(policy, in);
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(Check(v, kCheckMeasurementsAllowed).detail, "matches tuple 'td'");
  in.measurements[2].back() ^= 1;  // rtmr1 changed
  ExpectOnlyFailure(Appraise(policy, in), kCheckMeasurementsAllowed, "NO_TUPLE_MATCHES");
  AppraisalInput as_nitro = f.Good();
  as_nitro.measurements = tdx.values;  // the TDX values presented as Nitro PCRs
  ExpectOnlyFailure(Appraise(policy, as_nitro), kCheckMeasurementsAllowed, "NO_TUPLE_MATCHES");
}

TEST(Appraise, RootMustBeInPolicyForThatPlatform) {
  const Fixture f;
  AppraisalInput in = f.Good();
  const Bytes stranger = testing::NotACaDer();
  in.matched_root_der = stranger;
  Verdict v = Appraise(SamplePolicy(), in);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(Check(v, kCheckRootTrusted).code, "ROOT_NOT_IN_POLICY");
  EXPECT_EQ(Check(v, kCheckEvaluationAllowed).code, "ROOT_NOT_IN_POLICY");
  // A prefix of the root is not the root.
  in.matched_root_der = ByteSpan(f.aws).first(f.aws.size() - 1);
  EXPECT_EQ(Check(Appraise(SamplePolicy(), in), kCheckRootTrusted).code, "ROOT_NOT_IN_POLICY");
  in = f.Good();
  in.platform = "sgx";
  v = Appraise(SamplePolicy(), in);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(Check(v, kCheckRootTrusted).code, "PLATFORM_UNKNOWN");
  EXPECT_EQ(Check(v, kCheckMeasurementsAllowed).code, "NO_TUPLE_MATCHES");
  // A known platform whose roots the policy does not list: the Nitro root
  // does not anchor TDX evidence.
  in.platform = "tdx";
  v = Appraise(SamplePolicy(), in);
  EXPECT_EQ(Check(v, kCheckRootTrusted).code, "ROOT_NOT_IN_POLICY");
}

TEST(Appraise, EvaluationRootOnlyWhenAllowed) {
  const Fixture f;
  Policy policy = SamplePolicy();
  AppraisalInput in = f.Good();
  in.matched_root_der = f.dev;
  ExpectOnlyFailure(Appraise(policy, in), kCheckEvaluationAllowed, "EVALUATION_ROOT_REFUSED");
  policy.allow_evaluation = true;
  const Verdict v = Appraise(policy, in);
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(Check(v, kCheckRootTrusted).detail, "root 'dev'");
}

TEST(Appraise, DebugEnclaveOnlyWhenAllowed) {
  const Fixture f;
  Policy policy = SamplePolicy();
  policy.allow_evaluation = true;
  policy.measurements.push_back({.platform = "nitro", .name = "debug",
                                 .values = {{0, Filled(48, 0)}, {1, Filled(48, 0)},
                                            {2, Filled(48, 0)}}});
  AppraisalInput in = f.Good();
  in.measurements = {{0, Filled(48, 0)}, {1, Filled(48, 0)}, {2, Filled(48, 0)}};
  EXPECT_TRUE(Appraise(policy, in).allowed);
  // The same evidence under a policy that does not allow evaluation (built
  // directly; ValidatePolicy would refuse such a tuple without the flag).
  policy.allow_evaluation = false;
  ExpectOnlyFailure(Appraise(policy, in), kCheckEvaluationAllowed, "DEBUG_ENCLAVE_REFUSED");
}

TEST(Appraise, Freshness) {
  const Fixture f;
  const Policy policy = SamplePolicy();
  const int64_t now = testing::kNow * 1000;
  const int64_t max = int64_t{policy.max_evidence_age_s} * 1000;
  auto fresh = [&](int64_t evidence_ms, int64_t now_ms) {
    AppraisalInput in = f.Good();
    in.evidence_time_ms = evidence_ms;
    in.now_ms = now_ms;
    return Check(Appraise(policy, in), kCheckEvidenceFresh);
  };
  EXPECT_TRUE(fresh(now - max, now).passed);
  EXPECT_EQ(fresh(now - max - 1, now).code, "EVIDENCE_STALE");
  EXPECT_TRUE(fresh(now + kEvidenceFutureSkewMs, now).passed);
  EXPECT_EQ(fresh(now + kEvidenceFutureSkewMs + 1, now).code, "EVIDENCE_FROM_FUTURE");
  EXPECT_EQ(fresh(0, now).code, "EVIDENCE_TIME_MISSING");
  EXPECT_EQ(fresh(-1, now).code, "EVIDENCE_TIME_MISSING");
  // Extreme values must not overflow (UBSan would report it).
  EXPECT_EQ(fresh(LLONG_MAX, now).code, "EVIDENCE_TIME_MISSING");
  EXPECT_EQ(fresh(LLONG_MIN, now).code, "EVIDENCE_TIME_MISSING");
  EXPECT_EQ(fresh(now, LLONG_MIN).code, "CLOCK_INVALID");
  EXPECT_FALSE(fresh(now, LLONG_MAX).passed);
  AppraisalInput stale = f.Good();
  stale.evidence_time_ms = now - max - 1;
  ExpectOnlyFailure(Appraise(policy, stale), kCheckEvidenceFresh, "EVIDENCE_STALE");
}

TEST(Appraise, Models) {
  const Fixture f;
  Policy policy = SamplePolicy();
  AppraisalInput in = f.Good();
  in.model_id = "unknown";
  ExpectOnlyFailure(Appraise(policy, in), kCheckModelAllowed, "MODEL_NOT_ALLOWED");
  in = f.Good();
  in.model_hash = Filled(32, 0xab);
  ExpectOnlyFailure(Appraise(policy, in), kCheckModelAllowed, "MODEL_HASH_MISMATCH");
  in.model_hash.clear();
  ExpectOnlyFailure(Appraise(policy, in), kCheckModelAllowed, "MODEL_HASH_MISMATCH");
  in.model_id = "any-hash";  // listed without a hash
  EXPECT_TRUE(Appraise(policy, in).allowed);
  in.model_id = "Minilm";  // ids are compared exactly
  in.model_hash = Filled(32, 0xaa);
  ExpectOnlyFailure(Appraise(policy, in), kCheckModelAllowed, "MODEL_NOT_ALLOWED");
  policy.models.clear();  // empty list: nothing allowed
  ExpectOnlyFailure(Appraise(policy, f.Good()), kCheckModelAllowed, "MODEL_NOT_ALLOWED");
  policy.any_model = true;
  in.model_id = "whatever";
  EXPECT_TRUE(Appraise(policy, in).allowed);
}

TEST(Appraise, PolicyValidity) {
  const Fixture f;
  const Policy policy = SamplePolicy();
  AppraisalInput in = f.Good();
  in.now_ms = testing::kExpires * 1000;
  in.evidence_time_ms = in.now_ms;
  ExpectOnlyFailure(Appraise(policy, in), kCheckPolicyValid, "POLICY_EXPIRED");
  in.now_ms -= 1;
  in.evidence_time_ms = in.now_ms;
  EXPECT_TRUE(Appraise(policy, in).allowed);
  in.now_ms = (testing::kCreated - kPolicyClockSkewS) * 1000 - 1;
  in.evidence_time_ms = in.now_ms;
  ExpectOnlyFailure(Appraise(policy, in), kCheckPolicyValid, "POLICY_NOT_YET_VALID");
  // Extreme clocks: no overflow (UBSan caught a negation of INT64_MIN here).
  in.now_ms = LLONG_MIN;
  EXPECT_EQ(Check(Appraise(policy, in), kCheckPolicyValid).code, "POLICY_NOT_YET_VALID");
  in.now_ms = LLONG_MAX;
  EXPECT_EQ(Check(Appraise(policy, in), kCheckPolicyValid).code, "POLICY_EXPIRED");
}

TEST(Appraise, EveryCheckIsListedEvenWhenSeveralFail) {
  const Fixture f;
  AppraisalInput in = f.Good();
  in.matched_root_der = {};
  in.measurements.clear();
  in.evidence_time_ms = 1;
  in.model_id = "nope";
  in.now_ms = testing::kExpires * 1000;
  const Verdict v = Appraise(SamplePolicy(), in);
  EXPECT_FALSE(v.allowed);
  ASSERT_EQ(v.checks.size(), 6u);
  for (const PolicyCheck& c : v.checks) EXPECT_FALSE(c.passed) << c.id;
}

TEST(Appraise, RootsForPlatform) {
  const Fixture f;
  const Policy policy = SamplePolicy();
  const std::vector<ByteSpan> roots = RootsFor(policy, "nitro");
  ASSERT_EQ(roots.size(), 2u);
  EXPECT_TRUE(std::equal(roots[0].begin(), roots[0].end(), f.aws.begin(), f.aws.end()));
  EXPECT_TRUE(RootsFor(policy, "tdx").empty());
}

}  // namespace
}  // namespace eml::policy

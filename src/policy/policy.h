// The client's trust policy: which enclaves (roots, measurement tuples) and
// which models it accepts, and for how long. Signed by the policy owner's
// Ed25519 key (signed_policy.h), edited as JSON (policy_json.h), applied to
// verified evidence by Appraise (appraise.h) and reloaded while running by
// PolicyStore (policy_store.h).
//
// This header holds the content model, its limits and ValidatePolicy, the
// one place where every semantic rule lives: the JSON reader, the CBOR
// decoder and the signer all call it, so a policy that one path accepts
// cannot be refused by another. Format and rules: docs/policy.md.
//
// Fail-closed choices: an empty `roots`, `measurements` or `models` list
// allows nothing (a deny-all policy is valid: it is how an owner revokes
// every enclave); allowing every model needs the explicit `any_model` flag,
// which may not be combined with a model list. The platforms "nitro", "tdx"
// and "snp" are known; any other platform name is rejected, so a policy
// written for a future platform fails closed on an older client.
//
// Thread-safety: plain values and pure functions.
#ifndef EML_POLICY_POLICY_H_
#define EML_POLICY_POLICY_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"

namespace eml::policy {

// Limits (docs/policy.md "Limits").
inline constexpr size_t kMaxPolicyFileSize = size_t{1} << 20;
inline constexpr size_t kMaxRoots = 16;
inline constexpr size_t kMaxMeasurementTuples = 1024;
inline constexpr size_t kMaxModels = 1024;
inline constexpr size_t kMaxTdxExtraTcbStatuses = 5;
inline constexpr size_t kMaxStringSize = 256;
inline constexpr size_t kMaxRootDerSize = 16 * 1024;
inline constexpr size_t kMaxValuesPerTuple = 32;
inline constexpr uint32_t kMaxEvidenceAgeLimitS = 86400;
// Largest accepted timestamp: 9999-12-31T23:59:59Z. Keeps every sum and
// product of times (seconds * 1000) far from int64 overflow.
inline constexpr int64_t kMaxUnixSeconds = 253402300799;
// A policy is accepted from created_at - kPolicyClockSkewS on, so an owner
// whose clock runs a little ahead does not lock clients out.
inline constexpr int64_t kPolicyClockSkewS = 300;
// Evidence may be this far in the verifier's future (clock drift).
inline constexpr int64_t kEvidenceFutureSkewMs = 60'000;

inline constexpr std::string_view kPlatformNitro = "nitro";
inline constexpr std::string_view kPlatformTdx = "tdx";  // Intel TDX quotes
inline constexpr std::string_view kPlatformSnp = "snp";  // AMD SEV-SNP reports
inline constexpr size_t kSha256Size = 32;
inline constexpr size_t kNitroPcrSize = 48;

struct TrustedRoot {
  std::string platform;  // "nitro" (AWS Nitro root), "tdx" (Intel SGX root CA), "snp" (an AMD ARK)
  std::string name;      // for people and verdict details only
  Bytes der;             // the root certificate, DER
  bool evaluation = false;  // a development root: accepted only with allow_evaluation
  friend bool operator==(const TrustedRoot&, const TrustedRoot&) = default;
};

// Measurements that are allowed TOGETHER: evidence matches the tuple only if
// every listed index has exactly the listed value in the same evidence.
// Indices not listed are not constrained. Names, indices, sizes and the
// required ones per platform (MeasurementIndex below):
//   nitro  pcr0..pcr31 -> 0..31, 48 bytes each; pcr0, pcr1, pcr2 required
//   tdx    mrtd 0, rtmr0..rtmr3 1..4, mrconfigid 5, mrowner 6,
//          mrownerconfig 7, 48 bytes each; mrtd, rtmr0, rtmr1, rtmr2 required
//          (rtmr3 is extended at run time by the workload; pin it if it is
//          stable in your deployment)
//   snp    measurement 0 (48 bytes), host_data 1 (32 bytes), id_key_digest
//          2 (48 bytes); measurement and host_data required
struct MeasurementTuple {
  std::string platform;
  std::string name;
  std::map<uint32_t, Bytes> values;
  friend bool operator==(const MeasurementTuple&, const MeasurementTuple&) = default;
};

struct AllowedModel {
  std::string model_id;
  std::optional<Bytes> model_hash;  // 32 bytes; absent: any hash for this id
  friend bool operator==(const AllowedModel&, const AllowedModel&) = default;
};

struct Policy {
  uint64_t version = 1;  // >= 1; a store never accepts a lower one
  std::string policy_id;
  int64_t created_at = 0;  // unix seconds
  int64_t expires_at = 0;  // unix seconds, > created_at; invalid from this instant on
  uint32_t max_evidence_age_s = 300;  // 1..kMaxEvidenceAgeLimitS
  bool allow_evaluation = false;      // development roots and debug enclaves acceptable
  bool any_model = false;             // every model allowed; `models` must then be empty
  std::vector<TrustedRoot> roots;
  std::vector<MeasurementTuple> measurements;
  std::vector<AllowedModel> models;
  // TDX TCB statuses accepted besides "UpToDate", in Intel's spelling:
  // "SWHardeningNeeded", "ConfigurationNeeded",
  // "ConfigurationAndSWHardeningNeeded", "OutOfDate",
  // "OutOfDateConfigurationNeeded" (never "Revoked"); each at most once.
  // Empty (the default, and then absent from the encoding): UpToDate only.
  std::vector<std::string> tdx_extra_tcb_statuses;
  friend bool operator==(const Policy&, const Policy&) = default;
};

// The TDX TCB statuses `policy` accepts: "UpToDate" and the extra ones.
std::vector<std::string> AcceptedTdxTcbStatuses(const Policy& policy);

// Every semantic rule of docs/policy.md: ranges, sizes, counts, charset,
// known platforms, duplicates, certificate syntax of roots. Messages name
// the field and its position ("measurements[3].values: pcr1 missing").
Status ValidatePolicy(const Policy& policy);

// Text fields: 1..kMaxStringSize bytes of printable ASCII (0x20..0x7e), so
// that names shown by `eml policy show` cannot carry terminal escapes.
Status ValidateText(std::string_view field, std::string_view text);

bool IsKnownPlatform(std::string_view platform);

// Measurement names of a known platform (table above) <-> indices. One
// spelling per index ("pcr01" is refused). InvalidArgument for an unknown
// platform or name.
StatusOr<uint32_t> MeasurementIndex(std::string_view platform, std::string_view name);
// "?<index>" for an index the platform does not define.
std::string MeasurementName(std::string_view platform, uint32_t index);

// Nitro measurement names: "pcr0".."pcr31" <-> 0..31.
StatusOr<uint32_t> NitroPcrIndex(std::string_view name);
std::string NitroPcrName(uint32_t index);

// A debug-mode Nitro enclave reports all-zero PCRs; any of PCR0..2 being all
// zero marks the measurements as development evidence.
bool IsNitroDebugMeasurement(const std::map<uint32_t, Bytes>& values);

}  // namespace eml::policy

#endif  // EML_POLICY_POLICY_H_

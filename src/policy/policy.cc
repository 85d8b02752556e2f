// ValidatePolicy: every semantic rule of docs/policy.md in one place.
#include "policy/policy.h"

#include <algorithm>
#include <set>
#include <span>
#include <utility>

#include "crypto/x509.h"

namespace eml::policy {
namespace {

std::string At(std::string_view list, size_t i) {
  return std::string(list) + "[" + std::to_string(i) + "]";
}

Status Invalid(const std::string& what) { return InvalidArgumentError("policy: " + what); }

Status CheckCount(std::string_view list, size_t count, size_t max) {
  if (count > max) {
    return LimitExceededError("policy: " + std::string(list) + " has " + std::to_string(count) +
                              " entries, more than " + std::to_string(max));
  }
  return OkStatus();
}

Status CheckPlatform(const std::string& where, std::string_view platform) {
  if (IsKnownPlatform(platform)) return OkStatus();
  return UnsupportedError("policy: " + where + ".platform is not a known platform");
}

Status CheckTimes(const Policy& p) {
  if (p.created_at < 0 || p.created_at > kMaxUnixSeconds) return Invalid("created_at out of range");
  if (p.expires_at <= p.created_at || p.expires_at > kMaxUnixSeconds) {
    return Invalid("expires_at must be after created_at and not beyond year 9999");
  }
  if (p.max_evidence_age_s < 1 || p.max_evidence_age_s > kMaxEvidenceAgeLimitS) {
    return Invalid("max_evidence_age_s must be 1.." + std::to_string(kMaxEvidenceAgeLimitS));
  }
  return OkStatus();
}

Status CheckRoot(const std::string& where, const TrustedRoot& root) {
  RETURN_IF_ERROR(CheckPlatform(where, root.platform));
  RETURN_IF_ERROR(ValidateText(where + ".name", root.name));
  if (root.der.empty() || root.der.size() > kMaxRootDerSize) {
    return LimitExceededError("policy: " + where + ".der must be 1.." +
                              std::to_string(kMaxRootDerSize) + " bytes");
  }
  StatusOr<crypto::CertificateInfo> info = crypto::ParseCertificate(root.der);
  if (!info.ok()) return Invalid(where + ".der is not a DER certificate");
  if (!info->is_ca) return Invalid(where + ".der is not a CA certificate");
  return OkStatus();
}

Status CheckRoots(const Policy& p) {
  RETURN_IF_ERROR(CheckCount("roots", p.roots.size(), kMaxRoots));
  std::set<std::pair<std::string, Bytes>> seen_der;
  std::set<std::pair<std::string, std::string>> seen_name;
  for (size_t i = 0; i < p.roots.size(); ++i) {
    const TrustedRoot& root = p.roots[i];
    RETURN_IF_ERROR(CheckRoot(At("roots", i), root));
    if (!seen_der.emplace(root.platform, root.der).second) {
      return AlreadyExistsError("policy: " + At("roots", i) + " repeats a certificate");
    }
    if (!seen_name.emplace(root.platform, root.name).second) {
      return AlreadyExistsError("policy: " + At("roots", i) + " repeats a name");
    }
  }
  return OkStatus();
}

// Per-platform measurement layout: name, byte size, required in a tuple.
struct MeasurementSlot {
  std::string_view name;
  size_t size;
  bool required;
};
constexpr MeasurementSlot kTdxSlots[] = {
    {"mrtd", 48, true},        {"rtmr0", 48, true},   {"rtmr1", 48, true},
    {"rtmr2", 48, true},       {"rtmr3", 48, false},  {"mrconfigid", 48, false},
    {"mrowner", 48, false},    {"mrownerconfig", 48, false},
};
constexpr MeasurementSlot kSnpSlots[] = {
    {"measurement", 48, true}, {"host_data", 32, true}, {"id_key_digest", 48, false}};

std::span<const MeasurementSlot> SlotsOf(std::string_view platform) {
  if (platform == kPlatformTdx) return kTdxSlots;
  if (platform == kPlatformSnp) return kSnpSlots;
  return {};
}

Status CheckValues(const std::string& where, const MeasurementTuple& tuple,
                   bool allow_evaluation) {
  if (tuple.platform != kPlatformNitro) {
    const auto slots = SlotsOf(tuple.platform);
    for (const auto& [index, value] : tuple.values) {
      if (index >= slots.size()) return Invalid(where + ": unknown measurement index");
      if (value.size() != slots[index].size) {
        return Invalid(where + ": " + std::string(slots[index].name) + " must be " +
                       std::to_string(slots[index].size) + " bytes");
      }
    }
    for (size_t i = 0; i < slots.size(); ++i) {
      if (slots[i].required && tuple.values.count(static_cast<uint32_t>(i)) == 0) {
        return Invalid(where + ": " + std::string(slots[i].name) + " missing (required for " +
                       tuple.platform + ")");
      }
    }
    return OkStatus();
  }
  for (const auto& [index, value] : tuple.values) {
    if (index >= kMaxValuesPerTuple) return Invalid(where + ": PCR index above 31");
    if (value.size() != kNitroPcrSize) {
      return Invalid(where + ": " + NitroPcrName(index) + " must be 48 bytes");
    }
  }
  for (uint32_t required : {0u, 1u, 2u}) {
    if (tuple.values.count(required) == 0) {
      return Invalid(where + ": " + NitroPcrName(required) + " missing (pcr0, pcr1, pcr2 required)");
    }
  }
  if (IsNitroDebugMeasurement(tuple.values) && !allow_evaluation) {
    return Invalid(where + ": all-zero PCR (debug enclave) needs allow_evaluation");
  }
  return OkStatus();
}

Status CheckTuple(const std::string& where, const MeasurementTuple& tuple, bool allow_evaluation) {
  RETURN_IF_ERROR(CheckPlatform(where, tuple.platform));
  RETURN_IF_ERROR(ValidateText(where + ".name", tuple.name));
  if (tuple.values.empty()) return Invalid(where + ".values is empty");
  RETURN_IF_ERROR(CheckCount(where + ".values", tuple.values.size(), kMaxValuesPerTuple));
  return CheckValues(where + ".values", tuple, allow_evaluation);
}

Status CheckMeasurements(const Policy& p) {
  RETURN_IF_ERROR(CheckCount("measurements", p.measurements.size(), kMaxMeasurementTuples));
  std::set<std::pair<std::string, std::map<uint32_t, Bytes>>> seen_values;
  std::set<std::pair<std::string, std::string>> seen_name;
  for (size_t i = 0; i < p.measurements.size(); ++i) {
    const MeasurementTuple& tuple = p.measurements[i];
    RETURN_IF_ERROR(CheckTuple(At("measurements", i), tuple, p.allow_evaluation));
    if (!seen_values.emplace(tuple.platform, tuple.values).second) {
      return AlreadyExistsError("policy: " + At("measurements", i) + " repeats a tuple");
    }
    if (!seen_name.emplace(tuple.platform, tuple.name).second) {
      return AlreadyExistsError("policy: " + At("measurements", i) + " repeats a name");
    }
  }
  return OkStatus();
}

Status CheckModels(const Policy& p) {
  RETURN_IF_ERROR(CheckCount("models", p.models.size(), kMaxModels));
  if (p.any_model && !p.models.empty()) return Invalid("any_model excludes a models list");
  // model_id -> whether it was listed with a hash; listing an id both with
  // and without a hash would make the hash pin look effective when it is not.
  std::map<std::string, bool> hashed;
  std::set<std::pair<std::string, Bytes>> seen;
  for (size_t i = 0; i < p.models.size(); ++i) {
    const AllowedModel& model = p.models[i];
    const std::string where = At("models", i);
    RETURN_IF_ERROR(ValidateText(where + ".model_id", model.model_id));
    if (model.model_hash.has_value() && model.model_hash->size() != kSha256Size) {
      return Invalid(where + ".model_hash must be 32 bytes");
    }
    const bool has_hash = model.model_hash.has_value();
    auto [it, inserted] = hashed.emplace(model.model_id, has_hash);
    if (!inserted && it->second != has_hash) {
      return AlreadyExistsError("policy: " + where + " lists a model_id both with and without hash");
    }
    if (!seen.emplace(model.model_id, model.model_hash.value_or(Bytes{})).second) {
      return AlreadyExistsError("policy: " + where + " repeats a model");
    }
  }
  return OkStatus();
}

// Intel's TCB statuses a policy may accept besides UpToDate (never Revoked).
constexpr std::string_view kExtraTdxTcbStatuses[] = {
    "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded", "OutOfDate",
    "OutOfDateConfigurationNeeded"};

Status CheckTdxTcbStatuses(const Policy& p) {
  const std::vector<std::string>& statuses = p.tdx_extra_tcb_statuses;
  for (size_t i = 0; i < statuses.size(); ++i) {
    const std::string where = At("tdx_extra_tcb_statuses", i);
    if (std::find(std::begin(kExtraTdxTcbStatuses), std::end(kExtraTdxTcbStatuses), statuses[i]) ==
        std::end(kExtraTdxTcbStatuses)) {
      return Invalid(where + ": not one of SWHardeningNeeded, ConfigurationNeeded, "
                     "ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded");
    }
    if (std::find(statuses.begin(), statuses.begin() + i, statuses[i]) != statuses.begin() + i) {
      return Invalid(where + ": listed twice");
    }
  }
  return OkStatus();
}

}  // namespace

bool IsKnownPlatform(std::string_view platform) {
  return platform == kPlatformNitro || platform == kPlatformTdx || platform == kPlatformSnp;
}

StatusOr<uint32_t> MeasurementIndex(std::string_view platform, std::string_view name) {
  if (platform == kPlatformNitro) return NitroPcrIndex(name);
  const auto slots = SlotsOf(platform);
  if (slots.empty()) return InvalidArgumentError("policy: unknown platform");
  for (size_t i = 0; i < slots.size(); ++i) {
    if (slots[i].name == name) return static_cast<uint32_t>(i);
  }
  return InvalidArgumentError("policy: unknown " + std::string(platform) + " measurement name");
}

std::string MeasurementName(std::string_view platform, uint32_t index) {
  if (platform == kPlatformNitro) return NitroPcrName(index);
  const auto slots = SlotsOf(platform);
  if (index < slots.size()) return std::string(slots[index].name);
  return "?" + std::to_string(index);
}

Status ValidateText(std::string_view field, std::string_view text) {
  if (text.empty() || text.size() > kMaxStringSize) {
    return InvalidArgumentError("policy: " + std::string(field) + " must be 1.." +
                                std::to_string(kMaxStringSize) + " bytes");
  }
  const bool printable = std::all_of(text.begin(), text.end(),
                                     [](char c) { return c >= 0x20 && c <= 0x7e; });
  if (!printable) {
    return InvalidArgumentError("policy: " + std::string(field) + " must be printable ASCII");
  }
  return OkStatus();
}

StatusOr<uint32_t> NitroPcrIndex(std::string_view name) {
  constexpr std::string_view kPrefix = "pcr";
  if (name.size() < 4 || name.size() > 5 || name.substr(0, 3) != kPrefix) {
    return InvalidArgumentError("policy: measurement name must be pcr0..pcr31");
  }
  uint32_t index = 0;
  for (char c : name.substr(3)) {
    if (c < '0' || c > '9') return InvalidArgumentError("policy: measurement name must be pcr0..pcr31");
    index = index * 10 + static_cast<uint32_t>(c - '0');
  }
  // "pcr01" would alias "pcr1": one spelling per index.
  if (index >= kMaxValuesPerTuple || name != NitroPcrName(index)) {
    return InvalidArgumentError("policy: measurement name must be pcr0..pcr31");
  }
  return index;
}

std::string NitroPcrName(uint32_t index) { return "pcr" + std::to_string(index); }

bool IsNitroDebugMeasurement(const std::map<uint32_t, Bytes>& values) {
  for (uint32_t index : {0u, 1u, 2u}) {
    auto it = values.find(index);
    if (it == values.end()) continue;
    const Bytes& v = it->second;
    if (std::all_of(v.begin(), v.end(), [](uint8_t b) { return b == 0; })) return true;
  }
  return false;
}

Status ValidatePolicy(const Policy& policy) {
  if (policy.version < 1) return Invalid("version must be at least 1");
  RETURN_IF_ERROR(ValidateText("policy_id", policy.policy_id));
  RETURN_IF_ERROR(CheckTimes(policy));
  RETURN_IF_ERROR(CheckRoots(policy));
  RETURN_IF_ERROR(CheckMeasurements(policy));
  RETURN_IF_ERROR(CheckTdxTcbStatuses(policy));
  return CheckModels(policy);
}

std::vector<std::string> AcceptedTdxTcbStatuses(const Policy& policy) {
  std::vector<std::string> out = {"UpToDate"};
  out.insert(out.end(), policy.tdx_extra_tcb_statuses.begin(), policy.tdx_extra_tcb_statuses.end());
  return out;
}

}  // namespace eml::policy

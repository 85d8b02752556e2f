// Collateral parsing: dcap-qvl's QuoteCollateralV3 JSON, and the two bodies
// Intel signs (TDX TCB Info v3, TD_QE Identity v2). Layout in
// docs/attestation-tdx.md, "Collateral".
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attest/tdx.h"
#include "attest/tdx_internal.h"
#include "core/clock.h"
#include "core/encoding.h"
#include "core/json.h"
#include "crypto/x509_crl.h"

namespace eml::attest {
namespace {

using nlohmann::json;

// tcbInfo > tcbLevels > level > tcb > components > component is 6 deep.
constexpr int kMaxJsonDepth = 8;
constexpr size_t kMaxAdvisoryIdSize = 64;
constexpr size_t kMaxModuleIdSize = 16;
constexpr size_t kTcbComponents = 16;

Status Invalid(std::string_view where, const std::string& what) {
  return InvalidArgumentError(std::string(where) + ": " + what);
}

// Strict JSON (core/json.h), an object, within the collateral's size limit.
StatusOr<json> ParseJsonObject(std::string_view text, std::string_view where) {
  if (text.size() > kTdxMaxCollateralJsonSize) {
    return LimitExceededError(std::string(where) + ": JSON over " +
                              std::to_string(kTdxMaxCollateralJsonSize) + " bytes");
  }
  ASSIGN_OR_RETURN(json root, ParseJsonStrict(text, kMaxJsonDepth, where));
  if (!root.is_object()) return Invalid(where, "not a JSON object");
  return root;
}

StatusOr<const json*> Member(const json& object, const char* key, std::string_view where) {
  if (!object.is_object()) return Invalid(where, "expected an object");
  auto it = object.find(key);
  if (it == object.end()) return Invalid(where, std::string("missing ") + key);
  return &*it;
}

StatusOr<std::string> StringField(const json& object, const char* key, std::string_view where) {
  ASSIGN_OR_RETURN(const json* v, Member(object, key, where));
  if (!v->is_string()) return Invalid(where, std::string(key) + " is not a string");
  return v->get<std::string>();
}

StatusOr<uint64_t> UintField(const json& object, const char* key, uint64_t max,
                             std::string_view where) {
  ASSIGN_OR_RETURN(const json* v, Member(object, key, where));
  if (!v->is_number_unsigned() || v->get<uint64_t>() > max) {
    return Invalid(where, std::string(key) + " is not an integer in 0.." + std::to_string(max));
  }
  return v->get<uint64_t>();
}

StatusOr<const json*> ArrayField(const json& object, const char* key, size_t min, size_t max,
                                 std::string_view where) {
  ASSIGN_OR_RETURN(const json* v, Member(object, key, where));
  if (!v->is_array() || v->size() < min || v->size() > max) {
    return Invalid(where, std::string(key) + " must be an array of " + std::to_string(min) + ".." +
                              std::to_string(max) + " entries");
  }
  return v;
}

Status HexField(const json& object, const char* key, std::span<uint8_t> out,
                std::string_view where) {
  ASSIGN_OR_RETURN(std::string hex, StringField(object, key, where));
  return tdx_internal::HexToFixed(hex, out, std::string(where) + "." + key);
}

StatusOr<int64_t> TimeField(const json& object, const char* key, std::string_view where) {
  ASSIGN_OR_RETURN(std::string text, StringField(object, key, where));
  StatusOr<int64_t> t = tdx_internal::ParseIsoUtc(text);
  if (!t.ok()) return Invalid(where, std::string(key) + ": " + t.status().message());
  return t;
}

// Optional "advisoryIDs": printable ASCII strings of at most 64 bytes.
StatusOr<std::vector<std::string>> AdvisoryIds(const json& level, std::string_view where) {
  std::vector<std::string> ids;
  if (!level.contains("advisoryIDs")) return ids;
  ASSIGN_OR_RETURN(const json* array, ArrayField(level, "advisoryIDs", 0, kTdxMaxAdvisoryIds, where));
  for (const json& id : *array) {
    if (!id.is_string()) return Invalid(where, "advisory ID is not a string");
    const std::string& text = id.get_ref<const std::string&>();
    if (text.empty() || text.size() > kMaxAdvisoryIdSize) return Invalid(where, "advisory ID size");
    for (char c : text) {
      if (c < 0x21 || c > 0x7e) return Invalid(where, "advisory ID is not printable ASCII");
    }
    ids.push_back(text);
  }
  return ids;
}

// A level's "tcbStatus"; identities (module, QE) only know three statuses.
StatusOr<TdxTcbStatus> StatusField(const json& level, bool identity_level, std::string_view where) {
  ASSIGN_OR_RETURN(std::string name, StringField(level, "tcbStatus", where));
  StatusOr<TdxTcbStatus> status = TdxTcbStatusFromName(name);
  if (!status.ok()) return Invalid(where, "unknown tcbStatus");
  if (identity_level && *status != TdxTcbStatus::kUpToDate &&
      *status != TdxTcbStatus::kOutOfDate && *status != TdxTcbStatus::kRevoked) {
    return Invalid(where, "tcbStatus not allowed for an identity level");
  }
  return status;
}

// {"tcb": {"isvsvn": n}, "tcbDate", "tcbStatus", "advisoryIDs"?}
StatusOr<std::vector<TdxIsvSvnLevel>> IsvSvnLevels(const json& object, uint64_t max_svn,
                                                   std::string_view where) {
  ASSIGN_OR_RETURN(const json* levels, ArrayField(object, "tcbLevels", 1, kTdxMaxTcbLevels, where));
  std::vector<TdxIsvSvnLevel> out;
  for (const json& level : *levels) {
    TdxIsvSvnLevel parsed;
    ASSIGN_OR_RETURN(const json* tcb, Member(level, "tcb", where));
    ASSIGN_OR_RETURN(uint64_t svn, UintField(*tcb, "isvsvn", max_svn, where));
    parsed.isv_svn = static_cast<uint16_t>(svn);
    ASSIGN_OR_RETURN(parsed.tcb_date, TimeField(level, "tcbDate", where));
    ASSIGN_OR_RETURN(parsed.status, StatusField(level, /*identity_level=*/true, where));
    ASSIGN_OR_RETURN(parsed.advisory_ids, AdvisoryIds(level, where));
    out.push_back(std::move(parsed));
  }
  return out;
}

Status ComponentSvns(const json& tcb, const char* key, TdxSvn16* out, std::string_view where) {
  ASSIGN_OR_RETURN(const json* array, ArrayField(tcb, key, kTcbComponents, kTcbComponents, where));
  for (size_t i = 0; i < kTcbComponents; ++i) {
    ASSIGN_OR_RETURN(uint64_t svn, UintField((*array)[i], "svn", 255, where));
    (*out)[i] = static_cast<uint8_t>(svn);
  }
  return OkStatus();
}

StatusOr<TdxTcbLevel> TcbLevel(const json& level, std::string_view where) {
  TdxTcbLevel out;
  ASSIGN_OR_RETURN(const json* tcb, Member(level, "tcb", where));
  RETURN_IF_ERROR(ComponentSvns(*tcb, "sgxtcbcomponents", &out.sgx_components, where));
  ASSIGN_OR_RETURN(uint64_t pce_svn, UintField(*tcb, "pcesvn", 0xffff, where));
  out.pce_svn = static_cast<uint16_t>(pce_svn);
  RETURN_IF_ERROR(ComponentSvns(*tcb, "tdxtcbcomponents", &out.tdx_components, where));
  ASSIGN_OR_RETURN(out.tcb_date, TimeField(level, "tcbDate", where));
  ASSIGN_OR_RETURN(out.status, StatusField(level, /*identity_level=*/false, where));
  ASSIGN_OR_RETURN(out.advisory_ids, AdvisoryIds(level, where));
  return out;
}

Status ModuleIdentity(const json& object, bool with_levels, TdxModuleIdentity* out,
                      std::string_view where) {
  if (with_levels) {
    ASSIGN_OR_RETURN(out->id, StringField(object, "id", where));
    if (out->id.empty() || out->id.size() > kMaxModuleIdSize) return Invalid(where, "module id size");
    ASSIGN_OR_RETURN(out->tcb_levels, IsvSvnLevels(object, 255, where));
  }
  RETURN_IF_ERROR(HexField(object, "mrsigner", out->mr_signer, where));
  RETURN_IF_ERROR(HexField(object, "attributes", out->attributes, where));
  return HexField(object, "attributesMask", out->attributes_mask, where);
}

Status IssueWindow(const json& root, int64_t* issue, int64_t* next, std::string_view where) {
  ASSIGN_OR_RETURN(*issue, TimeField(root, "issueDate", where));
  ASSIGN_OR_RETURN(*next, TimeField(root, "nextUpdate", where));
  if (*next <= *issue) return Invalid(where, "nextUpdate is not after issueDate");
  return OkStatus();
}

Status TcbInfoModules(const json& root, TdxTcbInfo* out) {
  constexpr std::string_view kWhere = "tdx tcb info";
  ASSIGN_OR_RETURN(const json* module, Member(root, "tdxModule", kWhere));
  RETURN_IF_ERROR(ModuleIdentity(*module, /*with_levels=*/false, &out->tdx_module, kWhere));
  if (!root.contains("tdxModuleIdentities")) return OkStatus();
  ASSIGN_OR_RETURN(const json* ids, ArrayField(root, "tdxModuleIdentities", 0,
                                               kTdxMaxModuleIdentities, kWhere));
  for (const json& id : *ids) {
    TdxModuleIdentity parsed;
    RETURN_IF_ERROR(ModuleIdentity(id, /*with_levels=*/true, &parsed, kWhere));
    out->tdx_module_identities.push_back(std::move(parsed));
  }
  return OkStatus();
}

StatusOr<std::vector<Bytes>> PemField(const json& root, const char* key) {
  ASSIGN_OR_RETURN(std::string pem, StringField(root, key, "tdx collateral"));
  StatusOr<std::vector<Bytes>> chain = tdx_internal::ParsePemChain(pem, /*allow_nul_padding=*/false);
  if (!chain.ok()) return Invalid("tdx collateral", std::string(key) + ": " + chain.status().message());
  return chain;
}

StatusOr<Bytes> CrlField(const json& root, const char* key) {
  ASSIGN_OR_RETURN(std::string hex, StringField(root, key, "tdx collateral"));
  StatusOr<Bytes> der = HexDecode(hex);
  if (!der.ok()) return Invalid("tdx collateral", std::string(key) + " is not hex");
  StatusOr<crypto::CrlInfo> crl = crypto::ParseCrl(*der);
  if (!crl.ok()) return Invalid("tdx collateral", std::string(key) + ": " + crl.status().message());
  return der;
}

StatusOr<std::string> SignedBodyField(const json& root, const char* key) {
  ASSIGN_OR_RETURN(std::string text, StringField(root, key, "tdx collateral"));
  if (text.empty()) return Invalid("tdx collateral", std::string(key) + " is empty");
  return text;
}

constexpr std::pair<TdxTcbStatus, std::string_view> kStatusNames[] = {
    {TdxTcbStatus::kUpToDate, "UpToDate"},
    {TdxTcbStatus::kSwHardeningNeeded, "SWHardeningNeeded"},
    {TdxTcbStatus::kConfigurationNeeded, "ConfigurationNeeded"},
    {TdxTcbStatus::kConfigurationAndSwHardeningNeeded, "ConfigurationAndSWHardeningNeeded"},
    {TdxTcbStatus::kOutOfDate, "OutOfDate"},
    {TdxTcbStatus::kOutOfDateConfigurationNeeded, "OutOfDateConfigurationNeeded"},
    {TdxTcbStatus::kRevoked, "Revoked"},
};

bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

namespace tdx_internal {

StatusOr<int64_t> ParseIsoUtc(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SSZ
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  if (text.size() != kShape.size()) return InvalidArgumentError("time is not YYYY-MM-DDTHH:MM:SSZ");
  for (size_t i = 0; i < kShape.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) {
      return InvalidArgumentError("time is not YYYY-MM-DDTHH:MM:SSZ");
    }
  }
  auto num = [&](size_t at, size_t n) {
    int64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = v * 10 + (text[at + i] - '0');
    return v;
  };
  const int64_t year = num(0, 4), month = num(5, 2), day = num(8, 2);
  const int64_t hour = num(11, 2), minute = num(14, 2), second = num(17, 2);
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 ||
      day > kDays[month - 1] + (month == 2 && IsLeapYear(year) ? 1 : 0) || hour > 23 ||
      minute > 59 || second > 59) {
    return InvalidArgumentError("time field out of range");
  }
  return UnixSecondsFromCivil(year, month, day, hour, minute, second);
}

Status HexToFixed(std::string_view hex, std::span<uint8_t> out, std::string_view what) {
  StatusOr<Bytes> bytes = HexDecode(hex);
  if (!bytes.ok() || bytes->size() != out.size()) {
    return InvalidArgumentError(std::string(what) + " is not " + std::to_string(out.size()) +
                                " bytes of hex");
  }
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return OkStatus();
}

}  // namespace tdx_internal

std::string_view TdxTcbStatusName(TdxTcbStatus status) {
  for (const auto& [value, name] : kStatusNames) {
    if (value == status) return name;
  }
  return "Unknown";
}

StatusOr<TdxTcbStatus> TdxTcbStatusFromName(std::string_view name) {
  for (const auto& [value, known] : kStatusNames) {
    if (known == name) return value;
  }
  return InvalidArgumentError("tdx: unknown TCB status name");
}

StatusOr<TdxTcbInfo> ParseTdxTcbInfoJson(std::string_view text) {
  constexpr std::string_view kWhere = "tdx tcb info";
  ASSIGN_OR_RETURN(json root, ParseJsonObject(text, kWhere));
  TdxTcbInfo out;
  ASSIGN_OR_RETURN(std::string id, StringField(root, "id", kWhere));
  if (id != "TDX") return UnsupportedError("tdx tcb info: id is not \"TDX\"");
  ASSIGN_OR_RETURN(uint64_t version, UintField(root, "version", 1000, kWhere));
  if (version != 3) return UnsupportedError("tdx tcb info: version is not 3");
  out.version = static_cast<int>(version);
  RETURN_IF_ERROR(IssueWindow(root, &out.issue_date, &out.next_update, kWhere));
  RETURN_IF_ERROR(HexField(root, "fmspc", out.fmspc, kWhere));
  RETURN_IF_ERROR(HexField(root, "pceId", out.pce_id, kWhere));
  ASSIGN_OR_RETURN(uint64_t tcb_type, UintField(root, "tcbType", 1000, kWhere));
  if (tcb_type != 0) return UnsupportedError("tdx tcb info: tcbType is not 0");
  ASSIGN_OR_RETURN(uint64_t eval, UintField(root, "tcbEvaluationDataNumber", UINT32_MAX, kWhere));
  out.tcb_evaluation_data_number = static_cast<uint32_t>(eval);
  RETURN_IF_ERROR(TcbInfoModules(root, &out));
  ASSIGN_OR_RETURN(const json* levels, ArrayField(root, "tcbLevels", 1, kTdxMaxTcbLevels, kWhere));
  for (const json& level : *levels) {
    ASSIGN_OR_RETURN(TdxTcbLevel parsed, TcbLevel(level, kWhere));
    out.tcb_levels.push_back(std::move(parsed));
  }
  return out;
}

StatusOr<TdxQeIdentity> ParseTdxQeIdentityJson(std::string_view text) {
  constexpr std::string_view kWhere = "tdx qe identity";
  ASSIGN_OR_RETURN(json root, ParseJsonObject(text, kWhere));
  TdxQeIdentity out;
  ASSIGN_OR_RETURN(std::string id, StringField(root, "id", kWhere));
  if (id != "TD_QE") return UnsupportedError("tdx qe identity: id is not \"TD_QE\"");
  ASSIGN_OR_RETURN(uint64_t version, UintField(root, "version", 1000, kWhere));
  if (version != 2) return UnsupportedError("tdx qe identity: version is not 2");
  out.version = static_cast<int>(version);
  RETURN_IF_ERROR(IssueWindow(root, &out.issue_date, &out.next_update, kWhere));
  ASSIGN_OR_RETURN(uint64_t eval, UintField(root, "tcbEvaluationDataNumber", UINT32_MAX, kWhere));
  out.tcb_evaluation_data_number = static_cast<uint32_t>(eval);
  std::array<uint8_t, 4> misc = {};
  std::array<uint8_t, 4> misc_mask = {};
  RETURN_IF_ERROR(HexField(root, "miscselect", misc, kWhere));
  RETURN_IF_ERROR(HexField(root, "miscselectMask", misc_mask, kWhere));
  auto be32 = [](const std::array<uint8_t, 4>& b) {
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
  };
  out.misc_select = be32(misc);
  out.misc_select_mask = be32(misc_mask);
  RETURN_IF_ERROR(HexField(root, "attributes", out.attributes, kWhere));
  RETURN_IF_ERROR(HexField(root, "attributesMask", out.attributes_mask, kWhere));
  RETURN_IF_ERROR(HexField(root, "mrsigner", out.mr_signer, kWhere));
  ASSIGN_OR_RETURN(uint64_t prod, UintField(root, "isvprodid", 0xffff, kWhere));
  out.isv_prod_id = static_cast<uint16_t>(prod);
  ASSIGN_OR_RETURN(out.tcb_levels, IsvSvnLevels(root, 0xffff, kWhere));
  return out;
}

StatusOr<TdxCollateral> ParseTdxCollateralJson(std::string_view text) {
  constexpr std::string_view kWhere = "tdx collateral";
  ASSIGN_OR_RETURN(json root, ParseJsonObject(text, kWhere));
  TdxCollateral out;
  ASSIGN_OR_RETURN(out.pck_crl_issuer_chain_der, PemField(root, "pck_crl_issuer_chain"));
  ASSIGN_OR_RETURN(out.root_ca_crl_der, CrlField(root, "root_ca_crl"));
  ASSIGN_OR_RETURN(out.pck_crl_der, CrlField(root, "pck_crl"));
  ASSIGN_OR_RETURN(out.tcb_info_issuer_chain_der, PemField(root, "tcb_info_issuer_chain"));
  ASSIGN_OR_RETURN(out.tcb_info_json, SignedBodyField(root, "tcb_info"));
  RETURN_IF_ERROR(HexField(root, "tcb_info_signature", out.tcb_info_signature, kWhere));
  ASSIGN_OR_RETURN(out.qe_identity_issuer_chain_der, PemField(root, "qe_identity_issuer_chain"));
  ASSIGN_OR_RETURN(out.qe_identity_json, SignedBodyField(root, "qe_identity"));
  RETURN_IF_ERROR(HexField(root, "qe_identity_signature", out.qe_identity_signature, kWhere));
  return out;
}

}  // namespace eml::attest

// TCB evaluation for TDX quotes: the PCK certificate's SGX extension, the QE
// identity, the TDX module identity, and Intel's TCB level selection and
// status convergence (docs/attestation-tdx.md, "TCB evaluation"; Intel QVL
// TcbLevelCheck.cpp and TdxModuleCheck.cpp).
#include <algorithm>
#include <cstdio>
#include <string>

#include "attest/tdx.h"
#include "core/encoding.h"

namespace eml::attest {
namespace {

// ---- A minimal DER reader for the SGX extension ---------------------------------

constexpr uint8_t kTagInteger = 0x02;
constexpr uint8_t kTagOctetString = 0x04;
constexpr uint8_t kTagOid = 0x06;
constexpr uint8_t kTagSequence = 0x30;

// 1.2.840.113741.1.13.1, the SGX extension; entries append one or two arcs.
constexpr uint8_t kSgxOid[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};
constexpr uint8_t kArcTcb = 2;
constexpr uint8_t kArcPceId = 3;
constexpr uint8_t kArcFmspc = 4;
constexpr uint8_t kArcPceSvn = 17;
constexpr uint8_t kArcCpuSvn = 18;

Status Bad(const std::string& what) { return InvalidArgumentError("tdx pck extension: " + what); }

struct Tlv {
  uint8_t tag = 0;
  ByteSpan value;
};

// One DER element: low-tag-number form, definite minimal length.
Status ReadTlv(ByteReader* r, Tlv* out) {
  uint8_t tag = 0;
  uint8_t first = 0;
  if (!r->ReadU8(&tag).ok() || !r->ReadU8(&first).ok()) return Bad("truncated element");
  if ((tag & 0x1f) == 0x1f) return Bad("high tag number");
  size_t len = first;
  if (first & 0x80) {
    const size_t n = first & 0x7f;
    if (n == 0 || n > 3) return Bad("unsupported length form");
    len = 0;
    for (size_t i = 0; i < n; ++i) {
      uint8_t b = 0;
      if (!r->ReadU8(&b).ok()) return Bad("truncated length");
      if (i == 0 && b == 0) return Bad("non-minimal length");
      len = (len << 8) | b;
    }
    if (len < 0x80) return Bad("non-minimal length");
  }
  out->tag = tag;
  if (!r->ReadSpan(len, &out->value).ok()) return Bad("element longer than its container");
  return OkStatus();
}

Status ExpectTlv(ByteReader* r, uint8_t tag, Tlv* out) {
  RETURN_IF_ERROR(ReadTlv(r, out));
  if (out->tag != tag) return Bad("unexpected tag");
  return OkStatus();
}

// The arcs after the SGX prefix (empty if the OID is outside it).
ByteSpan SgxArcs(ByteSpan oid) {
  if (oid.size() <= sizeof(kSgxOid) || !std::equal(kSgxOid, kSgxOid + sizeof(kSgxOid), oid.begin())) {
    return {};
  }
  return oid.subspan(sizeof(kSgxOid));
}

// A non-negative minimal DER INTEGER no larger than `max`.
StatusOr<uint32_t> DerUint(const Tlv& tlv, uint32_t max) {
  const ByteSpan v = tlv.value;
  if (tlv.tag != kTagInteger || v.empty() || v.size() > 3) return Bad("bad INTEGER");
  if (v[0] & 0x80) return Bad("negative INTEGER");
  if (v.size() > 1 && v[0] == 0 && !(v[1] & 0x80)) return Bad("non-minimal INTEGER");
  uint32_t value = 0;
  for (uint8_t b : v) value = (value << 8) | b;
  if (value > max) return Bad("INTEGER out of range");
  return value;
}

template <size_t N>
Status OctetsInto(const Tlv& tlv, std::array<uint8_t, N>* out) {
  if (tlv.tag != kTagOctetString || tlv.value.size() != N) {
    return Bad("expected an OCTET STRING of " + std::to_string(N) + " bytes");
  }
  std::copy(tlv.value.begin(), tlv.value.end(), out->begin());
  return OkStatus();
}

// SEQUENCE { OID, value } -> (arcs after the SGX prefix, value element).
Status ReadEntry(ByteReader* r, ByteSpan* arcs, Tlv* value) {
  Tlv entry;
  Tlv oid;
  RETURN_IF_ERROR(ExpectTlv(r, kTagSequence, &entry));
  ByteReader inner(entry.value);
  RETURN_IF_ERROR(ExpectTlv(&inner, kTagOid, &oid));
  RETURN_IF_ERROR(ReadTlv(&inner, value));
  if (!inner.empty()) return Bad("entry has trailing elements");
  *arcs = SgxArcs(oid.value);
  return OkStatus();
}

// The TCB SEQUENCE: components 1..16, PCESVN (17), CPUSVN (18), each once.
Status ParseTcb(ByteSpan der, PckPlatformInfo* out) {
  ByteReader r(der);
  uint32_t seen = 0;
  while (!r.empty()) {
    ByteSpan arcs;
    Tlv value;
    RETURN_IF_ERROR(ReadEntry(&r, &arcs, &value));
    if (arcs.size() != 2 || arcs[0] != kArcTcb) continue;  // not a TCB entry: skip
    const uint8_t arc = arcs[1];
    if (arc < 1 || arc > kArcCpuSvn) continue;
    if (seen & (1u << arc)) return Bad("duplicate TCB entry");
    seen |= 1u << arc;
    if (arc == kArcCpuSvn) {
      RETURN_IF_ERROR(OctetsInto(value, &out->cpu_svn));
    } else if (arc == kArcPceSvn) {
      ASSIGN_OR_RETURN(uint32_t svn, DerUint(value, 0xffff));
      out->pce_svn = static_cast<uint16_t>(svn);
    } else {
      ASSIGN_OR_RETURN(uint32_t svn, DerUint(value, 0xff));
      out->sgx_components[arc - 1] = static_cast<uint8_t>(svn);
    }
  }
  if (seen != 0x7fffeu) return Bad("TCB lacks one of its 18 entries");
  return OkStatus();
}

// Identity levels, highest ISVSVN first as Intel orders them: the first at or
// below `svn`.
const TdxIsvSvnLevel* HighestLevelAtOrBelow(const std::vector<TdxIsvSvnLevel>& levels, uint16_t svn) {
  const TdxIsvSvnLevel* best = nullptr;
  for (const TdxIsvSvnLevel& level : levels) {
    if (level.isv_svn <= svn && (best == nullptr || level.isv_svn > best->isv_svn)) best = &level;
  }
  return best;
}

std::string ModuleIdentityId(uint8_t major) {
  char id[8];
  std::snprintf(id, sizeof id, "TDX_%02X", major);
  return id;
}

bool SameIdIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

bool SgxComponentsAtLeast(const PckPlatformInfo& pck, const TdxTcbLevel& level) {
  for (size_t i = 0; i < level.sgx_components.size(); ++i) {
    if (pck.sgx_components[i] < level.sgx_components[i]) return false;
  }
  return pck.pce_svn >= level.pce_svn;
}

// Intel's isTdxTcbHigherOrEqual: components 0 and 1 belong to the module
// identity when TEE_TCB_SVN[1] (the module's major version) is not 0.
bool TdxComponentsAtLeast(const TdxSvn16& tee_tcb_svn, const TdxTcbLevel& level) {
  const size_t first = tee_tcb_svn[1] > 0 ? 2 : 0;
  for (size_t i = first; i < tee_tcb_svn.size(); ++i) {
    if (tee_tcb_svn[i] < level.tdx_components[i]) return false;
  }
  return true;
}

// Intel's convergeTcbStatusWithTdxModuleStatus / ...WithQeTcbStatus: an
// out-of-date or revoked identity level lowers the TCB level's status.
TdxTcbStatus Converge(TdxTcbStatus level_status, TdxTcbStatus identity_status) {
  if (identity_status == TdxTcbStatus::kOutOfDate) {
    if (level_status == TdxTcbStatus::kUpToDate ||
        level_status == TdxTcbStatus::kSwHardeningNeeded) {
      return TdxTcbStatus::kOutOfDate;
    }
    if (level_status == TdxTcbStatus::kConfigurationNeeded ||
        level_status == TdxTcbStatus::kConfigurationAndSwHardeningNeeded) {
      return TdxTcbStatus::kOutOfDateConfigurationNeeded;
    }
  }
  if (identity_status == TdxTcbStatus::kRevoked) return TdxTcbStatus::kRevoked;
  return level_status;
}

void AppendAdvisories(const std::vector<std::string>& from, std::vector<std::string>* into) {
  for (const std::string& id : from) {
    if (std::find(into->begin(), into->end(), id) == into->end()) into->push_back(id);
  }
}

}  // namespace

StatusOr<PckPlatformInfo> ParsePckPlatformInfo(ByteSpan extension_der) {
  ByteReader outer(extension_der);
  Tlv seq;
  RETURN_IF_ERROR(ExpectTlv(&outer, kTagSequence, &seq));
  if (!outer.empty()) return Bad("trailing bytes");
  PckPlatformInfo out;
  bool tcb = false, pce_id = false, fmspc = false;
  ByteReader r(seq.value);
  while (!r.empty()) {
    ByteSpan arcs;
    Tlv value;
    RETURN_IF_ERROR(ReadEntry(&r, &arcs, &value));
    if (arcs.size() != 1) continue;  // PPID, SGX type, platform fields: not needed
    bool* seen = arcs[0] == kArcTcb ? &tcb : arcs[0] == kArcPceId ? &pce_id
                                         : arcs[0] == kArcFmspc ? &fmspc : nullptr;
    if (seen == nullptr) continue;
    if (*seen) return Bad("duplicate entry");
    *seen = true;
    if (arcs[0] == kArcTcb) {
      if (value.tag != kTagSequence) return Bad("TCB is not a SEQUENCE");
      RETURN_IF_ERROR(ParseTcb(value.value, &out));
    } else if (arcs[0] == kArcPceId) {
      RETURN_IF_ERROR(OctetsInto(value, &out.pce_id));
    } else {
      RETURN_IF_ERROR(OctetsInto(value, &out.fmspc));
    }
  }
  if (!tcb || !pce_id || !fmspc) return Bad("missing TCB, PCE-ID or FMSPC");
  return out;
}

Status MatchPckPlatform(const TdxTcbInfo& tcb_info, const PckPlatformInfo& pck) {
  if (pck.fmspc != tcb_info.fmspc) {
    return VerificationFailedError("PCK FMSPC " + HexEncode(pck.fmspc) + " is not the TCB info's " +
                                   HexEncode(tcb_info.fmspc));
  }
  if (pck.pce_id != tcb_info.pce_id) {
    return VerificationFailedError("PCK PCE-ID " + HexEncode(pck.pce_id) +
                                   " is not the TCB info's " + HexEncode(tcb_info.pce_id));
  }
  return OkStatus();
}

StatusOr<TdxIsvSvnLevel> MatchQeIdentity(const TdxQeIdentity& identity, const SgxReportBody& qe) {
  if (qe.mr_signer != identity.mr_signer) {
    return VerificationFailedError("QE MRSIGNER is not the QE identity's");
  }
  if (qe.isv_prod_id != identity.isv_prod_id) {
    return VerificationFailedError("QE ISVPRODID " + std::to_string(qe.isv_prod_id) +
                                   " is not the QE identity's " +
                                   std::to_string(identity.isv_prod_id));
  }
  if ((qe.misc_select & identity.misc_select_mask) != identity.misc_select) {
    return VerificationFailedError("QE MISCSELECT does not match the QE identity under its mask");
  }
  for (size_t i = 0; i < qe.attributes.size(); ++i) {
    if ((qe.attributes[i] & identity.attributes_mask[i]) != identity.attributes[i]) {
      return VerificationFailedError("QE ATTRIBUTES do not match the QE identity under its mask");
    }
  }
  const TdxIsvSvnLevel* level = HighestLevelAtOrBelow(identity.tcb_levels, qe.isv_svn);
  if (level == nullptr) {
    return VerificationFailedError("QE ISVSVN " + std::to_string(qe.isv_svn) +
                                   " is below every QE identity TCB level (not supported)");
  }
  return *level;
}

StatusOr<std::optional<TdxIsvSvnLevel>> MatchTdxModule(const TdxTcbInfo& tcb_info,
                                                       const TdReportBody& body) {
  const uint8_t major = body.tee_tcb_svn[1];
  const uint8_t module_svn = body.tee_tcb_svn[0];
  const TdxModuleIdentity* identity = &tcb_info.tdx_module;
  std::string name = "tdxModule";
  if (major != 0) {
    name = ModuleIdentityId(major);
    auto it = std::find_if(tcb_info.tdx_module_identities.begin(),
                           tcb_info.tdx_module_identities.end(),
                           [&](const TdxModuleIdentity& m) { return SameIdIgnoringCase(m.id, name); });
    if (it == tcb_info.tdx_module_identities.end()) {
      return VerificationFailedError("TCB info has no TDX module identity " + name);
    }
    identity = &*it;
  }
  if (body.mr_signer_seam != identity->mr_signer) {
    return VerificationFailedError("MRSIGNERSEAM is not " + name + "'s mrsigner");
  }
  for (size_t i = 0; i < identity->attributes.size(); ++i) {
    const uint8_t seam = static_cast<uint8_t>(body.seam_attributes >> (8 * i));
    if ((seam & identity->attributes_mask[i]) != identity->attributes[i]) {
      return VerificationFailedError("SEAM_ATTRIBUTES do not match " + name + " under its mask");
    }
  }
  if (major == 0) return std::optional<TdxIsvSvnLevel>();
  const TdxIsvSvnLevel* level = HighestLevelAtOrBelow(identity->tcb_levels, module_svn);
  if (level == nullptr) {
    return VerificationFailedError("TDX module SVN " + std::to_string(module_svn) +
                                   " is below every " + name + " TCB level (not supported)");
  }
  return std::optional<TdxIsvSvnLevel>(*level);
}

StatusOr<TdxTcbEvaluation> EvaluateTdxTcb(const TdxTcbInfo& tcb_info, const PckPlatformInfo& pck,
                                          const TdReportBody& body,
                                          const std::optional<TdxIsvSvnLevel>& module_level,
                                          const TdxIsvSvnLevel& qe_level) {
  bool sgx_matched = false;
  std::optional<size_t> tdx_index;
  for (size_t i = 0; i < tcb_info.tcb_levels.size() && !tdx_index; ++i) {
    const TdxTcbLevel& level = tcb_info.tcb_levels[i];
    if (!SgxComponentsAtLeast(pck, level)) continue;
    sgx_matched = true;
    if (TdxComponentsAtLeast(body.tee_tcb_svn, level)) tdx_index = i;
  }
  if (!sgx_matched) {
    return VerificationFailedError("no TCB level is at or below the PCK certificate's SGX TCB "
                                   "(TCB not supported)");
  }
  if (!tdx_index) {
    return VerificationFailedError("no TCB level is at or below TEE_TCB_SVN (TCB not supported)");
  }
  const TdxTcbLevel& level = tcb_info.tcb_levels[*tdx_index];
  TdxTcbEvaluation out;
  out.tcb_level_index = *tdx_index;
  out.tcb_level_status = level.status;
  out.status = level.status;
  AppendAdvisories(level.advisory_ids, &out.advisory_ids);
  if (module_level) {
    out.status = Converge(out.status, module_level->status);
    AppendAdvisories(module_level->advisory_ids, &out.advisory_ids);
  }
  out.status = Converge(out.status, qe_level.status);
  AppendAdvisories(qe_level.advisory_ids, &out.advisory_ids);
  return out;
}

EvidenceCheck CheckTdAttributes(const TdReportBody& body, bool allow_debug) {
  EvidenceReport report;
  char hex[32];
  std::snprintf(hex, sizeof hex, "0x%016llx", static_cast<unsigned long long>(body.td_attributes));
  const bool debug = (body.td_attributes & kTdAttributeDebug) != 0;
  if (debug && !allow_debug) {
    report.Fail(kCheckTdxTdAttributes,
                VerificationFailedError("TD_ATTRIBUTES " + std::string(hex) +
                                        ": DEBUG is set, a debuggable TD is refused"));
  } else {
    report.Pass(kCheckTdxTdAttributes, "TD_ATTRIBUTES " + std::string(hex) +
                                           (debug ? ": DEBUG set, allowed by the caller"
                                                  : ": DEBUG clear"));
  }
  return report.checks.front();
}

}  // namespace eml::attest

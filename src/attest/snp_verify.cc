// VerifySnpReport: the checks listed in snp.h, each a function returning the
// detail to report or the Status that failed it.
#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <span>
#include <string>

#include "attest/snp.h"
#include "core/encoding.h"
#include "crypto/ecdsa.h"
#include "crypto/hash.h"
#include "crypto/x509.h"
#include "crypto/x509_ext.h"

namespace eml::attest {
namespace {

// AMD VCEK/VLEK certificate extensions (KDS specification, "VCEK
// Certificate Extensions").
constexpr std::string_view kOidProductName = "1.3.6.1.4.1.3704.1.2";
constexpr std::string_view kOidBootloaderSpl = "1.3.6.1.4.1.3704.1.3.1";
constexpr std::string_view kOidTeeSpl = "1.3.6.1.4.1.3704.1.3.2";
constexpr std::string_view kOidSnpSpl = "1.3.6.1.4.1.3704.1.3.3";
constexpr std::string_view kOidMicrocodeSpl = "1.3.6.1.4.1.3704.1.3.8";
constexpr std::string_view kOidFmcSpl = "1.3.6.1.4.1.3704.1.3.9";
constexpr std::string_view kOidHwId = "1.3.6.1.4.1.3704.1.4";

constexpr size_t kTurinHwIdSize = 8;
constexpr int64_t kMaxUnixSeconds = 253402300799;  // 9999-12-31T23:59:59Z

// The certificates of SnpVerifyOptions::chain_der, sorted by role.
struct Collateral {
  Bytes leaf_der;
  crypto::CertificateDetails leaf;
  Bytes intermediate_der;  // ASK (VCEK) or ASVK (VLEK)
  crypto::CertificateDetails intermediate;
  std::optional<Bytes> ark_der;
};

// What the checks share: inputs, and results of earlier checks.
struct Context {
  ByteSpan report_bytes;
  const SnpVerifyOptions& options;
  SnpVerification* out;
  std::optional<Collateral> collateral = std::nullopt;
  std::vector<size_t> root_candidates = {};  // indexes into options.pinned_roots
};

std::string_view SignerName(SnpSigningKey key) {
  return key == SnpSigningKey::kVcek ? "VCEK" : "VLEK";
}

std::string HexU64(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// ---- SNP_REPORT_PARSE ---------------------------------------------------------

StatusOr<std::string> CheckParse(Context& ctx) {
  ASSIGN_OR_RETURN(SnpReport rep, ParseSnpReport(ctx.report_bytes));
  std::string detail = "version " + std::to_string(rep.version) + ", signed by the " +
                       std::string(SignerName(rep.signing_key));
  if (rep.version >= 3) {
    char cpuid[64];
    std::snprintf(cpuid, sizeof cpuid, ", CPUID family %02Xh model %02Xh stepping %u",
                  rep.cpuid_family, rep.cpuid_model, rep.cpuid_stepping);
    detail += cpuid;
  }
  ctx.out->parsed = std::move(rep);
  return detail;
}

// ---- SNP_COLLATERAL -------------------------------------------------------------

Status Place(std::string_view role, Bytes der, crypto::CertificateDetails details, Bytes* der_out,
             crypto::CertificateDetails* details_out) {
  if (!der_out->empty()) return InvalidArgumentError("snp: more than one " + std::string(role));
  *der_out = std::move(der);
  *details_out = std::move(details);
  return OkStatus();
}

StatusOr<std::string> CheckCollateral(Context& ctx) {
  const SnpReport& rep = *ctx.out->parsed;
  Collateral c;
  for (const Bytes& der : ctx.options.chain_der) {
    ASSIGN_OR_RETURN(crypto::CertificateDetails details, crypto::ParseCertificateDetails(der));
    if (details.info.is_ca && details.info.self_signed) {
      if (c.ark_der) return InvalidArgumentError("snp: more than one self-signed root (ARK)");
      c.ark_der = der;
    } else if (details.info.is_ca) {
      RETURN_IF_ERROR(Place("ASK/ASVK", der, std::move(details), &c.intermediate_der, &c.intermediate));
    } else {
      RETURN_IF_ERROR(Place("leaf certificate", der, std::move(details), &c.leaf_der, &c.leaf));
    }
  }
  if (c.leaf_der.empty()) return InvalidArgumentError("snp: no VCEK/VLEK certificate supplied");
  if (c.intermediate_der.empty()) return InvalidArgumentError("snp: no ASK/ASVK certificate supplied");
  const std::string want = "SEV-" + std::string(SignerName(rep.signing_key));
  if (c.leaf.subject_common_name != want) {
    return VerificationFailedError("snp: the report is signed by the " +
                                   std::string(SignerName(rep.signing_key)) +
                                   " but the leaf certificate is CN=" +
                                   c.leaf.subject_common_name);
  }
  std::string detail = "CN=" + c.leaf.subject_common_name + " <- CN=" +
                       c.intermediate.subject_common_name + (c.ark_der ? " <- ARK supplied" : "");
  ctx.collateral = std::move(c);
  return detail;
}

// ---- SNP_PRODUCT ----------------------------------------------------------------

StatusOr<SnpProduct> ProductFromName(std::string_view name) {
  for (SnpProduct p : {SnpProduct::kMilan, SnpProduct::kGenoa, SnpProduct::kTurin}) {
    if (name == SnpProductName(p)) return p;
  }
  return VerificationFailedError("snp: unknown product name '" + std::string(name) + "'");
}

// The leaf's productName ("Milan-B0": the product, then the stepping) and
// the product it names.
struct LeafProduct {
  std::string product_name;
  std::string family_name;
  SnpProduct product = SnpProduct::kUnknown;
};

StatusOr<LeafProduct> ReadLeafProduct(const crypto::CertificateDetails& leaf) {
  const crypto::CertificateExtension* ext = crypto::FindExtension(leaf, kOidProductName);
  if (ext == nullptr) return VerificationFailedError("snp: the leaf has no productName extension");
  LeafProduct out;
  ASSIGN_OR_RETURN(out.product_name, crypto::DecodeDerIa5String(ext->value));
  out.family_name = out.product_name.substr(0, out.product_name.find('-'));
  ASSIGN_OR_RETURN(out.product, ProductFromName(out.family_name));
  return out;
}

StatusOr<std::string> CheckProduct(Context& ctx) {
  const SnpReport& rep = *ctx.out->parsed;
  const Collateral& c = *ctx.collateral;
  ASSIGN_OR_RETURN(LeafProduct leaf_product, ReadLeafProduct(c.leaf));
  const std::string& product_name = leaf_product.product_name;
  const std::string& family_name = leaf_product.family_name;
  const SnpProduct product = leaf_product.product;
  if (rep.version >= 3 && rep.product != product) {
    return VerificationFailedError("snp: the report's CPUID is " +
                                   std::string(SnpProductName(rep.product)) +
                                   " but the leaf is for " + product_name);
  }
  const std::string want_issuer = rep.signing_key == SnpSigningKey::kVcek
                                      ? "SEV-" + family_name
                                      : "SEV-VLEK-" + family_name;
  if (c.intermediate.subject_common_name != want_issuer ||
      c.leaf.issuer_common_name != want_issuer) {
    return VerificationFailedError("snp: the " + std::string(SignerName(rep.signing_key)) +
                                   " for " + family_name + " needs CN=" + want_issuer +
                                   ", got CN=" + c.intermediate.subject_common_name);
  }
  ctx.out->product = product;
  return std::string(SnpProductName(product)) + " (" +
         (rep.version >= 3 ? "report CPUID, " : "version 2: no CPUID, ") + "leaf productName " +
         product_name + ", CN=" + want_issuer + ")";
}

// ---- SNP_ROOT_PINNED ------------------------------------------------------------

StatusOr<std::string> CheckRootPinned(Context& ctx) {
  const std::string want = "ARK-" + std::string(SnpProductName(ctx.out->product));
  const Collateral& c = *ctx.collateral;
  const std::vector<ByteSpan>& roots = ctx.options.pinned_roots;
  for (size_t i = 0; i < roots.size(); ++i) {
    StatusOr<crypto::CertificateDetails> root = crypto::ParseCertificateDetails(roots[i]);
    if (!root.ok() || !root->info.is_ca || !root->info.self_signed ||
        root->subject_common_name != want) {
      continue;
    }
    if (c.ark_der && !std::equal(c.ark_der->begin(), c.ark_der->end(), roots[i].begin(),
                                 roots[i].end())) {
      continue;
    }
    ctx.root_candidates.push_back(i);
  }
  if (ctx.root_candidates.empty()) {
    return VerificationFailedError(
        c.ark_der ? "snp: the supplied ARK is none of the pinned " + want + " roots"
                  : "snp: none of the " + std::to_string(roots.size()) + " pinned roots is " + want);
  }
  std::string detail = std::to_string(ctx.root_candidates.size()) + " pinned " + want +
                       " root(s), first #" + std::to_string(ctx.root_candidates.front()) +
                       " (SHA-256 " +
                       HexEncode(crypto::Sha256(roots[ctx.root_candidates.front()])) + ")";
  return detail;
}

// ---- SNP_CHAIN_VALID_AT_TIME ----------------------------------------------------

StatusOr<std::string> CheckChain(Context& ctx) {
  const Collateral& c = *ctx.collateral;
  const int64_t at = ctx.options.at_unix_seconds;
  const std::string when = FormatUnixMillis(at * 1000);
  Status last = OkStatus();
  for (size_t index : ctx.root_candidates) {
    StatusOr<crypto::VerifiedChain> chain = crypto::VerifyRsaPssCertificateChain(
        c.leaf_der, std::span<const Bytes>(&c.intermediate_der, 1), ctx.options.pinned_roots[index],
        at);
    if (chain.ok()) {
      ctx.out->matched_root = index;
      return std::to_string(chain->chain_length) + "-certificate RSASSA-PSS chain to pinned root #" +
             std::to_string(index) + " valid at " + when;
    }
    last = chain.status();
  }
  return Status(last.code(), last.message() + " at " + when);
}

// ---- SNP_SIGNATURE ----------------------------------------------------------------

StatusOr<std::string> CheckSignature(Context& ctx) {
  const SnpReport& rep = *ctx.out->parsed;
  const Collateral& c = *ctx.collateral;
  ASSIGN_OR_RETURN(crypto::EcdsaPublicKey key, crypto::EcdsaPublicKey::FromSpkiDer(c.leaf.info.spki_der));
  if (key.curve() != crypto::EcCurve::kP384) {
    return VerificationFailedError("snp: the leaf key is not P-384");
  }
  const Bytes signature = Concat({rep.signature_r, rep.signature_s});
  RETURN_IF_ERROR(key.Verify(ctx.report_bytes.first(kSnpSignedSize), signature,
                             crypto::EcdsaSignatureFormat::kRawRS));
  return "ECDSA P-384/SHA-384 over bytes 0x000..0x29F by the " +
         std::string(SignerName(rep.signing_key)) + "'s key";
}

// ---- SNP_TCB ------------------------------------------------------------------------

StatusOr<uint8_t> SplExtension(const crypto::CertificateDetails& leaf, std::string_view oid,
                               std::string_view name) {
  const crypto::CertificateExtension* ext = crypto::FindExtension(leaf, oid);
  if (ext == nullptr) {
    return VerificationFailedError("snp: the leaf has no " + std::string(name) + " extension");
  }
  ASSIGN_OR_RETURN(uint64_t value, crypto::DecodeDerUnsignedInteger(ext->value));
  if (value > 0xFF) return VerificationFailedError("snp: " + std::string(name) + " above 255");
  return static_cast<uint8_t>(value);
}

StatusOr<SnpTcb> LeafTcb(const crypto::CertificateDetails& leaf, SnpProduct product) {
  SnpTcb tcb;
  ASSIGN_OR_RETURN(tcb.bootloader, SplExtension(leaf, kOidBootloaderSpl, "blSPL"));
  ASSIGN_OR_RETURN(tcb.tee, SplExtension(leaf, kOidTeeSpl, "teeSPL"));
  ASSIGN_OR_RETURN(tcb.snp, SplExtension(leaf, kOidSnpSpl, "snpSPL"));
  ASSIGN_OR_RETURN(tcb.microcode, SplExtension(leaf, kOidMicrocodeSpl, "ucodeSPL"));
  if (product == SnpProduct::kTurin) {
    ASSIGN_OR_RETURN(tcb.fmc, SplExtension(leaf, kOidFmcSpl, "fmcSPL"));
  }
  return tcb;
}

StatusOr<std::string> CheckTcb(Context& ctx) {
  const SnpReport& rep = *ctx.out->parsed;
  const SnpProduct product = ctx.out->product;
  ASSIGN_OR_RETURN(SnpTcb reported, DecodeSnpTcb(rep.reported_tcb, product));
  ASSIGN_OR_RETURN(SnpTcb current, DecodeSnpTcb(rep.current_tcb, product));
  ASSIGN_OR_RETURN(SnpTcb committed, DecodeSnpTcb(rep.committed_tcb, product));
  ASSIGN_OR_RETURN(SnpTcb launch, DecodeSnpTcb(rep.launch_tcb, product));
  ASSIGN_OR_RETURN(SnpTcb certified, LeafTcb(ctx.collateral->leaf, product));
  if (reported != certified) {
    return VerificationFailedError("snp: REPORTED_TCB " + FormatSnpTcb(reported, product) +
                                   " but the " + std::string(SignerName(rep.signing_key)) +
                                   " certifies " + FormatSnpTcb(certified, product));
  }
  ctx.out->reported_tcb = reported;
  ctx.out->current_tcb = current;
  ctx.out->committed_tcb = committed;
  ctx.out->launch_tcb = launch;
  return "REPORTED_TCB " + FormatSnpTcb(reported, product) + " equals the " +
         std::string(SignerName(rep.signing_key)) + "'s SPL extensions (" +
         std::string(SnpProductName(product)) + " layout)";
}

// ---- SNP_CHIP_ID ------------------------------------------------------------------

bool AllZero(ByteSpan b) {
  for (uint8_t v : b) {
    if (v != 0) return false;
  }
  return true;
}

StatusOr<std::string> CheckChipId(Context& ctx) {
  const SnpReport& rep = *ctx.out->parsed;
  const ByteSpan chip_id(rep.chip_id);
  if (rep.signing_key == SnpSigningKey::kVlek) {
    return std::string("not applicable: a VLEK is not bound to one chip");
  }
  if (rep.mask_chip_key) {
    if (!AllZero(chip_id)) return VerificationFailedError("snp: MASK_CHIP_KEY set but CHIP_ID not zero");
    return std::string("CHIP_ID masked (MASK_CHIP_KEY=1); the VCEK signature binds the chip");
  }
  const crypto::CertificateExtension* ext = crypto::FindExtension(ctx.collateral->leaf, kOidHwId);
  if (ext == nullptr) return VerificationFailedError("snp: the VCEK has no hwID extension");
  const ByteSpan hwid(ext->value);
  // Turin's KDS names chips by an 8-byte hwID: CHIP_ID's first 8 bytes, the
  // rest of CHIP_ID zero.
  const size_t want_size = ctx.out->product == SnpProduct::kTurin ? kTurinHwIdSize : chip_id.size();
  if (hwid.size() != want_size) {
    return VerificationFailedError("snp: hwID is " + std::to_string(hwid.size()) + " bytes, want " +
                                   std::to_string(want_size));
  }
  if (!std::equal(hwid.begin(), hwid.end(), chip_id.begin()) ||
      !AllZero(chip_id.subspan(want_size))) {
    return VerificationFailedError("snp: CHIP_ID differs from the VCEK's hwID " + HexEncode(hwid));
  }
  return "CHIP_ID equals the VCEK's " + std::to_string(want_size) + "-byte hwID " +
         HexEncode(hwid.first(kTurinHwIdSize)) + (want_size > kTurinHwIdSize ? "..." : "");
}

// ---- SNP_POLICY -------------------------------------------------------------------

StatusOr<std::string> CheckPolicy(Context& ctx) {
  const SnpReport& rep = *ctx.out->parsed;
  if (rep.debug_allowed() && !ctx.options.allow_debug) {
    return VerificationFailedError("snp: policy allows debugging (bit 19) and debug is not allowed");
  }
  if (rep.migration_agent_allowed() && !ctx.options.allow_migration_agent) {
    return VerificationFailedError(
        "snp: policy allows a migration agent (bit 18) and migration agents are not allowed");
  }
  const auto bit = [&](uint64_t mask) { return (rep.policy & mask) != 0 ? "1" : "0"; };
  return "policy " + HexU64(rep.policy) + ": debug=" + bit(kSnpPolicyDebug) +
         " migrate_ma=" + bit(kSnpPolicyMigrateMa) + " smt=" + bit(kSnpPolicySmt) +
         " single_socket=" + bit(kSnpPolicySingleSocket) + " abi>=" +
         std::to_string((rep.policy >> 8) & 0xFF) + "." + std::to_string(rep.policy & 0xFF) +
         "; vmpl=" + std::to_string(rep.vmpl) + " platform_info=" + HexU64(rep.platform_info) +
         " (smt_en=" + ((rep.platform_info & 1) ? "1" : "0") + ")";
}

// ---- Running the plan --------------------------------------------------------------

struct PlannedCheck {
  std::string_view id;
  std::vector<std::string_view> depends_on;
  StatusOr<std::string> (*run)(Context&);
};

const std::vector<PlannedCheck>& Plan() {
  static const std::vector<PlannedCheck> plan = {
      {kSnpCheckReportParse, {}, CheckParse},
      {kSnpCheckCollateral, {kSnpCheckReportParse}, CheckCollateral},
      {kSnpCheckProduct, {kSnpCheckCollateral}, CheckProduct},
      {kSnpCheckRootPinned, {kSnpCheckProduct}, CheckRootPinned},
      {kSnpCheckChain, {kSnpCheckRootPinned}, CheckChain},
      {kSnpCheckSignature, {kSnpCheckCollateral}, CheckSignature},
      {kSnpCheckTcb, {kSnpCheckProduct}, CheckTcb},
      {kSnpCheckChipId, {kSnpCheckProduct}, CheckChipId},
      {kSnpCheckPolicy, {kSnpCheckReportParse}, CheckPolicy},
  };
  return plan;
}

Status CheckOptions(const SnpVerifyOptions& options) {
  if (options.pinned_roots.empty() || options.pinned_roots.size() > kSnpMaxPinnedRoots) {
    return InvalidArgumentError("snp: 1..16 pinned roots are required");
  }
  if (options.chain_der.size() > kSnpMaxCollateral) {
    return LimitExceededError("snp: more than 8 collateral certificates");
  }
  if (options.at_unix_seconds < 0 || options.at_unix_seconds > kMaxUnixSeconds) {
    return InvalidArgumentError("snp: verification time must be within 1970..9999");
  }
  return OkStatus();
}

}  // namespace

StatusOr<SnpLeafExtensions> ReadSnpLeafExtensions(ByteSpan leaf_der) {
  ASSIGN_OR_RETURN(crypto::CertificateDetails leaf, crypto::ParseCertificateDetails(leaf_der));
  SnpLeafExtensions out;
  ASSIGN_OR_RETURN(LeafProduct product, ReadLeafProduct(leaf));
  out.product_name = std::move(product.product_name);
  out.product = product.product;
  ASSIGN_OR_RETURN(out.tcb, LeafTcb(leaf, out.product));
  if (const crypto::CertificateExtension* hwid = crypto::FindExtension(leaf, kOidHwId)) {
    out.hwid = hwid->value;
  }
  return out;
}

StatusOr<SnpVerification> VerifySnpReport(ByteSpan report, const SnpVerifyOptions& options) {
  RETURN_IF_ERROR(CheckOptions(options));
  SnpVerification out;
  Context ctx{.report_bytes = report, .options = options, .out = &out};
  // For each check that did not pass: the failed check it goes back to.
  std::map<std::string_view, std::string_view> root_cause;
  for (const PlannedCheck& check : Plan()) {
    std::optional<std::string_view> blocked;
    for (std::string_view dep : check.depends_on) {
      if (auto it = root_cause.find(dep); it != root_cause.end()) {
        blocked = it->second;
        break;
      }
    }
    if (blocked) {
      out.report.NotRun(check.id, *blocked);
      root_cause[check.id] = *blocked;
      continue;
    }
    StatusOr<std::string> detail = check.run(ctx);
    if (detail.ok()) {
      out.report.Pass(check.id, *std::move(detail));
    } else {
      out.report.Fail(check.id, detail.status());
      root_cause[check.id] = check.id;
    }
  }
  return out;
}

}  // namespace eml::attest

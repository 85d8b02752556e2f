// VerifyTdxQuote: the check list of docs/attestation-tdx.md, "Checks".
#include "attest/tdx.h"

#include <algorithm>
#include <initializer_list>
#include <span>
#include <string>

#include "core/encoding.h"
#include "crypto/ecdsa.h"
#include "crypto/hash.h"
#include "crypto/x509.h"
#include "crypto/x509_crl.h"
#include "crypto/x509_ext.h"

namespace eml::attest {
namespace {

constexpr int64_t kMaxUnixSeconds = 253402300799;  // 9999-12-31T23:59:59Z
constexpr std::string_view kSgxExtensionOid = "1.2.840.113741.1.13.1";
constexpr std::string_view kPckLeafName = "Intel SGX PCK Certificate";
constexpr std::string_view kTcbSignerName = "Intel SGX TCB Signing";

// Products of passed checks that later checks use.
struct Context {
  const TdxCollateral& collateral;
  const TdxVerifyOptions& options;
  TdxVerification* out;
  std::optional<TdxTcbInfo> tcb_info = {};
  std::optional<TdxQeIdentity> qe_identity = {};
  std::optional<TdxIsvSvnLevel> qe_level = {};
  std::optional<PckPlatformInfo> pck = {};
  std::optional<std::optional<TdxIsvSvnLevel>> module_level = {};
};

bool Passed(const EvidenceReport& report, std::string_view id) {
  for (const EvidenceCheck& check : report.checks) {
    if (check.id == id) return check.passed;
  }
  return false;
}

// Runs `check` (returning the pass detail) when every dependency passed;
// otherwise lists it as NOT_RUN naming the first dependency that did not.
template <typename Fn>
void Run(EvidenceReport* report, std::string_view id, std::initializer_list<std::string_view> deps,
         Fn&& check) {
  for (std::string_view dep : deps) {
    if (!Passed(*report, dep)) return report->NotRun(id, dep);
  }
  StatusOr<std::string> detail = check();
  if (detail.ok()) {
    report->Pass(id, *std::move(detail));
  } else {
    report->Fail(id, detail.status());
  }
}

std::string Iso(int64_t unix_seconds) { return FormatUnixMillis(unix_seconds * 1000); }

StatusOr<crypto::EcdsaPublicKey> P256KeyOf(ByteSpan cert_der) {
  ASSIGN_OR_RETURN(crypto::CertificateInfo info, crypto::ParseCertificate(cert_der));
  ASSIGN_OR_RETURN(crypto::EcdsaPublicKey key, crypto::EcdsaPublicKey::FromSpkiDer(info.spki_der));
  if (key.curve() != crypto::EcCurve::kP256) {
    return VerificationFailedError("certificate key is not P-256");
  }
  return key;
}

Status ExpectCommonName(const crypto::CertificateDetails& cert, std::string_view want) {
  if (cert.subject_common_name != want) {
    return VerificationFailedError("certificate CN is not \"" + std::string(want) + "\"");
  }
  return OkStatus();
}

StatusOr<size_t> FindRoot(ByteSpan cert, const std::vector<ByteSpan>& roots) {
  for (size_t i = 0; i < roots.size(); ++i) {
    if (std::equal(cert.begin(), cert.end(), roots[i].begin(), roots[i].end())) return i;
  }
  return VerificationFailedError("chain root is none of the " + std::to_string(roots.size()) +
                                 " pinned roots");
}

// leaf <- intermediates <- root, exactly `length` certificates, at the time.
Status VerifyPath(std::span<const Bytes> chain, ByteSpan root, int64_t at) {
  const Bytes anchor(root.begin(), root.end());
  ASSIGN_OR_RETURN(crypto::VerifiedChain verified,
                   crypto::VerifyCertificateChain(chain.front(), chain.subspan(1, chain.size() - 2),
                                                  std::span<const Bytes>(&anchor, 1), at));
  if (verified.chain_length != chain.size()) {
    return VerificationFailedError("chain verified through " +
                                   std::to_string(verified.chain_length) + " certificates, not " +
                                   std::to_string(chain.size()));
  }
  return OkStatus();
}

// ---- Quote checks -------------------------------------------------------------------

StatusOr<std::string> CheckPckRootPinned(Context& c) {
  const TdxQuote& q = *c.out->quote;
  ASSIGN_OR_RETURN(size_t index, FindRoot(q.pck_chain_der.back(), c.options.pinned_roots));
  c.out->matched_root = index;
  return "PCK chain root is pinned root #" + std::to_string(index) + " (SHA-256 " +
         HexEncode(crypto::Sha256(c.options.pinned_roots[index])) + ")";
}

StatusOr<std::string> CheckPckChain(Context& c) {
  const TdxQuote& q = *c.out->quote;
  RETURN_IF_ERROR(VerifyPath(q.pck_chain_der, c.options.pinned_roots[*c.out->matched_root],
                             c.options.at_unix_seconds));
  ASSIGN_OR_RETURN(crypto::CertificateDetails leaf, crypto::ParseCertificateDetails(q.pck_chain_der[0]));
  RETURN_IF_ERROR(ExpectCommonName(leaf, kPckLeafName));
  ASSIGN_OR_RETURN(crypto::CertificateDetails ca, crypto::ParseCertificateDetails(q.pck_chain_der[1]));
  return "\"" + std::string(kPckLeafName) + "\" <- \"" + ca.subject_common_name +
         "\" <- pinned root, valid at " + Iso(c.options.at_unix_seconds);
}

StatusOr<std::string> CheckPckRevocation(Context& c) {
  const TdxQuote& q = *c.out->quote;
  const int64_t at = c.options.at_unix_seconds;
  StatusOr<crypto::CrlInfo> root_crl =
      crypto::CheckNotRevoked(c.collateral.root_ca_crl_der, q.pck_chain_der[2], q.pck_chain_der[1], at);
  if (!root_crl.ok()) {
    return Status(root_crl.status().code(), "root CA CRL: " + root_crl.status().message());
  }
  StatusOr<crypto::CrlInfo> pck_crl =
      crypto::CheckNotRevoked(c.collateral.pck_crl_der, q.pck_chain_der[1], q.pck_chain_der[0], at);
  if (!pck_crl.ok()) return Status(pck_crl.status().code(), "PCK CRL: " + pck_crl.status().message());
  return "CA not on the root CA CRL (" + std::to_string(root_crl->revoked_count) +
         " entries, next update " + Iso(root_crl->next_update) + "); PCK leaf not on the PCK CRL (" +
         std::to_string(pck_crl->revoked_count) + " entries, next update " +
         Iso(pck_crl->next_update) + ")";
}

StatusOr<std::string> CheckQeReportSignature(Context& c) {
  const TdxQuote& q = *c.out->quote;
  ASSIGN_OR_RETURN(crypto::EcdsaPublicKey key, P256KeyOf(q.pck_chain_der[0]));
  RETURN_IF_ERROR(key.Verify(q.qe_report_raw, q.qe_report_signature,
                             crypto::EcdsaSignatureFormat::kRawRS));
  return std::string("QE report signed by the PCK leaf's P-256 key");
}

StatusOr<std::string> CheckQeReportData(Context& c) {
  const TdxQuote& q = *c.out->quote;
  const Bytes digest = crypto::Sha256(Concat({q.attestation_key, q.qe_auth_data}));
  const auto& report_data = q.qe_report.report_data;
  if (!std::equal(digest.begin(), digest.end(), report_data.begin())) {
    return VerificationFailedError(
        "QE REPORTDATA[0..32] is not SHA-256(attestation key || QE auth data)");
  }
  if (std::any_of(report_data.begin() + 32, report_data.end(), [](uint8_t b) { return b != 0; })) {
    return VerificationFailedError("QE REPORTDATA[32..64] is not zero");
  }
  return "QE report binds the attestation key (" + std::to_string(q.qe_auth_data.size()) +
         "-byte QE auth data)";
}

StatusOr<std::string> CheckQuoteSignature(Context& c) {
  const TdxQuote& q = *c.out->quote;
  const ByteSpan key(q.attestation_key);
  ASSIGN_OR_RETURN(crypto::EcdsaPublicKey ak, crypto::EcdsaPublicKey::FromCoordinates(
                                                  crypto::EcCurve::kP256, key.first(32),
                                                  key.last(32)));
  RETURN_IF_ERROR(ak.Verify(q.signed_data, q.quote_signature, crypto::EcdsaSignatureFormat::kRawRS));
  return "attestation key signed the " + std::to_string(q.signed_data.size()) +
         "-byte header and body";
}

// ---- Collateral checks ---------------------------------------------------------------

// A signed collateral body: issuer chain [signer, root] with the root pinned,
// valid at the time, the signer not on the root CA CRL, and the signature
// (raw r || s, ECDSA P-256 SHA-256) over the exact body bytes.
StatusOr<std::string> CheckSignedBody(Context& c, const std::vector<Bytes>& chain,
                                      std::string_view body,
                                      const std::array<uint8_t, 64>& signature) {
  if (chain.size() != 2) return VerificationFailedError("issuer chain is not [signer, root]");
  ASSIGN_OR_RETURN(size_t root, FindRoot(chain[1], c.options.pinned_roots));
  RETURN_IF_ERROR(VerifyPath(chain, c.options.pinned_roots[root], c.options.at_unix_seconds));
  ASSIGN_OR_RETURN(crypto::CertificateDetails signer, crypto::ParseCertificateDetails(chain[0]));
  RETURN_IF_ERROR(ExpectCommonName(signer, kTcbSignerName));
  StatusOr<crypto::CrlInfo> crl = crypto::CheckNotRevoked(c.collateral.root_ca_crl_der, chain[1],
                                                          chain[0], c.options.at_unix_seconds);
  if (!crl.ok()) return Status(crl.status().code(), "root CA CRL: " + crl.status().message());
  ASSIGN_OR_RETURN(crypto::EcdsaPublicKey key, P256KeyOf(chain[0]));
  RETURN_IF_ERROR(key.Verify(AsBytes(body), signature, crypto::EcdsaSignatureFormat::kRawRS));
  return std::to_string(body.size()) + " bytes signed by \"" + std::string(kTcbSignerName) +
         "\" (pinned root #" + std::to_string(root) + ")";
}

Status CheckWindow(int64_t issue, int64_t next, int64_t at) {
  if (at < issue) return VerificationFailedError("issued " + Iso(issue) + ", after the time " + Iso(at));
  if (at >= next) {
    return VerificationFailedError("expired: nextUpdate " + Iso(next) + " is not after " + Iso(at));
  }
  return OkStatus();
}

StatusOr<std::string> CheckTcbInfoValid(Context& c) {
  ASSIGN_OR_RETURN(TdxTcbInfo info, ParseTdxTcbInfoJson(c.collateral.tcb_info_json));
  RETURN_IF_ERROR(CheckWindow(info.issue_date, info.next_update, c.options.at_unix_seconds));
  c.tcb_info = std::move(info);
  return "TDX TCB info v3, FMSPC " + HexEncode(c.tcb_info->fmspc) + ", evaluation data number " +
         std::to_string(c.tcb_info->tcb_evaluation_data_number) + ", " +
         std::to_string(c.tcb_info->tcb_levels.size()) + " levels, valid until " +
         Iso(c.tcb_info->next_update);
}

StatusOr<std::string> CheckQeIdentityValid(Context& c) {
  ASSIGN_OR_RETURN(TdxQeIdentity identity, ParseTdxQeIdentityJson(c.collateral.qe_identity_json));
  RETURN_IF_ERROR(CheckWindow(identity.issue_date, identity.next_update, c.options.at_unix_seconds));
  c.qe_identity = std::move(identity);
  return "TD_QE identity v2, evaluation data number " +
         std::to_string(c.qe_identity->tcb_evaluation_data_number) + ", valid until " +
         Iso(c.qe_identity->next_update);
}

StatusOr<std::string> CheckQeIdentity(Context& c) {
  const SgxReportBody& qe = c.out->quote->qe_report;
  ASSIGN_OR_RETURN(TdxIsvSvnLevel level, MatchQeIdentity(*c.qe_identity, qe));
  c.qe_level = level;
  return "QE ISVSVN " + std::to_string(qe.isv_svn) + " meets level " +
         std::to_string(level.isv_svn) + " (" + std::string(TdxTcbStatusName(level.status)) + ")";
}

StatusOr<std::string> CheckPckPlatform(Context& c) {
  ASSIGN_OR_RETURN(crypto::CertificateDetails leaf,
                   crypto::ParseCertificateDetails(c.out->quote->pck_chain_der[0]));
  const crypto::CertificateExtension* ext = crypto::FindExtension(leaf, kSgxExtensionOid);
  if (ext == nullptr) return VerificationFailedError("PCK leaf has no SGX extension");
  ASSIGN_OR_RETURN(PckPlatformInfo pck, ParsePckPlatformInfo(ext->value));
  RETURN_IF_ERROR(MatchPckPlatform(*c.tcb_info, pck));
  c.pck = pck;
  return "FMSPC " + HexEncode(pck.fmspc) + ", PCE-ID " + HexEncode(pck.pce_id) + ", PCESVN " +
         std::to_string(pck.pce_svn) + ", SGX TCB " + HexEncode(pck.sgx_components);
}

StatusOr<std::string> CheckModuleIdentity(Context& c) {
  const TdReportBody& body = c.out->quote->body;
  ASSIGN_OR_RETURN(std::optional<TdxIsvSvnLevel> level, MatchTdxModule(*c.tcb_info, body));
  c.module_level = level;
  if (!level) return std::string("TDX module major version 0: tdxModule signer and attributes match");
  return "TDX module " + std::to_string(body.tee_tcb_svn[1]) + " SVN " +
         std::to_string(body.tee_tcb_svn[0]) + " meets level " + std::to_string(level->isv_svn) +
         " (" + std::string(TdxTcbStatusName(level->status)) + ")";
}

StatusOr<std::string> CheckTcbStatus(Context& c) {
  const TdReportBody& body = c.out->quote->body;
  ASSIGN_OR_RETURN(TdxTcbEvaluation eval,
                   EvaluateTdxTcb(*c.tcb_info, *c.pck, body, *c.module_level, *c.qe_level));
  c.out->tcb_status = eval.status;
  c.out->advisory_ids = eval.advisory_ids;
  const std::string name(TdxTcbStatusName(eval.status));
  std::string detail = name + " (TCB level #" + std::to_string(eval.tcb_level_index) + ", TEE_TCB_SVN " +
                       HexEncode(body.tee_tcb_svn) + ", " +
                       std::to_string(eval.advisory_ids.size()) + " advisories)";
  const auto& accepted = c.options.accepted_tcb_statuses;
  if (std::find(accepted.begin(), accepted.end(), name) == accepted.end()) {
    return VerificationFailedError("TCB status not accepted: " + detail);
  }
  return detail;
}

// ---- Options and the list ------------------------------------------------------------

Status CheckOptions(const TdxVerifyOptions& options) {
  if (options.pinned_roots.empty() || options.pinned_roots.size() > kTdxMaxPinnedRoots) {
    return InvalidArgumentError("tdx: 1..16 pinned roots are required");
  }
  if (options.at_unix_seconds <= 0 || options.at_unix_seconds > kMaxUnixSeconds) {
    return InvalidArgumentError("tdx: verification time must be within 1970..9999");
  }
  if (options.accepted_tcb_statuses.empty()) {
    return InvalidArgumentError("tdx: at least one accepted TCB status is required");
  }
  for (const std::string& name : options.accepted_tcb_statuses) {
    StatusOr<TdxTcbStatus> status = TdxTcbStatusFromName(name);
    if (!status.ok()) return InvalidArgumentError("tdx: unknown accepted TCB status");
    if (*status == TdxTcbStatus::kRevoked) {
      return InvalidArgumentError("tdx: Revoked cannot be an accepted TCB status");
    }
  }
  return OkStatus();
}

void RunQuoteChecks(Context& c) {
  EvidenceReport* r = &c.out->report;
  Run(r, kCheckTdxPckRootPinned, {kCheckTdxQuoteFormat}, [&] { return CheckPckRootPinned(c); });
  Run(r, kCheckTdxPckChain, {kCheckTdxPckRootPinned}, [&] { return CheckPckChain(c); });
  Run(r, kCheckTdxPckRevocation, {kCheckTdxPckChain}, [&] { return CheckPckRevocation(c); });
  Run(r, kCheckTdxQeReportSignature, {kCheckTdxQuoteFormat}, [&] { return CheckQeReportSignature(c); });
  Run(r, kCheckTdxQeReportData, {kCheckTdxQuoteFormat}, [&] { return CheckQeReportData(c); });
  Run(r, kCheckTdxQuoteSignature, {kCheckTdxQuoteFormat}, [&] { return CheckQuoteSignature(c); });
}

void RunCollateralChecks(Context& c) {
  EvidenceReport* r = &c.out->report;
  const TdxCollateral& col = c.collateral;
  Run(r, kCheckTdxTcbInfoSignature, {}, [&] {
    return CheckSignedBody(c, col.tcb_info_issuer_chain_der, col.tcb_info_json, col.tcb_info_signature);
  });
  Run(r, kCheckTdxTcbInfoValid, {kCheckTdxTcbInfoSignature}, [&] { return CheckTcbInfoValid(c); });
  Run(r, kCheckTdxQeIdentitySignature, {}, [&] {
    return CheckSignedBody(c, col.qe_identity_issuer_chain_der, col.qe_identity_json,
                           col.qe_identity_signature);
  });
  Run(r, kCheckTdxQeIdentityValid, {kCheckTdxQeIdentitySignature},
      [&] { return CheckQeIdentityValid(c); });
}

void RunTcbChecks(Context& c) {
  EvidenceReport* r = &c.out->report;
  Run(r, kCheckTdxQeIdentity, {kCheckTdxQeIdentityValid, kCheckTdxQeReportSignature},
      [&] { return CheckQeIdentity(c); });
  Run(r, kCheckTdxPckPlatform, {kCheckTdxPckChain, kCheckTdxTcbInfoValid},
      [&] { return CheckPckPlatform(c); });
  Run(r, kCheckTdxModuleIdentity, {kCheckTdxQuoteSignature, kCheckTdxTcbInfoValid},
      [&] { return CheckModuleIdentity(c); });
  Run(r, kCheckTdxTcbStatus, {kCheckTdxPckPlatform, kCheckTdxQeIdentity, kCheckTdxModuleIdentity},
      [&] { return CheckTcbStatus(c); });
  if (!Passed(*r, kCheckTdxQuoteSignature)) return r->NotRun(kCheckTdxTdAttributes, kCheckTdxQuoteSignature);
  r->checks.push_back(CheckTdAttributes(c.out->quote->body, c.options.allow_debug));
}

}  // namespace

StatusOr<TdxVerification> VerifyTdxQuote(ByteSpan quote, const TdxCollateral& collateral,
                                         const TdxVerifyOptions& options) {
  RETURN_IF_ERROR(CheckOptions(options));
  TdxVerification out;
  Context c{.collateral = collateral, .options = options, .out = &out};
  Run(&out.report, kCheckTdxQuoteFormat, {}, [&]() -> StatusOr<std::string> {
    ASSIGN_OR_RETURN(TdxQuote parsed, ParseTdxQuote(quote));
    out.quote = std::move(parsed);
    return "v" + std::to_string(out.quote->header.version) + ", " +
           (out.quote->body.tee_tcb_svn_2 ? "TD1.5" : "TD1.0") + " body, " +
           std::to_string(out.quote->pck_chain_der.size()) + "-certificate PCK chain, " +
           std::to_string(out.quote->trailing_zeros) + " zero bytes of padding";
  });
  RunQuoteChecks(c);
  RunCollateralChecks(c);
  RunTcbChecks(c);
  return out;
}

}  // namespace eml::attest

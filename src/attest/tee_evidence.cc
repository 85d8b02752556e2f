#include "attest/tee_evidence.h"

#include <utility>

namespace eml::attest {
namespace {

template <size_t N>
Bytes ToBytes(const std::array<uint8_t, N>& a) {
  return Bytes(a.begin(), a.end());
}

void Append(EvidenceReport* to, const EvidenceReport& from) {
  to->checks.insert(to->checks.end(), from.checks.begin(), from.checks.end());
}

StatusOr<TeePlatform> PlatformOf(std::string_view name) {
  if (name == TeePlatformName(TeePlatform::kTdx)) return TeePlatform::kTdx;
  if (name == TeePlatformName(TeePlatform::kSnp)) return TeePlatform::kSnp;
  return InvalidArgumentError("tee: unknown platform");
}

// Runs the platform verifier; fills measurements, matched root and TCB, and
// returns the verified REPORTDATA (nullopt if the quote/report failed).
std::optional<Bytes> VerifyTdx(const TeeEnvelope& envelope, const TeeVerifyOptions& options,
                               TeeVerification* out, Status* error) {
  TdxVerifyOptions tdx{.pinned_roots = options.pinned_roots,
                       .at_unix_seconds = options.at_unix_seconds,
                       .allow_debug = false,
                       .accepted_tcb_statuses = options.accepted_tdx_tcb_statuses};
  StatusOr<TdxVerification> v = VerifyTdxQuote(envelope.report, *options.tdx_collateral, tdx);
  if (!v.ok()) {
    *error = v.status();
    return std::nullopt;
  }
  Append(&out->report, v->report);
  if (v->quote) out->measurements = TdxMeasurements(v->quote->body);
  out->matched_root = v->matched_root;
  if (v->tcb_status) out->tcb = std::string(TdxTcbStatusName(*v->tcb_status));
  if (!v->verified() || !v->quote) return std::nullopt;
  return ToBytes(v->quote->body.report_data);
}

std::optional<Bytes> VerifySnp(const TeeEnvelope& envelope, const TeeVerifyOptions& options,
                               TeeVerification* out, Status* error) {
  SnpVerifyOptions snp{.pinned_roots = options.pinned_roots,
                       .chain_der = options.snp_certificates,
                       .at_unix_seconds = options.at_unix_seconds,
                       .allow_debug = false,
                       .allow_migration_agent = false};
  if (!envelope.aux.empty()) {
    StatusOr<std::vector<Bytes>> chain = SnpChainFromAuxblob(envelope.aux);
    if (!chain.ok()) {
      out->report.Fail(kSnpCheckCollateral, chain.status());
      return std::nullopt;
    }
    for (Bytes& der : *chain) snp.chain_der.push_back(std::move(der));
  }
  if (snp.chain_der.size() > kSnpMaxCollateral) {
    out->report.Fail(kSnpCheckCollateral,
                     LimitExceededError("tee: more certificates than SNP_COLLATERAL allows"));
    return std::nullopt;
  }
  StatusOr<SnpVerification> v = VerifySnpReport(envelope.report, snp);
  if (!v.ok()) {
    *error = v.status();
    return std::nullopt;
  }
  Append(&out->report, v->report);
  if (v->parsed) out->measurements = SnpMeasurements(*v->parsed);
  out->matched_root = v->matched_root;
  if (v->reported_tcb) out->tcb = FormatSnpTcb(*v->reported_tcb, v->product);
  if (!v->verified() || !v->parsed) return std::nullopt;
  return ToBytes(v->parsed->report_data);
}

}  // namespace

std::map<uint32_t, Bytes> TdxMeasurements(const TdReportBody& body) {
  std::map<uint32_t, Bytes> m;
  m[0] = ToBytes(body.mr_td);
  for (uint32_t i = 0; i < body.rtmr.size(); ++i) m[1 + i] = ToBytes(body.rtmr[i]);
  m[5] = ToBytes(body.mr_config_id);
  m[6] = ToBytes(body.mr_owner);
  m[7] = ToBytes(body.mr_owner_config);
  return m;
}

std::map<uint32_t, Bytes> SnpMeasurements(const SnpReport& report) {
  return {{0, ToBytes(report.measurement)},
          {1, ToBytes(report.host_data)},
          {2, ToBytes(report.id_key_digest)}};
}

StatusOr<std::map<uint32_t, Bytes>> UnverifiedTeeMeasurements(ByteSpan envelope) {
  ASSIGN_OR_RETURN(TeeEnvelope parsed, ParseTeeEnvelope(envelope));
  if (parsed.platform == TeePlatform::kTdx) {
    ASSIGN_OR_RETURN(TdxQuote quote, ParseTdxQuote(parsed.report));
    return TdxMeasurements(quote.body);
  }
  ASSIGN_OR_RETURN(SnpReport report, ParseSnpReport(parsed.report));
  return SnpMeasurements(report);
}

StatusOr<std::vector<Bytes>> SnpChainFromAuxblob(ByteSpan auxblob) {
  ASSIGN_OR_RETURN(std::vector<SnpCertTableEntry> table, ParseSnpCertTable(auxblob));
  std::vector<Bytes> chain;
  for (SnpCertTableEntry& entry : table) {
    if (entry.kind != kSnpCertKindUnknown) chain.push_back(std::move(entry.der));
  }
  return chain;
}

void AddTeeReportDataCheck(const TeeEnvelope& envelope, ByteSpan report_data,
                           EvidenceReport* report) {
  if (!report->verified()) {
    report->NotRun(kCheckTeeReportData, "the checks before it");
  } else if (Status bound = CheckTeeReportData(envelope, report_data); !bound.ok()) {
    report->Fail(kCheckTeeReportData, bound);
  } else {
    report->Pass(kCheckTeeReportData,
                 "REPORTDATA binds the envelope's public_key, user_data and nonce");
  }
}

StatusOr<TeeVerification> VerifyTeeEvidence(ByteSpan evidence, std::string_view platform,
                                            const TeeVerifyOptions& options) {
  ASSIGN_OR_RETURN(TeePlatform expected, PlatformOf(platform));
  if (expected == TeePlatform::kTdx && options.tdx_collateral == nullptr) {
    return InvalidArgumentError("tee: TDX evidence needs QuoteCollateralV3 collateral");
  }
  TeeVerification out;
  StatusOr<TeeEnvelope> envelope = ParseTeeEnvelope(evidence);
  if (envelope.ok() && envelope->platform != expected) {
    envelope = VerificationFailedError(
                      "tee: the envelope is for " +
                          std::string(TeePlatformName(envelope->platform)) + ", not " +
                          std::string(platform));
  }
  if (!envelope.ok()) {
    out.report.Fail(kCheckTeeEnvelope, envelope.status());
    out.report.NotRun(kCheckTeeReportData, kCheckTeeEnvelope);
    return out;
  }
  out.report.Pass(kCheckTeeEnvelope, "a TEE envelope v1 for " + std::string(platform));
  Status error;
  std::optional<Bytes> report_data = expected == TeePlatform::kTdx
                                         ? VerifyTdx(*envelope, options, &out, &error)
                                         : VerifySnp(*envelope, options, &out, &error);
  if (!error.ok()) return error;
  AddTeeReportDataCheck(*envelope, report_data.value_or(Bytes()), &out.report);
  out.envelope = std::move(envelope).value();
  return out;
}

}  // namespace eml::attest

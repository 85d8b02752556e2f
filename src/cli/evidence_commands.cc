// `eml evidence ...`: attestation evidence tools (docs/attestation.md "CLI").
//   eml evidence verify FILE --platform nitro|tdx|snp --root ROOT [--root ROOT2 ...]
//                        [--collateral FILE]... [--at UNIX_SECONDS]
//                        [--max-age SECONDS] [--now UNIX_SECONDS] [--format text|json]
// nitro: FILE is a COSE_Sign1 document, --root the AWS (or dev) root.
// tdx:   FILE is a DCAP quote (v4/v5), --collateral one QuoteCollateralV3
//        JSON file, --root the Intel SGX Root CA.
// snp:   FILE is an attestation report, --collateral the VCEK/VLEK
//        certificate and the ASK/ARK chain (repeatable; DER or PEM), --root
//        the ARK.
// For tdx and snp FILE may also be a TEE envelope (an `eml infer` bundle's
// evidence.cbor): TEE_ENVELOPE, the quote's/report's checks (SNP also with
// the envelope's auxblob certificates), then TEE_REPORT_DATA.
// Roots are DER or a PEM file holding exactly one certificate. tdx and snp
// judge certificates and collateral at --at (default: now); --max-age and
// --now apply to nitro only. Prints every check with its stable id and code,
// the measurements and, for TDX, the TCB status. Debug-mode evidence is
// refused unless --allow-debug.
//   eml evidence dev-root --state-dir DIR
// creates or loads the development CA in DIR and prints its root's path.
// Exit status (main): 0 verified; 1 not verified (or unparseable
// collateral); 2 usage errors (bad flags, missing --collateral) and
// unreadable files.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "attest/dev_ca.h"
#include "attest/nitro.h"
#include "attest/snp.h"
#include "attest/tdx.h"
#include "attest/tee_evidence.h"
#include "attest/tsm.h"
#include "cli/command.h"
#include "core/clock.h"
#include "core/encoding.h"
#include "core/file.h"
#include "crypto/hash.h"
#include "crypto/x509.h"
#include "crypto/x509_ext.h"

namespace eml::cli {
namespace {

struct VerifyArgs {
  std::string file;
  std::string platform;
  std::vector<std::string> roots;
  std::vector<std::string> collateral;
  std::optional<int64_t> at;
  std::optional<int64_t> max_age_s;
  std::optional<int64_t> now_s;
  std::string format = "text";
  bool allow_debug = false;
};

// Untrusted text for a terminal: control bytes and DEL become \xNN.
std::string Printable(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

nlohmann::json ChecksToJson(const attest::EvidenceReport& report) {
  nlohmann::json checks = nlohmann::json::array();
  for (const attest::EvidenceCheck& c : report.checks) {
    checks.push_back({{"id", c.id}, {"passed", c.passed}, {"code", c.code}, {"detail", c.detail}});
  }
  return checks;
}

void PrintChecks(const attest::EvidenceReport& report) {
  std::printf("checks\n");
  for (const attest::EvidenceCheck& c : report.checks) {
    std::printf("  %-4s %-26s %-20s %s\n", c.passed ? "PASS" : "FAIL", c.id.c_str(), c.code.c_str(),
                Printable(c.detail).c_str());
  }
  std::printf("result       %s\n", report.verified() ? "VERIFIED" : "NOT VERIFIED");
}

nlohmann::json HexOrNull(const std::optional<Bytes>& b) {
  return b ? nlohmann::json(HexEncode(*b)) : nlohmann::json(nullptr);
}

nlohmann::json ToJson(const VerifyArgs& args, const attest::NitroVerification& v) {
  nlohmann::json out = {{"platform", args.platform}, {"file", args.file}, {"verified", v.verified()}};
  out["checks"] = ChecksToJson(v.report);
  out["matched_root"] = nullptr;
  if (v.matched_root) {
    out["matched_root"] = {{"index", *v.matched_root}, {"path", args.roots[*v.matched_root]}};
  }
  if (!v.document) return out;
  const attest::NitroDocument& d = *v.document;
  out["module_id"] = d.module_id;
  out["timestamp_ms"] = d.timestamp_ms;
  out["timestamp"] = attest::FormatUnixMillis(d.timestamp_ms);
  out["chain_time"] = v.chain_time_unix_seconds;
  nlohmann::json pcrs = nlohmann::json::object();
  for (const auto& [index, value] : d.pcrs) pcrs[std::to_string(index)] = HexEncode(value);
  out["pcrs"] = std::move(pcrs);
  out["public_key"] = HexOrNull(d.public_key);
  out["user_data"] = HexOrNull(d.user_data);
  out["nonce"] = HexOrNull(d.nonce);
  out["certificate_sha256"] = HexEncode(crypto::Sha256(d.certificate_der));
  return out;
}

std::string FieldText(const std::optional<Bytes>& b) {
  if (!b) return "(absent)";
  return std::to_string(b->size()) + " bytes " + HexEncode(*b);
}

void PrintText(const VerifyArgs& args, const attest::NitroVerification& v) {
  std::printf("platform     %s\n", args.platform.c_str());
  if (v.document) {
    const attest::NitroDocument& d = *v.document;
    std::printf("module_id    %s\n", Printable(d.module_id).c_str());
    std::printf("timestamp    %lld (%s)\n", static_cast<long long>(d.timestamp_ms),
                attest::FormatUnixMillis(d.timestamp_ms).c_str());
    for (const auto& [index, value] : d.pcrs) {
      std::printf("pcr%-9u %s\n", index, HexEncode(value).c_str());
    }
    std::printf("public_key   %s\n", FieldText(d.public_key).c_str());
    std::printf("user_data    %s\n", FieldText(d.user_data).c_str());
    std::printf("nonce        %s\n", FieldText(d.nonce).c_str());
  }
  if (v.matched_root) {
    std::printf("root         #%zu %s\n", *v.matched_root, Printable(args.roots[*v.matched_root]).c_str());
  }
  PrintChecks(v.report);
}

// A root file: DER, or PEM holding exactly one certificate.
StatusOr<std::vector<Bytes>> ReadRoots(const std::vector<std::string>& paths) {
  std::vector<Bytes> roots;
  for (const std::string& path : paths) {
    ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, crypto::kMaxPemBundleSize));
    if (text.find("-----BEGIN") == std::string::npos) {
      if (text.size() > crypto::kMaxCertificateSize) {
        return LimitExceededError("evidence: root " + path + " is too large");
      }
      roots.push_back(ToBytes(text));
      continue;
    }
    StatusOr<std::vector<Bytes>> pem = crypto::CertificatesFromPem(text);
    if (!pem.ok() || pem->size() != 1) {
      return InvalidArgumentError("evidence: root " + path +
                                  " must hold exactly one certificate (DER or PEM)");
    }
    roots.push_back(std::move(pem->front()));
  }
  return roots;
}

// Measurements and status as (name, value) lines, in a fixed order.
using Fields = std::vector<std::pair<std::string, std::string>>;

template <size_t N>
std::string Hex(const std::array<uint8_t, N>& a) {
  return HexEncode(ByteSpan(a.data(), a.size()));
}

Status Report(const VerifyArgs& args, const attest::EvidenceReport& report,
              std::optional<size_t> matched_root, const Fields& fields) {
  if (args.format == "json") {
    nlohmann::json out = {{"platform", args.platform}, {"file", args.file},
                          {"verified", report.verified()}, {"checks", ChecksToJson(report)}};
    out["matched_root"] = nullptr;
    if (matched_root) {
      out["matched_root"] = {{"index", *matched_root}, {"path", args.roots[*matched_root]}};
    }
    nlohmann::json measurements = nlohmann::json::object();
    for (const auto& [name, value] : fields) measurements[name] = value;
    out["measurements"] = std::move(measurements);
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("platform     %s\n", args.platform.c_str());
    for (const auto& [name, value] : fields) std::printf("%-12s %s\n", name.c_str(), value.c_str());
    if (matched_root) {
      std::printf("root         #%zu %s\n", *matched_root, Printable(args.roots[*matched_root]).c_str());
    }
    PrintChecks(report);
  }
  if (!report.verified()) {
    return VerificationFailedError("evidence not verified: " + report.ToStatus().message());
  }
  return OkStatus();
}

int64_t AtOrNow(const VerifyArgs& args) {
  return args.at ? *args.at : SystemClock::Get().NowUnixSeconds();
}

// A quote/report file, or a TEE envelope holding one (the evidence.cbor of
// an `eml infer` bundle). For an envelope the report gains two checks:
// TEE_ENVELOPE first, TEE_REPORT_DATA last (attest::AddTeeReportDataCheck).
struct TeeInput {
  Bytes report;
  std::optional<attest::TeeEnvelope> envelope;
};

StatusOr<TeeInput> ReadTeeInput(const VerifyArgs& args, size_t max_report_size,
                                attest::EvidenceReport* report) {
  ASSIGN_OR_RETURN(std::string file,
                   ReadSmallFile(args.file, std::max(max_report_size, attest::kTeeMaxEnvelopeSize)));
  TeeInput in;
  StatusOr<attest::TeeEnvelope> envelope = attest::ParseTeeEnvelope(AsBytes(file));
  if (!envelope.ok()) {
    if (file.size() > max_report_size) return LimitExceededError("evidence: " + args.file + " is too large");
    in.report = ToBytes(file);
    return in;
  }
  if (attest::TeePlatformName(envelope->platform) != args.platform) {
    report->Fail(attest::kCheckTeeEnvelope,
                 VerificationFailedError("a TEE envelope for " +
                                         std::string(attest::TeePlatformName(envelope->platform))));
  } else {
    report->Pass(attest::kCheckTeeEnvelope, "a TEE envelope v1; its report is verified below");
  }
  in.report = envelope->report;
  in.envelope = *std::move(envelope);
  return in;
}

Status RunVerifyTdx(const VerifyArgs& args, const std::vector<Bytes>& roots) {
  if (args.collateral.size() != 1) {
    return NotFoundError("evidence: --platform tdx needs exactly one --collateral "
                         "(QuoteCollateralV3 JSON)");
  }
  attest::EvidenceReport report;
  ASSIGN_OR_RETURN(TeeInput in, ReadTeeInput(args, attest::kTdxMaxQuoteSize, &report));
  ASSIGN_OR_RETURN(std::string json,
                   ReadSmallFile(args.collateral[0], attest::kTdxMaxCollateralJsonSize));
  ASSIGN_OR_RETURN(attest::TdxCollateral collateral, attest::ParseTdxCollateralJson(json));
  attest::TdxVerifyOptions options{.pinned_roots = {}, .at_unix_seconds = AtOrNow(args),
                                   .allow_debug = args.allow_debug};
  for (const Bytes& root : roots) options.pinned_roots.push_back(root);
  ASSIGN_OR_RETURN(attest::TdxVerification v, attest::VerifyTdxQuote(in.report, collateral, options));
  report.checks.insert(report.checks.end(), v.report.checks.begin(), v.report.checks.end());
  if (in.envelope) {
    attest::AddTeeReportDataCheck(
        *in.envelope, v.quote ? ByteSpan(v.quote->body.report_data) : ByteSpan(), &report);
  }
  Fields fields;
  fields.emplace_back("judged_at", std::to_string(options.at_unix_seconds));
  if (v.quote) {
    const attest::TdReportBody& b = v.quote->body;
    fields.emplace_back("mrtd", Hex(b.mr_td));
    for (size_t i = 0; i < b.rtmr.size(); ++i) fields.emplace_back("rtmr" + std::to_string(i), Hex(b.rtmr[i]));
    fields.emplace_back("mrconfigid", Hex(b.mr_config_id));
    fields.emplace_back("mrowner", Hex(b.mr_owner));
    fields.emplace_back("mrownerconfig", Hex(b.mr_owner_config));
    fields.emplace_back("report_data", Hex(b.report_data));
  }
  if (v.tcb_status) {
    fields.emplace_back("tcb_status", std::string(attest::TdxTcbStatusName(*v.tcb_status)));
    std::string ids;
    for (const std::string& id : v.advisory_ids) ids += (ids.empty() ? "" : ",") + id;
    fields.emplace_back("advisories", ids.empty() ? "none" : ids);
  }
  return Report(args, report, v.matched_root, fields);
}

Status RunVerifySnp(const VerifyArgs& args, const std::vector<Bytes>& roots) {
  attest::EvidenceReport report;
  ASSIGN_OR_RETURN(TeeInput in, ReadTeeInput(args, attest::kSnpReportSize + 1, &report));
  attest::SnpVerifyOptions options{.pinned_roots = {}, .chain_der = {},
                                   .at_unix_seconds = AtOrNow(args),
                                   .allow_debug = args.allow_debug};
  for (const Bytes& root : roots) options.pinned_roots.push_back(root);
  for (const std::string& path : args.collateral) {
    ASSIGN_OR_RETURN(std::vector<Bytes> certs, attest::LoadSnpCollateralFile(path));
    for (Bytes& cert : certs) options.chain_der.push_back(std::move(cert));
  }
  if (in.envelope && !in.envelope->aux.empty()) {  // the auxblob certificate table
    StatusOr<std::vector<Bytes>> chain = attest::SnpChainFromAuxblob(in.envelope->aux);
    if (!chain.ok()) return InvalidArgumentError("evidence: auxblob: " + chain.status().message());
    for (Bytes& der : *chain) options.chain_der.push_back(std::move(der));
  }
  if (options.chain_der.empty()) {
    return NotFoundError("evidence: --platform snp needs --collateral (VCEK or VLEK, "
                         "and the ASK/ARK chain) unless the envelope carries them");
  }
  ASSIGN_OR_RETURN(attest::SnpVerification v, attest::VerifySnpReport(in.report, options));
  report.checks.insert(report.checks.end(), v.report.checks.begin(), v.report.checks.end());
  if (in.envelope) {
    attest::AddTeeReportDataCheck(
        *in.envelope, v.parsed ? ByteSpan(v.parsed->report_data) : ByteSpan(), &report);
  }
  Fields fields;
  fields.emplace_back("judged_at", std::to_string(options.at_unix_seconds));
  if (v.product != attest::SnpProduct::kUnknown) {
    fields.emplace_back("product", std::string(attest::SnpProductName(v.product)));
  }
  if (v.parsed) {
    const attest::SnpReport& r = *v.parsed;
    fields.emplace_back("version", std::to_string(r.version));
    fields.emplace_back("measurement", Hex(r.measurement));
    fields.emplace_back("host_data", Hex(r.host_data));
    fields.emplace_back("report_data", Hex(r.report_data));
    char policy[32];
    std::snprintf(policy, sizeof policy, "0x%llx", static_cast<unsigned long long>(r.policy));
    fields.emplace_back("policy", policy);
    fields.emplace_back("vmpl", std::to_string(r.vmpl));
  }
  if (v.reported_tcb) fields.emplace_back("reported_tcb", attest::FormatSnpTcb(*v.reported_tcb, v.product));
  return Report(args, report, v.matched_root, fields);
}

Status RunVerify(const VerifyArgs& args) {
  ASSIGN_OR_RETURN(std::vector<Bytes> roots, ReadRoots(args.roots));
  if (args.platform == "tdx") return RunVerifyTdx(args, roots);
  if (args.platform == "snp") return RunVerifySnp(args, roots);
  if (!args.collateral.empty()) {
    return InvalidArgumentError("evidence: --collateral is for tdx and snp");
  }
  ASSIGN_OR_RETURN(std::string document, ReadSmallFile(args.file, attest::kNitroMaxDocumentSize));
  std::unique_ptr<FakeClock> fixed_now;
  if (args.now_s) fixed_now = std::make_unique<FakeClock>(*args.now_s * 1000);
  attest::NitroVerifyOptions options{.chain_time_unix_seconds = args.at};
  options.allow_debug = args.allow_debug;
  for (const Bytes& root : roots) options.pinned_roots.push_back(root);
  if (fixed_now) {
    options.clock = fixed_now.get();
  } else if (args.max_age_s) {
    options.clock = &SystemClock::Get();
  }
  if (args.max_age_s) options.max_age_millis = *args.max_age_s * 1000;
  ASSIGN_OR_RETURN(attest::NitroVerification result,
                   attest::VerifyNitroEvidence(AsBytes(document), options));
  if (args.format == "json") {
    std::printf("%s\n", ToJson(args, result).dump(2).c_str());
  } else {
    PrintText(args, result);
  }
  if (!result.verified()) {
    return VerificationFailedError("evidence not verified: " + result.report.ToStatus().message());
  }
  return OkStatus();
}

// Creates (or loads) the development CA that `eml-enclave --state-dir DIR`
// uses, so clients and key services can pin its root before the enclave
// first runs. Prints the root's path.
Status RunDevRoot(const std::string& state_dir) {
  RETURN_IF_ERROR(attest::LoadOrCreateDevCa(state_dir, SystemClock::Get()).status());
  std::printf("%s/%s\n", state_dir.c_str(), attest::kDevRootFile);
  return OkStatus();
}

}  // namespace

void AddEvidenceCommands(CLI::App& app, CommandAction* action) {
  CLI::App* evidence = app.add_subcommand("evidence", "Attestation evidence: verify documents");
  evidence->require_subcommand(1);

  auto args = std::make_shared<VerifyArgs>();
  CLI::App* verify = evidence->add_subcommand(
      "verify", "Verify an attestation document against pinned roots and print every check");
  verify->add_option("file", args->file, "attestation document (COSE_Sign1)")->required();
  verify->add_option("--platform", args->platform, "evidence format: nitro, tdx or snp")
      ->required()
      ->check(CLI::IsMember({"nitro", "tdx", "snp"}));
  verify->add_option("--root", args->roots, "pinned root certificate (DER); repeat for candidates")
      ->required()
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  verify->add_option("--collateral", args->collateral,
                     "tdx: QuoteCollateralV3 JSON; snp: VCEK/VLEK and ASK/ARK files (repeat)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  verify->add_option("--at", args->at, "judge certificates at UNIX_SECONDS (default: nitro the "
                                       "document's own timestamp; tdx, snp now)")
      ->check(CLI::Range(int64_t{0}, int64_t{253402300799}));
  verify->add_option("--max-age", args->max_age_s, "reject documents older than SECONDS at now")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  verify->add_option("--now", args->now_s, "UNIX_SECONDS to use as now for --max-age and the "
                                           "future-skew check (default: the system clock)")
      ->check(CLI::Range(int64_t{0}, int64_t{253402300799}));
  verify->add_flag("--allow-debug", args->allow_debug,
                   "accept debug-mode evidence (Nitro all-zero PCRs, TDX TD debug, SNP policy "
                   "debug bit); never for production");
  verify->add_option("--format", args->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  verify->callback([args, action] { *action = [args] { return RunVerify(*args); }; });

  auto state_dir = std::make_shared<std::string>();
  CLI::App* dev_root = evidence->add_subcommand(
      "dev-root", "Create or load the development CA of an eml-enclave state directory and "
                  "print its root certificate's path (evaluation only)");
  dev_root->add_option("--state-dir", *state_dir, "the enclave's --state-dir")->required();
  dev_root->callback([state_dir, action] { *action = [state_dir] { return RunDevRoot(*state_dir); }; });
}

}  // namespace eml::cli

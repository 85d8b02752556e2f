// `eml evidence ...`: attestation evidence tools (docs/attestation.md "CLI").
//   eml evidence verify FILE --platform nitro --root ROOT.der [--root ROOT2.der ...]
//                        [--at UNIX_SECONDS] [--max-age SECONDS] [--now UNIX_SECONDS]
//                        [--format text|json]
// Prints every check of attest::VerifyNitroEvidence and the parsed document.
// Exit status (main): 0 verified; 1 not verified (also for --platform tdx or
// snp, which are not supported yet: Unsupported); 2 usage errors (any other
// platform name, bad flags) and unreadable files.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "attest/nitro.h"
#include "cli/command.h"
#include "core/clock.h"
#include "core/encoding.h"
#include "core/file.h"
#include "crypto/hash.h"
#include "crypto/x509.h"

namespace eml::cli {
namespace {

struct VerifyArgs {
  std::string file;
  std::string platform;
  std::vector<std::string> roots;
  std::optional<int64_t> at;
  std::optional<int64_t> max_age_s;
  std::optional<int64_t> now_s;
  std::string format = "text";
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

nlohmann::json HexOrNull(const std::optional<Bytes>& b) {
  return b ? nlohmann::json(HexEncode(*b)) : nlohmann::json(nullptr);
}

nlohmann::json ToJson(const VerifyArgs& args, const attest::NitroVerification& v) {
  nlohmann::json out = {{"platform", args.platform}, {"file", args.file}, {"verified", v.verified()}};
  nlohmann::json checks = nlohmann::json::array();
  for (const attest::EvidenceCheck& c : v.report.checks) {
    checks.push_back({{"id", c.id}, {"passed", c.passed}, {"code", c.code}, {"detail", c.detail}});
  }
  out["checks"] = std::move(checks);
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
  std::printf("checks\n");
  for (const attest::EvidenceCheck& c : v.report.checks) {
    std::printf("  %-4s %-20s %-20s %s\n", c.passed ? "PASS" : "FAIL", c.id.c_str(), c.code.c_str(),
                Printable(c.detail).c_str());
  }
  std::printf("result       %s\n", v.verified() ? "VERIFIED" : "NOT VERIFIED");
}

StatusOr<std::vector<Bytes>> ReadRoots(const std::vector<std::string>& paths) {
  std::vector<Bytes> roots;
  for (const std::string& path : paths) {
    ASSIGN_OR_RETURN(std::string der, ReadSmallFile(path, crypto::kMaxCertificateSize));
    roots.push_back(ToBytes(der));
  }
  return roots;
}

Status RunVerify(const VerifyArgs& args) {
  if (args.platform != "nitro") {
    return UnsupportedError("evidence: platform " + args.platform + " is not supported yet (only nitro)");
  }
  ASSIGN_OR_RETURN(std::string document, ReadSmallFile(args.file, attest::kNitroMaxDocumentSize));
  ASSIGN_OR_RETURN(std::vector<Bytes> roots, ReadRoots(args.roots));
  std::unique_ptr<FakeClock> fixed_now;
  if (args.now_s) fixed_now = std::make_unique<FakeClock>(*args.now_s * 1000);
  attest::NitroVerifyOptions options{.chain_time_unix_seconds = args.at};
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

}  // namespace

void AddEvidenceCommands(CLI::App& app, CommandAction* action) {
  CLI::App* evidence = app.add_subcommand("evidence", "Attestation evidence: verify documents");
  evidence->require_subcommand(1);

  auto args = std::make_shared<VerifyArgs>();
  CLI::App* verify = evidence->add_subcommand(
      "verify", "Verify an attestation document against pinned roots and print every check");
  verify->add_option("file", args->file, "attestation document (COSE_Sign1)")->required();
  verify->add_option("--platform", args->platform, "evidence format: nitro (tdx, snp: later)")
      ->required()
      ->check(CLI::IsMember({"nitro", "tdx", "snp"}));
  verify->add_option("--root", args->roots, "pinned root certificate (DER); repeat for candidates")
      ->required()
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  verify->add_option("--at", args->at, "judge the certificate chain at UNIX_SECONDS "
                                       "(default: the document's own timestamp)")
      ->check(CLI::Range(int64_t{0}, int64_t{253402300799}));
  verify->add_option("--max-age", args->max_age_s, "reject documents older than SECONDS at now")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  verify->add_option("--now", args->now_s, "UNIX_SECONDS to use as now for --max-age and the "
                                           "future-skew check (default: the system clock)")
      ->check(CLI::Range(int64_t{0}, int64_t{253402300799}));
  verify->add_option("--format", args->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  verify->callback([args, action] { *action = [args] { return RunVerify(*args); }; });
}

}  // namespace eml::cli

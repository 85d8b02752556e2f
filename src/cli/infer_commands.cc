// `eml infer`: send texts to an enclave (usually through eml-host) and show
// what was attested, the embeddings and the verified receipts.
//   eml infer --endpoint HOST:PORT --policy FILE [--owner-pubkey HEX|@FILE]
//             (--text "..." ... | --file FILE) [--batch] [--bundle-dir DIR]
//             [--format text|json] [--timeout-s S]
// Each --text (or each line of --file) is one request with its own receipt,
// unless --batch sends them all in one request. The owner public key
// defaults to owner.pub next to the policy file. --bundle-dir saves the
// offline bundle: evidence.cbor, receipt-N.cbor and receipt-N.pubkey.hex.
// Exit status: 0 when the enclave was trusted and every receipt verified,
// 1 when it was refused or a receipt failed, 2 for usage and I/O errors.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "client/client.h"
#include "core/clock.h"
#include "core/encoding.h"
#include "core/file.h"
#include "attest/snp.h"
#include "attest/tdx.h"
#include "policy/owner_key.h"
#include "policy/policy.h"
#include "policy/policy_store.h"

namespace eml::cli {
namespace {

struct InferArgs {
  std::string endpoint;
  std::string policy;
  std::string owner_pubkey;
  std::vector<std::string> texts;
  std::string file;
  bool batch = false;
  std::string bundle_dir;
  std::string format = "text";
  int timeout_s = 30;
  std::string tdx_collateral;             // QuoteCollateralV3 JSON
  std::vector<std::string> snp_certs;     // VCEK/VLEK, ASK/ARK files
};

using nlohmann::json;

// Untrusted text (from the enclave, before or after verification) shown on
// a terminal: printable ASCII only, at most 128 characters.
std::string Printable(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, 128)) out.push_back(c >= 0x20 && c <= 0x7e ? c : '?');
  return out;
}

double Norm(const float* v, size_t n) {
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<double>(v[i]) * v[i];
  return std::sqrt(sum);
}

std::string PcrHex(const client::Attestation& a, uint32_t i) {
  auto it = a.pcrs.find(i);
  return it == a.pcrs.end() ? "(absent)" : HexEncode(it->second);
}

// Every measurement under the platform's policy name ("pcr0", "mrtd", ...).
json MeasurementsJson(const client::Attestation& a) {
  json out = json::object();
  for (const auto& [index, value] : a.pcrs) {
    out[policy::MeasurementName(a.platform, index)] = HexEncode(value);
  }
  return out;
}

json AttestationJson(const client::Attestation& a) {
  json checks = json::array();
  for (const auto& c : a.evidence_report.checks) {
    checks.push_back({{"stage", "evidence"}, {"id", c.id}, {"passed", c.passed}, {"code", c.code}});
  }
  if (a.verdict) {
    for (const auto& c : a.verdict->checks) {
      checks.push_back({{"stage", "policy"}, {"id", c.id}, {"passed", c.passed}, {"code", c.code},
                        {"detail", c.detail}});
    }
  }
  for (const auto& c : a.binding_checks) {
    checks.push_back({{"stage", "binding"}, {"id", c.id}, {"passed", c.passed}, {"code", c.code}});
  }
  return {{"trusted", a.verified},
          {"platform", a.platform},
          {"module_id", a.module_id},
          {"evidence_time_ms", a.evidence_time_ms},
          {"root", a.root_name},
          {"evaluation", a.evaluation_root},
          {"pcr0", PcrHex(a, 0)},
          {"pcr1", PcrHex(a, 1)},
          {"pcr2", PcrHex(a, 2)},
          {"measurements", MeasurementsJson(a)},
          {"tcb", a.tcb},
          {"model_id", a.model_id},
          {"model_version", a.model_version},
          {"model_hash", HexEncode(a.model_hash)},
          {"receipt_public_key", HexEncode(a.receipt_public_key)},
          {"policy_version", a.verdict ? a.verdict->policy_version : ""},
          {"checks", checks}};
}

void PrintAttestationText(const client::Attestation& a) {
  std::printf("attested: %s  platform=%s module=%s root=%s%s\n",
              a.verified ? "TRUSTED" : "REFUSED", Printable(a.platform).c_str(),
              Printable(a.module_id).c_str(),
              a.root_name.empty() ? "(none)" : Printable(a.root_name).c_str(),
              a.evaluation_root ? " (DEVELOPMENT evidence, not hardware-backed)" : "");
  if (a.platform == policy::kPlatformNitro) {
    std::printf("  pcr0=%s\n  pcr1=%s\n  pcr2=%s\n", PcrHex(a, 0).c_str(), PcrHex(a, 1).c_str(),
                PcrHex(a, 2).c_str());
  } else {
    for (const auto& [index, value] : a.pcrs) {
      std::printf("  %s=%s\n", policy::MeasurementName(a.platform, index).c_str(),
                  HexEncode(value).c_str());
    }
    if (!a.tcb.empty()) std::printf("  tcb=%s\n", Printable(a.tcb).c_str());
  }
  std::printf("  model=%s v%s hash=%s\n", Printable(a.model_id).c_str(),
              Printable(a.model_version).c_str(), HexEncode(a.model_hash).c_str());
  for (const auto& c : a.evidence_report.checks) {
    std::printf("  evidence %-22s %s\n", c.id.c_str(), c.passed ? "PASS" : c.code.c_str());
  }
  if (a.verdict) {
    for (const auto& c : a.verdict->checks) {
      std::printf("  policy   %-22s %s%s%s\n", c.id.c_str(), c.passed ? "PASS" : c.code.c_str(),
                  c.passed ? "" : ": ", c.passed ? "" : Printable(c.detail).c_str());
    }
  }
  for (const auto& c : a.binding_checks) {
    std::printf("  binding  %-22s %s\n", c.id.c_str(), c.passed ? "PASS" : c.code.c_str());
  }
}

Status WriteFile(const std::string& path, ByteSpan data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!out) return Status(StatusCode::kIo, "cannot write " + path);
  return Status::Ok();
}

}  // namespace

StatusOr<TeeCollateral> LoadTeeCollateral(const std::string& tdx_path,
                                          const std::vector<std::string>& snp_paths) {
  TeeCollateral out;
  if (!tdx_path.empty()) {
    ASSIGN_OR_RETURN(std::string text, ReadSmallFile(tdx_path, attest::kTdxMaxCollateralJsonSize));
    StatusOr<attest::TdxCollateral> parsed = attest::ParseTdxCollateralJson(text);
    if (!parsed.ok()) return NotFoundError("--tdx-collateral: " + parsed.status().message());
    out.tdx = *std::move(parsed);
  }
  for (const std::string& path : snp_paths) {
    StatusOr<std::vector<Bytes>> certs = attest::LoadSnpCollateralFile(path);
    if (!certs.ok()) return NotFoundError("--snp-cert " + path + ": " + certs.status().message());
    for (Bytes& cert : *certs) out.snp_certificates.push_back(std::move(cert));
  }
  return out;
}

namespace {

StatusOr<std::vector<std::vector<std::string>>> Requests(const InferArgs& args) {
  std::vector<std::string> texts = args.texts;
  if (!args.file.empty()) {
    ASSIGN_OR_RETURN(std::string content, ReadSmallFile(args.file, size_t{16} << 20));
    std::istringstream lines(content);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) texts.push_back(line);
    }
  }
  if (texts.empty()) return Status(StatusCode::kNotFound, "infer: give --text or --file");
  std::vector<std::vector<std::string>> requests;
  if (args.batch) {
    requests.push_back(texts);
  } else {
    for (std::string& t : texts) requests.push_back({std::move(t)});
  }
  return requests;
}

Status RunInfer(const InferArgs& args) {
  ASSIGN_OR_RETURN(auto requests, Requests(args));
  ASSIGN_OR_RETURN(net::Endpoint endpoint, net::Endpoint::Parse(args.endpoint));
  ASSIGN_OR_RETURN(Bytes owner, ReadOwnerKeyArg(args.owner_pubkey, args.policy));
  StatusOr<std::unique_ptr<policy::PolicyStore>> store =
      policy::PolicyStore::Open(args.policy, owner, SystemClock::Get());
  if (!store.ok()) {
    if (store.status().code() == StatusCode::kNotFound || store.status().code() == StatusCode::kIo) {
      return store.status();
    }
    return Status(StatusCode::kVerificationFailed, "infer: policy: " + store.status().message());
  }
  if (!args.bundle_dir.empty()) std::filesystem::create_directories(args.bundle_dir);

  client::ClientOptions options;
  options.endpoint = endpoint;
  options.policy = store->get();
  options.clock = &SystemClock::Get();
  options.timeout = std::chrono::seconds(args.timeout_s);
  ASSIGN_OR_RETURN(TeeCollateral collateral, LoadTeeCollateral(args.tdx_collateral, args.snp_certs));
  if (collateral.tdx) options.tdx_collateral = &*collateral.tdx;
  options.snp_certificates = std::move(collateral.snp_certificates);
  client::Attestation attestation;
  StatusOr<std::unique_ptr<client::Session>> session =
      client::Session::Connect(options, &attestation);
  const bool as_json = args.format == "json";
  json out = {{"attestation", AttestationJson(attestation)}, {"requests", json::array()}};
  if (!as_json) PrintAttestationText(attestation);
  if (!session.ok()) {
    if (as_json) std::printf("%s\n", out.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    if (!as_json && session.status().code() == StatusCode::kVerificationFailed) {
      std::printf("refused: nothing was sent to the enclave\n");
    }
    return session.status();
  }
  if (!args.bundle_dir.empty()) {
    RETURN_IF_ERROR(WriteFile(args.bundle_dir + "/evidence.cbor", attestation.evidence));
  }
  Status overall = Status::Ok();
  for (size_t r = 0; r < requests.size(); ++r) {
    StatusOr<client::EmbedResult> result = (*session)->Embed(requests[r]);
    if (!result.ok()) {
      if (!as_json) std::printf("request %zu: FAILED: %s\n", r + 1, result.status().ToString().c_str());
      out["requests"].push_back({{"index", r + 1}, {"error", result.status().ToString()}});
      overall = result.status();
      break;
    }
    const auto& body = result->body;
    const auto& check = result->receipt_check;
    json vectors = json::array();
    for (size_t i = 0; i < body.token_counts.size(); ++i) {
      const float* v = body.vectors.data() + i * body.dims;
      const std::vector<float> first(v, v + std::min<size_t>(4, body.dims));
      vectors.push_back({{"dims", body.dims}, {"norm", Norm(v, body.dims)},
                         {"tokens", body.token_counts[i]}, {"first", first}});
      if (!as_json) {
        std::printf("request %zu text %zu: dims=%u norm=%.6f tokens=%u first=[", r + 1, i + 1,
                    body.dims, Norm(v, body.dims), body.token_counts[i]);
        for (size_t k = 0; k < first.size(); ++k) std::printf(k ? " %.4f" : "%.4f", first[k]);
        std::printf("]\n");
      }
    }
    if (!as_json) {
      std::printf("request %zu receipt: VERIFIED seq=%llu (%zu checks passed, nonce bound, key attested)\n",
                  r + 1, static_cast<unsigned long long>(check.claims->sequence_number),
                  check.checks.size());
    }
    out["requests"].push_back({{"index", r + 1}, {"embeddings", vectors},
                               {"receipt_verified", check.verified},
                               {"sequence_number", check.claims->sequence_number}});
    if (!args.bundle_dir.empty()) {
      const std::string base = args.bundle_dir + "/receipt-" + std::to_string(r + 1);
      RETURN_IF_ERROR(WriteFile(base + ".cbor", result->receipt));
      RETURN_IF_ERROR(WriteFile(base + ".pubkey.hex", AsBytes(HexEncode(attestation.receipt_public_key) + "\n")));
    }
  }
  (*session)->Close();
  if (as_json) std::printf("%s\n", out.dump(2, ' ', false, json::error_handler_t::replace).c_str());
  return overall;
}

}  // namespace

StatusOr<Bytes> ReadOwnerKeyArg(const std::string& arg, const std::string& policy_path) {
  const std::string source =
      arg.empty() ? "@" + (std::filesystem::path(policy_path).parent_path() / "owner.pub").string()
                  : arg;
  StatusOr<Bytes> key = policy::OwnerPublicKeyFromArg(source);
  if (!key.ok()) return Status(StatusCode::kIo, "owner public key: " + key.status().message());
  return key;
}

void AddInferCommands(CLI::App& app, CommandAction* action) {
  auto args = std::make_shared<InferArgs>();
  CLI::App* infer = app.add_subcommand("infer", "Embed texts in an attested enclave, with receipts");
  infer->add_option("--endpoint", args->endpoint, "HOST:PORT of eml-host (or the enclave)")->required();
  infer->add_option("--policy", args->policy, "signed policy file")->required();
  infer->add_option("--owner-pubkey", args->owner_pubkey, "policy owner key: HEX or @FILE");
  infer->add_option("--text", args->texts, "a text (repeatable; one request each)");
  infer->add_option("--file", args->file, "a file with one text per line");
  infer->add_flag("--batch", args->batch, "send all texts in one request");
  infer->add_option("--bundle-dir", args->bundle_dir, "save evidence and receipts here");
  infer->add_option("--format", args->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  infer->add_option("--timeout-s", args->timeout_s, "per network step")->check(CLI::Range(1, 3600));
  infer->add_option("--tdx-collateral", args->tdx_collateral,
                    "TDX enclaves: Intel collateral (QuoteCollateralV3 JSON) to judge quotes with");
  infer->add_option("--snp-cert", args->snp_certs,
                    "SEV-SNP enclaves: VCEK/VLEK or ASK/ARK certificates (DER or PEM; "
                    "repeatable), beyond those the evidence carries");
  infer->callback([args, action] { *action = [args] { return RunInfer(*args); }; });
}

}  // namespace eml::cli

// eml-enclave: the trusted side of the gateway. Loads the model, attests
// every session with fresh evidence, serves embedding requests over the
// encrypted protocol and signs an AIR v1 receipt per response.
// docs/protocol.md (wire), docs/attestation.md (evidence), README (usage).
//
// --tee picks the evidence provider (attest/tee_select.h): dev (default;
// Nitro-format documents signed by a local CA in --state-dir, receipts say
// "evaluation"), nitro (/dev/nsm; --nsm-simulator DIR: a simulated NSM,
// evaluation only), tdx / snp (configfs-tsm; --tsm-simulator DIR: a
// simulated machine with synthetic keys, evaluation only), auto (never falls
// back to dev).
//
// Exit status: 0 after SIGINT/SIGTERM, 2 for usage and I/O errors at start,
// 1 otherwise.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>

#include "attest/dev_provider.h"
#include "attest/tee_select.h"
#include "core/clock.h"
#include "core/encoding.h"
#include "core/file.h"
#include "core/process.h"
#include "core/status.h"
#include "enclave/enclave.h"
#include "enclave/model_service.h"
#include "enclave/package_boot.h"
#include "enclave/server.h"
#include "engine/synth.h"
#include "net/endpoint.h"
#include "policy/owner_key.h"
#include "policy/policy.h"

namespace {

using eml::Status;
using eml::StatusOr;

struct Flags {
  std::string listen = "127.0.0.1:0";
  std::string state_dir = "eml-state";
  std::string model_dir;
  std::string tokenizer_dir = "../shared/models/all-MiniLM-L6-v2";
  std::string synthetic_preset = "minilm-l6";
  std::string model_id;
  std::string model_version = "1";
  std::string tee = "dev";
  std::string nsm_simulator;  // --tee nitro only: simulated NSM, dev CA in this directory
  std::string tsm_simulator;  // --tee tdx|snp only: simulated machine, synthetic keys here
  std::string ready_file;
  // Encrypted package (enclave/package_boot.h).
  std::string package;
  std::string owner_pubkey;  // HEX or @FILE
  std::string kms_proxy;
  std::string kms_region = "us-east-1";
  std::string kms_host;
  std::string storage_proxy;
  bool report_startup = false;
  size_t max_sessions = 64;
  int threads = 0;
  int64_t handshake_timeout_ms = 10'000;
  int64_t idle_timeout_s = 60;
  int64_t lifetime_s = 15 * 60;
  uint64_t max_records = 1'000'000;
  uint64_t max_inflight_mib = 256;
  bool print_measurements = false;
};

int ExitCodeFor(const Status& s) {
  if (s.code() == eml::StatusCode::kIo || s.code() == eml::StatusCode::kNotFound) return 2;
  return 1;
}

void Log(const std::string& line) { std::fprintf(stderr, "eml-enclave: %s\n", line.c_str()); }

// The configuration that PCR1 measures: everything that changes what the
// enclave enforces, including the model owner's key when the model comes
// from a package (so a key policy pinning PCR1 pins the owner). Deployment
// details (addresses, paths) are not in it.
std::string CanonicalConfig(const Flags& f, const eml::Bytes& owner_key) {
  const std::string owner =
      owner_key.empty() ? "" : "owner_pubkey=" + eml::HexEncode(owner_key) + "\n";
  return "eml-enclave config v1\ntee=" + f.tee + "\n" + owner + "max_sessions=" +
         std::to_string(f.max_sessions) + "\nhandshake_timeout_ms=" +
         std::to_string(f.handshake_timeout_ms) + "\nidle_timeout_s=" +
         std::to_string(f.idle_timeout_s) + "\nlifetime_s=" + std::to_string(f.lifetime_s) +
         "\nmax_records=" + std::to_string(f.max_records) + "\nmax_inflight_mib=" +
         std::to_string(f.max_inflight_mib) + "\n";
}

// The model directory: --model-dir, or a deterministic synthetic model
// generated once under the state directory.
StatusOr<std::string> ResolveModelDir(Flags* f) {
  if (!f->model_dir.empty()) {
    if (f->model_id.empty()) {
      f->model_id = std::filesystem::path(f->model_dir).lexically_normal().filename().string();
    }
    return f->model_dir;
  }
  const std::string dir = f->state_dir + "/model-" + f->synthetic_preset;
  if (f->model_id.empty()) f->model_id = f->synthetic_preset + "-synthetic";
  if (std::filesystem::exists(dir + "/model.safetensors")) return dir;
  Log("generating the synthetic " + f->synthetic_preset + " model in " + dir);
  eml::engine::SynthOptions synth;
  synth.preset = f->synthetic_preset;
  synth.tokenizer_dir = f->tokenizer_dir;
  synth.out_dir = dir;
  RETURN_IF_ERROR(eml::engine::WriteSyntheticBert(synth));
  return dir;
}

Status WriteReadyFile(const std::string& path, uint32_t port, const eml::enclave::Enclave& e,
                      const eml::enclave::ModelIdentity& model, const std::string& state_dir) {
  const std::string json = "{\"port\":" + std::to_string(port) + ",\"receipt_public_key\":\"" +
                           eml::HexEncode(e.receipt_public_key()) + "\",\"model_id\":\"" +
                           model.id + "\",\"model_hash\":\"" + eml::HexEncode(model.hash) +
                           "\",\"dev_root\":\"" + state_dir + "/dev-root.der\"}\n";
  return eml::WriteFileAtomically(path, json);
}

// PCR0..2 as JSON; for a simulated TDX or SEV-SNP machine also the
// measurements it reports, under the policy's names.
void PrintMeasurements(const Flags& f, const eml::attest::DevMeasurements& m) {
  std::string simulated;
  if (!f.tsm_simulator.empty()) {
    const auto platform = f.tee == "tdx" ? eml::attest::TeePlatform::kTdx
                                         : eml::attest::TeePlatform::kSnp;
    for (const auto& [index, value] : eml::attest::SimulatedTeeMeasurements(platform, m)) {
      simulated += (simulated.empty() ? "" : ",") + std::string("\"") +
                   eml::policy::MeasurementName(f.tee, index) + "\":\"" + eml::HexEncode(value) +
                   "\"";
    }
    simulated = ",\"" + f.tee + "\":{" + simulated + "}";
  }
  std::printf("{\"pcr0\":\"%s\",\"pcr1\":\"%s\",\"pcr2\":\"%s\"%s}\n",
              eml::HexEncode(m.pcr0).c_str(), eml::HexEncode(m.pcr1).c_str(),
              eml::HexEncode(m.pcr2).c_str(), simulated.c_str());
}

// The evidence provider --tee names, measuring this binary, its config and
// the model (dev and simulated evidence put these into PCR0..2).
StatusOr<eml::attest::SelectedTee> SelectProvider(const Flags& f,
                                                  const eml::attest::DevMeasurements& m) {
  eml::attest::TeeSelection tee{.tee = f.tee, .nsm_simulator_dir = f.nsm_simulator,
                                .tsm_simulator_dir = f.tsm_simulator};
  tee.dev.state_dir = f.state_dir;
  tee.dev.measurements = m;
  return eml::attest::SelectTee(tee);
}

// The model from an encrypted package: manifest and owner signature first
// (the model hash is then known and goes into the measurements), key
// release with evidence, then decryption into locked memory. The data key
// is wiped when this returns.
struct PackagedModel {
  std::unique_ptr<eml::enclave::ModelService> model;
  std::unique_ptr<eml::attest::EvidenceProvider> provider;
  std::string provider_description;
  eml::attest::DevMeasurements measurements;
};

StatusOr<PackagedModel> BootFromPackage(const Flags& f, const eml::Bytes& owner_key,
                                        const std::string& config,
                                        const eml::engine::EngineOptions& engine_options) {
  const auto t0 = std::chrono::steady_clock::now();
  eml::enclave::StartupReport report;
  eml::enclave::PackageLocation location{.uri = f.package, .storage_proxy = std::nullopt};
  if (!f.storage_proxy.empty()) {
    ASSIGN_OR_RETURN(location.storage_proxy, eml::net::Endpoint::Parse(f.storage_proxy));
  }
  ASSIGN_OR_RETURN(auto source, eml::enclave::OpenPackageSource(location));
  ASSIGN_OR_RETURN(eml::model::VerifiedManifest manifest,
                   eml::enclave::OpenPackage(*source, owner_key, &report));
  PackagedModel out;
  ASSIGN_OR_RETURN(out.measurements,
                   eml::attest::MeasureDevEnclave("/proc/self/exe", eml::AsBytes(config),
                                                  manifest.model_hash));
  if (f.print_measurements) {  // needs only the signed manifest, no key
    PrintMeasurements(f, out.measurements);
    return out;
  }
  ASSIGN_OR_RETURN(eml::attest::SelectedTee selected, SelectProvider(f, out.measurements));
  out.provider = std::move(selected.provider);
  out.provider_description = selected.description;
  if (f.kms_proxy.empty()) {
    return Status(eml::StatusCode::kInvalidArgument, "--package needs --kms-proxy");
  }
  eml::enclave::KeyReleaseOptions kms{.kms_proxy = {}, .region = f.kms_region,
                                      .kms_host = f.kms_host};
  ASSIGN_OR_RETURN(kms.kms_proxy, eml::net::Endpoint::Parse(f.kms_proxy));
  ASSIGN_OR_RETURN(eml::SecretBytes data_key,
                   eml::enclave::ReleaseDataKey(manifest, *out.provider, kms, &report));
  ASSIGN_OR_RETURN(out.model, eml::enclave::LoadPackageModel(*source, manifest, data_key,
                                                             engine_options, &report));
  report.total_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (f.report_startup) Log(eml::enclave::FormatStartupReport(report));
  return out;
}

Status Run(Flags f) {
  ASSIGN_OR_RETURN(eml::net::Endpoint endpoint, eml::net::Endpoint::Parse(f.listen));
  eml::engine::EngineOptions engine_options;
  engine_options.num_threads = f.threads;
  eml::Bytes owner_key;
  if (!f.owner_pubkey.empty()) {
    ASSIGN_OR_RETURN(owner_key, eml::policy::OwnerPublicKeyFromArg(f.owner_pubkey));
  }
  if (f.package.empty() != owner_key.empty()) {
    return Status(eml::StatusCode::kInvalidArgument,
                  "--package and --owner-pubkey go together");
  }
  const std::string config = CanonicalConfig(f, owner_key);
  std::unique_ptr<eml::enclave::ModelService> model;
  std::unique_ptr<eml::attest::EvidenceProvider> provider;
  std::string provider_description;
  eml::attest::DevMeasurements measurements;
  if (!f.package.empty()) {
    ASSIGN_OR_RETURN(PackagedModel packaged, BootFromPackage(f, owner_key, config, engine_options));
    if (f.print_measurements) return Status::Ok();
    model = std::move(packaged.model);
    provider = std::move(packaged.provider);
    provider_description = std::move(packaged.provider_description);
    measurements = std::move(packaged.measurements);
    f.model_id = model->identity().id;
    f.model_version = model->identity().version;
  } else {
    ASSIGN_OR_RETURN(const std::string model_dir, ResolveModelDir(&f));
    const bool id_ok = !f.model_id.empty() && f.model_id.size() <= 256 &&
                       f.model_id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                    "0123456789._-") == std::string::npos;
    if (!id_ok) {
      return Status(eml::StatusCode::kInvalidArgument,
                    "--model-id: 1..256 characters of [A-Za-z0-9._-]");
    }
    if (f.model_version.empty() || f.model_version.size() > 128 ||
        f.model_version.find_first_of("\"\\") != std::string::npos ||
        std::any_of(f.model_version.begin(), f.model_version.end(),
                    [](char c) { return c < 0x20 || c > 0x7e; })) {
      return Status(eml::StatusCode::kInvalidArgument,
                    "--model-version: 1..128 printable characters, no quotes or backslashes");
    }
    ASSIGN_OR_RETURN(eml::enclave::ModelIdentity identity,
                     eml::enclave::ComputeModelIdentity(model_dir, f.model_id, f.model_version));
    ASSIGN_OR_RETURN(measurements,
                     eml::attest::MeasureDevEnclave("/proc/self/exe", eml::AsBytes(config),
                                                    identity.hash));
    if (f.print_measurements) {
      PrintMeasurements(f, measurements);
      return Status::Ok();
    }

    ASSIGN_OR_RETURN(eml::attest::SelectedTee selected, SelectProvider(f, measurements));
    provider = std::move(selected.provider);
    provider_description = selected.description;
    ASSIGN_OR_RETURN(model, eml::enclave::ModelService::Load(model_dir, f.model_id,
                                                             f.model_version, engine_options));
  }
  const eml::enclave::ModelIdentity& identity = model->identity();
  eml::enclave::EnclaveOptions options;
  options.limits.handshake_timeout = std::chrono::milliseconds(f.handshake_timeout_ms);
  options.limits.idle_timeout = std::chrono::seconds(f.idle_timeout_s);
  options.limits.lifetime = std::chrono::seconds(f.lifetime_s);
  options.limits.max_records = f.max_records;
  options.limits.max_inflight_request_bytes = f.max_inflight_mib << 20;
  ASSIGN_OR_RETURN(auto enclave, eml::enclave::Enclave::Create(provider.get(), model.get(), options,
                                                               &eml::SystemClock::Get()));
  ASSIGN_OR_RETURN(auto server,
                   eml::enclave::Server::Listen(enclave.get(), endpoint, f.max_sessions));
  Log("evidence: " + provider_description);
  Log("model " + f.model_id + " v" + f.model_version + " hash " + eml::HexEncode(identity.hash));
  Log("pcr0 " + eml::HexEncode(measurements.pcr0));
  eml::net::Endpoint bound = endpoint;
  bound.port = server->port();
  Log("listening on " + bound.ToString() +
      ", receipt key " + eml::HexEncode(enclave->receipt_public_key()));
  if (!f.ready_file.empty()) {
    RETURN_IF_ERROR(WriteReadyFile(f.ready_file, server->port(), *enclave, identity,
                                   f.nsm_simulator.empty() ? f.state_dir : f.nsm_simulator));
  }

  eml::enclave::Server* s = server.get();
  std::thread signal_waiter = eml::StopSignalWaiter([s](int) { s->Shutdown(); });
  server->Run();
  signal_waiter.join();
  const auto& stats = enclave->stats();
  Log("stopped: " + std::to_string(stats.sessions_started.load()) + " sessions, " +
      std::to_string(stats.handshakes_completed.load()) + " handshakes, " +
      std::to_string(stats.requests_served.load()) + " requests, " +
      std::to_string(server->rejected_busy()) + " refused as busy");
  return Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  CLI::App app{"eml-enclave: attested embedding service (see docs/protocol.md)"};
  app.add_option("--listen", f.listen,
                 "HOST:PORT or vsock:CID:PORT to listen on (port 0: any; vsock:any:5000 in a "
                 "Nitro enclave)");
  app.add_option("--state-dir", f.state_dir, "development CA and generated model");
  app.add_option("--model-dir", f.model_dir, "BERT model directory (default: synthetic)");
  app.add_option("--tokenizer-dir", f.tokenizer_dir, "vocab for the synthetic model");
  app.add_option("--synthetic-preset", f.synthetic_preset, "minilm-l6 or tiny");
  app.add_option("--model-id", f.model_id, "model id in evidence and receipts");
  app.add_option("--model-version", f.model_version, "model version");
  app.add_option("--tee", f.tee, "evidence provider: dev, nitro, tdx, snp or auto")
      ->check(CLI::IsMember({"dev", "nitro", "tdx", "snp", "auto"}));
  app.add_option("--nsm-simulator", f.nsm_simulator,
                 "tests/development only, with --tee nitro: a simulated NSM (evaluation "
                 "evidence) whose dev CA lives in this directory");
  app.add_option("--tsm-simulator", f.tsm_simulator,
                 "tests/development only, with --tee tdx or snp: a simulated machine "
                 "(evaluation evidence) whose synthetic keys live in this directory");
  app.add_option("--max-sessions", f.max_sessions, "concurrent sessions")->check(CLI::Range(1, 4096));
  app.add_option("--threads", f.threads, "engine threads (0: all cores)")->check(CLI::Range(0, 256));
  app.add_option("--handshake-timeout-ms", f.handshake_timeout_ms)->check(CLI::Range(1, 600'000));
  app.add_option("--idle-timeout-s", f.idle_timeout_s)->check(CLI::Range(1, 86'400));
  app.add_option("--lifetime-s", f.lifetime_s)->check(CLI::Range(1, 86'400));
  app.add_option("--max-records", f.max_records)->check(CLI::Range(1, 1'000'000'000));
  app.add_option("--max-inflight-mib", f.max_inflight_mib, "request bytes in flight, all sessions")
      ->check(CLI::Range(16, 65536));
  app.add_option("--ready-file", f.ready_file, "write {port, receipt key} JSON once listening");
  app.add_flag("--print-measurements", f.print_measurements, "print PCR0..2 as JSON and exit");
  app.add_option("--package", f.package,
                 "encrypted model package: a directory, or storage:PREFIX via --storage-proxy");
  app.add_option("--owner-pubkey", f.owner_pubkey,
                 "model owner's Ed25519 public key (HEX or @FILE); measured in PCR1");
  app.add_option("--kms-proxy", f.kms_proxy, "the host's KMS proxy (HOST:PORT or vsock:CID:PORT)");
  app.add_option("--kms-region", f.kms_region, "AWS region of the KMS key");
  app.add_option("--kms-host", f.kms_host, "Host header for KMS (default kms.REGION.amazonaws.com)");
  app.add_option("--storage-proxy", f.storage_proxy, "the host's storage proxy, for storage:PREFIX");
  app.add_flag("--report-startup", f.report_startup, "log the cold-start breakdown");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  eml::BlockStopSignals();
  const Status status = Run(std::move(f));
  if (!status.ok()) {
    Log("error: " + status.ToString());
    return ExitCodeFor(status);
  }
  return 0;
}

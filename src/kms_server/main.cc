// eml-kms: a development/test key service that speaks the AWS KMS API
// (JSON 1.1, SigV4) on loopback and enforces attestation-conditioned key
// policies. Not a production KMS: keys sit in --state-dir on this machine.
// Usage, API subset, formats: docs/kms.md.
//
// Exit status: 0 after SIGINT/SIGTERM, 2 for usage and I/O errors at start,
// 1 otherwise (a damaged state directory included).
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/file.h"
#include "core/process.h"
#include "core/status.h"
#include "kms_server/server.h"
#include "kms_server/service.h"
#include "kms_server/sigv4_auth.h"
#include "net/endpoint.h"

namespace {

using eml::Status;
using eml::StatusOr;

struct Flags {
  std::string listen = "127.0.0.1:0";
  std::string ready_file;
  std::string state_dir;
  std::string credentials;
  std::vector<std::string> attestation_roots;
  std::string region = "us-east-1";
  std::string account_id = "111122223333";
  int64_t max_attestation_age_s = 300;
  bool single_use_attestation = false;
  size_t max_connections = 64;
};

void Log(const std::string& line) { std::fprintf(stderr, "eml-kms: %s\n", line.c_str()); }

int ExitCodeFor(const Status& s) {
  if (s.code() == eml::StatusCode::kIo || s.code() == eml::StatusCode::kNotFound ||
      s.code() == eml::StatusCode::kInvalidArgument) {
    return 2;
  }
  return 1;
}

Status WriteReadyFile(const std::string& path, const eml::net::Endpoint& endpoint) {
  const std::string json = "{\"listen\":\"" + endpoint.ToString() +
                           "\",\"port\":" + std::to_string(endpoint.port) + "}\n";
  return eml::WriteFileAtomically(path, json);
}

bool IsLoopback(const eml::net::Endpoint& e) {
  return (e.family == eml::net::Endpoint::Family::kIpv4 && e.host.rfind("127.", 0) == 0) ||
         (e.family == eml::net::Endpoint::Family::kIpv6 && e.host == "::1");
}

Status Run(const Flags& f) {
  ASSIGN_OR_RETURN(eml::net::Endpoint endpoint, eml::net::Endpoint::Parse(f.listen));
  if (!IsLoopback(endpoint)) {
    return Status(eml::StatusCode::kInvalidArgument, "--listen must be a loopback address");
  }
  eml::kms_server::KmsServiceOptions options;
  options.state_dir = f.state_dir;
  options.region = f.region;
  options.account_id = f.account_id;
  options.max_attestation_age_ms = f.max_attestation_age_s * 1000;
  options.single_use_attestation = f.single_use_attestation;
  options.log = [](std::string_view line) { Log(std::string(line)); };
  ASSIGN_OR_RETURN(options.credentials, eml::kms_server::LoadCredentialsFile(f.credentials));
  for (const std::string& path : f.attestation_roots) {
    ASSIGN_OR_RETURN(std::string der, eml::ReadSmallFile(path, 16 * 1024));
    options.attestation_roots.push_back(eml::ToBytes(der));
  }
  ASSIGN_OR_RETURN(auto service, eml::kms_server::KmsService::Create(std::move(options)));
  ASSIGN_OR_RETURN(auto server, eml::kms_server::KmsServer::Listen(
                                    service.get(), {.listen = endpoint,
                                                    .max_connections = f.max_connections}));
  Log("DEVELOPMENT KMS (keys on local disk in " + f.state_dir + "): " +
      std::to_string(service->key_count()) + " keys, " +
      std::to_string(f.attestation_roots.size()) + " attestation roots, single-use " +
      (f.single_use_attestation ? "on" : "off"));
  Log("listening on " + server->endpoint().ToString());
  if (!f.ready_file.empty()) RETURN_IF_ERROR(WriteReadyFile(f.ready_file, server->endpoint()));

  eml::kms_server::KmsServer* s = server.get();
  std::thread signal_waiter = eml::StopSignalWaiter([s](int) { s->Shutdown(); });
  server->Run();
  signal_waiter.join();
  Log("stopped");
  return Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  CLI::App app{"eml-kms: development AWS KMS with attestation-conditioned key policies (docs/kms.md)"};
  app.add_option("--listen", f.listen, "loopback HOST:PORT (port 0: any)");
  app.add_option("--ready-file", f.ready_file, "write {\"listen\",\"port\"} JSON once listening");
  app.add_option("--state-dir", f.state_dir, "key directory (0700; created if missing)")->required();
  app.add_option("--credentials", f.credentials,
                 "JSON list of {AccessKeyId, SecretAccessKey, SessionToken?, Arn?} (0600)")
      ->required();
  app.add_option("--attestation-root", f.attestation_roots,
                 "DER root certificate accepted for Recipient documents (repeatable)");
  app.add_option("--region", f.region, "the region requests must be scoped to");
  app.add_option("--account-id", f.account_id, "12-digit account id used in key ARNs");
  app.add_option("--max-attestation-age-s", f.max_attestation_age_s,
                 "oldest acceptable attestation document")
      ->check(CLI::Range(1, 86'400));
  app.add_flag("--single-use-attestation", f.single_use_attestation,
               "accept each attestation document once (refuse replays)");
  app.add_option("--max-connections", f.max_connections)->check(CLI::Range(1, 4096));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  eml::BlockStopSignals();
  const Status status = Run(f);
  if (!status.ok()) {
    Log("error: " + status.ToString());
    return ExitCodeFor(status);
  }
  return 0;
}

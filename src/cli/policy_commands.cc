// `eml policy ...`: the policy owner's tools (docs/policy.md "CLI").
//   eml policy keygen --out-dir DIR
//   eml policy init --out policy.json [--root nitro:PATH] [--dev-root nitro:PATH]
//                   [--measurements [PLATFORM:]FILE.json] [--model ID[:HASHHEX]] [--allow-evaluation]
//                   [--any-model] [--tdx-extra-tcb STATUS] [--max-age S] [--valid-days N]
//                   [--id NAME] [--version N]
//   eml policy sign --in policy.json --key owner.key --out policy.cose
//   eml policy verify FILE --owner-pubkey HEX|@FILE [--now UNIX_SECONDS]
//   eml policy show FILE [--format text|json] [--owner-pubkey HEX|@FILE]
// Exit status (main): 0 valid/done, 1 invalid, 2 usage or I/O.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "core/clock.h"
#include "core/encoding.h"
#include "core/file.h"
#include "crypto/hash.h"
#include "policy/owner_key.h"
#include "policy/policy_json.h"
#include "policy/signed_policy.h"

namespace eml::cli {
namespace {

using policy::Policy;

constexpr int64_t kSecondsPerDay = 86400;

std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// File name without directory and extension: the default name of a root or
// measurement tuple.
std::string Stem(const std::string& path) {
  std::string base = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  const size_t dot = base.rfind('.');
  return dot == std::string::npos || dot == 0 ? base : base.substr(0, dot);
}

std::string Utc(int64_t unix_s) {
  const time_t t = static_cast<time_t>(unix_s);
  struct tm tm;
  char buf[32];
  if (gmtime_r(&t, &tm) == nullptr || strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
    return "?";
  }
  return buf;
}

// Writes `path` atomically: a temporary file in the same directory, then
// rename, so a PolicyStore watching `path` never sees a partial file.
Status WriteFileAtomic(const std::string& path, ByteSpan bytes) {
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = mkstemp(tmp.data());
  if (fd < 0) return IoError("cannot create a temporary file beside " + path);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  const bool ok = done == bytes.size() && fchmod(fd, 0644) == 0 && fsync(fd) == 0;
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return IoError("cannot write " + path);
  }
  return OkStatus();
}

// ---- keygen ---------------------------------------------------------------

Status RunKeygen(const std::string& out_dir) {
  ASSIGN_OR_RETURN(policy::OwnerKeyFiles files, policy::GenerateOwnerKeyFiles(out_dir));
  std::printf("wrote %s (secret, mode 0600) and %s\nowner public key: %s\n",
              files.key_path.c_str(), files.pub_path.c_str(),
              HexEncode(files.public_key).c_str());
  return OkStatus();
}

// ---- init -----------------------------------------------------------------

struct InitOptions {
  std::string out;
  std::vector<std::string> roots;
  std::vector<std::string> dev_roots;
  std::vector<std::string> measurements;
  std::vector<std::string> models;
  bool allow_evaluation = false;
  bool any_model = false;
  std::vector<std::string> tdx_extra_tcb;
  bool force = false;
  uint32_t max_age_s = 300;
  uint32_t valid_days = 30;
  std::string id = "eml-policy";
  uint64_t version = 1;
};

// "nitro:PATH" -> a root named after the file.
StatusOr<policy::TrustedRoot> RootArg(const std::string& arg, bool evaluation) {
  const size_t colon = arg.find(':');
  if (colon == std::string::npos) {
    return InvalidArgumentError("root must be PLATFORM:PATH, e.g. nitro:root.der");
  }
  const std::string path = arg.substr(colon + 1);
  ASSIGN_OR_RETURN(Bytes der, policy::ReadCertificateFile(path));
  return policy::TrustedRoot{.platform = arg.substr(0, colon),
                             .name = Stem(path),
                             .der = std::move(der),
                             .evaluation = evaluation};
}

StatusOr<policy::AllowedModel> ModelArg(const std::string& arg) {
  const size_t colon = arg.rfind(':');
  if (colon == std::string::npos) return policy::AllowedModel{.model_id = arg, .model_hash = std::nullopt};
  StatusOr<Bytes> hash = HexDecode(arg.substr(colon + 1));
  if (!hash.ok()) return InvalidArgumentError("--model: hash after ':' is not hex");
  return policy::AllowedModel{.model_id = arg.substr(0, colon), .model_hash = *std::move(hash)};
}

Status AddInitLists(const InitOptions& o, Policy* p) {
  for (const std::string& arg : o.roots) {
    ASSIGN_OR_RETURN(policy::TrustedRoot root, RootArg(arg, false));
    p->roots.push_back(std::move(root));
  }
  for (const std::string& arg : o.dev_roots) {
    ASSIGN_OR_RETURN(policy::TrustedRoot root, RootArg(arg, true));
    p->roots.push_back(std::move(root));
  }
  for (const std::string& arg : o.measurements) {
    // [PLATFORM:]FILE; a bare FILE is nitro.
    const size_t colon = arg.find(':');
    const bool prefixed = colon != std::string::npos && policy::IsKnownPlatform(arg.substr(0, colon));
    const std::string platform = prefixed ? arg.substr(0, colon) : std::string(policy::kPlatformNitro);
    const std::string path = prefixed ? arg.substr(colon + 1) : arg;
    ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, policy::kMaxPolicyJsonSize));
    ASSIGN_OR_RETURN(auto values, policy::MeasurementsFromJson(platform, text));
    p->measurements.push_back({.platform = platform, .name = Stem(path), .values = std::move(values)});
  }
  for (const std::string& arg : o.models) {
    ASSIGN_OR_RETURN(policy::AllowedModel model, ModelArg(arg));
    p->models.push_back(std::move(model));
  }
  return OkStatus();
}

Status RunInit(const InitOptions& o) {
  if (!o.force && access(o.out.c_str(), F_OK) == 0) {
    return AlreadyExistsError("refusing to overwrite " + o.out + " (use --force)");
  }
  Policy p;
  p.policy_id = o.id;
  p.version = o.version;
  p.created_at = SystemClock::Get().NowUnixSeconds();
  p.expires_at = p.created_at + int64_t{o.valid_days} * kSecondsPerDay;
  p.max_evidence_age_s = o.max_age_s;
  p.allow_evaluation = o.allow_evaluation;
  p.any_model = o.any_model;
  p.tdx_extra_tcb_statuses = o.tdx_extra_tcb;
  RETURN_IF_ERROR(AddInitLists(o, &p));
  RETURN_IF_ERROR(policy::ValidatePolicy(p));
  RETURN_IF_ERROR(WriteFileAtomic(o.out, AsBytes(policy::PolicyToJson(p))));
  std::printf("wrote %s: %zu root(s), %zu measurement tuple(s), %s, valid until %s\n",
              o.out.c_str(), p.roots.size(), p.measurements.size(),
              p.any_model ? "any model" : (std::to_string(p.models.size()) + " model(s)").c_str(),
              Utc(p.expires_at).c_str());
  if (p.roots.empty() || p.measurements.empty() || (!p.any_model && p.models.empty())) {
    std::fprintf(stderr, "note: an empty roots, measurements or models list allows nothing\n");
  }
  return OkStatus();
}

// ---- sign / verify / show ---------------------------------------------------

Status RunSign(const std::string& in, const std::string& key_path, const std::string& out) {
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(in, policy::kMaxPolicyJsonSize));
  ASSIGN_OR_RETURN(Policy p, policy::PolicyFromJson(text, {.base_dir = DirName(in)}));
  ASSIGN_OR_RETURN(crypto::Ed25519PrivateKey key, policy::ReadOwnerPrivateKey(key_path));
  ASSIGN_OR_RETURN(Bytes file, policy::SignPolicy(p, key));
  RETURN_IF_ERROR(WriteFileAtomic(out, file));
  std::printf("signed policy %s version %llu (%zu bytes) to %s\n", p.policy_id.c_str(),
              static_cast<unsigned long long>(p.version), file.size(), out.c_str());
  return OkStatus();
}

Status RunVerify(const std::string& path, const std::string& pubkey_arg, int64_t now) {
  ASSIGN_OR_RETURN(Bytes owner, policy::OwnerPublicKeyFromArg(pubkey_arg));
  ASSIGN_OR_RETURN(std::string file, ReadSmallFile(path, policy::kMaxPolicyFileSize));
  ASSIGN_OR_RETURN(Policy p, policy::VerifySignedPolicy(AsBytes(file), owner, now));
  std::printf("policy OK: %s version %llu, valid until %s\n", p.policy_id.c_str(),
              static_cast<unsigned long long>(p.version), Utc(p.expires_at).c_str());
  return OkStatus();
}

void PrintText(const Policy& p, const std::string& signature_line) {
  std::printf("policy %s version %llu\n", p.policy_id.c_str(),
              static_cast<unsigned long long>(p.version));
  std::printf("signature: %s\n", signature_line.c_str());
  std::printf("created_at: %lld (%s)\nexpires_at: %lld (%s)\n",
              static_cast<long long>(p.created_at), Utc(p.created_at).c_str(),
              static_cast<long long>(p.expires_at), Utc(p.expires_at).c_str());
  std::printf("max_evidence_age_s: %u\nallow_evaluation: %s\n", p.max_evidence_age_s,
              p.allow_evaluation ? "true" : "false");
  std::string tcb;
  for (const std::string& status : policy::AcceptedTdxTcbStatuses(p)) {
    tcb += (tcb.empty() ? "" : ", ") + status;
  }
  std::printf("tdx tcb statuses accepted: %s\n", tcb.c_str());
  std::printf("roots (%zu):\n", p.roots.size());
  for (const policy::TrustedRoot& r : p.roots) {
    std::printf("  %s %s sha256=%s%s\n", r.platform.c_str(), r.name.c_str(),
                HexEncode(crypto::Sha256(r.der)).c_str(), r.evaluation ? " [evaluation]" : "");
  }
  std::printf("measurements (%zu):\n", p.measurements.size());
  for (const policy::MeasurementTuple& t : p.measurements) {
    std::printf("  %s %s\n", t.platform.c_str(), t.name.c_str());
    for (const auto& [index, value] : t.values) {
      std::printf("    %s=%s\n", policy::MeasurementName(t.platform, index).c_str(), HexEncode(value).c_str());
    }
  }
  if (p.any_model) {
    std::printf("models: any\n");
    return;
  }
  std::printf("models (%zu):\n", p.models.size());
  for (const policy::AllowedModel& m : p.models) {
    std::printf("  %s %s\n", m.model_id.c_str(),
                m.model_hash ? ("sha256=" + HexEncode(*m.model_hash)).c_str() : "(any hash)");
  }
}

Status RunShow(const std::string& path, const std::string& format, const std::string& pubkey_arg) {
  ASSIGN_OR_RETURN(std::string file, ReadSmallFile(path, policy::kMaxPolicyFileSize));
  Policy p;
  std::string signature_line = "NOT VERIFIED (no --owner-pubkey given)";
  if (pubkey_arg.empty()) {
    ASSIGN_OR_RETURN(p, policy::InspectSignedPolicyUnverified(AsBytes(file)));
  } else {
    ASSIGN_OR_RETURN(Bytes owner, policy::OwnerPublicKeyFromArg(pubkey_arg));
    ASSIGN_OR_RETURN(p, policy::VerifySignedPolicy(AsBytes(file), owner,
                                                   SystemClock::Get().NowUnixSeconds()));
    signature_line = "verified with owner key " + HexEncode(owner) + ", valid now";
  }
  if (format == "json") {
    std::fputs(policy::PolicyToJson(p).c_str(), stdout);
    std::fprintf(stderr, "signature: %s\n", signature_line.c_str());
  } else {
    PrintText(p, signature_line);
  }
  return OkStatus();
}

// ---- registration -----------------------------------------------------------

// CLI11 check: the argument is 64 hex digits or @FILE (read later).
std::string CheckPubkeyArg(const std::string& arg) {
  if (!arg.empty() && arg[0] == '@') return arg.size() > 1 ? "" : "@ needs a file name";
  return policy::ParseOwnerPublicKey(arg).ok() ? "" : "must be 64 hex digits or @FILE";
}

void AddInit(CLI::App& group, CommandAction* action) {
  auto o = std::make_shared<InitOptions>();
  CLI::App* init = group.add_subcommand("init", "Write an editable policy JSON");
  init->add_option("--out", o->out, "policy JSON to write")->required();
  init->add_option("--root", o->roots, "trusted root, PLATFORM:PATH (DER or PEM)");
  init->add_option("--dev-root", o->dev_roots, "development root, PLATFORM:PATH");
  init->add_option("--measurements", o->measurements,
                   "[PLATFORM:]FILE, a measurements JSON of that platform's names (default "
                   "nitro: {\"pcr0\":hex,\"pcr1\":hex,\"pcr2\":hex}; tdx: mrtd, rtmr0..; "
                   "snp: measurement, host_data)");
  init->add_option("--model", o->models, "allowed model, ID or ID:SHA256HEX");
  init->add_option("--tdx-extra-tcb", o->tdx_extra_tcb,
                   "a TDX TCB status accepted besides UpToDate (repeatable): SWHardeningNeeded, "
                   "ConfigurationNeeded, ConfigurationAndSWHardeningNeeded, OutOfDate, "
                   "OutOfDateConfigurationNeeded");
  init->add_flag("--allow-evaluation", o->allow_evaluation,
                 "accept development roots and debug enclaves");
  init->add_flag("--any-model", o->any_model, "allow every model");
  init->add_flag("--force", o->force, "overwrite --out");
  init->add_option("--max-age", o->max_age_s, "max evidence age, seconds")
      ->capture_default_str()
      ->check(CLI::Range(1u, policy::kMaxEvidenceAgeLimitS));
  init->add_option("--valid-days", o->valid_days, "validity from now, days")
      ->capture_default_str()
      ->check(CLI::Range(1u, 36500u));
  init->add_option("--id", o->id, "policy id")->capture_default_str();
  init->add_option("--version", o->version, "policy version (>= 1)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  init->callback([o, action] { *action = [o] { return RunInit(*o); }; });
}

void AddSignVerifyShow(CLI::App& group, CommandAction* action) {
  auto in = std::make_shared<std::string>();
  auto key = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  CLI::App* sign = group.add_subcommand("sign", "Sign a policy JSON with the owner key");
  sign->add_option("--in", *in, "policy JSON")->required();
  sign->add_option("--key", *key, "owner.key")->required();
  sign->add_option("--out", *out, "signed policy to write")->required();
  sign->callback([=] { *action = [=] { return RunSign(*in, *key, *out); }; });

  auto file = std::make_shared<std::string>();
  auto pubkey = std::make_shared<std::string>();
  auto now = std::make_shared<int64_t>(-1);
  CLI::App* verify = group.add_subcommand("verify", "Verify a signed policy (exit 0 valid, 1 not)");
  verify->add_option("file", *file, "signed policy")->required();
  verify->add_option("--owner-pubkey", *pubkey, "owner public key: HEX or @FILE")
      ->required()
      ->check(CheckPubkeyArg);
  verify->add_option("--now", *now, "judge validity at this unix time (default: now)")
      ->check(CLI::Range(int64_t{0}, policy::kMaxUnixSeconds));
  verify->callback([=] {
    *action = [=] {
      return RunVerify(*file, *pubkey, *now >= 0 ? *now : SystemClock::Get().NowUnixSeconds());
    };
  });

  auto show_file = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("text");
  auto show_key = std::make_shared<std::string>();
  CLI::App* show = group.add_subcommand("show", "Print a signed policy");
  show->add_option("file", *show_file, "signed policy")->required();
  show->add_option("--format", *format, "text or json")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  show->add_option("--owner-pubkey", *show_key, "verify with this key: HEX or @FILE")
      ->check(CheckPubkeyArg);
  show->callback([=] { *action = [=] { return RunShow(*show_file, *format, *show_key); }; });
}

}  // namespace

void AddPolicyCommands(CLI::App& app, CommandAction* action) {
  CLI::App* group = app.add_subcommand("policy", "Signed trust policy: keys, edit, sign, verify");
  group->require_subcommand(1);
  auto out_dir = std::make_shared<std::string>();
  CLI::App* keygen = group->add_subcommand("keygen", "Create the owner's Ed25519 key pair");
  keygen->add_option("--out-dir", *out_dir, "directory for owner.key and owner.pub")->required();
  keygen->callback([=] { *action = [=] { return RunKeygen(*out_dir); }; });
  AddInit(*group, action);
  AddSignVerifyShow(*group, action);
}

}  // namespace eml::cli

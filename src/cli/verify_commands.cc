// `eml verify`: verify an AIR v1 receipt (src/receipt/air.h, docs/receipt.md).
//   eml verify RECEIPT (--public-key HEX | --evidence FILE (--root DER | --policy FILE))
//       [--owner-pubkey HEX|@FILE] [--allow-evaluation] [--expected-nonce HEX]
//       [--expected-model-hash HEX] [--now UNIX_SECONDS] [--max-age SECONDS]
//       [--tdx-collateral FILE] [--snp-cert FILE]... [--format text|json]
//
// With --evidence (the evidence.cbor of an `eml infer` bundle: a Nitro-format
// attestation document, or a TDX / SEV-SNP TEE envelope) the receipt key is
// the one the evidence binds, and the verdict adds the evidence appraisal:
// the evidence verified to --root or to a root of the signed --policy for its
// platform (a Nitro chain judged at the document's own time; a TDX quote with
// --tdx-collateral, an SEV-SNP report with the envelope's and --snp-cert's
// certificates, both judged at --now), the policy appraisal as of that time
// (measurement tuple, model, evaluation roots), the receipt's
// attestation_doc_hash equal to SHA-256 of the evidence file, and the
// receipt's measurements equal to the evidence's.
// --allow-evaluation accepts receipts of development enclaves
// (security_mode "evaluation"); a --policy decides that itself.
//
// RECEIPT is a file holding the raw COSE_Sign1 bytes. Exit status: 0 when the
// receipt verifies, 1 when it does not (the report is printed first), 2 for
// usage errors and unreadable files. The receipt key comes from one small
// function (ReceiptKey) so other key sources (an attestation document's
// user_data) can be added beside --public-key.
//
// Receipt text in the report goes through the library's Printable() rule
// for codes and details; claims appear only in JSON output, where the JSON
// encoder escapes control characters.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "attest/nitro.h"
#include "attest/tee_evidence.h"
#include "cli/command.h"
#include "core/clock.h"
#include "core/encoding.h"
#include "core/file.h"
#include "crypto/hash.h"
#include "policy/appraise.h"
#include "policy/signed_policy.h"
#include "protocol/handshake.h"
#include "receipt/air.h"

namespace eml::cli {
namespace {

using Json = nlohmann::ordered_json;  // keeps "verified" first

struct VerifyArgs {
  std::string receipt_path;
  std::string public_key_hex;
  std::string expected_nonce_hex;       // "" when not given
  std::string expected_model_hash_hex;  // "" when not given
  std::optional<int64_t> now;        // nullopt: the system clock
  std::optional<uint64_t> max_age;   // nullopt: no freshness check
  int64_t now_value = 0;             // parsed option values
  uint64_t max_age_value = 0;
  std::string format = "text";
  std::string evidence_path;
  std::string root_path;
  std::string policy_path;
  std::string owner_pubkey;
  bool allow_evaluation = false;
  std::string tdx_collateral;          // TDX evidence: QuoteCollateralV3 JSON
  std::vector<std::string> snp_certs;  // SEV-SNP evidence: VCEK/ASK/ARK files
};

// What --evidence established; every step is a check in the report.
struct EvidenceAppraisal {
  std::vector<receipt::AirCheck> checks;
  Bytes receipt_key;
  Bytes model_hash;  // the model hash the evidence binds
  Bytes evidence_hash;
  std::string platform = "nitro";  // of the evidence: nitro, tdx or snp
  std::map<uint32_t, Bytes> pcrs;  // measurements, keyed as the policy names them
  int64_t evidence_time_ms = 0;
  std::optional<policy::Policy> policy;  // with --policy, once its signature verified
  Bytes matched_root;
  bool allow_evaluation = false;
  bool ok() const {
    for (const auto& c : checks) {
      if (c.result != receipt::AirCheck::Result::kPass) return false;
    }
    return !checks.empty();
  }
  void Add(std::string id, bool passed, std::string code, std::string detail) {
    checks.push_back({std::move(id),
                      passed ? receipt::AirCheck::Result::kPass : receipt::AirCheck::Result::kFail,
                      passed ? "" : std::move(code), std::move(detail)});
  }
};

// A CLI11 check: hex of exactly `size` bytes, or of 1..max_size bytes when
// `size` is 0.
CLI::Validator HexBytes(size_t size, size_t max_size) {
  return CLI::Validator(
      [size, max_size](std::string& text) -> std::string {
        StatusOr<Bytes> bytes = HexDecode(text);
        bool good = bytes.ok() && (size != 0 ? bytes->size() == size
                                             : !bytes->empty() && bytes->size() <= max_size);
        if (good) return "";
        return size != 0 ? "must be " + std::to_string(2 * size) + " hex digits"
                         : "must be 2.." + std::to_string(2 * max_size) + " hex digits";
      },
      "HEX");
}

// A CLI11 check: a non-negative decimal integer.
CLI::Validator Digits() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        bool good = !text.empty() && text.size() <= 19 &&
                    text.find_first_not_of("0123456789") == std::string::npos;
        return good ? "" : "must be a non-negative decimal integer";
      },
      "UINT");
}

// The fields the evidence attests, or nullopt (and a failed check) if it
// does not verify. Nitro documents are judged at their own time; TDX and
// SEV-SNP envelopes, which carry none, at --now (default: now).
struct Attested {
  std::optional<Bytes> user_data;
};

std::optional<Attested> VerifyNitroFile(ByteSpan evidence, const std::vector<Bytes>& roots,
                                        EvidenceAppraisal* a) {
  attest::NitroVerifyOptions options;
  for (const Bytes& r : roots) options.pinned_roots.push_back(r);
  StatusOr<attest::NitroVerification> v = attest::VerifyNitroEvidence(evidence, options);
  if (!v.ok()) {
    a->Add("EVIDENCE", false, "INVALID_OPTIONS", v.status().message());
    return std::nullopt;
  }
  for (const attest::EvidenceCheck& c : v->report.checks) a->Add("EVIDENCE_" + c.id, c.passed, c.code, c.detail);
  if (!v->verified() || !v->document) return std::nullopt;
  a->pcrs = v->document->pcrs;
  a->evidence_time_ms = v->document->timestamp_ms;
  a->matched_root = roots[*v->matched_root];
  return Attested{v->document->user_data};
}

StatusOr<std::optional<Attested>> VerifyTeeFile(const VerifyArgs& args, ByteSpan evidence,
                                                const std::vector<Bytes>& roots,
                                                EvidenceAppraisal* a) {
  ASSIGN_OR_RETURN(TeeCollateral collateral, LoadTeeCollateral(args.tdx_collateral, args.snp_certs));
  const int64_t at = args.now.value_or(SystemClock::Get().NowUnixSeconds());
  attest::TeeVerifyOptions options{.at_unix_seconds = at,
                                   .tdx_collateral = collateral.tdx ? &*collateral.tdx : nullptr,
                                   .snp_certificates = std::move(collateral.snp_certificates)};
  if (a->policy) options.accepted_tdx_tcb_statuses = policy::AcceptedTdxTcbStatuses(*a->policy);
  for (const Bytes& r : roots) options.pinned_roots.push_back(r);
  if (a->platform == "tdx" && !collateral.tdx) {
    return NotFoundError("verify: TDX evidence needs --tdx-collateral (QuoteCollateralV3 JSON)");
  }
  StatusOr<attest::TeeVerification> v = attest::VerifyTeeEvidence(evidence, a->platform, options);
  if (!v.ok()) {
    a->Add("EVIDENCE", false, "INVALID_OPTIONS", v.status().message());
    return std::optional<Attested>();
  }
  for (const attest::EvidenceCheck& c : v->report.checks) a->Add("EVIDENCE_" + c.id, c.passed, c.code, c.detail);
  if (!v->verified() || !v->envelope) return std::optional<Attested>();
  a->pcrs = v->measurements;
  a->evidence_time_ms = at * 1000;
  a->matched_root = roots[*v->matched_root];
  return std::optional<Attested>(Attested{v->envelope->user_data});
}

// Verifies the evidence (Nitro documents, or TDX/SEV-SNP TEE envelopes) to
// --root or to the signed --policy's roots for its platform, and reads its
// binding; the policy appraisal follows in AppraiseAgainstPolicy once the
// receipt's claims are known. Usage and I/O problems are errors; bad
// evidence is a failed check.
StatusOr<EvidenceAppraisal> AppraiseEvidence(const VerifyArgs& args) {
  EvidenceAppraisal a;
  a.allow_evaluation = args.allow_evaluation;
  ASSIGN_OR_RETURN(std::string evidence,
                   ReadSmallFile(args.evidence_path,
                                 std::max(attest::kNitroMaxDocumentSize, attest::kTeeMaxEnvelopeSize)));
  a.evidence_hash = crypto::Sha256(AsBytes(evidence));
  if (StatusOr<attest::TeeEnvelope> e = attest::ParseTeeEnvelope(AsBytes(evidence)); e.ok()) {
    a.platform = std::string(attest::TeePlatformName(e->platform));
  }
  std::vector<Bytes> roots;
  if (!args.policy_path.empty()) {
    ASSIGN_OR_RETURN(std::string file, ReadSmallFile(args.policy_path, policy::kMaxPolicyFileSize));
    ASSIGN_OR_RETURN(Bytes owner, ReadOwnerKeyArg(args.owner_pubkey, args.policy_path));
    StatusOr<policy::Policy> verified = policy::VerifySignedPolicySignatureOnly(AsBytes(file), owner);
    a.Add("POLICY_SIGNATURE", verified.ok(), "POLICY_INVALID",
          verified.ok() ? "signed by the owner key" : verified.status().message());
    if (!verified.ok()) return a;
    a.policy = std::move(verified).value();
    for (ByteSpan r : policy::RootsFor(*a.policy, a.platform)) roots.emplace_back(r.begin(), r.end());
    a.allow_evaluation = a.policy->allow_evaluation;
  } else {
    ASSIGN_OR_RETURN(std::string root, ReadSmallFile(args.root_path, 64 * 1024));
    roots.emplace_back(AsBytes(root).begin(), AsBytes(root).end());
  }
  if (roots.empty()) {
    a.Add("EVIDENCE", false, "NO_TRUSTED_ROOT", "the policy trusts no " + a.platform + " root");
    return a;
  }
  std::optional<Attested> attested;
  if (a.platform == "nitro") {
    attested = VerifyNitroFile(AsBytes(evidence), roots, &a);
  } else {
    ASSIGN_OR_RETURN(attested, VerifyTeeFile(args, AsBytes(evidence), roots, &a));
  }
  if (!attested) return a;
  StatusOr<protocol::EvidenceBinding> binding =
      attested->user_data
          ? protocol::ParseBinding(*attested->user_data)
          : StatusOr<protocol::EvidenceBinding>(Status(StatusCode::kInvalidArgument, "no user_data"));
  a.Add("EVIDENCE_BINDING", binding.ok(), "NO_RECEIPT_KEY",
        binding.ok() ? "user_data binds the receipt key" : binding.status().message());
  if (binding.ok()) {
    a.receipt_key = binding->receipt_public_key;
    a.model_hash = binding->model_hash;
  }
  return a;
}

// With --policy: the evidence and the receipt's model, appraised as of the
// evidence's own time (archived evidence is judged then, not now).
void AppraiseAgainstPolicy(const receipt::AirClaims& claims, EvidenceAppraisal* a) {
  if (!a->policy || a->matched_root.empty()) return;
  policy::AppraisalInput input;
  input.platform = a->platform;
  input.matched_root_der = a->matched_root;
  input.measurements = a->pcrs;
  input.evidence_time_ms = a->evidence_time_ms;
  input.now_ms = a->evidence_time_ms;
  input.model_id = claims.model_id;
  input.model_hash = claims.model_hash;
  for (const policy::PolicyCheck& c : policy::Appraise(*a->policy, input).checks) {
    a->Add("POLICY_" + c.id, c.passed, c.code, c.detail);
  }
}

// The Ed25519 key the receipt must be signed with: --public-key, or the key
// the evidence binds (both given: they must agree, a check of its own).
StatusOr<Bytes> ReceiptKey(const VerifyArgs& args, std::optional<EvidenceAppraisal>& evidence) {
  if (!evidence) return HexDecode(args.public_key_hex);
  if (!args.public_key_hex.empty()) {
    ASSIGN_OR_RETURN(Bytes given, HexDecode(args.public_key_hex));
    evidence->Add("RECEIPT_KEY_MATCHES", given == evidence->receipt_key, "RECEIPT_KEY_MISMATCH",
                  "--public-key is the key the evidence binds");
  }
  return evidence->receipt_key;
}

StatusOr<receipt::AirVerifyPolicy> PolicyFromArgs(const VerifyArgs& args) {
  receipt::AirVerifyPolicy policy;
  if (!args.expected_nonce_hex.empty()) {
    ASSIGN_OR_RETURN(policy.expected_nonce, HexDecode(args.expected_nonce_hex));
  }
  if (!args.expected_model_hash_hex.empty()) {
    ASSIGN_OR_RETURN(policy.expected_model_hash, HexDecode(args.expected_model_hash_hex));
  }
  policy.max_age_secs = args.max_age;
  policy.now_unix_seconds = args.now.value_or(SystemClock::Get().NowUnixSeconds());
  policy.allow_evaluation_mode = args.allow_evaluation;
  return policy;
}

Json OptionalHex(const std::optional<Bytes>& bytes) {
  return bytes ? Json(HexEncode(*bytes)) : Json(nullptr);
}

Json NullIfEmpty(const std::string& text) {
  return text.empty() ? Json(nullptr) : Json(text);
}

// The same field names as the upstream vectors' "claims" objects.
Json ClaimsJson(const receipt::AirClaims& c) {
  const receipt::AirMeasurements& m = c.measurements;
  return {
      {"iss", c.iss},
      {"iat", c.iat},
      {"cti_hex", HexEncode(c.cti)},
      {"eat_nonce_hex", OptionalHex(c.eat_nonce)},
      {"eat_profile", std::string(receipt::kAirProfile)},
      {"model_id", c.model_id},
      {"model_version", c.model_version},
      {"model_hash_hex", HexEncode(c.model_hash)},
      {"request_hash_hex", HexEncode(c.request_hash)},
      {"response_hash_hex", HexEncode(c.response_hash)},
      {"attestation_doc_hash_hex", HexEncode(c.attestation_doc_hash)},
      {"enclave_measurements",
       {{"measurement_type", m.type},
        {"pcr0_hex", HexEncode(m.pcr0)},
        {"pcr1_hex", HexEncode(m.pcr1)},
        {"pcr2_hex", HexEncode(m.pcr2)},
        {"pcr3_hex", OptionalHex(m.pcr3)},
        {"pcr4_hex", OptionalHex(m.pcr4)},
        {"pcr8_hex", OptionalHex(m.pcr8)}}},
      {"policy_version", c.policy_version},
      {"sequence_number", c.sequence_number},
      {"execution_time_ms", c.execution_time_ms},
      {"memory_peak_mb", c.memory_peak_mb},
      {"security_mode", c.security_mode},
      {"model_hash_scheme",
       c.model_hash_scheme ? Json(*c.model_hash_scheme) : Json(nullptr)},
  };
}

void PrintJson(const receipt::AirVerifyResult& result) {
  Json checks = Json::array();
  for (const receipt::AirCheck& check : result.checks) {
    checks.push_back({{"id", check.id},
                      {"result", std::string(receipt::AirCheckResultName(check.result))},
                      {"code", NullIfEmpty(check.code)},
                      {"detail", check.detail}});
  }
  Json out = {
      {"verified", result.verified},
      {"failure_code", NullIfEmpty(result.failure_code)},
      {"checks", std::move(checks)},
      {"claims", result.claims ? ClaimsJson(*result.claims) : Json(nullptr)},
  };
  std::string text = out.dump(2, ' ', false, Json::error_handler_t::replace);
  std::printf("%s\n", text.c_str());
}

void PrintText(const receipt::AirVerifyResult& result) {
  for (const receipt::AirCheck& check : result.checks) {
    std::string result_name(receipt::AirCheckResultName(check.result));
    std::printf("%-21s %s", check.id.c_str(), result_name.c_str());
    if (!check.code.empty()) std::printf("  %s", check.code.c_str());
    if (check.result != receipt::AirCheck::Result::kPass && !check.detail.empty()) {
      std::printf("  (%s)", check.detail.c_str());
    }
    std::printf("\n");
  }
  if (result.verified) {
    std::printf("verdict: VERIFIED\n");
  } else {
    std::printf("verdict: NOT VERIFIED (%s)\n", result.failure_code.c_str());
  }
}

Status RunVerify(const VerifyArgs& args) {
  // A file over the limit is reported with the verifier's SIZE code,
  // without reading it.
  StatusOr<std::string> file = ReadSmallFile(args.receipt_path, receipt::kAirMaxReceiptSize);
  if (!file.ok() && file.status().code() == StatusCode::kLimitExceeded) {
    return VerificationFailedError("receipt not verified: RECEIPT_TOO_LARGE (file exceeds " +
                                   std::to_string(receipt::kAirMaxReceiptSize) + " bytes)");
  }
  if (!file.ok()) return file.status();
  ASSIGN_OR_RETURN(receipt::AirVerifyPolicy policy, PolicyFromArgs(args));
  std::optional<EvidenceAppraisal> evidence;
  if (!args.evidence_path.empty()) {
    ASSIGN_OR_RETURN(evidence, AppraiseEvidence(args));
    policy.expected_attestation_doc_hash = evidence->evidence_hash;
    policy.allow_evaluation_mode = evidence->allow_evaluation;
  }
  ASSIGN_OR_RETURN(Bytes key, ReceiptKey(args, evidence));
  receipt::AirVerifyResult result = receipt::VerifyAirReceipt(AsBytes(*file), key, policy);
  if (evidence) {
    if (result.claims) {
      StatusOr<receipt::AirMeasurements> expected =
          receipt::AirMeasurementsFor(evidence->platform, evidence->pcrs);
      evidence->Add("EVIDENCE_MEASUREMENTS",
                    expected.ok() && result.claims->measurements == *expected,
                    "MEASUREMENT_MISMATCH", "the receipt's measurements are the evidence's");
      evidence->Add("EVIDENCE_MODEL_HASH", result.claims->model_hash == evidence->model_hash,
                    "MODEL_HASH_MISMATCH", "the receipt's model_hash is the one the evidence binds");
      AppraiseAgainstPolicy(*result.claims, &*evidence);
    }
    result.checks.insert(result.checks.end(), evidence->checks.begin(), evidence->checks.end());
    if (result.verified && !evidence->ok()) {
      result.verified = false;
      for (const receipt::AirCheck& c : evidence->checks) {
        if (c.result != receipt::AirCheck::Result::kPass) {
          result.failure_code = c.id + (c.code.empty() ? "" : ":" + c.code);
          break;
        }
      }
    }
  }
  if (args.format == "json") {
    PrintJson(result);
  } else {
    PrintText(result);
  }
  std::fflush(stdout);
  if (!result.verified) {
    return VerificationFailedError("receipt not verified: " + result.failure_code);
  }
  return OkStatus();
}

}  // namespace

void AddVerifyCommands(CLI::App& app, CommandAction* action) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* verify = app.add_subcommand("verify", "Verify an AIR v1 receipt (COSE_Sign1 file)");
  verify->add_option("receipt", args->receipt_path, "receipt file (raw COSE_Sign1 bytes)")
      ->required();
  CLI::Option* key =
      verify->add_option("--public-key", args->public_key_hex, "Ed25519 receipt key (64 hex digits)")
          ->check(HexBytes(32, 0));
  CLI::Option* evidence = verify->add_option(
      "--evidence", args->evidence_path,
      "evidence binding the receipt key: a Nitro document or a TDX/SEV-SNP TEE envelope "
      "(judged at --now)");
  CLI::Option* root = verify->add_option("--root", args->root_path, "trusted root (DER) for --evidence");
  CLI::Option* pol = verify->add_option("--policy", args->policy_path, "signed policy for --evidence");
  verify->add_option("--owner-pubkey", args->owner_pubkey,
                     "policy owner key: HEX or @FILE (default: owner.pub beside the policy)");
  root->needs(evidence)->excludes(pol);
  pol->needs(evidence);
  verify->add_option("--tdx-collateral", args->tdx_collateral,
                     "TDX evidence: Intel collateral (QuoteCollateralV3 JSON)")
      ->needs(evidence);
  verify->add_option("--snp-cert", args->snp_certs,
                     "SEV-SNP evidence: VCEK/VLEK or ASK/ARK certificates (repeatable)")
      ->needs(evidence);
  verify->add_flag("--allow-evaluation", args->allow_evaluation,
                   "accept security_mode \"evaluation\" (development enclaves)");
  verify->add_option("--expected-nonce", args->expected_nonce_hex, "required eat_nonce (hex)")
      ->check(HexBytes(0, 64));
  verify->add_option("--expected-model-hash", args->expected_model_hash_hex,
                     "required model_hash (64 hex digits)")
      ->check(HexBytes(32, 0));
  CLI::Option* now = verify->add_option(
      "--now", args->now_value, "time to judge freshness at (default: the system clock)");
  now->type_name("UNIX_SECONDS")->check(Digits());
  CLI::Option* max_age =
      verify->add_option("--max-age", args->max_age_value, "maximum receipt age");
  max_age->type_name("SECONDS")->check(Digits());
  verify->add_option("--format", args->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  verify->callback([args, action, now, max_age, key, evidence, root, pol] {
    if (key->count() == 0 && evidence->count() == 0) {
      throw CLI::ValidationError("--public-key or --evidence is required");
    }
    if (evidence->count() > 0 && root->count() == 0 && pol->count() == 0) {
      throw CLI::ValidationError("--evidence needs --root or --policy");
    }
    if (now->count() > 0) args->now = args->now_value;
    if (max_age->count() > 0) args->max_age = args->max_age_value;
    *action = [args] { return RunVerify(*args); };
  });
}

}  // namespace eml::cli

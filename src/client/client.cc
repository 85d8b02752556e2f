#include "client/client.h"

#include <algorithm>
#include <utility>

#include "attest/nitro.h"
#include "attest/tee_evidence.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "net/deadline.h"
#include "protocol/frame.h"
#include "protocol/handshake.h"
#include "protocol/io.h"

namespace eml::client {
namespace {

using protocol::FrameType;

constexpr uint64_t kClientMaxRecords = uint64_t{1} << 40;
constexpr size_t kRequestNonceSize = 32;

Status Refused(std::string message) {
  return Status(StatusCode::kVerificationFailed, std::move(message));
}

void AddCheck(std::vector<attest::EvidenceCheck>* checks, std::string id, bool passed,
              std::string detail) {
  checks->push_back({std::move(id), passed, passed ? "OK" : "MISMATCH", std::move(detail)});
}

// What a platform verifier established, for appraisal and binding.
struct VerifiedEvidence {
  size_t matched_root = 0;
  int64_t evidence_time_ms = 0;
  // The fields the evidence attests.
  std::optional<Bytes> public_key, user_data, nonce;
};

// Fills the binding checks; true if all passed.
bool CheckBinding(const VerifiedEvidence& v, ByteSpan challenge, ByteSpan hello_frame,
                  const protocol::ServerEvidence& message, Attestation* a) {
  std::vector<attest::EvidenceCheck>& checks = a->binding_checks;
  AddCheck(&checks, "CHALLENGE", v.nonce.has_value() && ConstantTimeEquals(*v.nonce, challenge),
           "the evidence nonce is this connection's challenge");
  const bool has_key = v.public_key.has_value() && v.public_key->size() == 32;
  AddCheck(&checks, "SESSION_KEY", has_key, "the evidence carries a 32-byte X25519 session key");
  if (has_key) a->session_public_key = *v.public_key;
  StatusOr<protocol::EvidenceBinding> binding =
      v.user_data ? protocol::ParseBinding(*v.user_data)
                : StatusOr<protocol::EvidenceBinding>(
                      Status(StatusCode::kInvalidArgument, "no user_data"));
  AddCheck(&checks, "BINDING", binding.ok(),
           binding.ok() ? "user_data holds the EMLB v1 binding" : binding.status().message());
  if (binding.ok()) {
    AddCheck(&checks, "HELLO_HASH", binding->hello_hash == crypto::Sha256(hello_frame),
             "the evidence binds the hello this client sent");
    AddCheck(&checks, "MODEL_HASH", binding->model_hash == message.model_hash,
             "the evidence binds the announced model hash");
    a->receipt_public_key = binding->receipt_public_key;
  }
  return std::all_of(checks.begin(), checks.end(), [](const auto& c) { return c.passed; });
}

StatusOr<VerifiedEvidence> VerifyNitro(const ClientOptions& options, const policy::Policy& pol,
                                       const std::vector<ByteSpan>& roots,
                                       const protocol::ServerEvidence& message, Attestation* a) {
  attest::NitroVerifyOptions verify;
  verify.pinned_roots = roots;
  verify.clock = options.clock;
  verify.max_age_millis = int64_t{pol.max_evidence_age_s} * 1000;
  StatusOr<attest::NitroVerification> v = attest::VerifyNitroEvidence(message.evidence, verify);
  if (!v.ok()) return Refused("evidence: " + v.status().ToString());
  a->evidence_report = v->report;
  if (v->document) {
    a->module_id = v->document->module_id;
    a->evidence_time_ms = v->document->timestamp_ms;
    a->pcrs = v->document->pcrs;
  }
  if (!v->verified() || !v->document || !v->matched_root) {
    return Refused("evidence: " + v->report.ToStatus().message());
  }
  return VerifiedEvidence{*v->matched_root, v->document->timestamp_ms, v->document->public_key,
                          v->document->user_data, v->document->nonce};
}

// TDX and SEV-SNP: the TEE envelope, judged now. Quotes and reports carry no
// time; their freshness is the challenge bound through REPORTDATA.
StatusOr<VerifiedEvidence> VerifyTee(const ClientOptions& options, const policy::Policy& pol,
                                     const std::vector<ByteSpan>& roots,
                                     const protocol::ServerEvidence& message, Attestation* a) {
  attest::TeeVerifyOptions verify{.pinned_roots = roots,
                                  .at_unix_seconds = options.clock->NowUnixSeconds(),
                                  .tdx_collateral = options.tdx_collateral,
                                  .snp_certificates = options.snp_certificates,
                                  .accepted_tdx_tcb_statuses = policy::AcceptedTdxTcbStatuses(pol)};
  if (message.platform == policy::kPlatformTdx && verify.tdx_collateral == nullptr) {
    return Refused("evidence: TDX evidence needs Intel collateral (QuoteCollateralV3), "
                   "and none was configured");
  }
  StatusOr<attest::TeeVerification> v =
      attest::VerifyTeeEvidence(message.evidence, message.platform, verify);
  if (!v.ok()) return Refused("evidence: " + v.status().ToString());
  a->evidence_report = v->report;
  a->pcrs = v->measurements;
  a->tcb = v->tcb;
  a->evidence_time_ms = options.clock->NowUnixMillis();
  if (!v->verified() || !v->envelope || !v->matched_root) {
    return Refused("evidence: " + v->report.ToStatus().message());
  }
  return VerifiedEvidence{*v->matched_root, a->evidence_time_ms, v->envelope->public_key,
                          v->envelope->user_data, v->envelope->nonce};
}

// Runs every pre-key check; fills `a`. OK only if the enclave is trusted.
Status VerifyEnclave(const ClientOptions& options, ByteSpan challenge, ByteSpan hello_frame,
                     const protocol::ServerEvidence& message, Attestation* a) {
  a->platform = message.platform;
  a->model_id = message.model_id;
  a->model_version = message.model_version;
  a->model_hash = message.model_hash;
  a->evidence = message.evidence;
  a->evidence_hash = crypto::Sha256(message.evidence);

  StatusOr<std::shared_ptr<const policy::Policy>> current = options.policy->Current();
  if (!current.ok()) return Refused("policy: " + current.status().ToString());
  const policy::Policy& pol = **current;
  const std::vector<ByteSpan> roots = policy::RootsFor(pol, message.platform);
  if (roots.empty()) return Refused("policy: no trusted root for platform " + message.platform);

  StatusOr<VerifiedEvidence> v = message.platform == policy::kPlatformNitro
                                     ? VerifyNitro(options, pol, roots, message, a)
                                     : VerifyTee(options, pol, roots, message, a);
  if (!v.ok()) return v.status();
  const ByteSpan root = roots[v->matched_root];
  for (const policy::TrustedRoot& r : pol.roots) {
    if (r.platform == message.platform && ByteSpan(r.der).size() == root.size() &&
        std::equal(root.begin(), root.end(), r.der.begin())) {
      a->root_name = r.name;
      a->evaluation_root = r.evaluation;
      break;
    }
  }

  policy::AppraisalInput input;
  input.platform = message.platform;
  input.matched_root_der = root;
  input.measurements = a->pcrs;
  input.evidence_time_ms = v->evidence_time_ms;
  input.now_ms = options.clock->NowUnixMillis();
  input.model_id = message.model_id;
  input.model_hash = message.model_hash;
  a->verdict = policy::Appraise(pol, input);
  if (!a->verdict->allowed) {
    for (const policy::PolicyCheck& c : a->verdict->checks) {
      if (!c.passed) return Refused("policy: " + c.id + " " + c.code + ": " + c.detail);
    }
    return Refused("policy: not allowed");
  }
  if (!CheckBinding(*v, challenge, hello_frame, message, a)) {
    for (const attest::EvidenceCheck& c : a->binding_checks) {
      if (!c.passed) return Refused("binding: " + c.id + " failed");
    }
    return Refused("binding: failed");
  }
  StatusOr<receipt::AirMeasurements> expected = receipt::AirMeasurementsFor(a->platform, a->pcrs);
  if (!expected.ok()) return Refused("evidence: " + expected.status().message());
  a->receipt_measurements = *std::move(expected);
  a->verified = true;
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<Session>> Session::Connect(const ClientOptions& options,
                                                    Attestation* attestation_out) {
  if (options.policy == nullptr || options.clock == nullptr) {
    return Status(StatusCode::kInvalidArgument, "client: policy and clock are required");
  }
  const net::Deadline deadline = net::Deadline::In(options.timeout);
  ASSIGN_OR_RETURN(net::Socket socket, net::Connect(options.endpoint, deadline));
  Bytes challenge(protocol::kChallengeSize);
  RETURN_IF_ERROR(crypto::RandomBytes(challenge));
  ASSIGN_OR_RETURN(Bytes hello, protocol::EncodeFrame(FrameType::kClientHello,
                                                       protocol::EncodeClientHello(challenge)));
  RETURN_IF_ERROR(net::WriteAll(socket, hello, deadline));

  ASSIGN_OR_RETURN(protocol::Frame frame,
                   protocol::ReadFrame(socket, deadline, protocol::kMaxServerEvidenceMessage));
  if (frame.header.type == FrameType::kAlert) {
    // Reported, never trusted: the alert is unauthenticated.
    StatusOr<protocol::Alert> alert = protocol::ParseAlert(frame.payload());
    return Status(StatusCode::kFailedPrecondition,
                  "enclave refused the session: " +
                      (alert.ok() ? "alert " + std::to_string(alert->code) + " " + alert->text
                                  : std::string("malformed alert")));
  }
  if (frame.header.type != FrameType::kServerEvidence) {
    return Refused("handshake: expected SERVER_EVIDENCE");
  }
  StatusOr<protocol::ServerEvidence> message = protocol::ParseServerEvidence(frame.payload());
  if (!message.ok()) return Refused("handshake: " + message.status().ToString());

  Attestation attestation;
  Status trusted = VerifyEnclave(options, challenge, hello, *message, &attestation);
  if (attestation_out != nullptr) *attestation_out = attestation;
  if (!trusted.ok()) return trusted;  // `socket` closes: nothing more was sent

  ASSIGN_OR_RETURN(protocol::ClientKeyExchange kx,
                   protocol::ClientDeriveKeys(attestation.session_public_key,
                                              protocol::TranscriptHash(hello, frame.bytes)));
  RETURN_IF_ERROR(protocol::WriteFrame(socket, FrameType::kClientKey, kx.enc, deadline));
  ASSIGN_OR_RETURN(protocol::RecordChannel out,
                   protocol::RecordChannel::Create(kx.keys.c2s_key, kx.keys.c2s_iv,
                                                   kClientMaxRecords));
  ASSIGN_OR_RETURN(protocol::RecordChannel in,
                   protocol::RecordChannel::Create(kx.keys.s2c_key, kx.keys.s2c_iv,
                                                   kClientMaxRecords));
  return std::unique_ptr<Session>(new Session(options, std::move(socket), std::move(attestation),
                                              std::move(kx.keys), std::move(out), std::move(in)));
}

StatusOr<EmbedResult> Session::Embed(const std::vector<std::string>& texts) {
  if (closed_) return Status(StatusCode::kFailedPrecondition, "client: the session has ended");
  Bytes nonce(kRequestNonceSize);
  RETURN_IF_ERROR(crypto::RandomBytes(nonce));
  ASSIGN_OR_RETURN(Bytes request, protocol::EncodeEmbedRequest({nonce, texts}));
  const net::Deadline deadline = net::Deadline::In(options_.timeout);

  // From here on any failure ends the session: fail closed.
  auto fail = [this](Status status) {
    closed_ = true;
    socket_.Close();
    return status;
  };
  StatusOr<Bytes> record = out_.Seal(FrameType::kRequest, request);
  if (!record.ok()) return fail(record.status());
  if (Status s = net::WriteAll(socket_, *record, deadline); !s.ok()) return fail(s);
  StatusOr<protocol::Frame> frame = protocol::ReadFrame(socket_, deadline);
  if (!frame.ok()) {
    if (net::IsEndOfStream(frame.status())) {
      return fail(Status(StatusCode::kIo, "client: the connection ended without CLOSE (truncated)"));
    }
    return fail(frame.status());
  }
  const FrameType type = frame->header.type;
  if (type != FrameType::kResponse && type != FrameType::kError && type != FrameType::kClose) {
    return fail(Refused("client: unexpected frame " + std::string(protocol::FrameTypeName(type))));
  }
  StatusOr<Bytes> plaintext = in_.Open(*frame);
  if (!plaintext.ok()) return fail(Refused(plaintext.status().message()));
  if (type == FrameType::kClose) {
    const uint8_t code = plaintext->size() == 1 ? (*plaintext)[0] : 0;
    return fail(Status(StatusCode::kIo, "client: the enclave closed the session: " +
                                            std::string(protocol::CloseCodeName(code))));
  }
  if (type == FrameType::kError) {
    StatusOr<protocol::ErrorMessage> error = protocol::ParseErrorMessage(*plaintext);
    if (!error.ok()) return fail(Refused("client: malformed error message"));
    return Status(StatusCode::kInternal, "enclave error " + error->code + ": " + error->message);
  }
  StatusOr<EmbedResult> result = CheckResponse(request, nonce, texts.size(), *plaintext);
  if (!result.ok()) return fail(result.status());
  return result;
}

StatusOr<EmbedResult> Session::CheckResponse(ByteSpan request, const Bytes& nonce,
                                             size_t texts_sent, ByteSpan plaintext) {
  ASSIGN_OR_RETURN(protocol::ResponseEnvelope envelope, protocol::ParseResponseEnvelope(plaintext));
  const Attestation& a = attestation_;
  receipt::AirVerifyPolicy policy;
  policy.expected_nonce = nonce;
  policy.require_nonce = true;
  policy.expected_request_hash = crypto::Sha256(request);
  policy.expected_response_hash = crypto::Sha256(envelope.body);
  policy.expected_attestation_doc_hash = a.evidence_hash;
  policy.expected_model_hash = a.model_hash;
  policy.expected_model_id = a.model_id;
  policy.expected_platform = std::string(receipt::AirMeasurementTypeFor(a.platform));
  policy.max_age_secs = options_.receipt_max_age_s;
  policy.clock_skew_secs = options_.receipt_clock_skew_s;
  policy.now_unix_seconds = options_.clock->NowUnixSeconds();
  policy.allow_evaluation_mode = a.evaluation_root;

  EmbedResult result;
  result.nonce = nonce;
  result.receipt = envelope.receipt;
  result.receipt_check = receipt::VerifyAirReceipt(envelope.receipt, a.receipt_public_key, policy);
  receipt::AirVerifyResult& check = result.receipt_check;
  if (check.verified && check.claims) {
    // Beyond AIR-local checks: the session's own facts.
    const receipt::AirClaims& claims = *check.claims;
    auto add = [&check](std::string id, bool ok, std::string code) {
      check.checks.push_back({std::move(id), ok ? receipt::AirCheck::Result::kPass
                                                : receipt::AirCheck::Result::kFail,
                              ok ? "" : code, ""});
      if (!ok && check.failure_code.empty()) check.failure_code = std::move(code);
      check.verified = check.verified && ok;
    };
    add("SESSION_MEASUREMENTS", claims.measurements == a.receipt_measurements,
        "MEASUREMENT_MISMATCH");
    add("SESSION_SEQUENCE", claims.sequence_number == last_sequence_ + 1, "SEQUENCE_MISMATCH");
    add("SESSION_MODE",
        claims.security_mode == (a.evaluation_root ? receipt::kSecurityModeEvaluation
                                                   : receipt::kSecurityModeProduction),
        "SECURITY_MODE_MISMATCH");
  }
  if (!check.verified) return Refused("receipt not verified: " + check.failure_code);
  last_sequence_ = check.claims->sequence_number;
  ASSIGN_OR_RETURN(result.body, protocol::ParseEmbedResponseBody(envelope.body));
  if (result.body.token_counts.size() != texts_sent) {
    return Refused("response: " + std::to_string(result.body.token_counts.size()) +
                   " embeddings for " + std::to_string(texts_sent) + " texts");
  }
  return result;
}

void Session::Close() {
  if (closed_) return;
  closed_ = true;
  const uint8_t code = static_cast<uint8_t>(protocol::CloseCode::kNormal);
  StatusOr<Bytes> record = out_.Seal(FrameType::kClose, ByteSpan(&code, 1));
  if (record.ok()) {
    (void)net::WriteAll(socket_, *record, net::Deadline::In(std::chrono::milliseconds(500)));
  }
  socket_.Close();
}

}  // namespace eml::client

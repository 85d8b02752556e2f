#include "enclave/enclave.h"

#include <sys/resource.h>

#include <optional>
#include <utility>

#include "attest/nitro.h"
#include "attest/tee_evidence.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "crypto/x25519.h"
#include "net/deadline.h"
#include "protocol/frame.h"
#include "protocol/handshake.h"
#include "protocol/io.h"
#include "protocol/messages.h"
#include "protocol/record.h"

namespace eml::enclave {
namespace {

using protocol::FrameType;
using Steady = std::chrono::steady_clock;

constexpr size_t kMaxHandshakeFrame = 64;  // CLIENT_HELLO is 34 bytes, CLIENT_KEY 32
constexpr auto kAlertWriteTimeout = std::chrono::milliseconds(200);
constexpr auto kCloseLinger = std::chrono::milliseconds(200);
constexpr size_t kMaxCloseDrain = size_t{4} << 20;

uint64_t PeakMemoryMb() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<uint64_t>(usage.ru_maxrss) / 1024;  // ru_maxrss is KiB on Linux
}

// The receipt measurements, from the enclave's own fresh evidence.
StatusOr<receipt::AirMeasurements> MeasurementsOf(std::string_view platform, ByteSpan evidence) {
  std::map<uint32_t, Bytes> measurements;
  if (platform == "nitro") {
    ASSIGN_OR_RETURN(attest::NitroDocument doc, attest::ParseNitroDocument(evidence));
    measurements = std::move(doc.pcrs);
  } else {
    ASSIGN_OR_RETURN(measurements, attest::UnverifiedTeeMeasurements(evidence));
  }
  StatusOr<receipt::AirMeasurements> m = receipt::AirMeasurementsFor(platform, measurements);
  if (!m.ok()) return InvalidArgumentError("enclave: own evidence: " + m.status().message());
  return m;
}

}  // namespace

// One connection's state machine.
class Enclave::Session {
 public:
  Session(Enclave* enclave, net::Socket* socket)
      : enclave_(*enclave), socket_(*socket), started_(Steady::now()) {}
  ~Session() { ReleaseBudget(); }

  void Run() {
    if (!Handshake()) {
      enclave_.stats_.sessions_failed.fetch_add(1);
      return;
    }
    enclave_.stats_.handshakes_completed.fetch_add(1);
    ServeRecords();
  }

 private:
  void SendAlert(protocol::AlertCode code) {
    (void)protocol::WriteFrame(socket_, FrameType::kAlert, protocol::EncodeAlert(code),
                               net::Deadline::In(kAlertWriteTimeout));
  }

  // Reads one handshake frame of `type`; sends an alert and returns nullopt
  // on anything else.
  std::optional<protocol::Frame> ReadHandshakeFrame(FrameType type, net::Deadline deadline) {
    StatusOr<protocol::Frame> frame = protocol::ReadFrame(socket_, deadline, kMaxHandshakeFrame);
    if (!frame.ok()) {
      if (deadline.Expired()) {
        SendAlert(protocol::AlertCode::kTimeout);
      } else if (!net::IsEndOfStream(frame.status())) {
        SendAlert(protocol::AlertCode::kBadFrame);
      }
      return std::nullopt;
    }
    if (frame->header.type != type) {
      SendAlert(protocol::AlertCode::kBadFrame);
      return std::nullopt;
    }
    return std::move(frame).value();
  }

  bool Handshake() {
    const net::Deadline deadline =
        net::Deadline::In(enclave_.options_.limits.handshake_timeout);
    std::optional<protocol::Frame> hello = ReadHandshakeFrame(FrameType::kClientHello, deadline);
    if (!hello) return false;
    StatusOr<Bytes> challenge = protocol::ParseClientHello(hello->payload());
    if (!challenge.ok()) {
      SendAlert(challenge.status().code() == StatusCode::kUnsupported
                    ? protocol::AlertCode::kUnsupportedSuite
                    : protocol::AlertCode::kBadHello);
      return false;
    }
    StatusOr<Bytes> server_frame = BuildServerEvidence(*hello, *challenge);
    if (!server_frame.ok()) {
      SendAlert(protocol::AlertCode::kInternal);
      return false;
    }
    if (!net::WriteAll(socket_, *server_frame, deadline).ok()) return false;

    std::optional<protocol::Frame> key = ReadHandshakeFrame(FrameType::kClientKey, deadline);
    if (!key) return false;
    StatusOr<protocol::SessionKeys> keys = protocol::EnclaveDeriveKeys(
        *session_key_, key->payload(), protocol::TranscriptHash(hello->bytes, *server_frame));
    session_key_.reset();  // the session private key is needed only once
    if (!keys.ok()) {
      SendAlert(protocol::AlertCode::kBadHello);
      return false;
    }
    const uint64_t max_records = enclave_.options_.limits.max_records;
    StatusOr<protocol::RecordChannel> in =
        protocol::RecordChannel::Create(keys->c2s_key, keys->c2s_iv, max_records);
    // One more outgoing record than incoming ones, for the final CLOSE.
    StatusOr<protocol::RecordChannel> out =
        protocol::RecordChannel::Create(keys->s2c_key, keys->s2c_iv, max_records + 1);
    if (!in.ok() || !out.ok()) return false;
    in_.emplace(std::move(in).value());
    out_.emplace(std::move(out).value());
    return true;
  }

  StatusOr<Bytes> BuildServerEvidence(const protocol::Frame& hello, ByteSpan challenge) {
    ASSIGN_OR_RETURN(crypto::X25519PrivateKey key, crypto::X25519PrivateKey::Generate());
    session_key_.emplace(std::move(key));
    const ModelIdentity& model = enclave_.model_->identity();
    ASSIGN_OR_RETURN(Bytes binding,
                     protocol::EncodeBinding({enclave_.receipt_public_key_,
                                              crypto::Sha256(hello.bytes), model.hash}));
    protocol::ServerEvidence message;
    message.platform = std::string(enclave_.provider_->platform());
    ASSIGN_OR_RETURN(message.evidence,
                     enclave_.provider_->Attest(session_key_->PublicKey(), binding, challenge));
    message.model_id = model.id;
    message.model_version = model.version;
    message.model_hash = model.hash;
    evidence_hash_ = crypto::Sha256(message.evidence);
    ASSIGN_OR_RETURN(Bytes payload, protocol::EncodeServerEvidence(message));
    return protocol::EncodeFrame(FrameType::kServerEvidence, payload);
  }

  // False if the record could not be sealed or fully written: the stream is
  // then broken (the sequence number moved on) and the session must end.
  bool SendRecord(FrameType type, ByteSpan plaintext) {
    StatusOr<Bytes> record = out_->Seal(type, plaintext);
    return record.ok() &&
           net::WriteAll(socket_, *record, net::Deadline::In(enclave_.options_.limits.idle_timeout))
               .ok();
  }

  // Sends CLOSE, then half-closes and discards what the client still sends
  // for a short while (bounded): closing with unread bytes would make the
  // kernel reset the connection, and the client could lose the CLOSE.
  void SendClose(protocol::CloseCode code) {
    const uint8_t byte = static_cast<uint8_t>(code);
    if (!SendRecord(FrameType::kClose, ByteSpan(&byte, 1))) return;
    if (!net::ShutdownWrite(socket_).ok()) return;
    const net::Deadline linger = net::Deadline::In(kCloseLinger);
    Bytes sink(64 * 1024);
    for (size_t drained = 0; drained < kMaxCloseDrain;) {
      StatusOr<size_t> n = net::ReadSome(socket_, sink, linger);
      if (!n.ok()) break;
      drained += *n;
    }
  }

  bool SendError(std::string code, std::string message) {
    StatusOr<Bytes> error = protocol::EncodeErrorMessage({std::move(code), std::move(message)});
    return error.ok() && SendRecord(FrameType::kError, *error);
  }

  // Reserves a frame's payload from the enclave-wide budget (admission
  // callback of ReadFrame); released once the frame has been served.
  Status ReserveBudget(const protocol::FrameHeader& header) {
    const uint64_t limit = enclave_.options_.limits.max_inflight_request_bytes;
    const uint64_t before = enclave_.inflight_request_bytes_.fetch_add(header.length);
    if (before + header.length > limit) {
      enclave_.inflight_request_bytes_.fetch_sub(header.length);
      budget_refused_ = true;
      return Status(StatusCode::kLimitExceeded, "enclave: request budget exhausted");
    }
    reserved_ = header.length;
    return Status::Ok();
  }

  void ReleaseBudget() {
    enclave_.inflight_request_bytes_.fetch_sub(reserved_);
    reserved_ = 0;
  }

  void ServeRecords() {
    const SessionLimits& limits = enclave_.options_.limits;
    const Steady::time_point end_of_life = started_ + limits.lifetime;
    for (;;) {
      if (in_->exhausted()) return SendClose(protocol::CloseCode::kRecordLimit);
      // Checked before every read: a client that keeps frames queued must
      // not outlive the lifetime either.
      if (Steady::now() >= end_of_life) return SendClose(protocol::CloseCode::kLifetimeExceeded);
      const Steady::time_point idle_end = Steady::now() + limits.idle_timeout;
      const bool lifetime_bound = end_of_life < idle_end;
      const Steady::time_point until = lifetime_bound ? end_of_life : idle_end;
      ReleaseBudget();
      StatusOr<protocol::Frame> frame = protocol::ReadFrame(
          socket_, net::Deadline::At(until), protocol::kMaxFramePayload,
          [this](const protocol::FrameHeader& header) { return ReserveBudget(header); });
      if (!frame.ok()) {
        if (budget_refused_) return SendClose(protocol::CloseCode::kOverloaded);
        if (Steady::now() >= until) {
          return SendClose(lifetime_bound ? protocol::CloseCode::kLifetimeExceeded
                                          : protocol::CloseCode::kIdleTimeout);
        }
        if (frame.status().code() == StatusCode::kLimitExceeded ||
            frame.status().code() == StatusCode::kInvalidArgument ||
            frame.status().code() == StatusCode::kUnsupported) {
          return SendClose(protocol::CloseCode::kProtocolError);
        }
        return;  // the client went away
      }
      const FrameType type = frame->header.type;
      if (type != FrameType::kRequest && type != FrameType::kClose) {
        return SendClose(protocol::CloseCode::kProtocolError);
      }
      StatusOr<Bytes> plaintext = in_->Open(*frame);
      if (!plaintext.ok()) return SendClose(protocol::CloseCode::kProtocolError);
      if (type == FrameType::kClose) return;
      if (!HandleRequest(*plaintext)) return;
    }
  }

  // False when the session must end (a response could not be sent).
  bool HandleRequest(ByteSpan plaintext) {
    StatusOr<protocol::EmbedRequest> request = protocol::ParseEmbedRequest(plaintext);
    if (!request.ok()) {
      return request.status().code() == StatusCode::kLimitExceeded
                 ? SendError("LIMIT", "the request exceeds a limit")
                 : SendError("BAD_REQUEST", "the request could not be decoded");
    }
    const Steady::time_point begin = Steady::now();
    StatusOr<protocol::EmbedResponseBody> body = enclave_.model_->Embed(request->texts);
    if (!body.ok()) return SendError("MODEL_ERROR", "the model could not process the request");
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - begin);
    StatusOr<Bytes> body_bytes = protocol::EncodeEmbedResponseBody(*body);
    if (!body_bytes.ok()) return SendError("INTERNAL", "internal error");
    StatusOr<Bytes> air = SignReceipt(plaintext, *body_bytes, request->nonce,
                                      static_cast<uint64_t>(elapsed.count()));
    if (!air.ok()) return SendError("INTERNAL", "internal error");
    StatusOr<Bytes> envelope =
        protocol::EncodeResponseEnvelope({std::move(body_bytes).value(), std::move(air).value()});
    if (!envelope.ok()) return SendError("INTERNAL", "internal error");
    if (!SendRecord(FrameType::kResponse, *envelope)) return false;
    enclave_.stats_.requests_served.fetch_add(1);
    return true;
  }

  StatusOr<Bytes> SignReceipt(ByteSpan request, ByteSpan body, const Bytes& nonce,
                              uint64_t elapsed_ms) {
    const ModelIdentity& model = enclave_.model_->identity();
    receipt::AirClaims claims;
    claims.iss = enclave_.options_.issuer;
    claims.iat = static_cast<uint64_t>(enclave_.clock_->NowUnixSeconds());
    claims.cti.resize(16);
    RETURN_IF_ERROR(crypto::RandomBytes(claims.cti));
    claims.eat_nonce = nonce;
    claims.model_id = model.id;
    claims.model_version = model.version;
    claims.model_hash = model.hash;
    claims.model_hash_scheme = protocol::kModelHashSchemeManifest;
    claims.request_hash = crypto::Sha256(request);
    claims.response_hash = crypto::Sha256(body);
    claims.attestation_doc_hash = evidence_hash_;
    claims.measurements = enclave_.measurements_;
    claims.policy_version = enclave_.options_.policy_version;
    claims.sequence_number = ++receipts_;
    claims.execution_time_ms = elapsed_ms;
    claims.memory_peak_mb = PeakMemoryMb();
    claims.security_mode = std::string(enclave_.provider_->evaluation()
                                           ? receipt::kSecurityModeEvaluation
                                           : receipt::kSecurityModeProduction);
    return receipt::SignAirReceipt(enclave_.receipt_key_, claims);
  }

  Enclave& enclave_;
  net::Socket& socket_;
  const Steady::time_point started_;
  std::optional<crypto::X25519PrivateKey> session_key_;
  Bytes evidence_hash_;
  std::optional<protocol::RecordChannel> in_;
  std::optional<protocol::RecordChannel> out_;
  uint64_t receipts_ = 0;
  uint64_t reserved_ = 0;  // request bytes this session holds of the budget
  bool budget_refused_ = false;
};

StatusOr<std::unique_ptr<Enclave>> Enclave::Create(attest::EvidenceProvider* provider,
                                                   const ModelService* model,
                                                   const EnclaveOptions& options,
                                                   const Clock* clock) {
  ASSIGN_OR_RETURN(crypto::Ed25519PrivateKey receipt_key,
                   options.receipt_seed_for_testing.empty()
                       ? crypto::Ed25519PrivateKey::Generate()
                       : crypto::Ed25519PrivateKey::FromSeed(options.receipt_seed_for_testing));
  std::unique_ptr<Enclave> enclave(
      new Enclave(provider, model, options, clock, std::move(receipt_key)));
  // Self-test: attest once and read back the measurements receipts carry.
  ASSIGN_OR_RETURN(Bytes evidence, provider->Attest(enclave->receipt_public_key_, {}, {}));
  ASSIGN_OR_RETURN(enclave->measurements_, MeasurementsOf(provider->platform(), evidence));
  return enclave;
}

void Enclave::ServeConnection(net::Socket& socket, const net::Waker& /*stop*/) {
  stats_.sessions_started.fetch_add(1);
  try {
    Session session(this, &socket);
    session.Run();
  } catch (...) {  // e.g. std::bad_alloc: end this session, not the enclave
    stats_.sessions_failed.fetch_add(1);
  }
}

}  // namespace eml::enclave

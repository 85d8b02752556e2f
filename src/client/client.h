// The client library: connect to an enclave (directly or through the blind
// relay), verify it BEFORE sending anything but the hello, then send
// embedding requests end-to-end encrypted and verify every receipt.
//
// Connect() order (docs/protocol.md §2.3): hello with a fresh challenge →
// evidence message → current signed policy (re-read when its file changes)
// → the evidence verified for its platform: Nitro documents (signature,
// chain to a policy root at the document's own time) or TDX/SEV-SNP TEE
// envelopes (quote or report, collateral and chain to a policy root judged
// now, REPORTDATA binding; attest/tee_evidence.h) → policy appraisal (root,
// evaluation, measurement tuple, freshness, model) →
// binding (challenge, session key, hello hash, model hash) → only then the
// HPKE key exchange. Any failure closes the connection having sent nothing
// else, and returns VerificationFailed; the Attestation filled so far says
// what was checked.
//
// Embed() checks each response's receipt with the attested receipt key:
// signature and claims (AIR v1), nonce, request/response/evidence hashes,
// model, measurements equal to the evidence's, and an increasing sequence
// number.
//
// Thread-safety: a Session is used by one thread at a time.
#ifndef EML_CLIENT_CLIENT_H_
#define EML_CLIENT_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attest/evidence.h"
#include "attest/tdx.h"
#include "core/bytes.h"
#include "core/clock.h"
#include "core/status.h"
#include "net/endpoint.h"
#include "net/socket.h"
#include "policy/appraise.h"
#include "policy/policy_store.h"
#include "protocol/handshake.h"
#include "protocol/messages.h"
#include "protocol/record.h"
#include "receipt/air.h"

namespace eml::client {

struct ClientOptions {
  net::Endpoint endpoint;
  policy::PolicyStore* policy = nullptr;  // borrowed; required
  const Clock* clock = nullptr;           // borrowed; required
  // TDX enclaves: Intel's collateral (QuoteCollateralV3) the quote is judged
  // with, borrowed; without it TDX evidence is refused.
  const attest::TdxCollateral* tdx_collateral = nullptr;
  // SEV-SNP enclaves: VCEK/VLEK, ASK/ASVK, ARK certificates (DER) in
  // addition to those the evidence's auxblob carries.
  std::vector<Bytes> snp_certificates;
  std::chrono::milliseconds timeout{30'000};  // per network step
  uint64_t receipt_max_age_s = 300;
  uint64_t receipt_clock_skew_s = 60;
};

// What the client established about the enclave (filled as far as it got).
struct Attestation {
  std::string platform;  // "nitro", "tdx" or "snp"
  std::string module_id;
  int64_t evidence_time_ms = 0;
  std::map<uint32_t, Bytes> pcrs;  // measurements, keyed as the policy names them
  std::string tcb;                 // TDX: TCB status; SNP: reported TCB
  std::string root_name;
  bool evaluation_root = false;
  attest::EvidenceReport evidence_report;
  std::optional<policy::Verdict> verdict;
  std::vector<attest::EvidenceCheck> binding_checks;  // CHALLENGE, SESSION_KEY, HELLO_HASH, MODEL_HASH
  std::string model_id, model_version;
  Bytes model_hash;
  Bytes session_public_key;  // X25519, from the evidence's public_key
  Bytes receipt_public_key;  // Ed25519, from the binding
  Bytes evidence;       // the raw evidence bytes (for the offline bundle)
  Bytes evidence_hash;  // SHA-256 of `evidence`, what receipts must carry
  receipt::AirMeasurements receipt_measurements;  // what receipts must carry
  bool verified = false;
};

struct EmbedResult {
  protocol::EmbedResponseBody body;
  Bytes receipt;  // raw COSE_Sign1
  receipt::AirVerifyResult receipt_check;
  Bytes nonce;
};

class Session {
 public:
  // On a verification failure returns VerificationFailed and, if
  // `attestation` is not null, fills it with every check made.
  static StatusOr<std::unique_ptr<Session>> Connect(const ClientOptions& options,
                                                    Attestation* attestation = nullptr);

  const Attestation& attestation() const { return attestation_; }

  // One request; VerificationFailed if the response or its receipt does not
  // verify, FailedPrecondition after the session ended, kIo when the enclave
  // closed (the close code is in the message) or the connection broke.
  StatusOr<EmbedResult> Embed(const std::vector<std::string>& texts);

  // Tests only (they search relay recordings for them): this session's keys.
  const protocol::SessionKeys& keys_for_testing() const { return keys_; }

  // Sends CLOSE(NORMAL) and closes.
  void Close();

  ~Session() { Close(); }

 private:
  Session(ClientOptions options, net::Socket socket, Attestation attestation,
          protocol::SessionKeys keys, protocol::RecordChannel out, protocol::RecordChannel in)
      : options_(std::move(options)),
        socket_(std::move(socket)),
        attestation_(std::move(attestation)),
        keys_(std::move(keys)),
        out_(std::move(out)),
        in_(std::move(in)) {}

  StatusOr<EmbedResult> CheckResponse(ByteSpan request, const Bytes& nonce, size_t texts_sent,
                                      ByteSpan plaintext);

  ClientOptions options_;
  net::Socket socket_;
  Attestation attestation_;
  protocol::SessionKeys keys_;
  protocol::RecordChannel out_;
  protocol::RecordChannel in_;
  uint64_t last_sequence_ = 0;
  bool closed_ = false;
};

}  // namespace eml::client

#endif  // EML_CLIENT_CLIENT_H_

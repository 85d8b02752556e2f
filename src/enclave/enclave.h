// The enclave side of the gateway protocol (docs/protocol.md): one Enclave
// serves many sessions, each on its own socket and thread. A session runs the
// handshake (fresh X25519 key and fresh evidence binding the client's
// challenge, the hello hash, the receipt key and the model hash), then opens
// request records, runs the model and answers each request with a response
// record carrying an AIR v1 receipt signed by the enclave's receipt key.
//
// Hostile input ends only the session it arrives on: every read has a
// deadline, frames are bounded before allocation, and errors go back as
// fixed alerts/error codes, never with request data or secrets.
//
// Thread-safety: ServeConnection may run concurrently on many threads; the
// counters are atomic; the model serialises its own calls.
#ifndef EML_ENCLAVE_ENCLAVE_H_
#define EML_ENCLAVE_ENCLAVE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "attest/evidence.h"
#include "core/bytes.h"
#include "core/clock.h"
#include "core/status.h"
#include "crypto/ed25519.h"
#include "enclave/model_service.h"
#include "net/socket.h"
#include "net/waker.h"
#include "receipt/air.h"

namespace eml::enclave {

struct SessionLimits {
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds lifetime{15 * 60'000};
  uint64_t max_records = 1'000'000;  // per direction
  // Request payload bytes being read or served, summed over all sessions. A
  // frame that would exceed it is refused from its header (CLOSE OVERLOADED),
  // so a flood of large requests cannot exhaust the enclave's memory.
  uint64_t max_inflight_request_bytes = uint64_t{256} << 20;
};

struct EnclaveOptions {
  SessionLimits limits;
  std::string issuer = "eml-enclave";
  std::string policy_version = "eml-enclave/1";
  // Tests only (they search relay recordings for it): a fixed 32-byte seed
  // for the receipt key. Empty in production, where a fresh key is made.
  Bytes receipt_seed_for_testing;
};

struct EnclaveStats {
  std::atomic<uint64_t> sessions_started{0};
  std::atomic<uint64_t> handshakes_completed{0};
  std::atomic<uint64_t> sessions_failed{0};
  std::atomic<uint64_t> requests_served{0};
};

class Enclave {
 public:
  // Attests once at start (a self-test that also yields the measurements the
  // receipts carry). `provider` and `model` must outlive the Enclave.
  static StatusOr<std::unique_ptr<Enclave>> Create(attest::EvidenceProvider* provider,
                                                   const ModelService* model,
                                                   const EnclaveOptions& options,
                                                   const Clock* clock);

  // Runs one session to its end on `socket`. Never throws; all failures end
  // the session.
  void ServeConnection(net::Socket& socket, const net::Waker& stop);

  const Bytes& receipt_public_key() const { return receipt_public_key_; }
  const receipt::AirMeasurements& measurements() const { return measurements_; }
  const EnclaveStats& stats() const { return stats_; }

 private:
  class Session;

  Enclave(attest::EvidenceProvider* provider, const ModelService* model, EnclaveOptions options,
          const Clock* clock, crypto::Ed25519PrivateKey receipt_key)
      : provider_(provider),
        model_(model),
        options_(std::move(options)),
        clock_(clock),
        receipt_key_(std::move(receipt_key)),
        receipt_public_key_(receipt_key_.PublicKey()) {}

  attest::EvidenceProvider* provider_;
  const ModelService* model_;
  const EnclaveOptions options_;
  const Clock* clock_;
  const crypto::Ed25519PrivateKey receipt_key_;
  const Bytes receipt_public_key_;
  receipt::AirMeasurements measurements_;
  EnclaveStats stats_;
  std::atomic<uint64_t> inflight_request_bytes_{0};
};

}  // namespace eml::enclave

#endif  // EML_ENCLAVE_ENCLAVE_H_

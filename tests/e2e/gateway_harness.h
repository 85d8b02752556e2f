// Test harness for the gateway end-to-end tests: an in-process enclave
// server on loopback (real sockets, real evidence, real model), the real
// eml-host binary as a child process, signed policies, a byte-level
// tampering proxy and a raw protocol client for misbehaving on purpose.
#ifndef EML_TESTS_E2E_GATEWAY_HARNESS_H_
#define EML_TESTS_E2E_GATEWAY_HARNESS_H_

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "attest/dev_provider.h"
#include "attest/tdx.h"
#include "client/client.h"
#include "core/bytes.h"
#include "crypto/ed25519.h"
#include "enclave/enclave.h"
#include "enclave/model_service.h"
#include "enclave/server.h"
#include "net/socket.h"
#include "policy/policy.h"
#include "policy/policy_store.h"
#include "protocol/frame.h"
#include "protocol/record.h"

namespace eml::e2e {

std::string MakeTempDir();

// A child process, stopped with SIGTERM (then SIGKILL) on destruction.
class Process {
 public:
  static std::unique_ptr<Process> Spawn(const std::vector<std::string>& argv);
  ~Process();
  bool Running();
  pid_t pid() const { return pid_; }

 private:
  explicit Process(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  bool reaped_ = false;
};

// Waits (up to 30 s) for a JSON ready file and returns its text.
std::string WaitForFile(const std::string& path);

// The shared, expensive parts: the tiny synthetic model and its service,
// the dev CA / provider, the policy owner key.
struct World {
  std::string dir;
  std::string model_dir;
  std::unique_ptr<enclave::ModelService> model;
  attest::DevMeasurements measurements;
  std::unique_ptr<attest::EvidenceProvider> provider;
  // EML_E2E_TEE picks the evidence: dev (default), nitro-sim, tdx-sim or
  // snp-sim (the simulated machines of attest/tsm_sim.h).
  std::string platform = "nitro";  // what the evidence is: nitro, tdx or snp
  Bytes root_der;                   // the root policies trust for it
  std::map<uint32_t, Bytes> tee_measurements;  // the tuple policies allow
  std::optional<attest::TdxCollateral> tdx_collateral;  // tdx-sim
  std::unique_ptr<crypto::Ed25519PrivateKey> owner;
  static World& Get();
};

// An in-process enclave server on 127.0.0.1:0.
class EnclaveServer {
 public:
  static std::unique_ptr<EnclaveServer> Start(enclave::EnclaveOptions options,
                                              size_t max_sessions = 64);
  ~EnclaveServer();
  uint32_t port() const { return server_->port(); }
  enclave::Enclave& enclave() { return *enclave_; }

 private:
  std::unique_ptr<enclave::Enclave> enclave_;
  std::unique_ptr<enclave::Server> server_;
  std::thread thread_;
};

// eml-host relaying 127.0.0.1:<listen> to the given enclave port.
class Relay {
 public:
  static std::unique_ptr<Relay> Start(uint32_t enclave_port, const std::string& record_dir = "");
  uint32_t port() const { return port_; }
  uint32_t admin_port() const { return admin_port_; }
  bool Running() { return process_->Running(); }

 private:
  std::unique_ptr<Process> process_;
  uint32_t port_ = 0;
  uint32_t admin_port_ = 0;
};

// The policy that trusts World's enclave; tests mutate a copy.
policy::Policy GoodPolicy();
// Signs `policy` with World's owner key and writes it to `path`.
void WritePolicy(const std::string& path, const policy::Policy& policy);

// A PolicyStore over a fresh file holding `policy`.
struct PolicyFile {
  std::string path;
  std::unique_ptr<policy::PolicyStore> store;
};
PolicyFile MakePolicyFile(const policy::Policy& policy);

client::ClientOptions Options(uint32_t port, policy::PolicyStore* store,
                              const Clock* clock = nullptr);

// A one-connection TCP proxy that records both directions and lets a test
// rewrite bytes in flight. mutate(direction, stream_offset, chunk):
// direction 0 = client→upstream, 1 = upstream→client.
class Proxy {
 public:
  using Mutator = std::function<void(int direction, size_t offset, Bytes& chunk)>;
  static std::unique_ptr<Proxy> Start(uint32_t upstream_port, Mutator mutate = nullptr);
  ~Proxy();
  uint32_t port() const { return listener_->port(); }
  // Waits until both directions ended, then returns what each carried.
  Bytes Received(int direction);

 private:
  void Serve();
  uint32_t upstream_port_ = 0;
  Mutator mutate_;
  std::unique_ptr<net::Listener> listener_;
  std::thread thread_;
  std::mutex mu_;
  Bytes seen_[2];
  std::atomic<bool> done_{false};
};

// A protocol client with no checks, for sending bad records on purpose.
class RawSession {
 public:
  static std::unique_ptr<RawSession> Connect(uint32_t port);
  net::Socket& socket() { return socket_; }
  protocol::RecordChannel& out() { return *out_; }
  protocol::RecordChannel& in() { return *in_; }
  Bytes SealRequest(const std::string& text);
  // Reads one record and opens it; returns its type and plaintext.
  StatusOr<std::pair<protocol::FrameType, Bytes>> ReadRecord();

 private:
  net::Socket socket_;
  std::unique_ptr<protocol::RecordChannel> out_;
  std::unique_ptr<protocol::RecordChannel> in_;
};

bool Contains(ByteSpan haystack, ByteSpan needle);

}  // namespace eml::e2e

#endif  // EML_TESTS_E2E_GATEWAY_HARNESS_H_

#include "tests/e2e/gateway_harness.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "attest/nitro.h"
#include "attest/tee_select.h"
#include "attest/tsm.h"
#include "core/clock.h"
#include "crypto/random.h"
#include "engine/synth.h"
#include "net/deadline.h"
#include "policy/signed_policy.h"
#include "protocol/handshake.h"
#include "protocol/io.h"
#include "protocol/messages.h"
#include "tests/testing.h"

extern char** environ;

namespace eml::e2e {
namespace {

using namespace std::chrono_literals;

const char* EnvOrDie(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) {
    std::fprintf(stderr, "missing environment variable %s\n", name);
    std::abort();
  }
  return v;
}

#define CHECK_OK(expr)                                                          \
  do {                                                                          \
    const ::eml::Status check_ok_status_ = (expr);                              \
    if (!check_ok_status_.ok()) {                                               \
      std::fprintf(stderr, "%s: %s\n", #expr, check_ok_status_.ToString().c_str()); \
      std::abort();                                                             \
    }                                                                           \
  } while (0)

template <typename T>
T ValueOrDie(StatusOr<T> v, const char* what) {
  if (!v.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, v.status().ToString().c_str());
    std::abort();
  }
  return std::move(v).value();
}

}  // namespace

std::string MakeTempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "eml-e2e-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) std::abort();
  return pattern;
}

std::unique_ptr<Process> Process::Spawn(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return nullptr;
  return std::unique_ptr<Process>(new Process(pid));
}

bool Process::Running() {
  if (reaped_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) reaped_ = true;
  return !reaped_;
}

Process::~Process() {
  if (!Running()) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 100 && Running(); ++i) std::this_thread::sleep_for(50ms);
  if (Running()) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::string WaitForFile(const std::string& path) {
  for (int i = 0; i < 600; ++i) {
    std::ifstream in(path);
    if (in) {
      std::stringstream s;
      s << in.rdbuf();
      if (!s.str().empty()) return s.str();
    }
    std::this_thread::sleep_for(50ms);
  }
  return "";
}

World& World::Get() {
  static World* world = [] {
    auto* w = new World;
    w->dir = MakeTempDir();
    w->model_dir = w->dir + "/model";
    engine::SynthOptions synth;
    synth.preset = "tiny";
    synth.tokenizer_dir = testing::SharedPath("models/all-MiniLM-L6-v2");
    synth.out_dir = w->model_dir;
    CHECK_OK(engine::WriteSyntheticBert(synth));
    engine::EngineOptions engine_options;
    engine_options.num_threads = 1;
    w->model = ValueOrDie(enclave::ModelService::Load(w->model_dir, "tiny-synthetic", "1",
                                                      engine_options),
                          "model");
    w->measurements = attest::ComputeDevMeasurements(
        AsBytes("gateway e2e test enclave"), AsBytes("config v1"), w->model->identity().hash);
    attest::DevProviderOptions provider;
    provider.state_dir = w->dir + "/state";
    provider.measurements = w->measurements;
    // EML_E2E_TEE=nitro-sim: the evidence comes from the simulated NSM
    // through the NSM client, the provider `eml-enclave --tee nitro
    // --nsm-simulator DIR` builds (same SelectTee call, same boot PCR0..2).
    // tdx-sim / snp-sim: TEE envelopes through configfs-tsm over a simulated
    // TDX / SEV-SNP machine (`eml-enclave --tee tdx|snp --tsm-simulator DIR`).
    const std::string tee = std::getenv("EML_E2E_TEE") ? std::getenv("EML_E2E_TEE") : "dev";
    const std::string testdata = testing::SourceDir() + "/src/attest/testdata/";
    w->tee_measurements = {{0, w->measurements.pcr0}, {1, w->measurements.pcr1},
                           {2, w->measurements.pcr2}};
    if (tee == "dev") {
      w->provider = ValueOrDie(attest::CreateDevNitroProvider(provider), "provider");
      w->root_der = testing::ReadFileOrFail(provider.state_dir + "/dev-root.der");
    } else if (tee == "nitro-sim") {
      attest::TeeSelection selection{.tee = "nitro", .dev = provider,
                                     .nsm_simulator_dir = provider.state_dir};
      w->provider = ValueOrDie(attest::SelectTee(selection), "nsm simulator").provider;
      w->root_der = testing::ReadFileOrFail(provider.state_dir + "/dev-root.der");
    } else if (tee == "tdx-sim" || tee == "snp-sim") {
      const bool tdx = tee == "tdx-sim";
      const std::string dir = testdata + (tdx ? "tdx_sim" : "snp/milan");
      attest::TeeSelection selection{.tee = tdx ? "tdx" : "snp", .dev = provider,
                                     .tsm_simulator_dir = dir};
      w->provider = ValueOrDie(attest::SelectTee(selection), "tsm simulator").provider;
      w->platform = tdx ? "tdx" : "snp";
      w->root_der = testing::ReadFileOrFail(dir + (tdx ? "/root.der" : "/ark.der"));
      w->tee_measurements = attest::SimulatedTeeMeasurements(
          tdx ? attest::TeePlatform::kTdx : attest::TeePlatform::kSnp, w->measurements);
      if (tdx) {
        w->tdx_collateral = ValueOrDie(
            attest::ParseTdxCollateralJson(testing::ReadTextOrFail(dir + "/collateral.json")),
            "collateral");
      }
    } else {
      std::fprintf(stderr, "EML_E2E_TEE must be dev, nitro-sim, tdx-sim or snp-sim\n");
      std::abort();
    }
    std::fprintf(stderr, "e2e: evidence from %s (%s)\n", tee.c_str(), w->platform.c_str());
    w->owner = std::make_unique<crypto::Ed25519PrivateKey>(
        ValueOrDie(crypto::Ed25519PrivateKey::Generate(), "owner key"));
    return w;
  }();
  return *world;
}

std::unique_ptr<EnclaveServer> EnclaveServer::Start(enclave::EnclaveOptions options,
                                                    size_t max_sessions) {
  World& w = World::Get();
  auto s = std::unique_ptr<EnclaveServer>(new EnclaveServer);
  s->enclave_ = ValueOrDie(
      enclave::Enclave::Create(w.provider.get(), w.model.get(), options, &SystemClock::Get()),
      "enclave");
  s->server_ = ValueOrDie(enclave::Server::Listen(s->enclave_.get(),
                                                  *net::Endpoint::Parse("127.0.0.1:0"),
                                                  max_sessions),
                          "listen");
  s->thread_ = std::thread([server = s->server_.get()] { server->Run(); });
  return s;
}

EnclaveServer::~EnclaveServer() {
  server_->Shutdown();
  thread_.join();
}

std::unique_ptr<Relay> Relay::Start(uint32_t enclave_port, const std::string& record_dir) {
  auto relay = std::unique_ptr<Relay>(new Relay);
  const std::string ready = MakeTempDir() + "/ready.json";
  std::vector<std::string> argv = {EnvOrDie("EML_HOST_BIN"),
                                   "--listen", "127.0.0.1:0",
                                   "--enclave", "127.0.0.1:" + std::to_string(enclave_port),
                                   "--admin", "127.0.0.1:0",
                                   "--ready-file", ready};
  if (!record_dir.empty()) {
    argv.push_back("--record");
    argv.push_back(record_dir);
  }
  relay->process_ = Process::Spawn(argv);
  if (!relay->process_) std::abort();
  const nlohmann::json j = nlohmann::json::parse(WaitForFile(ready));
  relay->port_ = j.at("listen").get<uint32_t>();
  relay->admin_port_ = j.at("admin").get<uint32_t>();
  return relay;
}

policy::Policy GoodPolicy() {
  World& w = World::Get();
  const int64_t now = SystemClock::Get().NowUnixSeconds();
  policy::Policy p;
  p.version = 1;
  p.policy_id = "e2e";
  p.created_at = now - 60;
  p.expires_at = now + 3600;
  p.max_evidence_age_s = 300;
  p.allow_evaluation = true;
  p.roots.push_back({w.platform, "e2e root", w.root_der, true});
  p.measurements.push_back({w.platform, "e2e enclave", w.tee_measurements});
  p.models.push_back({w.model->identity().id, w.model->identity().hash});
  return p;
}

void WritePolicy(const std::string& path, const policy::Policy& p) {
  Bytes signed_policy = ValueOrDie(policy::SignPolicy(p, *World::Get().owner), "sign policy");
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp, std::ios::binary)
      .write(reinterpret_cast<const char*>(signed_policy.data()),
             static_cast<std::streamsize>(signed_policy.size()));
  std::filesystem::rename(tmp, path);
}

PolicyFile MakePolicyFile(const policy::Policy& p) {
  PolicyFile f;
  f.path = MakeTempDir() + "/policy.cose";
  WritePolicy(f.path, p);
  f.store = ValueOrDie(policy::PolicyStore::Open(f.path, World::Get().owner->PublicKey(),
                                                 SystemClock::Get()),
                       "policy store");
  return f;
}

client::ClientOptions Options(uint32_t port, policy::PolicyStore* store, const Clock* clock) {
  client::ClientOptions o;
  o.endpoint = *net::Endpoint::Parse("127.0.0.1:" + std::to_string(port));
  o.policy = store;
  o.clock = clock != nullptr ? clock : &SystemClock::Get();
  o.timeout = 20s;
  if (World::Get().tdx_collateral) o.tdx_collateral = &*World::Get().tdx_collateral;
  return o;
}

std::unique_ptr<Proxy> Proxy::Start(uint32_t upstream_port, Mutator mutate) {
  auto p = std::unique_ptr<Proxy>(new Proxy);
  p->upstream_port_ = upstream_port;
  p->mutate_ = std::move(mutate);
  p->listener_ = std::make_unique<net::Listener>(
      ValueOrDie(net::Listen(*net::Endpoint::Parse("127.0.0.1:0"), 8), "proxy listen"));
  p->thread_ = std::thread([raw = p.get()] { raw->Serve(); });
  return p;
}

void Proxy::Serve() {
  StatusOr<net::Socket> client = net::Accept(*listener_, net::Deadline::In(30s));
  if (!client.ok()) {
    done_ = true;
    return;
  }
  StatusOr<net::Socket> upstream = net::Connect(
      *net::Endpoint::Parse("127.0.0.1:" + std::to_string(upstream_port_)), net::Deadline::In(5s));
  if (!upstream.ok()) {
    done_ = true;
    return;
  }
  auto pump = [this](int direction, net::Socket& from, net::Socket& to) {
    size_t offset = 0;
    Bytes buffer(64 * 1024);
    for (;;) {
      StatusOr<size_t> n = net::ReadSome(from, buffer, net::Deadline::In(30s));
      if (!n.ok()) break;
      Bytes chunk(buffer.begin(), buffer.begin() + static_cast<long>(*n));
      if (mutate_) mutate_(direction, offset, chunk);
      offset += *n;
      {
        std::lock_guard<std::mutex> lock(mu_);
        seen_[direction].insert(seen_[direction].end(), chunk.begin(), chunk.end());
      }
      if (!net::WriteAll(to, chunk, net::Deadline::In(30s)).ok()) break;
    }
    (void)net::ShutdownWrite(to);
    net::ShutdownBoth(from);
  };
  std::thread back([&] { pump(1, *upstream, *client); });
  pump(0, *client, *upstream);
  back.join();
  done_ = true;
}

Bytes Proxy::Received(int direction) {
  for (int i = 0; i < 400 && !done_; ++i) std::this_thread::sleep_for(25ms);
  std::lock_guard<std::mutex> lock(mu_);
  return seen_[direction];
}

Proxy::~Proxy() {
  listener_->Shutdown();
  thread_.join();
}

std::unique_ptr<RawSession> RawSession::Connect(uint32_t port) {
  auto s = std::unique_ptr<RawSession>(new RawSession);
  const net::Deadline deadline = net::Deadline::In(20s);
  s->socket_ = ValueOrDie(
      net::Connect(*net::Endpoint::Parse("127.0.0.1:" + std::to_string(port)), deadline), "raw");
  Bytes challenge(32, 0x01);
  Bytes hello = ValueOrDie(
      protocol::EncodeFrame(protocol::FrameType::kClientHello, protocol::EncodeClientHello(challenge)),
      "hello");
  CHECK_OK(net::WriteAll(s->socket_, hello, deadline));
  protocol::Frame server = ValueOrDie(protocol::ReadFrame(s->socket_, deadline), "evidence");
  protocol::ServerEvidence message =
      ValueOrDie(protocol::ParseServerEvidence(server.payload()), "parse evidence");
  // No checks: the session key as the evidence carries it.
  Bytes session_key;
  if (message.platform == "nitro") {
    session_key = *ValueOrDie(attest::ParseNitroDocument(message.evidence), "doc").public_key;
  } else {
    session_key = ValueOrDie(attest::ParseTeeEnvelope(message.evidence), "envelope").public_key;
  }
  protocol::ClientKeyExchange kx = ValueOrDie(
      protocol::ClientDeriveKeys(session_key, protocol::TranscriptHash(hello, server.bytes)), "kx");
  CHECK_OK(protocol::WriteFrame(s->socket_, protocol::FrameType::kClientKey, kx.enc, deadline));
  s->out_ = std::make_unique<protocol::RecordChannel>(
      ValueOrDie(protocol::RecordChannel::Create(kx.keys.c2s_key, kx.keys.c2s_iv, 1 << 20), "out"));
  s->in_ = std::make_unique<protocol::RecordChannel>(
      ValueOrDie(protocol::RecordChannel::Create(kx.keys.s2c_key, kx.keys.s2c_iv, 1 << 20), "in"));
  return s;
}

Bytes RawSession::SealRequest(const std::string& text) {
  Bytes request = ValueOrDie(protocol::EncodeEmbedRequest({Bytes(16, 0x22), {text}}), "request");
  return ValueOrDie(out_->Seal(protocol::FrameType::kRequest, request), "seal");
}

StatusOr<std::pair<protocol::FrameType, Bytes>> RawSession::ReadRecord() {
  ASSIGN_OR_RETURN(protocol::Frame frame, protocol::ReadFrame(socket_, net::Deadline::In(20s)));
  ASSIGN_OR_RETURN(Bytes plaintext, in_->Open(frame));
  return std::make_pair(frame.header.type, std::move(plaintext));
}

bool Contains(ByteSpan haystack, ByteSpan needle) {
  return !needle.empty() &&
         std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
             haystack.end();
}

}  // namespace eml::e2e

// e2e_bench: what the attested gateway costs on top of the engine, measured
// side by side in one run (docs/protocol.md; issue "Speed").
//   - in-process engine call vs the full path client → eml-host → enclave →
//     back (encryption, receipt signing and verification included), one text
//     of T = 16 and T = 128 tokens and a batch of 8 × 128, interleaved, medians;
//   - handshake: connect, evidence generation, verification, key exchange;
//   - per-request crypto + receipt: everything a request adds besides the
//     model and the network (seal/open both ways, hashes, receipt signing
//     and AIR verification), measured in-process;
//   - throughput with 1, 2, 4 and 8 concurrent clients through the relay.
// The model is the synthetic MiniLM-L6 (exact shapes; weights are not
// genuine). eml-host is the real binary ($EML_HOST_BIN). EML_BENCH_THREADS sets
// the engine threads (default: all cores), for the in-process and enclave paths alike.
// `--crypto-only` loops the per-request part, `--handshake-only N` runs N
// handshakes (tiny model); both for profiling and quick A/B runs.
// Last line: E2E_BENCH overhead_t128=<fraction> overhead_t128_b8=<fraction>
//            crypto_ms=<ms> handshake_ms=<ms>  (overhead_t128: one text)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "crypto/hash.h"
#include "crypto/random.h"
#include "engine/synth.h"
#include "protocol/frame.h"
#include "protocol/messages.h"
#include "protocol/record.h"
#include "receipt/air.h"
#include "tests/e2e/gateway_harness.h"

namespace eml::e2e {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// "[CLS] hello × (T-2) [SEP]" is exactly T tokens with the MiniLM vocab.
std::string TextOfTokens(int tokens) {
  std::string text;
  for (int i = 0; i < tokens - 2; ++i) text += i ? " hello" : "hello";
  return text;
}

void Die(const Status& s, const char* what) {
  std::fprintf(stderr, "e2e_bench: %s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

struct PathTimes {
  double engine_ms, direct_ms, full_ms;
  // Median over iterations of (full - engine) / engine within the same
  // iteration: the two calls run back to back, so the VM's drift (which
  // moves a whole iteration) cancels, unlike in a ratio of two medians.
  double paired_overhead;
  double MedianOverhead() const { return (full_ms - engine_ms) / engine_ms; }
};

// Interleaves the three paths so drift hits them alike: the engine in
// process, a session straight to the enclave, a session through eml-host.
PathTimes CompareAt(int tokens, size_t batch, client::Session& direct, client::Session& relayed,
                    int runs) {
  const std::vector<std::string> texts(batch, TextOfTokens(tokens));
  std::vector<double> engine, straight, full, overhead;
  for (int i = 0; i < runs + 3; ++i) {
    auto t0 = Clock::now();
    auto local = World::Get().model->Embed(texts);
    auto t1 = Clock::now();
    auto a = direct.Embed(texts);
    auto t2 = Clock::now();
    auto b = relayed.Embed(texts);
    auto t3 = Clock::now();
    if (!local.ok()) Die(local.status(), "engine");
    if (!a.ok()) Die(a.status(), "direct path");
    if (!b.ok()) Die(b.status(), "full path");
    if (local->token_counts[0] != static_cast<uint32_t>(tokens)) {
      Die(Status(StatusCode::kInternal, "unexpected token count"), "input");
    }
    if (i >= 3) {  // warm-up
      engine.push_back(Ms(t1 - t0));
      straight.push_back(Ms(t2 - t1));
      full.push_back(Ms(t3 - t2));
      overhead.push_back((Ms(t3 - t2) - Ms(t1 - t0)) / Ms(t1 - t0));
    }
  }
  return {Median(engine), Median(straight), Median(full), Median(overhead)};
}

// Everything one request adds besides the model and the sockets.
double CryptoPerRequestMs(int runs) {
  SecretBytes key(32), iv(12);
  (void)crypto::RandomBytes({key.MutableData(), 32});
  (void)crypto::RandomBytes({iv.MutableData(), 12});
  auto c2s_out = *protocol::RecordChannel::Create(key, iv, 1 << 30);
  auto c2s_in = *protocol::RecordChannel::Create(key, iv, 1 << 30);
  auto s2c_out = *protocol::RecordChannel::Create(key, iv, 1 << 30);
  auto s2c_in = *protocol::RecordChannel::Create(key, iv, 1 << 30);
  auto receipt_key = *crypto::Ed25519PrivateKey::Generate();
  protocol::EmbedResponseBody body{384, std::vector<float>(384, 0.05f), {128}};
  receipt::AirClaims claims;
  claims.iss = "eml-enclave";
  claims.cti = Bytes(16, 1);
  claims.model_id = "minilm";
  claims.model_version = "1";
  claims.model_hash = Bytes(32, 2);
  claims.attestation_doc_hash = Bytes(32, 3);
  claims.measurements = {"nitro-pcr", Bytes(48, 4), Bytes(48, 5), Bytes(48, 6), {}, {}, {}};
  claims.policy_version = "eml-enclave/1";
  claims.security_mode = "evaluation";
  claims.model_hash_scheme = "sha256-manifest";
  const std::string text = TextOfTokens(128);
  std::vector<double> samples;
  for (int i = 0; i < runs; ++i) {
    auto t0 = Clock::now();
    Bytes nonce(32);
    (void)crypto::RandomBytes(nonce);
    Bytes request = *protocol::EncodeEmbedRequest({nonce, {text}});
    Bytes sealed = *c2s_out.Seal(protocol::FrameType::kRequest, request);
    Bytes opened = *c2s_in.Open(*protocol::ParseFrame(sealed));
    Bytes body_bytes = *protocol::EncodeEmbedResponseBody(body);
    claims.iat = 1'800'000'000;
    claims.eat_nonce = nonce;
    claims.request_hash = crypto::Sha256(opened);
    claims.response_hash = crypto::Sha256(body_bytes);
    claims.sequence_number = static_cast<uint64_t>(i) + 1;
    Bytes air = *receipt::SignAirReceipt(receipt_key, claims);
    Bytes envelope = *protocol::EncodeResponseEnvelope({body_bytes, air});
    Bytes response = *s2c_out.Seal(protocol::FrameType::kResponse, envelope);
    Bytes got = *s2c_in.Open(*protocol::ParseFrame(response));
    auto parsed = *protocol::ParseResponseEnvelope(got);
    receipt::AirVerifyPolicy policy;
    policy.expected_nonce = nonce;
    policy.expected_request_hash = crypto::Sha256(request);
    policy.expected_response_hash = crypto::Sha256(parsed.body);
    policy.allow_evaluation_mode = true;
    auto verdict = receipt::VerifyAirReceipt(parsed.receipt, receipt_key.PublicKey(), policy);
    if (!verdict.verified) Die(Status(StatusCode::kInternal, verdict.failure_code), "receipt");
    samples.push_back(Ms(Clock::now() - t0));
  }
  return Median(samples);
}

double ThroughputRps(uint32_t port, policy::PolicyStore* store, int clients, double seconds) {
  std::atomic<int> done{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  const std::vector<std::string> texts = {TextOfTokens(16)};
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      auto session = client::Session::Connect(Options(port, store));
      if (!session.ok()) Die(session.status(), "connect");
      while (!stop.load()) {
        if (!(*session)->Embed(texts).ok()) Die(Status(StatusCode::kInternal, "embed"), "throughput");
        done.fetch_add(1);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const int start = done.load();
  const auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const int end = done.load();
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  stop = true;
  for (auto& t : threads) t.join();
  return (end - start) / elapsed;
}

// Median of `count` handshakes (connect, evidence, verification, HPKE).
double HandshakeMs(uint32_t port, policy::PolicyStore* store, int count) {
  std::vector<double> handshakes;
  for (int i = 0; i < count; ++i) {
    auto t0 = Clock::now();
    auto s = client::Session::Connect(Options(port, store));
    handshakes.push_back(Ms(Clock::now() - t0));
    if (!s.ok()) Die(s.status(), "handshake");
  }
  return Median(handshakes);
}

// --handshake-only N: the tiny model's World, N handshakes through eml-host
// (for profiling and for comparing two builds quickly).
int HandshakeOnly(int count) {
  auto server = EnclaveServer::Start(enclave::EnclaveOptions{}, 64);
  auto relay = Relay::Start(server->port());
  PolicyFile policy = MakePolicyFile(GoodPolicy());
  std::printf("handshake, median of %d: %.3f ms\n", count,
              HandshakeMs(relay->port(), policy.store.get(), count));
  return 0;
}

int Main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--crypto-only") {  // for profiling
    std::printf("per-request crypto + receipt: %.3f ms\n", CryptoPerRequestMs(20000));
    return 0;
  }
  if (argc == 3 && std::string(argv[1]) == "--handshake-only") {
    return HandshakeOnly(std::max(1, std::atoi(argv[2])));
  }
  World& world = World::Get();  // tiny model for the sessions' World…
  // …but the comparison needs the real shapes: load the MiniLM-L6 preset.
  const std::string dir = MakeTempDir() + "/minilm";
  engine::SynthOptions synth;
  synth.preset = "minilm-l6";
  synth.tokenizer_dir = world.model_dir;  // holds the MiniLM vocab.txt
  synth.out_dir = dir;
  if (Status s = engine::WriteSyntheticBert(synth); !s.ok()) Die(s, "synth");
  engine::EngineOptions engine_options;
  if (const char* t = std::getenv("EML_BENCH_THREADS")) engine_options.num_threads = std::atoi(t);
  auto model = enclave::ModelService::Load(dir, world.model->identity().id, "1", engine_options);
  if (!model.ok()) Die(model.status(), "load");
  world.model = std::move(model).value();  // same id; the policy pins the hash
  world.measurements = attest::ComputeDevMeasurements(AsBytes("gateway e2e test enclave"),
                                                      AsBytes("config v1"),
                                                      world.model->identity().hash);
  // The policy (GoodPolicy) allows the tuple of the provider's PCRs.
  world.tee_measurements = {{0, world.measurements.pcr0}, {1, world.measurements.pcr1},
                            {2, world.measurements.pcr2}};
  attest::DevProviderOptions provider;
  provider.state_dir = world.dir + "/state";
  provider.measurements = world.measurements;
  world.provider = *attest::CreateDevNitroProvider(provider);

  enclave::EnclaveOptions options;
  auto server = EnclaveServer::Start(options, 64);
  auto relay = Relay::Start(server->port());
  PolicyFile policy = MakePolicyFile(GoodPolicy());

  const double handshake_ms = HandshakeMs(relay->port(), policy.store.get(), 30);

  auto session = client::Session::Connect(Options(relay->port(), policy.store.get()));
  auto direct = client::Session::Connect(Options(server->port(), policy.store.get()));
  if (!session.ok()) Die(session.status(), "connect");
  if (!direct.ok()) Die(direct.status(), "connect");
  const PathTimes t16 = CompareAt(16, 1, **direct, **session, 100);
  const PathTimes t128 = CompareAt(128, 1, **direct, **session, 100);
  const PathTimes t128_b8 = CompareAt(128, 8, **direct, **session, 20);
  const double crypto_ms = CryptoPerRequestMs(500);

  std::printf("%-24s %10s %12s %10s %10s %10s\n", "median, interleaved", "engine_ms",
              "no_relay_ms", "full_ms", "overhead", "paired");
  for (auto [name, t] : {std::pair{"T=16, one text", t16}, std::pair{"T=128, one text", t128},
                         std::pair{"T=128, batch of 8", t128_b8}}) {
    std::printf("%-24s %10.3f %12.3f %10.3f %9.1f%% %9.1f%%\n", name, t.engine_ms, t.direct_ms,
                t.full_ms, 100.0 * t.MedianOverhead(), 100.0 * t.paired_overhead);
  }
  std::printf("handshake (evidence generation + verification + HPKE), median of 30: %.3f ms\n",
              handshake_ms);
  std::printf("per-request crypto + receipt (seal/open both ways, hashes, sign, verify): %.3f ms\n",
              crypto_ms);
  for (int clients : {1, 2, 4, 8}) {
    std::printf("throughput, %d client(s), T=16 through the relay: %.0f requests/s\n", clients,
                ThroughputRps(relay->port(), policy.store.get(), clients, 2.0));
  }
  std::printf("E2E_BENCH overhead_t128=%.4f overhead_t128_b8=%.4f crypto_ms=%.4f handshake_ms=%.3f "
              "overhead_t128_of_medians=%.4f\n",
              t128.paired_overhead, t128_b8.paired_overhead, crypto_ms, handshake_ms,
              t128.MedianOverhead());
  return 0;
}

}  // namespace
}  // namespace eml::e2e

int main(int argc, char** argv) { return eml::e2e::Main(argc, argv); }

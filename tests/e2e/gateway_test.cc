// End-to-end tests of the attested gateway: client → eml-host (a real
// process) → enclave server (real sockets, dev evidence, tiny model) and back.
// docs/protocol.md is the specification these tests hold the code to.
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "net/deadline.h"
#include "protocol/handshake.h"
#include "protocol/io.h"
#include "protocol/messages.h"
#include "receipt/air.h"
#include "tests/e2e/gateway_harness.h"
#include "tests/testing.h"

namespace eml::e2e {
namespace {

using namespace std::chrono_literals;
using protocol::FrameType;

constexpr size_t kHelloFrameSize = protocol::kFrameHeaderSize + protocol::kClientHelloSize;

enclave::EnclaveOptions DefaultOptions() {
  enclave::EnclaveOptions o;
  o.receipt_seed_for_testing = Bytes(32, 0x5E);
  return o;
}

ByteSpan FloatBytes(const std::vector<float>& v, size_t offset, size_t count) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(v.data() + offset), count * sizeof(float));
}

TEST(GatewayTest, HappyPathThroughTheRelay) {
  auto server = EnclaveServer::Start(DefaultOptions());
  auto relay = Relay::Start(server->port());
  PolicyFile policy = MakePolicyFile(GoodPolicy());
  client::Attestation attestation;
  auto session = client::Session::Connect(Options(relay->port(), policy.store.get()), &attestation);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  EXPECT_TRUE(attestation.verified);
  EXPECT_TRUE(attestation.evaluation_root);
  EXPECT_EQ(attestation.pcrs.at(0), World::Get().measurements.pcr0);
  EXPECT_EQ(attestation.receipt_public_key, server->enclave().receipt_public_key());
  for (uint64_t i = 1; i <= 3; ++i) {
    auto result = (*session)->Embed({"hello world", "a second text"});
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_TRUE(result->receipt_check.verified);
    EXPECT_EQ(result->receipt_check.claims->sequence_number, i);
    EXPECT_EQ(result->receipt_check.claims->security_mode, "evaluation");
    EXPECT_EQ(result->receipt_check.claims->measurements.type,
              receipt::AirMeasurementTypeFor(World::Get().platform));
    EXPECT_EQ(*result->receipt_check.claims->eat_nonce, result->nonce);
    EXPECT_EQ(result->body.token_counts.size(), 2u);
    // The enclave computed the same vectors as the engine in-process.
    auto direct = World::Get().model->Embed(std::vector<std::string>{"hello world", "a second text"});
    ASSERT_TRUE(direct.ok());
    EXPECT_EQ(result->body.vectors, direct->vectors);
  }
  (*session)->Close();
}

TEST(GatewayTest, TheHostSeesNoPlaintextNoKeysNoSecrets) {
  auto server = EnclaveServer::Start(DefaultOptions());
  const std::string record_dir = MakeTempDir();
  auto relay = Relay::Start(server->port(), record_dir);
  PolicyFile policy = MakePolicyFile(GoodPolicy());
  auto session = client::Session::Connect(Options(relay->port(), policy.store.get()));
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  const std::vector<std::string> texts = {"patient 4711 has diabetes type two",
                                          "confidential merger with acme corp",
                                          "the launch code is 0000"};
  std::vector<Bytes> secrets;
  for (const std::string& text : texts) {
    auto result = (*session)->Embed({text});
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    secrets.push_back(ToBytes(text));
    secrets.push_back(result->nonce);
    secrets.push_back(result->receipt);
    for (size_t i = 0; i + 4 <= result->body.vectors.size(); i += 4) {
      secrets.emplace_back(FloatBytes(result->body.vectors, i, 4).begin(),
                           FloatBytes(result->body.vectors, i, 4).end());
    }
  }
  const protocol::SessionKeys& keys = (*session)->keys_for_testing();
  for (const SecretBytes* k : {&keys.c2s_key, &keys.c2s_iv, &keys.s2c_key, &keys.s2c_iv}) {
    secrets.emplace_back(k->RevealSecret().begin(), k->RevealSecret().end());
  }
  secrets.push_back(DefaultOptions().receipt_seed_for_testing);
  (*session)->Close();
  relay.reset();  // flush and close the recordings

  Bytes recorded;
  for (const auto& entry : std::filesystem::directory_iterator(record_dir)) {
    Bytes file = testing::ReadFileOrFail(entry.path().string());
    recorded.insert(recorded.end(), file.begin(), file.end());
  }
  // The recording is real: it holds the plaintext handshake (hello magic).
  ASSERT_GT(recorded.size(), 1000u);
  const uint8_t hello_magic[] = {'E', 'M', 1, 1};
  ASSERT_TRUE(Contains(recorded, hello_magic));
  size_t hits = 0;
  for (const Bytes& secret : secrets) hits += Contains(recorded, secret) ? 1 : 0;
  EXPECT_EQ(hits, 0u) << "of " << secrets.size() << " secrets searched";
}

// Flips one byte at stream offset `at` in `direction` and runs a session.
struct TamperOutcome {
  bool connected = false;
  Status embed = Status::Ok();
  bool ended_after_failure = false;
  Bytes client_sent;
};
TamperOutcome RunTampered(int direction, size_t at) {
  // After a failed request the session must be over (fail closed), which
  // `embed` reports as kFailedPrecondition on a second try.
  auto server = EnclaveServer::Start(DefaultOptions());
  auto proxy = Proxy::Start(server->port(), [direction, at](int d, size_t offset, Bytes& chunk) {
    if (d == direction && at >= offset && at < offset + chunk.size()) chunk[at - offset] ^= 0x01;
  });
  PolicyFile policy = MakePolicyFile(GoodPolicy());
  TamperOutcome outcome;
  auto session = client::Session::Connect(Options(proxy->port(), policy.store.get()));
  outcome.connected = session.ok();
  if (session.ok()) {
    auto result = (*session)->Embed({"tamper me"});
    outcome.embed = result.status();
    if (!result.ok()) {
      outcome.ended_after_failure =
          (*session)->Embed({"again"}).status().code() == StatusCode::kFailedPrecondition;
    }
    (*session)->Close();
  }
  outcome.client_sent = proxy->Received(0);
  return outcome;
}

TEST(GatewayTest, AFlippedByteInEitherDirectionFailsClosed) {
  // Client → enclave: inside the hello (challenge), the client key, the request record.
  TamperOutcome hello = RunTampered(0, 20);
  EXPECT_FALSE(hello.connected);
  EXPECT_EQ(hello.client_sent.size(), kHelloFrameSize);  // nothing after the hello
  TamperOutcome key = RunTampered(0, kHelloFrameSize + 10);
  EXPECT_TRUE(key.connected);
  EXPECT_FALSE(key.embed.ok());
  EXPECT_TRUE(key.ended_after_failure);
  TamperOutcome request = RunTampered(0, kHelloFrameSize + 8 + 32 + 20);
  EXPECT_TRUE(request.connected);
  EXPECT_FALSE(request.embed.ok());
  EXPECT_NE(request.embed.message().find("PROTOCOL_ERROR"), std::string::npos)
      << request.embed.ToString();
  EXPECT_TRUE(request.ended_after_failure);
  // Enclave → client: every 97th byte of the evidence message refuses the
  // enclave; a byte in the response record fails the request.
  for (size_t at = 3; at < 3000; at += 97) {
    TamperOutcome evidence = RunTampered(1, at);
    EXPECT_FALSE(evidence.connected) << "offset " << at;
    EXPECT_EQ(evidence.client_sent.size(), kHelloFrameSize) << "offset " << at;
  }
}

TEST(GatewayTest, AFlippedResponseByteFailsTheRequest) {
  auto server = EnclaveServer::Start(DefaultOptions());
  // Find where the response starts: run once untouched to learn the size of
  // the evidence frame, then flip a byte inside the first response record.
  size_t evidence_size = 0;
  {
    auto proxy = Proxy::Start(server->port());
    PolicyFile policy = MakePolicyFile(GoodPolicy());
    auto session = client::Session::Connect(Options(proxy->port(), policy.store.get()));
    ASSERT_TRUE(session.ok());
    (*session)->Close();
    evidence_size = proxy->Received(1).size();
  }
  const size_t at = evidence_size + 50;
  auto proxy = Proxy::Start(server->port(), [at](int d, size_t offset, Bytes& chunk) {
    if (d == 1 && at >= offset && at < offset + chunk.size()) chunk[at - offset] ^= 0x80;
  });
  PolicyFile policy = MakePolicyFile(GoodPolicy());
  auto session = client::Session::Connect(Options(proxy->port(), policy.store.get()));
  ASSERT_TRUE(session.ok());
  auto result = (*session)->Embed({"the response will be corrupted"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kVerificationFailed);
  // Fail closed: the session is over.
  EXPECT_EQ((*session)->Embed({"again"}).status().code(), StatusCode::kFailedPrecondition);
}

uint8_t ExpectClose(RawSession& raw) {
  auto record = raw.ReadRecord();
  EXPECT_TRUE(record.ok()) << record.status().ToString();
  if (!record.ok()) return 0;
  EXPECT_EQ(record->first, FrameType::kClose);
  return record->second.empty() ? 0 : record->second[0];
}

TEST(GatewayTest, ReplayedReorderedAndOversizeFramesAreRejected) {
  auto server = EnclaveServer::Start(DefaultOptions());
  const uint8_t protocol_error = static_cast<uint8_t>(protocol::CloseCode::kProtocolError);
  {  // Replay: the same record twice.
    auto raw = RawSession::Connect(server->port());
    Bytes r0 = raw->SealRequest("first");
    ASSERT_TRUE(net::WriteAll(raw->socket(), r0, net::Deadline::In(5s)).ok());
    auto response = raw->ReadRecord();
    ASSERT_TRUE(response.ok());
    EXPECT_EQ(response->first, FrameType::kResponse);
    ASSERT_TRUE(net::WriteAll(raw->socket(), r0, net::Deadline::In(5s)).ok());
    EXPECT_EQ(ExpectClose(*raw), protocol_error);
  }
  {  // Reorder: record 1 before record 0.
    auto raw = RawSession::Connect(server->port());
    Bytes r0 = raw->SealRequest("zero");
    Bytes r1 = raw->SealRequest("one");
    ASSERT_TRUE(net::WriteAll(raw->socket(), r1, net::Deadline::In(5s)).ok());
    EXPECT_EQ(ExpectClose(*raw), protocol_error);
  }
  {  // Oversize: a header announcing 16 MiB + 1, refused before any payload.
    auto raw = RawSession::Connect(server->port());
    uint8_t header[protocol::kFrameHeaderSize];
    protocol::EncodeFrameHeader(FrameType::kRequest, (16u << 20) + 1, header);
    ASSERT_TRUE(net::WriteAll(raw->socket(), header, net::Deadline::In(5s)).ok());
    EXPECT_EQ(ExpectClose(*raw), protocol_error);
  }
  {  // Type confusion: a request record relabelled as a CLOSE.
    auto raw = RawSession::Connect(server->port());
    Bytes r0 = raw->SealRequest("zero");
    r0[3] = static_cast<uint8_t>(FrameType::kClose);
    ASSERT_TRUE(net::WriteAll(raw->socket(), r0, net::Deadline::In(5s)).ok());
    EXPECT_EQ(ExpectClose(*raw), protocol_error);
  }
  {  // A handshake frame after the handshake.
    auto raw = RawSession::Connect(server->port());
    ASSERT_TRUE(protocol::WriteFrame(raw->socket(), FrameType::kClientHello,
                                     protocol::EncodeClientHello(Bytes(32, 1)),
                                     net::Deadline::In(5s)).ok());
    EXPECT_EQ(ExpectClose(*raw), protocol_error);
  }
}

// Connects through a recording proxy; expects refusal and that the client
// sent nothing but its hello.
void ExpectRefused(const policy::Policy& p, const Clock* clock, const std::string& failing_check) {
  auto server = EnclaveServer::Start(DefaultOptions());
  auto proxy = Proxy::Start(server->port());
  PolicyFile policy = MakePolicyFile(p);
  client::Attestation attestation;
  auto session =
      client::Session::Connect(Options(proxy->port(), policy.store.get(), clock), &attestation);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), StatusCode::kVerificationFailed);
  EXPECT_NE(session.status().message().find(failing_check), std::string::npos)
      << session.status().message();
  EXPECT_FALSE(attestation.verified);
  EXPECT_EQ(proxy->Received(0).size(), kHelloFrameSize);
}

TEST(GatewayTest, UntrustedEnclavesGetNothing) {
  policy::Policy wrong_pcr0 = GoodPolicy();
  wrong_pcr0.measurements[0].values[0][0] ^= 1;
  ExpectRefused(wrong_pcr0, nullptr, "MEASUREMENTS_ALLOWED");

  // PCR0 of one allowed tuple with PCR1/PCR2 of another: no cross-combination.
  policy::Policy cross = GoodPolicy();
  policy::MeasurementTuple other = cross.measurements[0];
  other.name = "other";
  other.values[0][5] ^= 1;
  cross.measurements[0].values[1][5] ^= 1;
  cross.measurements.push_back(other);
  ExpectRefused(cross, nullptr, "MEASUREMENTS_ALLOWED");

  policy::Policy no_evaluation = GoodPolicy();
  no_evaluation.allow_evaluation = false;
  ExpectRefused(no_evaluation, nullptr, "EVALUATION_ALLOWED");

  policy::Policy other_model = GoodPolicy();
  other_model.models[0].model_hash->at(0) ^= 1;
  ExpectRefused(other_model, nullptr, "MODEL_ALLOWED");

  // Another root: the chain does not lead to a trusted root.
  policy::Policy wrong_root = GoodPolicy();
  const std::string platform = World::Get().platform;
  if (platform == "nitro") {  // another dev CA
    const std::string other_state = MakeTempDir() + "/state";
    attest::DevProviderOptions other_provider;
    other_provider.state_dir = other_state;
    other_provider.measurements = World::Get().measurements;
    ASSERT_TRUE(attest::CreateDevNitroProvider(other_provider).ok());
    wrong_root.roots[0].der = testing::ReadFileOrFail(other_state + "/dev-root.der");
  } else {  // the real vendor's root (Intel SGX root CA, AMD ARK-Turin's synthetic twin)
    wrong_root.roots[0].der = testing::ReadFileOrFail(
        platform == "tdx" ? testing::SharedPath("vectors/tdx/intel_sgx_root_ca.der")
                          : testing::SourceDir() + "/src/attest/testdata/snp/turin/ark.der");
  }
  ExpectRefused(wrong_root, nullptr, "ROOT_PINNED");

  if (platform == "nitro") {
    // Expired (the client's clock is an hour ahead) and future evidence.
    FakeClock later(SystemClock::Get().NowUnixMillis() + 3600 * 1000);
    policy::Policy long_lived = GoodPolicy();
    long_lived.expires_at += 7200;
    ExpectRefused(long_lived, &later, "MAX_AGE");
    FakeClock earlier(SystemClock::Get().NowUnixMillis() - 600 * 1000);
    policy::Policy early = GoodPolicy();
    early.created_at -= 7200;
    ExpectRefused(early, &earlier, "NOT_FUTURE");
  } else {
    // Quotes and reports carry no time; what expires is the collateral and
    // the certificates: judged in 2040, after the synthetic PKI's 2034.
    FakeClock in_2040(int64_t{2208988800} * 1000);
    policy::Policy long_lived = GoodPolicy();
    long_lived.expires_at = 2208988800 + 3600;
    ExpectRefused(long_lived, &in_2040, platform == "tdx" ? "TDX_PCK_CHAIN" : "SNP_CHAIN_VALID_AT_TIME");
  }
}

TEST(GatewayTest, ReplayedEvidenceFailsTheChallenge) {
  // Record a genuine SERVER_EVIDENCE frame, then play it back to a new client
  // from a fake enclave: the challenge and the hello hash do not match.
  auto server = EnclaveServer::Start(DefaultOptions());
  Bytes recorded;
  {
    auto proxy = Proxy::Start(server->port());
    PolicyFile policy = MakePolicyFile(GoodPolicy());
    auto session = client::Session::Connect(Options(proxy->port(), policy.store.get()));
    ASSERT_TRUE(session.ok());
    (*session)->Close();
    recorded = proxy->Received(1);
  }
  auto fake = net::Listen(*net::Endpoint::Parse("127.0.0.1:0"), 4);
  ASSERT_TRUE(fake.ok());
  size_t received_after_hello = 0;
  std::thread fake_enclave([&] {
    auto s = net::Accept(*fake, net::Deadline::In(20s));
    if (!s.ok()) return;
    Bytes hello(kHelloFrameSize);
    if (!net::ReadFull(*s, hello, net::Deadline::In(5s)).ok()) return;
    (void)net::WriteAll(*s, recorded, net::Deadline::In(5s));
    Bytes buffer(4096);
    for (;;) {
      auto n = net::ReadSome(*s, buffer, net::Deadline::In(5s));
      if (!n.ok()) break;
      received_after_hello += *n;
    }
  });
  PolicyFile policy = MakePolicyFile(GoodPolicy());
  client::Attestation attestation;
  auto session =
      client::Session::Connect(Options(fake->port(), policy.store.get()), &attestation);
  fake_enclave.join();
  ASSERT_FALSE(session.ok());
  EXPECT_NE(session.status().message().find("CHALLENGE"), std::string::npos)
      << session.status().message();
  EXPECT_EQ(received_after_hello, 0u);
}

TEST(GatewayTest, APolicyChangeIsPickedUpWithoutRestart) {
  auto server = EnclaveServer::Start(DefaultOptions());
  PolicyFile policy = MakePolicyFile(GoodPolicy());
  ASSERT_TRUE(client::Session::Connect(Options(server->port(), policy.store.get())).ok());
  policy::Policy revoked = GoodPolicy();
  revoked.version = 2;
  revoked.measurements[0].values[0][0] ^= 1;
  std::this_thread::sleep_for(20ms);
  WritePolicy(policy.path, revoked);
  auto refused = client::Session::Connect(Options(server->port(), policy.store.get()));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("MEASUREMENTS_ALLOWED"), std::string::npos);
}

TEST(GatewayTest, SessionLimitsEndSessionsCleanly) {
  enclave::EnclaveOptions limited = DefaultOptions();
  limited.limits.max_records = 2;
  auto server = EnclaveServer::Start(limited);
  PolicyFile policy = MakePolicyFile(GoodPolicy());
  auto session = client::Session::Connect(Options(server->port(), policy.store.get()));
  ASSERT_TRUE(session.ok());
  ASSERT_TRUE((*session)->Embed({"one"}).ok());
  ASSERT_TRUE((*session)->Embed({"two"}).ok());
  auto third = (*session)->Embed({"three"});
  ASSERT_FALSE(third.ok());
  EXPECT_NE(third.status().message().find("RECORD_LIMIT"), std::string::npos)
      << third.status().ToString();

  enclave::EnclaveOptions idle = DefaultOptions();
  idle.limits.idle_timeout = 300ms;
  auto idle_server = EnclaveServer::Start(idle);
  auto idle_session = client::Session::Connect(Options(idle_server->port(), policy.store.get()));
  ASSERT_TRUE(idle_session.ok());
  std::this_thread::sleep_for(600ms);
  auto late = (*idle_session)->Embed({"too late"});
  ASSERT_FALSE(late.ok());
  EXPECT_NE(late.status().message().find("IDLE_TIMEOUT"), std::string::npos);

  enclave::EnclaveOptions short_life = DefaultOptions();
  short_life.limits.lifetime = 500ms;
  auto life_server = EnclaveServer::Start(short_life);
  auto life_session = client::Session::Connect(Options(life_server->port(), policy.store.get()));
  ASSERT_TRUE(life_session.ok());
  ASSERT_TRUE((*life_session)->Embed({"in time"}).ok());
  std::this_thread::sleep_for(700ms);
  auto expired = (*life_session)->Embed({"after the lifetime"});
  ASSERT_FALSE(expired.ok());
  EXPECT_NE(expired.status().message().find("LIFETIME_EXCEEDED"), std::string::npos);

  // The lifetime holds even for a client that never pauses: it keeps eight
  // requests queued ahead of the one being answered. The enclave drains them
  // after its CLOSE, so the client reads the close code instead of a reset.
  {
    auto busy_server = EnclaveServer::Start(short_life);
    auto raw = RawSession::Connect(busy_server->port());
    const auto start = std::chrono::steady_clock::now();
    int responses = 0;
    std::optional<uint8_t> close_code;
    for (int i = 0; i < 8; ++i) {
      ASSERT_TRUE(net::WriteAll(raw->socket(), raw->SealRequest("busy"), net::Deadline::In(5s)).ok());
    }
    while (std::chrono::steady_clock::now() - start < 5s) {
      auto record = raw->ReadRecord();
      ASSERT_TRUE(record.ok()) << record.status().ToString();
      if (record->first == FrameType::kClose) {
        close_code = record->second.at(0);
        break;
      }
      ++responses;
      ASSERT_TRUE(net::WriteAll(raw->socket(), raw->SealRequest("busy"), net::Deadline::In(5s)).ok());
    }
    EXPECT_GT(responses, 1);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    ASSERT_TRUE(close_code.has_value());
    EXPECT_EQ(*close_code, static_cast<uint8_t>(protocol::CloseCode::kLifetimeExceeded));
  }

  // The enclave-wide budget for request bytes in flight: a frame announcing
  // more than is left is refused from its header; small requests still pass.
  {
    enclave::EnclaveOptions budget = DefaultOptions();
    budget.limits.max_inflight_request_bytes = 1 << 20;
    auto budget_server = EnclaveServer::Start(budget);
    auto raw = RawSession::Connect(budget_server->port());
    ASSERT_TRUE(net::WriteAll(raw->socket(), raw->SealRequest("small"), net::Deadline::In(5s)).ok());
    auto small = raw->ReadRecord();
    ASSERT_TRUE(small.ok());
    EXPECT_EQ(small->first, FrameType::kResponse);
    uint8_t header[protocol::kFrameHeaderSize];
    protocol::EncodeFrameHeader(FrameType::kRequest, (1u << 20) + 1, header);
    ASSERT_TRUE(net::WriteAll(raw->socket(), header, net::Deadline::In(5s)).ok());
    EXPECT_EQ(ExpectClose(*raw), static_cast<uint8_t>(protocol::CloseCode::kOverloaded));
  }

  enclave::EnclaveOptions slow_handshake = DefaultOptions();
  slow_handshake.limits.handshake_timeout = 300ms;
  auto hs_server = EnclaveServer::Start(slow_handshake);
  auto silent = net::Connect(*net::Endpoint::Parse("127.0.0.1:" + std::to_string(hs_server->port())),
                             net::Deadline::In(5s));
  ASSERT_TRUE(silent.ok());
  auto alert = protocol::ReadFrame(*silent, net::Deadline::In(5s));
  ASSERT_TRUE(alert.ok()) << alert.status().ToString();
  EXPECT_EQ(alert->header.type, FrameType::kAlert);
  EXPECT_EQ(protocol::ParseAlert(alert->payload())->text, "TIMEOUT");
}

TEST(GatewayTest, AThousandGarbageConnectionsThenSuccess) {
  auto server = EnclaveServer::Start(DefaultOptions());
  auto relay = Relay::Start(server->port());
  const net::Endpoint relay_endpoint =
      *net::Endpoint::Parse("127.0.0.1:" + std::to_string(relay->port()));
  std::vector<net::Socket> half_open;
  Bytes junk(512);
  for (int i = 0; i < 1000; ++i) {
    auto s = net::Connect(relay_endpoint, net::Deadline::In(5s));
    ASSERT_TRUE(s.ok()) << i << ": " << s.status().ToString();
    ASSERT_TRUE(crypto::RandomBytes(junk).ok());
    switch (i % 5) {
      case 0: break;  // connect and close
      case 1: (void)net::WriteAll(*s, junk, net::Deadline::In(1s)); break;
      case 2: {  // a plausible header announcing a huge payload
        uint8_t header[protocol::kFrameHeaderSize];
        protocol::EncodeFrameHeader(FrameType::kClientHello, 0xFFFFFFF0, header);
        (void)net::WriteAll(*s, header, net::Deadline::In(1s));
        break;
      }
      case 3:  // a valid hello, then vanish mid-handshake
        (void)protocol::WriteFrame(*s, FrameType::kClientHello,
                                   protocol::EncodeClientHello(Bytes(32, 7)), net::Deadline::In(1s));
        break;
      case 4:  // half-open: a partial header, kept open for a while
        (void)net::WriteAll(*s, ByteSpan(junk).first(3), net::Deadline::In(1s));
        if (half_open.size() < 40) half_open.push_back(std::move(*s));
        break;
    }
  }
  half_open.clear();
  ASSERT_TRUE(relay->Running());
  PolicyFile policy = MakePolicyFile(GoodPolicy());
  client::Attestation attestation;
  StatusOr<std::unique_ptr<client::Session>> session = Status(StatusCode::kInternal, "not run");
  for (int attempt = 0; attempt < 50; ++attempt) {  // sessions may still be draining
    session = client::Session::Connect(Options(relay->port(), policy.store.get()), &attestation);
    if (session.ok()) break;
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  auto result = (*session)->Embed({"still serving"});
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->receipt_check.verified);
  EXPECT_TRUE(relay->Running());
}

TEST(GatewayTest, ThirtyTwoConcurrentClientsTwentyRequestsEach) {
  auto server = EnclaveServer::Start(DefaultOptions(), 64);
  auto relay = Relay::Start(server->port());
  PolicyFile policy = MakePolicyFile(GoodPolicy());
  std::atomic<int> verified{0};
  std::mutex mu;
  std::set<Bytes> ctis;
  std::vector<std::string> errors;
  std::vector<std::thread> clients;
  for (int c = 0; c < 32; ++c) {
    clients.emplace_back([&, c] {
      auto session = client::Session::Connect(Options(relay->port(), policy.store.get()));
      if (!session.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        errors.push_back(session.status().ToString());
        return;
      }
      for (int r = 0; r < 20; ++r) {
        auto result = (*session)->Embed({"client " + std::to_string(c) + " request " +
                                         std::to_string(r)});
        std::lock_guard<std::mutex> lock(mu);
        if (!result.ok()) {
          errors.push_back(result.status().ToString());
          return;
        }
        if (result->receipt_check.verified) ++verified;
        ctis.insert(result->receipt_check.claims->cti);
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_TRUE(errors.empty()) << errors.size() << " errors, first: " << errors.front();
  EXPECT_EQ(verified.load(), 640);
  EXPECT_EQ(ctis.size(), 640u);  // every receipt has its own id
}

}  // namespace
}  // namespace eml::e2e

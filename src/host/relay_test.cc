// In-process tests of Relay(): four loopback sockets, the relay on a thread.
#include "host/relay.h"

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace eml::host {
namespace {

using namespace std::chrono_literals;
using net::Deadline;

class RecordingObserver final : public RelayObserver {
 public:
  Status OnRelayed(Direction d, ByteSpan data) override {
    std::lock_guard<std::mutex> lock(mu);
    Bytes& out = d == Direction::kClientToEnclave ? c2e : e2c;
    out.insert(out.end(), data.begin(), data.end());
    if (fail_after >= 0 && static_cast<int64_t>(c2e.size() + e2c.size()) > fail_after) {
      return IoError("disk full");
    }
    return OkStatus();
  }
  std::mutex mu;
  Bytes c2e, e2c;
  int64_t fail_after = -1;
};

class RelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<net::Listener> l = net::Listen(*net::Endpoint::Parse("127.0.0.1:0"), 8);
    ASSERT_TRUE(l.ok());
    client_app_ = std::move(*net::Connect(l->endpoint(), Deadline::In(5s)));
    client_relay_ = std::move(*net::Accept(*l, Deadline::In(5s)));
    enclave_relay_ = std::move(*net::Connect(l->endpoint(), Deadline::In(5s)));
    enclave_app_ = std::move(*net::Accept(*l, Deadline::In(5s)));
    auto stop = net::Waker::Create();
    ASSERT_TRUE(stop.ok());
    stop_.emplace(std::move(*stop));
  }
  void StartRelay(RelayOptions options) {
    relay_ = std::thread([this, options] {
      result_ = Relay(client_relay_, enclave_relay_, options, *stop_, observer_);
      // The caller (Host) closes both sockets when the relay ends.
      client_relay_.Close();
      enclave_relay_.Close();
    });
  }
  void TearDown() override {
    // An assertion that returned early must not leave the thread running.
    if (relay_.joinable()) {
      stop_->Wake();
      relay_.join();
    }
  }
  RelayResult Join() {
    relay_.join();
    return result_;
  }

  net::Socket client_app_, client_relay_, enclave_relay_, enclave_app_;
  std::optional<net::Waker> stop_;
  RecordingObserver observer_;
  std::thread relay_;
  RelayResult result_;
};

Bytes Random(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

StatusOr<Bytes> ReadToEof(net::Socket& s) {
  Bytes out;
  uint8_t buf[8192];
  for (;;) {
    StatusOr<size_t> n = net::ReadSome(s, net::MutableByteSpan(buf, sizeof(buf)), Deadline::In(30s));
    if (!n.ok()) {
      if (net::IsEndOfStream(n.status())) return out;
      return n.status();
    }
    out.insert(out.end(), buf, buf + *n);
  }
}

TEST_F(RelayTest, CopiesBothWaysAndEndsWhenBothSidesClose) {
  StartRelay({.idle_timeout = 30s, .buffer_size = 4096});  // small buffer: many rounds
  const Bytes up = Random(300000, 1), down = Random(200000, 2);
  std::thread client([&] {
    EXPECT_TRUE(net::WriteAll(client_app_, up, Deadline::In(30s)).ok());
    EXPECT_TRUE(net::ShutdownWrite(client_app_).ok());
  });
  std::thread enclave([&] {
    EXPECT_TRUE(net::WriteAll(enclave_app_, down, Deadline::In(30s)).ok());
    EXPECT_TRUE(net::ShutdownWrite(enclave_app_).ok());
  });
  StatusOr<Bytes> at_enclave = ReadToEof(enclave_app_);
  StatusOr<Bytes> at_client = ReadToEof(client_app_);
  client.join();
  enclave.join();
  const RelayResult r = Join();
  EXPECT_EQ(r.end, RelayEnd::kClosed) << RelayEndName(r.end) << " " << r.detail;
  ASSERT_TRUE(at_enclave.ok() && at_client.ok());
  EXPECT_TRUE(*at_enclave == up);
  EXPECT_TRUE(*at_client == down);
  EXPECT_EQ(r.client_to_enclave, up.size());
  EXPECT_EQ(r.enclave_to_client, down.size());
  EXPECT_TRUE(observer_.c2e == up);
  EXPECT_TRUE(observer_.e2c == down);
}

TEST_F(RelayTest, HalfCloseKeepsTheOtherDirectionOpen) {
  StartRelay({.idle_timeout = 30s});
  ASSERT_TRUE(net::WriteAll(client_app_, AsBytes("q"), Deadline::In(5s)).ok());
  ASSERT_TRUE(net::ShutdownWrite(client_app_).ok());
  StatusOr<Bytes> q = ReadToEof(enclave_app_);  // the FIN arrives
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(AsStringView(*q), "q");
  // Long after the client's FIN, the enclave can still answer.
  std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(net::WriteAll(enclave_app_, AsBytes("answer"), Deadline::In(5s)).ok());
  uint8_t b[6];
  ASSERT_TRUE(net::ReadFull(client_app_, b, 6, Deadline::In(5s)).ok());
  EXPECT_EQ(std::string(b, b + 6), "answer");
  ASSERT_TRUE(net::ShutdownWrite(enclave_app_).ok());
  EXPECT_EQ(Join().end, RelayEnd::kClosed);
}

TEST_F(RelayTest, IdleTimeoutEndsTheRelay) {
  const auto start = std::chrono::steady_clock::now();
  StartRelay({.idle_timeout = 200ms});
  ASSERT_TRUE(net::WriteAll(client_app_, AsBytes("x"), Deadline::In(5s)).ok());
  const RelayResult r = Join();
  EXPECT_EQ(r.end, RelayEnd::kIdleTimeout);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
  EXPECT_EQ(r.client_to_enclave, 1u);
}

TEST_F(RelayTest, StopEndsTheRelayPromptly) {
  StartRelay({.idle_timeout = 300s});
  std::this_thread::sleep_for(50ms);
  const auto start = std::chrono::steady_clock::now();
  stop_->Wake();
  EXPECT_EQ(Join().end, RelayEnd::kStopped);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST_F(RelayTest, AResetClientIsAClientError) {
  StartRelay({.idle_timeout = 30s});
  const linger lg{.l_onoff = 1, .l_linger = 0};
  ASSERT_EQ(setsockopt(client_app_.fd(), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
  client_app_.Close();  // RST
  const RelayResult r = Join();
  EXPECT_EQ(r.end, RelayEnd::kClientError) << RelayEndName(r.end);
  EXPECT_NE(r.detail.find("recv"), std::string::npos) << r.detail;
}

TEST_F(RelayTest, AnObserverFailureEndsTheRelay) {
  observer_.fail_after = 10;
  StartRelay({.idle_timeout = 30s});
  ASSERT_TRUE(net::WriteAll(client_app_, Random(100, 3), Deadline::In(5s)).ok());
  const RelayResult r = Join();
  EXPECT_EQ(r.end, RelayEnd::kObserverError);
  EXPECT_NE(r.detail.find("disk full"), std::string::npos);
}

TEST_F(RelayTest, ASideThatStopsReadingThrottlesTheOtherInsteadOfBuffering) {
  StartRelay({.idle_timeout = 30s, .buffer_size = 65536});
  // The enclave never reads: the relay holds one buffer and the kernel
  // buffers fill, so the client's write stalls (bounded memory).
  const Bytes big(64 << 20, 0x42);
  const Status st = net::WriteAll(client_app_, big, Deadline::In(1s));
  EXPECT_EQ(st.code(), StatusCode::kLimitExceeded) << st.ToString();
  stop_->Wake();
  const RelayResult r = Join();
  EXPECT_EQ(r.end, RelayEnd::kStopped);
  EXPECT_LT(r.client_to_enclave, big.size() / 2);
}

}  // namespace
}  // namespace eml::host

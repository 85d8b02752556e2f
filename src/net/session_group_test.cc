#include "net/session_group.h"

#include <poll.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace eml::net {
namespace {

using namespace std::chrono_literals;

Endpoint Loopback(uint32_t port = 0) {
  return Endpoint{.family = Endpoint::Family::kIpv4, .host = "127.0.0.1", .cid = 0, .port = port};
}

class SessionGroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<Listener> l = Listen(Loopback(), 64);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    listener_.emplace(std::move(*l));
  }
  // Connects a client and returns {client, accepted server side}.
  std::pair<Socket, Socket> Connected() {
    StatusOr<Socket> c = Connect(Loopback(listener_->port()), Deadline::In(5s));
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    StatusOr<Socket> s = Accept(*listener_, Deadline::In(5s));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return {std::move(*c), std::move(*s)};
  }
  static bool WaitUntil(const std::function<bool()>& pred) {
    for (int i = 0; i < 500; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return pred();
  }
  std::optional<Listener> listener_;
};

TEST_F(SessionGroupTest, RunsTheHandlerAndClosesTheSocketAfterIt) {
  auto group = SessionGroup::Create(4);
  ASSERT_TRUE(group.ok());
  auto [client, server] = Connected();
  ASSERT_TRUE((*group)
                  ->Start(std::move(server),
                          [](Socket& s, const Waker&) {
                            WriteAll(s, AsBytes("hi"), Deadline::In(5s)).IgnoreError();
                          })
                  .ok());
  uint8_t buf[2];
  ASSERT_TRUE(ReadFull(client, buf, 2, Deadline::In(5s)).ok());
  EXPECT_EQ(std::string(buf, buf + 2), "hi");
  // The group closed the socket when the handler returned: EOF, not a hang.
  uint8_t b;
  EXPECT_TRUE(IsEndOfStream(ReadFull(client, &b, 1, Deadline::In(5s))));
  EXPECT_TRUE(WaitUntil([&] { return (*group)->active() == 0; }));
}

TEST_F(SessionGroupTest, OverTheLimitIsRefusedAndClosedAtOnce) {
  auto group = SessionGroup::Create(1);
  ASSERT_TRUE(group.ok());
  auto blocking = [](Socket& s, const Waker&) {
    uint8_t b;
    ReadFull(s, &b, 1, Deadline::Never()).IgnoreError();
  };
  auto [c1, s1] = Connected();
  ASSERT_TRUE((*group)->Start(std::move(s1), blocking).ok());
  EXPECT_EQ((*group)->active(), 1u);
  auto [c2, s2] = Connected();
  const Status st = (*group)->Start(std::move(s2), blocking);
  EXPECT_EQ(st.code(), StatusCode::kLimitExceeded) << st.ToString();
  uint8_t b;
  EXPECT_TRUE(IsEndOfStream(ReadFull(c2, &b, 1, Deadline::In(5s))));
  EXPECT_EQ((*group)->active(), 1u);
}

TEST_F(SessionGroupTest, AFinishedSessionFreesItsSlot) {
  auto group = SessionGroup::Create(1);
  ASSERT_TRUE(group.ok());
  for (int i = 0; i < 5; ++i) {
    auto [c, s] = Connected();
    ASSERT_TRUE((*group)->Start(std::move(s), [](Socket&, const Waker&) {}).ok()) << i;
    ASSERT_TRUE(WaitUntil([&] { return (*group)->active() == 0; }));
  }
}

TEST_F(SessionGroupTest, ShutdownAndJoinWakesBlockedHandlers) {
  auto group = SessionGroup::Create(8);
  ASSERT_TRUE(group.ok());
  std::atomic<int> woke_from_read{0};
  std::atomic<int> woke_from_stop{0};
  std::vector<Socket> clients;
  for (int i = 0; i < 3; ++i) {
    auto [c, s] = Connected();
    clients.push_back(std::move(c));
    ASSERT_TRUE((*group)
                    ->Start(std::move(s),
                            [&](Socket& sock, const Waker&) {
                              uint8_t b;
                              if (!ReadFull(sock, &b, 1, Deadline::Never()).ok()) ++woke_from_read;
                            })
                    .ok());
  }
  // A handler that waits on something other than its socket uses stop.fd().
  auto [c, s] = Connected();
  ASSERT_TRUE((*group)
                  ->Start(std::move(s),
                          [&](Socket&, const Waker& stop) {
                            pollfd p{.fd = stop.fd(), .events = POLLIN, .revents = 0};
                            while (poll(&p, 1, -1) != 1) {
                            }
                            if (stop.woken()) ++woke_from_stop;
                          })
                  .ok());
  EXPECT_EQ((*group)->active(), 4u);
  const auto start = std::chrono::steady_clock::now();
  (*group)->ShutdownAndJoin();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(woke_from_read.load(), 3);
  EXPECT_EQ(woke_from_stop.load(), 1);
  EXPECT_EQ((*group)->active(), 0u);
  auto [c5, s5] = Connected();
  EXPECT_EQ((*group)->Start(std::move(s5), [](Socket&, const Waker&) {}).code(),
            StatusCode::kFailedPrecondition);
  (*group)->ShutdownAndJoin();  // idempotent
}

TEST(SessionGroupCreateTest, ZeroSessionsIsInvalid) {
  EXPECT_EQ(SessionGroup::Create(0).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace eml::net

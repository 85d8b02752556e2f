#include "host/options.h"

#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace eml::host {
namespace {

StatusOr<HostOptions> Parse(std::vector<std::string_view> args) { return ParseHostArgs(args); }

TEST(HostOptionsTest, RequiredFlagsAndDefaults) {
  StatusOr<HostOptions> o =
      Parse({"--listen", "0.0.0.0:7000", "--enclave", "vsock:16:5000", "--admin=127.0.0.1:9100"});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->listen.port, 7000u);
  EXPECT_EQ(o->enclave.family, net::Endpoint::Family::kVsock);
  EXPECT_EQ(o->enclave.cid, 16u);
  EXPECT_EQ(o->admin.port, 9100u);
  EXPECT_EQ(o->max_connections, 256u);
  EXPECT_EQ(o->idle_timeout_s, 300);
  EXPECT_EQ(o->connect_timeout_ms, 5000);
  EXPECT_TRUE(o->record_dir.empty());
  EXPECT_TRUE(o->ready_file.empty());
  EXPECT_FALSE(o->help);
}

TEST(HostOptionsTest, AllFlags) {
  StatusOr<HostOptions> o = Parse({"--listen", "[::1]:0", "--enclave", "127.0.0.1:5000", "--admin",
                                   "localhost:0", "--max-connections", "3", "--idle-timeout-s=9",
                                   "--connect-timeout-ms", "250", "--record", "/tmp/r",
                                   "--ready-file", "/tmp/ready.json"});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->max_connections, 3u);
  EXPECT_EQ(o->idle_timeout_s, 9);
  EXPECT_EQ(o->connect_timeout_ms, 250);
  EXPECT_EQ(o->record_dir, "/tmp/r");
  EXPECT_EQ(o->ready_file, "/tmp/ready.json");
}

TEST(HostOptionsTest, Help) {
  StatusOr<HostOptions> o = Parse({"--help"});
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->help);
  EXPECT_NE(Usage().find("--max-connections"), std::string::npos);
}

TEST(HostOptionsTest, RejectsBadInput) {
  const std::vector<std::vector<std::string_view>> bad = {
      {},
      {"--listen", "127.0.0.1:0", "--enclave", "127.0.0.1:1"},                     // no --admin
      {"--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--enclave"},          // no value
      {"--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--enclave", "127.0.0.1:0"},  // port 0
      {"--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--enclave", "vsock:any:5"},
      {"--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--enclave", "host:5"},
      {"--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
       "--enclave", "127.0.0.1:5"},  // twice
      {"--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--enclave", "127.0.0.1:5",
       "--max-connections", "0"},
      {"--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--enclave", "127.0.0.1:5",
       "--max-connections", "65537"},
      {"--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--enclave", "127.0.0.1:5",
       "--idle-timeout-s", "-1"},
      {"--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--enclave", "127.0.0.1:5",
       "--idle-timeout-s", "99999999999999999999"},
      {"--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--enclave", "127.0.0.1:5",
       "--connect-timeout-ms", "1e3"},
      {"--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--enclave", "127.0.0.1:5",
       "--record="},
      {"--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--enclave", "127.0.0.1:5", "extra"},
      {"--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--enclave", "127.0.0.1:5",
       "--verbose", "1"},
  };
  for (const auto& args : bad) {
    StatusOr<HostOptions> o = Parse(args);
    std::string joined;
    for (auto a : args) joined += std::string(a) + " ";
    EXPECT_FALSE(o.ok()) << "accepted: " << joined;
    if (!o.ok()) {
      EXPECT_EQ(o.status().code(), StatusCode::kInvalidArgument) << joined;
    }
  }
}

}  // namespace
}  // namespace eml::host

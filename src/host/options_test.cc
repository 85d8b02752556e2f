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

namespace eml::host {
namespace {

TEST(HostOptionsTest, ProxyFlags) {
  StatusOr<HostOptions> o = ParseHostArgs(std::vector<std::string_view>{
      "--listen", "127.0.0.1:0", "--enclave", "127.0.0.1:5", "--admin", "127.0.0.1:0",
      "--kms-proxy", "vsock:any:8000", "--kms-upstream", "https://kms.eu-west-1.amazonaws.com",
      "--storage-proxy", "127.0.0.1:0", "--storage-s3", "http://127.0.0.1:9000/b/p",
      "--s3-region", "eu-west-1", "--credentials-file", "/c", "--proxy-max-connections", "3",
      "--upstream-timeout-ms", "700"});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->kms_proxy->family, net::Endpoint::Family::kVsock);
  EXPECT_EQ(o->storage_s3, "http://127.0.0.1:9000/b/p");
  EXPECT_EQ(o->proxy_max_connections, 3u);
  EXPECT_EQ(o->upstream_timeout_ms, 700);
  const std::vector<std::string_view> base = {"--listen", "127.0.0.1:0", "--enclave",
                                              "127.0.0.1:5", "--admin", "127.0.0.1:0"};
  const std::vector<std::vector<std::string_view>> bad = {
      {"--kms-proxy", "127.0.0.1:0"},                                   // no upstream
      {"--kms-upstream", "http://127.0.0.1:1"},                         // no proxy
      {"--storage-proxy", "127.0.0.1:0"},                               // no backend
      {"--storage-proxy", "127.0.0.1:0", "--storage-dir", "/d", "--storage-s3", "http://h/b",
       "--s3-region", "r"},                                             // two backends
      {"--storage-dir", "/d"},                                          // no proxy
      {"--storage-proxy", "127.0.0.1:0", "--storage-s3", "http://h/b"},  // no region
      {"--storage-proxy", "127.0.0.1:0", "--storage-dir", "/d", "--s3-region", "r"},
      {"--proxy-max-connections", "0"},
      {"--upstream-timeout-ms", "0"},
      {"--credentials-file", ""},
  };
  for (const auto& extra : bad) {
    std::vector<std::string_view> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    EXPECT_FALSE(ParseHostArgs(args).ok()) << extra[0];
  }
}

}  // namespace
}  // namespace eml::host

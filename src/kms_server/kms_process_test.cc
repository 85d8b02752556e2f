// The eml-kms binary over loopback HTTP: KmsClient with net::HttpRoundTrip,
// a dev attestation document whose PCR0 the key policy requires, restart
// persistence, and refusal to start on a damaged state directory.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "crypto/rsa.h"
#include "kms/kms_client.h"
#include "kms_server/kms_test_util.h"
#include "net/endpoint.h"
#include "net/http.h"

extern char** environ;

namespace eml::kms_server {
namespace {

using namespace std::chrono_literals;
using kms::AwsErrorType;
using testing::TempDir;

bool WaitUntil(const std::function<bool()>& condition, std::chrono::seconds limit = 30s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

class KmsProcess {
 public:
  KmsProcess(const std::string& dir, std::vector<std::string> args) {
    ready_file_ = dir + "/ready.json";
    stderr_file_ = dir + "/stderr.txt";
    std::filesystem::remove(ready_file_);
    args.insert(args.begin(), EML_KMS_BINARY);
    args.push_back("--ready-file");
    args.push_back(ready_file_);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_file_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    EXPECT_EQ(posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    WaitUntil([&] { return std::filesystem::exists(ready_file_) || !Alive(); });
    if (Alive()) {
      const nlohmann::json j = nlohmann::json::parse(std::ifstream(ready_file_));
      auto endpoint = net::Endpoint::Parse(j.at("listen").get<std::string>());
      EXPECT_TRUE(endpoint.ok());
      if (endpoint.ok()) endpoint_ = *endpoint;
      EXPECT_EQ(j.at("port").get<uint32_t>(), endpoint_.port);
    }
  }
  ~KmsProcess() { Stop(); }

  bool Alive() {
    if (pid_ <= 0) return false;
    const pid_t r = waitpid(pid_, &status_, WNOHANG);
    if (r == 0) return true;
    pid_ = -1;
    return false;
  }
  // Exit code after SIGTERM (or the code it already exited with); -1 if killed.
  int Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      if (!WaitUntil([&] { return !Alive(); }, 20s)) {
        ADD_FAILURE() << "eml-kms ignored SIGTERM";
        kill(pid_, SIGKILL);
        waitpid(pid_, &status_, 0);
        pid_ = -1;
      }
    }
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }
  std::string Stderr() const {
    std::stringstream ss;
    ss << std::ifstream(stderr_file_).rdbuf();
    return ss.str();
  }
  const net::Endpoint& endpoint() const { return endpoint_; }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  std::string ready_file_;
  std::string stderr_file_;
  net::Endpoint endpoint_;
};

kms::KmsClient HttpClient(const net::Endpoint& endpoint) {
  auto client = kms::KmsClient::Create(
      {.region = "us-east-1",
       .host = "localhost",
       .credentials = testing::ClientCredentials(),
       .transport = [endpoint](const net::HttpRequest& r) {
         return net::HttpRoundTrip(endpoint, r, kms::kMaxKmsResponseSize, net::Deadline::In(30s));
       }});
  EXPECT_TRUE(client.ok());
  return std::move(*client);
}

class KmsProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    attester_ = testing::MakeDevAttester(dir_.path() + "/ca", "enclave image v1", nullptr);
    const std::string credentials = dir_.path() + "/credentials.json";
    std::ofstream(credentials) << R"([{"AccessKeyId":")" << testing::kTestAccessKeyId
                               << R"(","SecretAccessKey":")" << testing::kTestSecretKey
                               << R"(","Arn":")" << testing::kTestArn << R"("}])";
    ::chmod(credentials.c_str(), 0600);
    args_ = {"--state-dir", dir_.path() + "/state", "--credentials", credentials,
             "--attestation-root", dir_.path() + "/ca/dev-root.der", "--listen", "127.0.0.1:0"};
  }

  TempDir dir_;
  testing::DevAttester attester_;
  std::vector<std::string> args_;
};

TEST_F(KmsProcessTest, RecipientRoundTripOverHttpAndRestart) {
  auto rsa = crypto::RsaPrivateKey::Generate2048();
  ASSERT_TRUE(rsa.ok());
  std::string key_id;
  kms::GenerateDataKeyResult generated;
  {
    KmsProcess kms(dir_.path(), args_);
    ASSERT_TRUE(kms.Alive()) << kms.Stderr();
    kms::KmsClient client = HttpClient(kms.endpoint());
    auto meta = client.CreateKey({.policy = testing::Pcr0Policy(HexEncode(attester_.pcr0))});
    ASSERT_TRUE(meta.ok()) << meta.status().ToString();
    key_id = meta->key_id;
    auto document = attester_.provider->Attest(rsa->PublicKeySpkiDer(), {}, {});
    ASSERT_TRUE(document.ok());
    kms::KmsRecipient recipient{*document, &*rsa};
    auto result = client.GenerateDataKey({.key_id = key_id, .key_spec = "AES_256",
                                          .encryption_context = {{"k", "v"}},
                                          .recipient = &recipient});
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    generated = std::move(*result);
    EXPECT_EQ(AwsErrorType(client.GenerateDataKey({.key_id = key_id, .key_spec = "AES_256"}).status()),
              "AccessDeniedException");
    EXPECT_EQ(kms.Stop(), 0) << kms.Stderr();
    EXPECT_EQ(kms.Stderr().find(testing::kTestSecretKey), std::string::npos);
  }
  {
    KmsProcess kms(dir_.path(), args_);
    ASSERT_TRUE(kms.Alive()) << kms.Stderr();
    auto document = attester_.provider->Attest(rsa->PublicKeySpkiDer(), {}, {});
    ASSERT_TRUE(document.ok());
    kms::KmsRecipient recipient{*document, &*rsa};
    auto decrypted = HttpClient(kms.endpoint())
                         .Decrypt({.ciphertext_blob = generated.ciphertext_blob,
                                   .encryption_context = {{"k", "v"}},
                                   .recipient = &recipient});
    ASSERT_TRUE(decrypted.ok()) << decrypted.status().ToString();
    EXPECT_EQ(decrypted->plaintext, generated.plaintext);
    EXPECT_EQ(kms.Stop(), 0);
  }
}

TEST_F(KmsProcessTest, DamagedStateRefusesToStart) {
  std::string key_id;
  {
    KmsProcess kms(dir_.path(), args_);
    ASSERT_TRUE(kms.Alive()) << kms.Stderr();
    auto meta = HttpClient(kms.endpoint()).CreateKey({});
    ASSERT_TRUE(meta.ok()) << meta.status().ToString();
    key_id = meta->key_id;
  }
  const std::string file = dir_.path() + "/state/key-" + key_id + ".json";
  std::ofstream(file, std::ios::trunc) << "{\"Format\":\"eml-kms key v1\"";
  KmsProcess kms(dir_.path(), args_);
  EXPECT_TRUE(WaitUntil([&] { return !kms.Alive(); }));
  EXPECT_EQ(kms.Stop(), 1);
  EXPECT_NE(kms.Stderr().find("refusing to start"), std::string::npos) << kms.Stderr();
  // Still damaged, not regenerated.
  std::stringstream ss;
  ss << std::ifstream(file).rdbuf();
  EXPECT_EQ(ss.str(), "{\"Format\":\"eml-kms key v1\"");
}

TEST_F(KmsProcessTest, RefusesNonLoopbackAndOpenCredentials) {
  std::vector<std::string> args = args_;
  args.back() = "0.0.0.0:0";
  KmsProcess open(dir_.path(), args);
  EXPECT_TRUE(WaitUntil([&] { return !open.Alive(); }));
  EXPECT_EQ(open.Stop(), 2);
  ::chmod((dir_.path() + "/credentials.json").c_str(), 0644);
  KmsProcess leaky(dir_.path(), args_);
  EXPECT_TRUE(WaitUntil([&] { return !leaky.Alive(); }));
  EXPECT_NE(leaky.Stop(), 0);
}

}  // namespace
}  // namespace eml::kms_server

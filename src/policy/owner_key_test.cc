// Owner key files: generation, permissions, parsing.
#include "policy/owner_key.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

#include "core/encoding.h"
#include "core/file.h"
#include "policy/policy_test_util.h"
#include "policy/signed_policy.h"

namespace eml::policy {
namespace {

class OwnerKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/eml_owner_key_XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
  }
  void TearDown() override {
    for (const char* name : {"owner.key", "owner.pub", "seed.key"}) {
      unlink((dir_ + "/" + name).c_str());
    }
    rmdir(dir_.c_str());
  }
  void WriteFile(const std::string& name, const std::string& text, mode_t mode) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    ASSERT_EQ(chmod(path.c_str(), mode), 0);
  }
  std::string dir_;
};

mode_t Mode(const std::string& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

TEST_F(OwnerKeyTest, GenerateWritesAMatchingPair) {
  StatusOr<OwnerKeyFiles> files = GenerateOwnerKeyFiles(dir_);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(Mode(files->key_path), 0600u);
  EXPECT_EQ(Mode(files->pub_path), 0644u);
  StatusOr<std::string> pub_text = ReadSmallFile(files->pub_path, 1024);
  ASSERT_TRUE(pub_text.ok());
  EXPECT_EQ(*pub_text, HexEncode(files->public_key) + "\n");
  StatusOr<crypto::Ed25519PrivateKey> key = ReadOwnerPrivateKey(files->key_path);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->PublicKey(), files->public_key);
  StatusOr<Bytes> pub = ReadOwnerPublicKey(files->pub_path);
  ASSERT_TRUE(pub.ok());
  // The pair works end to end.
  StatusOr<Bytes> signed_policy = SignPolicy(testing::SamplePolicy(), *key);
  ASSERT_TRUE(signed_policy.ok());
  EXPECT_TRUE(VerifySignedPolicy(*signed_policy, *pub, testing::kNow).ok());
}

TEST_F(OwnerKeyTest, GenerateNeverOverwrites) {
  ASSERT_TRUE(GenerateOwnerKeyFiles(dir_).ok());
  StatusOr<std::string> before = ReadSmallFile(dir_ + "/owner.key", 1024);
  EXPECT_EQ(GenerateOwnerKeyFiles(dir_).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadSmallFile(dir_ + "/owner.key", 1024).value(), before.value());
  unlink((dir_ + "/owner.key").c_str());  // only the pub left: still refused
  EXPECT_EQ(GenerateOwnerKeyFiles(dir_).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(GenerateOwnerKeyFiles(dir_ + "/missing").status().code(), StatusCode::kNotFound);
}

TEST_F(OwnerKeyTest, SeedFileGivesTheIndependentlyDerivedKey) {
  // 0x2a * 32 -> public key computed with python `cryptography`.
  std::string hex;
  for (int i = 0; i < 32; ++i) hex += "2a";
  WriteFile("seed.key", " " + hex + "\n", 0600);
  StatusOr<crypto::Ed25519PrivateKey> key = ReadOwnerPrivateKey(dir_ + "/seed.key");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(HexEncode(key->PublicKey()),
            "197f6b23e16c8532c6abc838facd5ea789be0c76b2920334039bfa8b3d368d61");
}

TEST_F(OwnerKeyTest, PrivateKeyFileRules) {
  std::string hex;
  for (int i = 0; i < 32; ++i) hex += "2a";
  WriteFile("seed.key", hex + "\n", 0640);
  EXPECT_EQ(ReadOwnerPrivateKey(dir_ + "/seed.key").status().code(),
            StatusCode::kFailedPrecondition);
  WriteFile("seed.key", hex + "\n", 0604);
  EXPECT_EQ(ReadOwnerPrivateKey(dir_ + "/seed.key").status().code(),
            StatusCode::kFailedPrecondition);
  WriteFile("seed.key", hex.substr(2) + "\n", 0600);
  EXPECT_EQ(ReadOwnerPrivateKey(dir_ + "/seed.key").status().code(),
            StatusCode::kInvalidArgument);
  WriteFile("seed.key", "zz" + hex.substr(2) + "\n", 0600);
  StatusOr<crypto::Ed25519PrivateKey> bad = ReadOwnerPrivateKey(dir_ + "/seed.key");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  // The message names the file, never its content.
  EXPECT_EQ(bad.status().message().find(hex.substr(2)), std::string::npos);
  EXPECT_EQ(ReadOwnerPrivateKey(dir_ + "/none.key").status().code(), StatusCode::kNotFound);
}

TEST(OwnerPublicKey, Parse) {
  const std::string hex = "197F6B23E16C8532C6ABC838FACD5EA789BE0C76B2920334039BFA8B3D368D61";
  StatusOr<Bytes> key = ParseOwnerPublicKey("  " + hex + "\r\n");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*key, testing::OwnerKey().PublicKey());
  EXPECT_FALSE(ParseOwnerPublicKey(hex.substr(2)).ok());
  EXPECT_FALSE(ParseOwnerPublicKey(hex + "00").ok());
  EXPECT_FALSE(ParseOwnerPublicKey("").ok());
  EXPECT_FALSE(ParseOwnerPublicKey("g" + hex.substr(1)).ok());
}

}  // namespace
}  // namespace eml::policy

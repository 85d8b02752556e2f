// PolicyStore: hot reload, rollback refusal, fail-closed and recovery,
// time, and concurrent Current() (run under TSan in build-policy-tsan).
#include "policy/policy_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "policy/policy_test_util.h"
#include "policy/signed_policy.h"

namespace eml::policy {
namespace {

using testing::OwnerKey;

Bytes SignedVersion(uint64_t version, const std::string& id = "sample") {
  Policy p = testing::SamplePolicy();
  p.version = version;
  p.policy_id = id;
  StatusOr<Bytes> file = SignPolicy(p, OwnerKey());
  EXPECT_TRUE(file.ok());
  return file.ok() ? *file : Bytes{};
}

// Rewrites the file in place (same inode), the way an editor might.
void WriteInPlace(const std::string& path, const Bytes& bytes) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  close(fd);
}

// Replaces the file atomically, the way `eml policy sign` does.
void WriteAtomic(const std::string& path, const Bytes& bytes) {
  const std::string tmp = path + ".tmp";
  WriteInPlace(tmp, bytes);
  ASSERT_EQ(rename(tmp.c_str(), path.c_str()), 0);
}

class PolicyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/eml_policy_store_XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    path_ = dir_ + "/policy.cose";
    clock_.SetUnixSeconds(testing::kNow);
  }
  void TearDown() override {
    unlink((path_ + ".tmp").c_str());
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }

  std::unique_ptr<PolicyStore> OpenOrFail(const PolicyStoreOptions& options = {}) {
    StatusOr<std::unique_ptr<PolicyStore>> store =
        PolicyStore::Open(path_, OwnerKey().PublicKey(), clock_, options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  uint64_t CurrentVersion(PolicyStore& store) {
    StatusOr<std::shared_ptr<const Policy>> p = store.Current();
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? (*p)->version : 0;
  }

  std::string dir_;
  std::string path_;
  FakeClock clock_;
};

TEST_F(PolicyStoreTest, PicksUpNewVersionWithoutRestart) {
  WriteInPlace(path_, SignedVersion(5));
  auto store = OpenOrFail();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(CurrentVersion(*store), 5u);
  // Same size, same inode, written within the same timestamp tick: only the
  // racy-timestamp re-read can notice this change.
  const Bytes v6 = SignedVersion(6);
  ASSERT_EQ(v6.size(), SignedVersion(5).size());
  WriteInPlace(path_, v6);
  EXPECT_EQ(CurrentVersion(*store), 6u);
  WriteAtomic(path_, SignedVersion(7));
  EXPECT_EQ(CurrentVersion(*store), 7u);
  EXPECT_EQ(store->accepted_version(), 7u);
}

TEST_F(PolicyStoreTest, InPlaceRewritesWithinOneTimestampTick) {
  // Versions 24..255 all encode in two bytes, so every file has the same
  // size; rewritten in place back to back, many land in the same coarse
  // mtime/ctime tick, where only the racy-timestamp rule sees the change.
  // Kernels with multigrain timestamps (Linux 6.13+ on ext4, xfs, tmpfs)
  // give every write a new ctime, so there the stamp alone catches it and
  // this test cannot fail if the racy rule is removed (checked on 6.18);
  // it guards the rule on file systems with coarse timestamps.
  std::vector<Bytes> files;
  for (uint64_t v = 24; v <= 255; ++v) files.push_back(SignedVersion(v));
  WriteInPlace(path_, files[0]);
  auto store = OpenOrFail();
  ASSERT_NE(store, nullptr);
  for (size_t i = 1; i < files.size(); ++i) {
    ASSERT_EQ(files[i].size(), files[0].size());
    WriteInPlace(path_, files[i]);
    ASSERT_EQ(CurrentVersion(*store), 24 + i);
  }
}

TEST_F(PolicyStoreTest, RollbackIsRefusedUntilAHigherVersionAppears) {
  WriteInPlace(path_, SignedVersion(5));
  auto store = OpenOrFail();
  ASSERT_NE(store, nullptr);
  WriteAtomic(path_, SignedVersion(4));  // validly signed, but older
  StatusOr<std::shared_ptr<const Policy>> p = store->Current();
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(p.status().message().find("rollback"), std::string::npos);
  EXPECT_FALSE(store->Current().ok());  // stays refused
  WriteAtomic(path_, SignedVersion(8));
  EXPECT_EQ(CurrentVersion(*store), 8u);
  WriteAtomic(path_, SignedVersion(5));  // back to the first one: still a rollback
  EXPECT_EQ(store->Current().status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(PolicyStoreTest, SameVersionNeedsSameContent) {
  WriteInPlace(path_, SignedVersion(5));
  auto store = OpenOrFail();
  ASSERT_NE(store, nullptr);
  WriteAtomic(path_, SignedVersion(5, "different"));
  EXPECT_EQ(store->Current().status().code(), StatusCode::kFailedPrecondition);
  WriteAtomic(path_, SignedVersion(5));  // the accepted bytes again: fine
  EXPECT_EQ(CurrentVersion(*store), 5u);
}

TEST_F(PolicyStoreTest, CorruptFileFailsClosedThenRecovers) {
  WriteInPlace(path_, SignedVersion(5));
  auto store = OpenOrFail();
  ASSERT_NE(store, nullptr);
  Bytes corrupt = SignedVersion(6);
  corrupt[corrupt.size() / 2] ^= 0x01;
  WriteAtomic(path_, corrupt);
  // Never the previously accepted policy: the file on disk is what counts.
  StatusOr<std::shared_ptr<const Policy>> p = store->Current();
  EXPECT_FALSE(p.ok());
  EXPECT_FALSE(store->Current().ok());
  WriteAtomic(path_, Bytes{0xd2, 0x84});  // truncated garbage
  EXPECT_FALSE(store->Current().ok());
  ASSERT_EQ(unlink(path_.c_str()), 0);
  EXPECT_EQ(store->Current().status().code(), StatusCode::kNotFound);
  WriteAtomic(path_, SignedVersion(6));
  EXPECT_EQ(CurrentVersion(*store), 6u);
}

TEST_F(PolicyStoreTest, WrongKeyFailsClosed) {
  WriteInPlace(path_, SignedVersion(5));
  auto store = OpenOrFail();
  ASSERT_NE(store, nullptr);
  Policy p = testing::SamplePolicy();
  p.version = 9;
  StatusOr<Bytes> other = SignPolicy(p, testing::OtherKey());
  ASSERT_TRUE(other.ok());
  WriteAtomic(path_, *other);
  EXPECT_EQ(store->Current().status().code(), StatusCode::kVerificationFailed);
}

TEST_F(PolicyStoreTest, TimeIsJudgedOnEveryCall) {
  WriteInPlace(path_, SignedVersion(5));
  auto store = OpenOrFail();
  ASSERT_NE(store, nullptr);
  clock_.SetUnixSeconds(testing::kExpires);  // file unchanged, policy expired
  EXPECT_EQ(store->Current().status().code(), StatusCode::kVerificationFailed);
  clock_.SetUnixSeconds(testing::kExpires - 1);
  EXPECT_EQ(CurrentVersion(*store), 5u);
}

TEST_F(PolicyStoreTest, PolicyThatIsNotYetValidBecomesValid) {
  clock_.SetUnixSeconds(testing::kCreated - kPolicyClockSkewS - 10);
  WriteInPlace(path_, SignedVersion(5));
  EXPECT_EQ(PolicyStore::Open(path_, OwnerKey().PublicKey(), clock_).status().code(),
            StatusCode::kVerificationFailed);
  clock_.SetUnixSeconds(testing::kNow);
  auto store = OpenOrFail();
  ASSERT_NE(store, nullptr);
  clock_.SetUnixSeconds(testing::kCreated - kPolicyClockSkewS - 10);
  EXPECT_FALSE(store->Current().ok());
  clock_.AdvanceMillis(10'000);
  EXPECT_EQ(CurrentVersion(*store), 5u);
}

TEST_F(PolicyStoreTest, OpenFailures) {
  EXPECT_EQ(PolicyStore::Open(path_, OwnerKey().PublicKey(), clock_).status().code(),
            StatusCode::kNotFound);
  WriteInPlace(path_, SignedVersion(5));
  EXPECT_EQ(PolicyStore::Open(path_, Bytes(31, 0), clock_).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(PolicyStore::Open(path_, testing::OtherKey().PublicKey(), clock_).status().code(),
            StatusCode::kVerificationFailed);
  // A persisted high-water mark refuses an older file at start-up.
  EXPECT_EQ(PolicyStore::Open(path_, OwnerKey().PublicKey(), clock_, {.min_version = 6})
                .status()
                .code(),
            StatusCode::kFailedPrecondition);
  auto store = OpenOrFail({.min_version = 5});
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(CurrentVersion(*store), 5u);
  ASSERT_EQ(mkdir((dir_ + "/adir").c_str(), 0700), 0);
  EXPECT_FALSE(PolicyStore::Open(dir_ + "/adir", OwnerKey().PublicKey(), clock_).ok());
  rmdir((dir_ + "/adir").c_str());
}

TEST_F(PolicyStoreTest, ConcurrentCurrentWhileTheFileChanges) {
  constexpr uint64_t kLastVersion = 40;
  WriteInPlace(path_, SignedVersion(1));
  auto store = OpenOrFail();
  ASSERT_NE(store, nullptr);
  std::vector<Bytes> files;
  for (uint64_t v = 0; v <= kLastVersion; ++v) files.push_back(SignedVersion(v == 0 ? 1 : v));
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 6; ++t) {
    readers.emplace_back([&] {
      uint64_t last = 0;
      while (!done.load()) {
        StatusOr<std::shared_ptr<const Policy>> p = store->Current();
        // Every file ever on disk is acceptable, and versions only grow.
        if (!p.ok() || (*p)->version < last) {
          failures.fetch_add(1);
          return;
        }
        last = (*p)->version;
      }
    });
  }
  for (uint64_t v = 2; v <= kLastVersion; ++v) {
    WriteAtomic(path_, files[v]);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  done.store(true);
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(CurrentVersion(*store), kLastVersion);
}

}  // namespace
}  // namespace eml::policy

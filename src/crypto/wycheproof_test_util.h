// Test-only harness for Project Wycheproof vector files (testvectors_v1).
//
// A WycheproofSuite loads `../shared/vectors/wycheproof/<name>` through
// eml::testing::SharedPath, walks every testGroups[].tests[] entry in file
// order, and requires the test to Record() what the implementation did with
// each one. Finish() (also run by the destructor if the test forgot) fails
// the current GoogleTest test when:
//   - the number of tests visited differs from the file's numberOfTests,
//   - a tcId appears twice, or a visited test was never recorded,
//   - a "valid" vector was recorded as rejected or an "invalid" one as
//     accepted (kOutOfApi is allowed for both: see below).
// "acceptable" vectors may be recorded either way: the calling test states
// and asserts its own policy for them (docs/crypto.md lists the policies).
//
// kOutOfApi marks a vector whose parameters our API does not offer (e.g. a
// 192-bit AES key or an 8-byte GCM nonce). The caller must have asserted
// that our API rejects it with a Status; the count is available through
// CountOf() so the test can compare it with an independently computed number.
//
// Usage:
//   WycheproofSuite suite("aes_gcm_test.json");
//   suite.ForEachTest([&](const WycheproofCase& t) {
//     ... t.Hex("key"), t.GroupInt("ivSize"), t.HasFlag("ModifiedTag") ...
//     suite.Record(t, WycheproofOutcome::kAccepted);
//   });
//   suite.Finish();
//
// Thread-safety: single-threaded test code only. Lifetime: a WycheproofCase
// is valid only during the ForEachTest callback that produced it.
#ifndef EML_CRYPTO_WYCHEPROOF_TEST_UTIL_H_
#define EML_CRYPTO_WYCHEPROOF_TEST_UTIL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bytes.h"

namespace eml::crypto {

// The "result" field of a vector.
enum class WycheproofResult { kValid, kInvalid, kAcceptable };

// What the implementation under test did with a vector.
enum class WycheproofOutcome {
  kAccepted,  // succeeded and (where applicable) the output matched
  kRejected,  // returned a non-OK Status (or verification failed)
  kOutOfApi,  // parameters outside our API; the caller asserted a rejection
};

std::string_view WycheproofResultName(WycheproofResult result);
std::string_view WycheproofOutcomeName(WycheproofOutcome outcome);

// Read-only view of one test case and its group.
class WycheproofCase {
 public:
  WycheproofCase(const nlohmann::json& group, const nlohmann::json& test);

  int64_t tc_id() const { return tc_id_; }
  WycheproofResult result() const { return result_; }
  const std::string& comment() const { return comment_; }
  const std::vector<std::string>& flags() const { return flags_; }
  bool HasFlag(std::string_view flag) const;

  // Hex-encoded test field, decoded. A missing or malformed field fails the
  // current test and returns empty bytes.
  Bytes Hex(const std::string& field) const;
  bool Has(const std::string& field) const;
  std::string String(const std::string& field) const;
  int64_t Int(const std::string& field) const;
  // Same, for fields of the enclosing testGroup (e.g. "keySize", "ivSize").
  Bytes GroupHex(const std::string& field) const;
  std::string GroupString(const std::string& field) const;
  int64_t GroupInt(const std::string& field) const;

  const nlohmann::json& test_json() const { return test_; }
  const nlohmann::json& group_json() const { return group_; }

  // "tcId 12 [valid] flags=ModifiedTag comment=..." for failure messages.
  std::string Describe() const;

 private:
  const nlohmann::json& group_;
  const nlohmann::json& test_;
  int64_t tc_id_ = -1;
  WycheproofResult result_ = WycheproofResult::kInvalid;
  std::string comment_;
  std::vector<std::string> flags_;
};

class WycheproofSuite {
 public:
  // `name` is a file name under vectors/wycheproof/, e.g. "x25519_test.json".
  explicit WycheproofSuite(std::string name);
  ~WycheproofSuite();
  WycheproofSuite(const WycheproofSuite&) = delete;
  WycheproofSuite& operator=(const WycheproofSuite&) = delete;

  const std::string& algorithm() const { return algorithm_; }
  int64_t number_of_tests() const { return number_of_tests_; }
  const nlohmann::json& root() const { return root_; }

  // Calls `fn` once per test in file order, with a SCOPED_TRACE naming it.
  void ForEachTest(const std::function<void(const WycheproofCase&)>& fn);

  // Records the outcome for `test`; each tcId exactly once. Fails the test
  // at once if the outcome contradicts a valid/invalid result.
  void Record(const WycheproofCase& test, WycheproofOutcome outcome);

  // Number of recorded tests with this (result, outcome) pair.
  int64_t CountOf(WycheproofResult result, WycheproofOutcome outcome) const;
  int64_t recorded_count() const { return static_cast<int64_t>(outcomes_.size()); }

  // Checks completeness (see file comment). Idempotent.
  void Finish();

 private:
  std::string name_;
  nlohmann::json root_;
  std::string algorithm_;
  int64_t number_of_tests_ = -1;
  int64_t visited_count_ = 0;
  std::map<int64_t, int> visits_;  // tcId -> times visited
  std::map<int64_t, std::pair<WycheproofResult, WycheproofOutcome>> outcomes_;
  bool finished_ = false;
};

}  // namespace eml::crypto

#endif  // EML_CRYPTO_WYCHEPROOF_TEST_UTIL_H_

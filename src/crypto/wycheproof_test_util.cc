#include "crypto/wycheproof_test_util.h"

#include <sstream>
#include <utility>

#include <gtest/gtest.h>

#include "tests/testing.h"

namespace eml::crypto {
namespace {

// Looks up `field` in `obj`; fails the test if absent.
const nlohmann::json* FieldOrFail(const nlohmann::json& obj, const std::string& field,
                                  std::string_view where) {
  if (!obj.is_object() || !obj.contains(field)) {
    ADD_FAILURE() << "wycheproof: " << where << " has no field '" << field << "'";
    return nullptr;
  }
  return &obj[field];
}

std::string StringOf(const nlohmann::json& obj, const std::string& field, std::string_view where) {
  const nlohmann::json* v = FieldOrFail(obj, field, where);
  if (v == nullptr) return "";
  if (!v->is_string()) {
    ADD_FAILURE() << "wycheproof: " << where << " field '" << field << "' is not a string";
    return "";
  }
  return v->get<std::string>();
}

int64_t IntOf(const nlohmann::json& obj, const std::string& field, std::string_view where) {
  const nlohmann::json* v = FieldOrFail(obj, field, where);
  if (v == nullptr) return -1;
  if (!v->is_number_integer()) {
    ADD_FAILURE() << "wycheproof: " << where << " field '" << field << "' is not an integer";
    return -1;
  }
  return v->get<int64_t>();
}

}  // namespace

std::string_view WycheproofResultName(WycheproofResult result) {
  switch (result) {
    case WycheproofResult::kValid: return "valid";
    case WycheproofResult::kInvalid: return "invalid";
    case WycheproofResult::kAcceptable: return "acceptable";
  }
  return "?";
}

std::string_view WycheproofOutcomeName(WycheproofOutcome outcome) {
  switch (outcome) {
    case WycheproofOutcome::kAccepted: return "accepted";
    case WycheproofOutcome::kRejected: return "rejected";
    case WycheproofOutcome::kOutOfApi: return "out-of-api";
  }
  return "?";
}

WycheproofCase::WycheproofCase(const nlohmann::json& group, const nlohmann::json& test)
    : group_(group), test_(test) {
  tc_id_ = IntOf(test_, "tcId", "test");
  comment_ = test_.contains("comment") ? StringOf(test_, "comment", "test") : "";
  std::string result = StringOf(test_, "result", "test");
  if (result == "valid") {
    result_ = WycheproofResult::kValid;
  } else if (result == "invalid") {
    result_ = WycheproofResult::kInvalid;
  } else if (result == "acceptable") {
    result_ = WycheproofResult::kAcceptable;
  } else {
    ADD_FAILURE() << "wycheproof: tcId " << tc_id_ << " has unknown result '" << result << "'";
  }
  if (test_.contains("flags")) {
    const nlohmann::json& flags = test_["flags"];
    if (!flags.is_array()) {
      ADD_FAILURE() << "wycheproof: tcId " << tc_id_ << " flags is not an array";
    } else {
      for (const nlohmann::json& f : flags) {
        if (f.is_string()) {
          flags_.push_back(f.get<std::string>());
        } else {
          ADD_FAILURE() << "wycheproof: tcId " << tc_id_ << " has a non-string flag";
        }
      }
    }
  }
}

bool WycheproofCase::HasFlag(std::string_view flag) const {
  for (const std::string& f : flags_) {
    if (f == flag) return true;
  }
  return false;
}

bool WycheproofCase::Has(const std::string& field) const { return test_.contains(field); }

Bytes WycheproofCase::Hex(const std::string& field) const {
  return eml::testing::Hex(StringOf(test_, field, "test"));
}
std::string WycheproofCase::String(const std::string& field) const {
  return StringOf(test_, field, "test");
}
int64_t WycheproofCase::Int(const std::string& field) const { return IntOf(test_, field, "test"); }
Bytes WycheproofCase::GroupHex(const std::string& field) const {
  return eml::testing::Hex(StringOf(group_, field, "testGroup"));
}
std::string WycheproofCase::GroupString(const std::string& field) const {
  return StringOf(group_, field, "testGroup");
}
int64_t WycheproofCase::GroupInt(const std::string& field) const {
  return IntOf(group_, field, "testGroup");
}

std::string WycheproofCase::Describe() const {
  std::ostringstream out;
  out << "tcId " << tc_id_ << " [" << WycheproofResultName(result_) << "] flags=";
  for (size_t i = 0; i < flags_.size(); ++i) out << (i ? "," : "") << flags_[i];
  out << " comment=" << comment_;
  return out.str();
}

WycheproofSuite::WycheproofSuite(std::string name) : name_(std::move(name)) {
  root_ = eml::testing::ReadJsonOrFail(eml::testing::SharedPath("vectors/wycheproof/" + name_));
  if (!root_.is_object()) {
    ADD_FAILURE() << "wycheproof: " << name_ << " is not a JSON object";
    root_ = nlohmann::json::object();
    return;
  }
  algorithm_ = StringOf(root_, "algorithm", name_);
  number_of_tests_ = IntOf(root_, "numberOfTests", name_);
}

WycheproofSuite::~WycheproofSuite() {
  if (!finished_) {
    ADD_FAILURE() << "wycheproof: " << name_ << ": Finish() was never called";
    Finish();
  }
}

void WycheproofSuite::ForEachTest(const std::function<void(const WycheproofCase&)>& fn) {
  const nlohmann::json* groups = FieldOrFail(root_, "testGroups", name_);
  if (groups == nullptr || !groups->is_array()) {
    ADD_FAILURE() << "wycheproof: " << name_ << " testGroups is not an array";
    return;
  }
  for (const nlohmann::json& group : *groups) {
    const nlohmann::json* tests = FieldOrFail(group, "tests", "testGroup");
    if (tests == nullptr || !tests->is_array()) {
      ADD_FAILURE() << "wycheproof: " << name_ << " group without a tests array";
      continue;
    }
    for (const nlohmann::json& test : *tests) {
      WycheproofCase tc(group, test);
      ++visited_count_;
      if (++visits_[tc.tc_id()] > 1) {
        ADD_FAILURE() << "wycheproof: " << name_ << " tcId " << tc.tc_id() << " visited twice";
      }
      SCOPED_TRACE(name_ + " " + tc.Describe());
      fn(tc);
    }
  }
}

void WycheproofSuite::Record(const WycheproofCase& test, WycheproofOutcome outcome) {
  auto [it, inserted] = outcomes_.emplace(test.tc_id(), std::make_pair(test.result(), outcome));
  if (!inserted) {
    ADD_FAILURE() << "wycheproof: " << name_ << " tcId " << test.tc_id() << " recorded twice";
    return;
  }
  if (outcome == WycheproofOutcome::kOutOfApi) return;
  if (test.result() == WycheproofResult::kValid && outcome != WycheproofOutcome::kAccepted) {
    ADD_FAILURE() << "wycheproof: " << name_ << " valid vector was rejected: " << test.Describe();
  }
  if (test.result() == WycheproofResult::kInvalid && outcome != WycheproofOutcome::kRejected) {
    ADD_FAILURE() << "wycheproof: " << name_ << " invalid vector was accepted: "
                  << test.Describe();
  }
}

int64_t WycheproofSuite::CountOf(WycheproofResult result, WycheproofOutcome outcome) const {
  int64_t count = 0;
  for (const auto& [id, entry] : outcomes_) {
    if (entry.first == result && entry.second == outcome) ++count;
  }
  return count;
}

void WycheproofSuite::Finish() {
  if (finished_) return;
  finished_ = true;
  EXPECT_GT(number_of_tests_, 0) << "wycheproof: " << name_ << " has no numberOfTests";
  EXPECT_EQ(visited_count_, number_of_tests_)
      << "wycheproof: " << name_ << ": tests visited != numberOfTests";
  EXPECT_EQ(recorded_count(), number_of_tests_)
      << "wycheproof: " << name_ << ": tests recorded != numberOfTests";
  int unrecorded = 0;
  for (const auto& [id, times] : visits_) {
    if (outcomes_.count(id) == 0 && ++unrecorded <= 10) {
      ADD_FAILURE() << "wycheproof: " << name_ << " tcId " << id << " visited but not recorded";
    }
  }
  for (const auto& [id, entry] : outcomes_) {
    if (visits_.count(id) == 0) {
      ADD_FAILURE() << "wycheproof: " << name_ << " tcId " << id << " recorded but not visited";
    }
  }
  EXPECT_EQ(unrecorded, 0) << "wycheproof: " << name_ << " unrecorded tests";
}

}  // namespace eml::crypto

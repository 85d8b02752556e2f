#include "core/json.h"

#include <string>

#include <gtest/gtest.h>

namespace eml {
namespace {

TEST(JsonStrictTest, AcceptsAndRefuses) {
  StatusOr<nlohmann::json> ok = ParseJsonStrict(R"({"a": [1, {"b": 2}], "c": {"a": 3}})", 4, "t");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)["c"]["a"], 3);  // the same key in another object is fine

  const StatusOr<nlohmann::json> dup = ParseJsonStrict(R"({"a": 1, "b": {"x": 1, "x": 2}})", 4, "t");
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(dup.status().message(), "t: duplicate key");

  EXPECT_TRUE(ParseJsonStrict("[[[1]]]", 3, "t").ok());
  const StatusOr<nlohmann::json> deep = ParseJsonStrict("[[[[1]]]]", 3, "t");
  EXPECT_EQ(deep.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(deep.status().message(), "t: nested deeper than 3 levels");

  for (const char* bad : {"{", "{} x", "{\"\xff\": 1}", ""}) {
    const StatusOr<nlohmann::json> r = ParseJsonStrict(bad, 4, "t");
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(r.status().message(), "t: not valid JSON") << bad;
  }
}

}  // namespace
}  // namespace eml

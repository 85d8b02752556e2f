#include "core/status.h"

#include <gtest/gtest.h>

namespace eml {
namespace {

StatusOr<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgumentError("odd");
  return x / 2;
}

StatusOr<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  RETURN_IF_ERROR(Half(x).status());
  return OkStatus();
}

TEST(StatusTest, OkAndError) {
  EXPECT_TRUE(OkStatus().ok());
  Status s = LimitExceededError("cbor: depth 65 > 64");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kLimitExceeded);
  EXPECT_EQ(s.ToString(), "LIMIT_EXCEEDED: cbor: depth 65 > 64");
}

TEST(StatusTest, CodesAreStable) {
  // These numbers appear in redacted wire errors; renumbering breaks peers.
  EXPECT_EQ(static_cast<int>(StatusCode::kInvalidArgument), 1);
  EXPECT_EQ(static_cast<int>(StatusCode::kVerificationFailed), 4);
  EXPECT_EQ(static_cast<int>(StatusCode::kAlreadyExists), 10);
}

TEST(StatusTest, MacrosPropagate) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_FALSE(CheckEven(3).ok());
}

}  // namespace
}  // namespace eml

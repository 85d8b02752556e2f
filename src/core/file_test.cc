#include "core/file.h"

#include <cstdio>
#include <fstream>

#include <sys/stat.h>

#include <gtest/gtest.h>

namespace eml {
namespace {

TEST(ReadSmallFileTest, ReadsWithinBoundAndRejectsOthers) {
  const std::string path = ::testing::TempDir() + "/eml_file_test.txt";
  {
    std::ofstream out(path, std::ios::binary);
    out << "hello\n";
  }
  StatusOr<std::string> text = ReadSmallFile(path, 6);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, "hello\n");
  EXPECT_EQ(ReadSmallFile(path, 5).status().code(), StatusCode::kLimitExceeded);
  EXPECT_EQ(ReadSmallFile(path + ".missing", 100).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ReadSmallFile(::testing::TempDir(), 100).status().code(), StatusCode::kNotFound);
  std::remove(path.c_str());
}

TEST(ReadSmallFileTest, FifoIsRejectedWithoutBlocking) {
  const std::string path = ::testing::TempDir() + "/eml_file_test.fifo";
  std::remove(path.c_str());
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  // Would block forever in open() without O_NONBLOCK (no writer exists).
  EXPECT_EQ(ReadSmallFile(path, 100).status().code(), StatusCode::kNotFound);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace eml

// Test helpers: where fixtures live and how to read them.
//
// Fixtures from `../shared` are referenced, never copied. The directory is
// `$EML_SHARED_DIR` if set, else `<repository root>/../shared`.
#ifndef EML_TESTS_TESTING_H_
#define EML_TESTS_TESTING_H_

#include <string>

#include <nlohmann/json.hpp>

#include "core/bytes.h"

namespace eml::testing {

std::string SourceDir();  // repository root
std::string SharedDir();  // ../shared (or $EML_SHARED_DIR)
std::string SharedPath(const std::string& relative);

// Reads a whole file; fails the current test (ADD_FAILURE) and returns empty
// on error, so a missing fixture is never a silent pass.
Bytes ReadFileOrFail(const std::string& path);
std::string ReadTextOrFail(const std::string& path);
nlohmann::json ReadJsonOrFail(const std::string& path);

// Hex string to bytes; fails the test on malformed hex.
Bytes Hex(const std::string& hex);

}  // namespace eml::testing

#endif  // EML_TESTS_TESTING_H_

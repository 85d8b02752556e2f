#include "tests/testing.h"

#include <cstdlib>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "core/encoding.h"

namespace eml::testing {

std::string SourceDir() {
  const char* env = std::getenv("EML_SOURCE_DIR");
  return env != nullptr && *env != '\0' ? env : EML_DEFAULT_SOURCE_DIR;
}

std::string SharedDir() {
  const char* env = std::getenv("EML_SHARED_DIR");
  if (env != nullptr && *env != '\0') return env;
  return SourceDir() + "/../shared";
}

std::string SharedPath(const std::string& relative) { return SharedDir() + "/" + relative; }

Bytes ReadFileOrFail(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot open fixture " << path;
    return {};
  }
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string ReadTextOrFail(const std::string& path) {
  Bytes b = ReadFileOrFail(path);
  return std::string(b.begin(), b.end());
}

nlohmann::json ReadJsonOrFail(const std::string& path) {
  std::string text = ReadTextOrFail(path);
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) ADD_FAILURE() << "fixture is not valid JSON: " << path;
  return j;
}

Bytes Hex(const std::string& hex) {
  StatusOr<Bytes> b = HexDecode(hex);
  if (!b.ok()) {
    ADD_FAILURE() << "bad hex in fixture: " << b.status().ToString();
    return {};
  }
  return *std::move(b);
}

}  // namespace eml::testing

// eml_storage_probe: StorageClient from the command line, for tests/s3.
//   eml_storage_probe ENDPOINT size OBJECT
//   eml_storage_probe ENDPOINT read OBJECT OFFSET LENGTH OUTFILE
// Exit status: 0 ok, 2 usage, 3 NotFound, 4 VerificationFailed, 1 other.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "storage/storage_client.h"

namespace {

int Fail(const eml::Status& s) {
  std::fprintf(stderr, "eml_storage_probe: %s\n", s.ToString().c_str());
  if (s.code() == eml::StatusCode::kNotFound) return 3;
  if (s.code() == eml::StatusCode::kVerificationFailed) return 4;
  return 1;
}

bool ParseU64(const char* s, uint64_t* out) {
  char* end = nullptr;
  *out = std::strtoull(s, &end, 10);
  return *s != '\0' && *end == '\0';
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s ENDPOINT size OBJECT | ENDPOINT read OBJECT OFF LEN OUT\n", argv[0]);
    return 2;
  }
  eml::StatusOr<eml::net::Endpoint> ep = eml::net::Endpoint::Parse(argv[1]);
  if (!ep.ok()) return Fail(ep.status());
  const eml::storage::StorageClient client({.proxy = *ep, .timeout = std::chrono::seconds(30)});
  const std::string cmd = argv[2];
  if (cmd == "size" && argc == 4) {
    eml::StatusOr<uint64_t> size = client.Size(argv[3]);
    if (!size.ok()) return Fail(size.status());
    std::printf("%llu\n", static_cast<unsigned long long>(*size));
    return 0;
  }
  uint64_t offset = 0;
  uint64_t length = 0;
  if (cmd != "read" || argc != 7 || !ParseU64(argv[4], &offset) || !ParseU64(argv[5], &length)) {
    std::fprintf(stderr, "usage: %s ENDPOINT read OBJECT OFF LEN OUT\n", argv[0]);
    return 2;
  }
  eml::StatusOr<eml::Bytes> bytes = client.ReadRange(argv[3], offset, static_cast<size_t>(length));
  if (!bytes.ok()) return Fail(bytes.status());
  std::FILE* f = std::fopen(argv[6], "wb");
  if (f == nullptr) return 1;
  // An empty result has no buffer (data() may be null, which fwrite must not get).
  const bool ok = bytes->empty() || std::fwrite(bytes->data(), 1, bytes->size(), f) == bytes->size();
  return (std::fclose(f) == 0 && ok) ? 0 : 1;
}

// libFuzzer target for eml-host's admin HTTP request parser (src/host/admin.h),
// the only parser in the untrusted host. Invariants: no crash or sanitizer
// report; a parsed request has a 1..16-letter upper-case method and a path
// that starts with '/', is at most 2048 bytes and holds only visible ASCII;
// routing any parsed request answers 200, 404 or 405.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "host/admin.h"

namespace {

void Require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view head(reinterpret_cast<const char*>(data), size);
  auto request = eml::host::ParseRequestHead(head);
  if (!request.ok()) return 0;
  Require(!request->method.empty() && request->method.size() <= 16, "method length");
  for (char c : request->method) Require(c >= 'A' && c <= 'Z', "method charset");
  Require(!request->path.empty() && request->path[0] == '/' && request->path.size() <= 2048,
          "path shape");
  for (char c : request->path) Require(c >= 0x21 && c <= 0x7e, "path charset");
  const eml::host::HttpResponse response =
      eml::host::RouteAdminRequest(*request, [] { return std::string("metric 1\n"); });
  Require(response.status == 200 || response.status == 404 || response.status == 405,
          "status code");
  return 0;
}

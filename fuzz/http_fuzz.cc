// libFuzzer target for the bounded HTTP/1.1 parser (src/net/http.h), which
// reads what the untrusted host and the KMS/storage peers send. Invariants:
// no crash or sanitizer report; a parsed message passes Check*() (so it could
// be forwarded without injecting lines), and serialising it and parsing the
// result again gives the same message.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "net/http.h"

namespace {

void Require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

// Serialising replaces Content-Length; compare the other fields.
eml::net::HttpHeaders WithoutLength(const eml::net::HttpHeaders& headers) {
  eml::net::HttpHeaders out;
  for (const auto& h : headers) {
    if (h.first.size() == 14) {
      std::string lower = h.first;
      for (char& c : lower) c = static_cast<char>((c >= 'A' && c <= 'Z') ? c + 32 : c);
      if (lower == "content-length") continue;
    }
    out.push_back(h);
  }
  return out;
}

constexpr size_t kMaxBody = 1 << 16;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const eml::ByteSpan input(data, size);
  if (auto req = eml::net::ParseHttpRequest(input, kMaxBody); req.ok()) {
    Require(eml::net::CheckHttpRequest(*req).ok(), "parsed request fails the check");
    auto again = eml::net::ParseHttpRequest(eml::net::SerializeHttpRequest(*req), kMaxBody);
    Require(again.ok(), "serialised request does not parse");
    Require(again->method == req->method && again->target == req->target &&
                again->body == req->body,
            "request round trip");
    Require(WithoutLength(again->headers) == WithoutLength(req->headers), "request headers");
  }
  if (auto resp = eml::net::ParseHttpResponse(input, kMaxBody); resp.ok()) {
    Require(eml::net::CheckHttpResponse(*resp).ok(), "parsed response fails the check");
    auto again = eml::net::ParseHttpResponse(eml::net::SerializeHttpResponse(*resp), kMaxBody);
    Require(again.ok(), "serialised response does not parse");
    Require(again->status == resp->status && again->reason == resp->reason &&
                again->body == resp->body,
            "response round trip");
    Require(WithoutLength(again->headers) == WithoutLength(resp->headers), "response headers");
  }
  return 0;
}

// libFuzzer target: the one-pass receipt claims reader against the strict
// tree decode it falls back to (src/receipt/air_claims.h). For every input
// both must agree on the finding (code and detail), the claims and the
// profile; aborts otherwise. The input is a claims payload (the COSE
// payload bytes), so the fuzzer reaches the reader without signatures.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "receipt/air_claims.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const eml::ByteSpan payload(data, size);
  eml::receipt::AirClaims fast_claims, tree_claims;
  std::string fast_profile, tree_profile;
  const eml::receipt::internal::Finding fast =
      eml::receipt::internal::DecodeClaims(payload, &fast_claims, &fast_profile);
  const eml::receipt::internal::Finding tree =
      eml::receipt::internal::DecodeClaimsWithTree(payload, &tree_claims, &tree_profile);
  if (fast.code != tree.code || fast.detail != tree.detail) {
    std::fprintf(stderr, "findings differ: '%s' vs '%s'\n", fast.code.c_str(), tree.code.c_str());
    std::abort();
  }
  if (fast.ok() && (!(fast_claims == tree_claims) || fast_profile != tree_profile)) {
    std::fprintf(stderr, "claims or profile differ\n");
    std::abort();
  }
  return 0;
}

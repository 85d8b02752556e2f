// libFuzzer target for the AWS Nitro attestation document parser
// (src/attest/nitro.h): COSE_Sign1 with indefinite-length CBOR allowed and the
// payload map's fields and limits. Every accepted document must respect the
// documented limits; aborts otherwise.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "attest/nitro.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  eml::StatusOr<eml::attest::NitroDocument> doc =
      eml::attest::ParseNitroDocument(eml::ByteSpan(data, size));
  if (!doc.ok()) return 0;
  bool ok = !doc->module_id.empty() && !doc->pcrs.empty() &&
            doc->pcrs.size() <= eml::attest::kNitroMaxPcrs && !doc->cabundle_der.empty() &&
            doc->cabundle_der.size() <= eml::attest::kNitroMaxCabundle && doc->timestamp_ms > 0;
  for (const auto& [index, value] : doc->pcrs) ok = ok && index < 32 && value.size() == 48;
  for (const auto* field : {&doc->public_key, &doc->user_data, &doc->nonce}) {
    ok = ok && (!*field || (*field)->size() <= eml::attest::kNitroMaxOptionalFieldSize);
  }
  if (!ok) {
    std::fprintf(stderr, "nitro: accepted document violates a documented limit\n");
    std::abort();
  }
  return 0;
}

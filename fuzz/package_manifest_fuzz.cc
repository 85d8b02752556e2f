// Fuzzes the model-package manifest parsers (docs/model-package.md):
// ParseManifestPayload must accept only payloads that EncodeManifestPayload
// reproduces byte for byte (deterministic CBOR, every rule), and
// VerifyManifest must refuse or accept without fault. The seed corpus
// (fuzz/corpus/package_manifest) holds the worked example's payload and
// manifest.cose.
#include <cstdint>
#include <cstdlib>

#include "core/bytes.h"
#include "core/encoding.h"
#include "model/package.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const eml::ByteSpan input(data, size);
  auto manifest = eml::model::ParseManifestPayload(input);
  if (manifest.ok()) {
    auto encoded = eml::model::EncodeManifestPayload(*manifest);
    if (!encoded.ok() || *encoded != eml::Bytes(input.begin(), input.end())) std::abort();
  }
  // The worked example's owner key (seed 0x2a * 32).
  static const eml::Bytes kOwner =
      *eml::HexDecode("197f6b23e16c8532c6abc838facd5ea789be0c76b2920334039bfa8b3d368d61");
  auto verified = eml::model::VerifyManifest(input, kOwner);
  if (verified.ok() && verified->model_hash != eml::model::PackageModelHash(verified->payload)) {
    std::abort();
  }
  return 0;
}

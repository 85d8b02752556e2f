// Fuzzes the safetensors reader (SafetensorsFile::FromBuffer). Any accepted
// file must convert every tensor without fault and must survive a
// write-then-read round trip with identical tensors and metadata.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "model/safetensors.h"

using eml::model::SafetensorsFile;
using eml::model::TensorToWrite;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Small limits keep iterations fast; the default limits are exercised by
  // the unit tests.
  eml::model::SafetensorsLimits limits{.max_header_size = 1 << 16, .max_tensors = 64};
  auto file = SafetensorsFile::FromBuffer(eml::ByteSpan(data, size), limits);
  if (!file.ok()) return 0;

  std::vector<TensorToWrite> to_write;
  for (const auto& t : (*file)->tensors()) {
    std::vector<float> out(t.num_elements);  // bounded: elements <= file bytes / 2
    if (!eml::model::ConvertToF32(t, out).ok()) std::abort();
    to_write.push_back({t.name, t.dtype, t.shape, t.data});
  }
  auto bytes = eml::model::SerializeSafetensors(to_write, (*file)->metadata());
  if (!bytes.ok()) std::abort();
  auto again = SafetensorsFile::FromBuffer(*bytes);  // padding may pass the small limit
  if (!again.ok() || (*again)->tensors().size() != (*file)->tensors().size() ||
      (*again)->metadata() != (*file)->metadata()) {
    std::abort();
  }
  for (size_t i = 0; i < (*file)->tensors().size(); ++i) {
    const auto& a = (*file)->tensors()[i];
    const auto& b = (*again)->tensors()[i];
    if (a.name != b.name || a.dtype != b.dtype || a.shape != b.shape ||
        !std::equal(a.data.begin(), a.data.end(), b.data.begin(), b.data.end())) {
      std::abort();
    }
  }
  return 0;
}

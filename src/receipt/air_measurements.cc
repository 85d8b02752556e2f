// AirMeasurementsFor: a platform's measurements as receipt claims (air.h).
#include <utility>

#include "receipt/air.h"

namespace eml::receipt {
namespace {

constexpr size_t kPcrSize = 48;

StatusOr<Bytes> Take(const std::map<uint32_t, Bytes>& m, uint32_t index, size_t size,
                     std::string_view platform) {
  auto it = m.find(index);
  if (it == m.end() || it->second.size() != size) {
    return InvalidArgumentError("receipt: " + std::string(platform) + " measurement " +
                                std::to_string(index) + " missing or not " + std::to_string(size) +
                                " bytes");
  }
  return it->second;
}

}  // namespace

std::string_view AirMeasurementTypeFor(std::string_view platform) {
  if (platform == "nitro") return kMeasurementNitro;
  if (platform == "tdx") return kMeasurementTdx;
  if (platform == "snp") return kMeasurementSnp;
  return "";
}

StatusOr<AirMeasurements> AirMeasurementsFor(std::string_view platform,
                                             const std::map<uint32_t, Bytes>& m) {
  AirMeasurements out;
  out.type = std::string(AirMeasurementTypeFor(platform));
  if (out.type.empty()) return InvalidArgumentError("receipt: unknown platform");
  ASSIGN_OR_RETURN(out.pcr0, Take(m, 0, kPcrSize, platform));
  // SEV-SNP: HOST_DATA is 32 bytes, zero-padded to the claim's 48.
  ASSIGN_OR_RETURN(out.pcr1, Take(m, 1, platform == "snp" ? 32 : kPcrSize, platform));
  out.pcr1.resize(kPcrSize, 0);
  ASSIGN_OR_RETURN(out.pcr2, Take(m, 2, kPcrSize, platform));
  if (platform == "tdx") {  // rtmr2, rtmr3
    ASSIGN_OR_RETURN(out.pcr3, Take(m, 3, kPcrSize, platform));
    ASSIGN_OR_RETURN(out.pcr4, Take(m, 4, kPcrSize, platform));
  }
  return out;
}

}  // namespace eml::receipt

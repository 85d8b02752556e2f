#include "attest/tee_select.h"

#include <sys/stat.h>

#include <utility>

#include "attest/nsm.h"
#include "attest/nsm_sim.h"
#include "attest/tsm.h"
#include "attest/tsm_sim.h"
#include "crypto/hash.h"

namespace eml::attest {
namespace {

StatusOr<SelectedTee> Nitro(const TeeSelection& s) {
  if (!s.nsm_simulator_dir.empty()) {
    SimulatedNsmOptions options;
    options.state_dir = s.nsm_simulator_dir;
    options.boot_pcrs = {{0, s.dev.measurements.pcr0},
                         {1, s.dev.measurements.pcr1},
                         {2, s.dev.measurements.pcr2}};
    options.clock = s.dev.clock;
    ASSIGN_OR_RETURN(std::unique_ptr<SimulatedNsmDevice> device, SimulatedNsmDevice::Create(options));
    ASSIGN_OR_RETURN(auto provider, CreateNsmProvider(std::move(device)));
    return SelectedTee{std::move(provider),
                       "SIMULATED NSM (evaluation, not secure): documents signed by the dev CA in " +
                           s.nsm_simulator_dir};
  }
  const std::string path = s.nsm_device_path.empty() ? kNsmDevicePath : s.nsm_device_path;
  ASSIGN_OR_RETURN(std::unique_ptr<NsmDevice> device, OpenNsmDevice(path));
  ASSIGN_OR_RETURN(auto provider, CreateNsmProvider(std::move(device)));
  return SelectedTee{std::move(provider), "AWS Nitro NSM (" + path + ")"};
}

StatusOr<SelectedTee> Tsm(const TeeSelection& s, TeePlatform platform) {
  if (!s.tsm_simulator_dir.empty()) {
    ASSIGN_OR_RETURN(auto provider,
                     CreateSimulatedTsmProvider(platform, s.tsm_simulator_dir,
                                                SimulatedTeeMeasurements(platform, s.dev.measurements)));
    return SelectedTee{std::move(provider),
                       "SIMULATED " + std::string(platform == TeePlatform::kTdx ? "TDX" : "SEV-SNP") +
                           " (evaluation, not secure): synthetic keys from " + s.tsm_simulator_dir};
  }
  TsmProviderOptions options;
  options.platform = platform;
  if (!s.tsm_root.empty()) options.root = s.tsm_root;
  const std::string root = options.root;
  ASSIGN_OR_RETURN(auto provider, CreateTsmProvider(std::move(options)));
  return SelectedTee{std::move(provider), std::string(TsmProviderName(platform)) +
                                              " through configfs-tsm (" + root + ")"};
}

StatusOr<SelectedTee> Auto(const TeeSelection& s) {
  const std::string nsm = s.nsm_device_path.empty() ? kNsmDevicePath : s.nsm_device_path;
  struct stat st;
  if (stat(nsm.c_str(), &st) == 0) return Nitro(s);
  const std::string root = s.tsm_root.empty() ? kTsmReportRoot : s.tsm_root;
  std::unique_ptr<TsmFs> fs = RealTsmFs();
  StatusOr<std::string> provider = ProbeTsmProvider(*fs, root);
  if (provider.ok() && *provider == TsmProviderName(TeePlatform::kTdx)) return Tsm(s, TeePlatform::kTdx);
  if (provider.ok() && *provider == TsmProviderName(TeePlatform::kSnp)) return Tsm(s, TeePlatform::kSnp);
  return FailedPreconditionError(
      "--tee auto: no TEE found (" + nsm + " is absent; configfs-tsm at " + root + ": " +
      (provider.ok() ? "unknown provider \"" + *provider + "\"" : provider.status().message()) +
      "); use --tee dev for development evidence");
}

}  // namespace

std::map<uint32_t, Bytes> SimulatedTeeMeasurements(TeePlatform platform,
                                                   const DevMeasurements& dev) {
  const Bytes zero(48, 0);
  if (platform == TeePlatform::kTdx) {
    return {{0, dev.pcr0}, {1, dev.pcr1}, {2, dev.pcr2}, {3, zero},
            {4, zero},     {5, zero},     {6, zero},     {7, zero}};
  }
  Bytes pcr12 = dev.pcr1;
  pcr12.insert(pcr12.end(), dev.pcr2.begin(), dev.pcr2.end());
  return {{0, dev.pcr0}, {1, crypto::Sha256(pcr12)}, {2, zero}};
}

StatusOr<SelectedTee> SelectTee(const TeeSelection& s) {
  if (!s.nsm_simulator_dir.empty() && s.tee != "nitro") {
    return InvalidArgumentError("--nsm-simulator needs --tee nitro");
  }
  if (!s.tsm_simulator_dir.empty() && s.tee != "tdx" && s.tee != "snp") {
    return InvalidArgumentError("--tsm-simulator needs --tee tdx or --tee snp");
  }
  if (s.tee == "dev") {
    ASSIGN_OR_RETURN(auto provider, CreateDevNitroProvider(s.dev));
    return SelectedTee{std::move(provider),
                       "DEVELOPMENT EVIDENCE (not secure): Nitro-format documents signed by the "
                       "dev CA in " + s.dev.state_dir};
  }
  if (s.tee == "nitro") return Nitro(s);
  if (s.tee == "tdx") return Tsm(s, TeePlatform::kTdx);
  if (s.tee == "snp") return Tsm(s, TeePlatform::kSnp);
  if (s.tee == "auto") return Auto(s);
  return InvalidArgumentError("--tee must be dev, nitro, tdx, snp or auto");
}

}  // namespace eml::attest

// Choosing the evidence provider for `eml-enclave --tee`:
//   dev    development evidence (attest/dev_provider.h), the default
//   nitro  the NSM through /dev/nsm (attest/nsm.h); with nsm_simulator_dir,
//          the in-process SimulatedNsmDevice instead (evaluation only)
//   tdx    configfs-tsm, provider "tdx_guest" (attest/tsm.h); with
//          tsm_simulator_dir, a simulated TDX machine (attest/tsm_sim.h)
//          instead (evaluation only): MRTD = PCR0, RTMR0 = PCR1, RTMR1 =
//          PCR2 of the dev measurements, every other register zero
//   snp    configfs-tsm, provider "sev_guest"; with tsm_simulator_dir, a
//          simulated SEV-SNP machine: MEASUREMENT = PCR0, HOST_DATA =
//          SHA-256(PCR1 || PCR2), ID_KEY_DIGEST zero
//   auto   /dev/nsm if it exists, else configfs-tsm's provider if it is
//          tdx_guest or sev_guest, else FailedPrecondition: it never falls
//          back to development evidence.
// Thread-safety: pure function; the provider it returns is thread-safe.
#ifndef EML_ATTEST_TEE_SELECT_H_
#define EML_ATTEST_TEE_SELECT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "attest/dev_provider.h"
#include "attest/evidence.h"
#include "attest/tsm.h"
#include "core/status.h"

namespace eml::attest {

struct TeeSelection {
  std::string tee = "dev";  // dev | nitro | tdx | snp | auto
  // Dev provider options (state dir, measurements); used by "dev", and the
  // measurements become the simulator's boot PCR0..2.
  DevProviderOptions dev = {};
  // "nitro" only: a simulated NSM whose dev CA lives in this directory.
  std::string nsm_simulator_dir = {};
  // "tdx"/"snp" only: a simulated machine whose synthetic keys live here.
  std::string tsm_simulator_dir = {};
  // Overrides for tests; empty: kNsmDevicePath and kTsmReportRoot.
  std::string nsm_device_path = {};
  std::string tsm_root = {};
};

struct SelectedTee {
  std::unique_ptr<EvidenceProvider> provider;
  std::string description;  // one line for the log, e.g. "AWS Nitro NSM (/dev/nsm)"
};

// Every measurement (keyed as the policy names them, zero ones included) a
// simulated TDX or SEV-SNP machine reports for the dev measurements, as
// described above.
std::map<uint32_t, Bytes> SimulatedTeeMeasurements(TeePlatform platform,
                                                   const DevMeasurements& dev);

// InvalidArgument for an unknown name or a simulator with another tee;
// the device's or configfs's error otherwise.
StatusOr<SelectedTee> SelectTee(const TeeSelection& selection);

}  // namespace eml::attest

#endif  // EML_ATTEST_TEE_SELECT_H_

// Choosing the evidence provider for `eml-enclave --tee`:
//   dev    development evidence (attest/dev_provider.h), the default
//   nitro  the NSM through /dev/nsm (attest/nsm.h); with nsm_simulator_dir,
//          the in-process SimulatedNsmDevice instead (evaluation only)
//   tdx    configfs-tsm, provider "tdx_guest" (attest/tsm.h)
//   snp    configfs-tsm, provider "sev_guest"
//   auto   /dev/nsm if it exists, else configfs-tsm's provider if it is
//          tdx_guest or sev_guest, else FailedPrecondition: it never falls
//          back to development evidence.
// Thread-safety: pure function; the provider it returns is thread-safe.
#ifndef EML_ATTEST_TEE_SELECT_H_
#define EML_ATTEST_TEE_SELECT_H_

#include <memory>
#include <string>

#include "attest/dev_provider.h"
#include "attest/evidence.h"
#include "core/status.h"

namespace eml::attest {

struct TeeSelection {
  std::string tee = "dev";  // dev | nitro | tdx | snp | auto
  // Dev provider options (state dir, measurements); used by "dev", and the
  // measurements become the simulator's boot PCR0..2.
  DevProviderOptions dev = {};
  // "nitro" only: a simulated NSM whose dev CA lives in this directory.
  std::string nsm_simulator_dir = {};
  // Overrides for tests; empty: kNsmDevicePath and kTsmReportRoot.
  std::string nsm_device_path = {};
  std::string tsm_root = {};
};

struct SelectedTee {
  std::unique_ptr<EvidenceProvider> provider;
  std::string description;  // one line for the log, e.g. "AWS Nitro NSM (/dev/nsm)"
};

// InvalidArgument for an unknown name or a simulator with another tee;
// the device's or configfs's error otherwise.
StatusOr<SelectedTee> SelectTee(const TeeSelection& selection);

}  // namespace eml::attest

#endif  // EML_ATTEST_TEE_SELECT_H_

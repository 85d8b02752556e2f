// A simulated configfs-tsm directory (attest/tsm.h) for tests and the
// development gateway: the same attributes, generation counter and write-
// only/read-only rules as the kernel's report interface, with the quote or
// report produced in process by a simulated TDX or SEV-SNP machine
// (attest/tdx_sim.h, attest/snp_sim.h) whose keys are synthetic test keys.
// Evidence from it verifies only against the simulators' synthetic roots,
// which a policy may list only as evaluation roots.
//
// Behaviour per entry, as Documentation/ABI/testing/configfs-tsm-report:
//   provider      read-only, "tdx_guest\n" or "sev_guest\n"
//   generation    read-only decimal counter, +1 per successful write
//   inblob        write-only, at most 64 bytes (the kernel zero-pads)
//   privlevel     write-only, "0".."3", sev_guest only
//   outblob       read-only: generated on read from the current inblob
//   auxblob       read-only, sev_guest only: the certificate table
//
// Thread-safety: all methods may be called concurrently (one mutex).
#ifndef EML_ATTEST_TSM_SIM_H_
#define EML_ATTEST_TSM_SIM_H_

#include <map>
#include <memory>
#include <string>

#include "attest/tsm.h"
#include "core/bytes.h"
#include "core/status.h"

namespace eml::attest {

// A configfs-tsm provider (CreateTsmProvider over SimulatedTsmFs) backed by
// the simulator whose synthetic keys are in `dir` (for TDX the tdx_sim
// fixtures, for SNP a synthetic product directory), reporting the given
// measurements (indices as in policy/policy.h). evaluation() is true.
StatusOr<std::unique_ptr<EvidenceProvider>> CreateSimulatedTsmProvider(
    TeePlatform platform, const std::string& dir, std::map<uint32_t, Bytes> measurements);

}  // namespace eml::attest

#endif  // EML_ATTEST_TSM_SIM_H_

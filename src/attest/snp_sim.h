// SnpReportSimulator: the part of AMD SEV-SNP firmware a guest sees through
// configfs-tsm (attest/tsm.h), for tests and machines without SEV-SNP. Given
// a synthetic product directory (a VCEK certificate, its issuing ASK, the ARK
// and the VCEK's PKCS#8 private key, as src/attest/testdata/snp/make_synthetic.py
// writes them), it answers an ATTESTATION_REPORT for any REPORT_DATA the way
// the firmware would: built field by field (no template), everything the
// verifier compares with the VCEK (TCBs, CHIP_ID, CPUID/product) taken from
// the VCEK certificate itself, signed with the VCEK's key. CertTable() is the
// auxblob the kernel would return beside it (snp.h, "The auxblob certificate
// table": VCEK, ASK, ARK).
//
// A simulated report verifies with VerifySnpReport only under the synthetic
// ARK, never under AMD's; a policy must pin that ARK only as an evaluation
// root (docs/attestation-snp.md, "Simulated SEV-SNP for tests").
//
// Report fields (layout: docs/attestation-snp.md, "Report layout"):
//   VERSION 3 (Milan, Genoa) or 5 (Turin); GUEST_SVN 0; POLICY 0x30000 (SMT
//   allowed, no debug, no migration agent, ABI 0.0); FAMILY_ID, IMAGE_ID,
//   AUTHOR_KEY_DIGEST zero; VMPL 0; SIGNATURE_ALGO
//   1; PLATFORM_INFO 1 (SMT enabled); flags 0 (VCEK, chip key not masked);
//   REPORT_DATA, MEASUREMENT, HOST_DATA, ID_KEY_DIGEST as asked; REPORT_ID random per
//   simulator (one simulated guest), REPORT_ID_MA all 0xFF (no migration
//   agent); CURRENT/REPORTED/COMMITTED/LAUNCH_TCB the VCEK's SPLs; CPUID of the
//   product (Milan 19h/01h/1, Genoa 19h/11h/1, Turin 1Ah/02h/1); CHIP_ID the
//   VCEK's hwID (Turin: 8 bytes, rest zero); firmware 1.55.x; mitigation
//   vectors zero; ECDSA P-384/SHA-384 over 0x000..0x29F, r and s stored
//   little-endian, zero-padded to 72 bytes.
//
// Thread-safety: a loaded simulator is immutable; Report and CertTable may be
// called from many threads at once. Copies share the key.
#ifndef EML_ATTEST_SNP_SIM_H_
#define EML_ATTEST_SNP_SIM_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "attest/snp.h"
#include "core/bytes.h"
#include "core/status.h"

namespace eml::attest {

// Measurement indices, as policy/policy.h names them for "snp".
inline constexpr uint32_t kSnpSimMeasurementIndex = 0;  // MEASUREMENT, 48 bytes
inline constexpr uint32_t kSnpSimHostDataIndex = 1;     // HOST_DATA, 32 bytes
inline constexpr uint32_t kSnpSimIdKeyDigestIndex = 2;  // ID_KEY_DIGEST, 48 bytes

class SnpReportSimulator {
 public:
  // Loads vcek.der, ask.der, ark.der and vcek_key.p8 from `dir` (e.g.
  // src/attest/testdata/snp/milan). NotFound for a missing file;
  // InvalidArgument when the key is not the VCEK's, the VCEK lacks an
  // extension the report needs or its hwID has the wrong length.
  static StatusOr<SnpReportSimulator> Load(const std::string& dir);

  // A fresh, signed 1184-byte report. `report_data` must be 64 bytes;
  // `measurements` may hold index 0 (MEASUREMENT, 48 bytes), 1 (HOST_DATA,
  // 32 bytes) and 2 (ID_KEY_DIGEST, 48 bytes), absent ones are zero.
  // InvalidArgument otherwise.
  StatusOr<Bytes> Report(ByteSpan report_data, const std::map<uint32_t, Bytes>& measurements) const;

  // The auxblob: a certificate table with the VCEK, ASK and ARK.
  const Bytes& CertTable() const;

  SnpProduct product() const;

 private:
  struct State;
  explicit SnpReportSimulator(std::shared_ptr<const State> state) : state_(std::move(state)) {}

  std::shared_ptr<const State> state_;  // never null
};

}  // namespace eml::attest

#endif  // EML_ATTEST_SNP_SIM_H_

// TDX and SEV-SNP session evidence: the TEE envelope (attest/tsm.h) judged as
// a whole, the way a client judges a live session.
//
// VerifyTeeEvidence runs, in order, and reports every check:
//   TEE_ENVELOPE      the evidence is a strict TEE envelope of the expected
//                     platform ("tdx" or "snp")
//   the platform's own checks, unchanged: VerifyTdxQuote (TDX_*) with the
//                     caller's QuoteCollateralV3, or VerifySnpReport (SNP_*)
//                     with the certificates of the envelope's auxblob
//                     certificate table plus the caller's
//   TEE_REPORT_DATA   the verified quote's or report's REPORTDATA equals
//                     TeeReportData(public_key, user_data, nonce) of the
//                     envelope, so those three fields are as attested
// A check whose prerequisites failed is NOT_RUN. Debug TDs and SNP guests
// with debug or a migration agent are always refused here (a live session
// has no "allow debug" option); TDX TCB statuses other than UpToDate are
// refused unless the caller lists them.
//
// Measurements come keyed like the policy's names (policy/policy.h):
//   tdx  0 mrtd, 1..4 rtmr0..rtmr3, 5 mrconfigid, 6 mrowner, 7 mrownerconfig
//   snp  0 measurement (48), 1 host_data (32), 2 id_key_digest (48)
// Neither quotes nor reports carry a time: freshness is the client's
// challenge, bound through REPORTDATA.
//
// Thread-safety: pure functions.
#ifndef EML_ATTEST_TEE_EVIDENCE_H_
#define EML_ATTEST_TEE_EVIDENCE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/evidence.h"
#include "attest/snp.h"
#include "attest/tdx.h"
#include "attest/tsm.h"
#include "core/bytes.h"
#include "core/status.h"

namespace eml::attest {

inline constexpr std::string_view kCheckTeeEnvelope = "TEE_ENVELOPE";
inline constexpr std::string_view kCheckTeeReportData = "TEE_REPORT_DATA";

std::map<uint32_t, Bytes> TdxMeasurements(const TdReportBody& body);
std::map<uint32_t, Bytes> SnpMeasurements(const SnpReport& report);

// The measurements of an envelope WITHOUT verifying it: for an enclave
// reading its own fresh evidence (to put them in its receipts), never for
// judging someone else's.
StatusOr<std::map<uint32_t, Bytes>> UnverifiedTeeMeasurements(ByteSpan envelope);

struct TeeVerifyOptions {
  std::vector<ByteSpan> pinned_roots = {};  // borrowed; Intel SGX root CA or AMD ARKs
  int64_t at_unix_seconds = 0;              // when certificates and collateral are judged
  const TdxCollateral* tdx_collateral = nullptr;  // borrowed; required for "tdx"
  std::vector<Bytes> snp_certificates = {};       // DER, added to the auxblob's
  std::vector<std::string> accepted_tdx_tcb_statuses = {"UpToDate"};
};

struct TeeVerification {
  EvidenceReport report;
  std::optional<TeeEnvelope> envelope;        // once TEE_ENVELOPE passed
  std::map<uint32_t, Bytes> measurements;     // once the quote/report parsed
  std::optional<size_t> matched_root;         // index into pinned_roots
  std::string tcb;                            // TDX: the TCB status name; SNP: the reported TCB
  bool verified() const { return report.verified(); }
};

// The chain certificates (VCEK/VLEK, ASK, ARK; DER) of an SNP auxblob
// certificate table; entries of unknown kind (a host's CRL, say) are skipped.
// ParseSnpCertTable's errors.
StatusOr<std::vector<Bytes>> SnpChainFromAuxblob(ByteSpan auxblob);

// Appends TEE_REPORT_DATA to `report`: NOT_RUN unless every check so far
// passed (`report_data` then comes from the verified quote or report),
// else whether it equals TeeReportData of the envelope's fields.
void AddTeeReportDataCheck(const TeeEnvelope& envelope, ByteSpan report_data,
                           EvidenceReport* report);

// `platform` is "tdx" or "snp" (InvalidArgument otherwise, and for invalid
// options); hostile evidence gives a report whose verified() is false.
StatusOr<TeeVerification> VerifyTeeEvidence(ByteSpan evidence, std::string_view platform,
                                            const TeeVerifyOptions& options);

}  // namespace eml::attest

#endif  // EML_ATTEST_TEE_EVIDENCE_H_

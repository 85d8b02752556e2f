// Intel TDX DCAP quotes (versions 4 and 5): parse, and verify against Intel's
// collateral the way Intel's Quote Verification Library (QVL) does.
//
// A quote is a 48-byte header, a TD report body (TD1.0: 584 bytes; v5 also
// TD1.5: 648 bytes), and signature data: an ECDSA P-256 signature by the
// attestation key over header||body, the attestation key, and certification
// data type 6 (the Quoting Enclave's report, signed by the PCK key, binding
// the attestation key) holding type 5 (the PCK certificate chain, PEM).
// The collateral (dcap-qvl's QuoteCollateralV3 JSON) carries the CRLs, the
// TCB Info and the QE Identity, each signed by Intel's TCB signing key.
// Layout, limits and every check: docs/attestation-tdx.md.
//
// VerifyTdxQuote runs a fixed list of checks and reports each one
// (attest/evidence.h); a check whose prerequisites did not pass is NOT_RUN.
// The quote is verified only if every check passed, and the TCB status
// (from the PCK certificate's platform TCB, the TD's TEE_TCB_SVN, the TDX
// module identity and the QE identity, converged as Intel does) is one the
// caller accepts (default: UpToDate only). Binding REPORTDATA to a session is
// the caller's job: this module only exposes it.
//
// FIXME: TD1.5 bodies (v5 type 3) are parsed and verified with TEE_TCB_SVN
// only; Intel's TD-relaunch advice from TEE_TCB_SVN_2 ("TDRelaunchAdvised")
// is not evaluated. SGX quotes (tee type 0, body type 1) are not supported.
//
// Thread-safety: pure functions; options borrow the pinned roots for the
// duration of the call.
#ifndef EML_ATTEST_TDX_H_
#define EML_ATTEST_TDX_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/evidence.h"
#include "core/bytes.h"
#include "core/status.h"

namespace eml::attest {

// ---- Limits and constants ---------------------------------------------------

inline constexpr size_t kTdxMaxQuoteSize = 64 * 1024;
// Bytes after the signature data: tolerated only if all zero (quote buffers
// are zero-padded, as in the real vector) and at most this many.
inline constexpr size_t kTdxMaxTrailingZeros = 4096;
inline constexpr size_t kTdxMaxCollateralJsonSize = 4 * 1024 * 1024;
inline constexpr size_t kTdxMaxTcbLevels = 128;
inline constexpr size_t kTdxMaxModuleIdentities = 32;
inline constexpr size_t kTdxMaxAdvisoryIds = 128;
inline constexpr size_t kTdxMaxPinnedRoots = 16;

inline constexpr size_t kTdxHeaderSize = 48;
inline constexpr size_t kTdReport10Size = 584;
inline constexpr size_t kTdReport15Size = 648;
inline constexpr size_t kSgxReportSize = 384;
inline constexpr uint32_t kTdxTeeType = 0x81;
inline constexpr uint16_t kTdxAttestationKeyTypeEcdsaP256 = 2;
inline constexpr uint16_t kTdxBodyTypeTd10 = 2;
inline constexpr uint16_t kTdxBodyTypeTd15 = 3;
// Intel's QE vendor ID, 939A7233-F79C-4CA9-940A-0DB3957F0607.
inline constexpr std::array<uint8_t, 16> kIntelQeVendorId = {
    0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};
// SHA-256 of the Intel SGX Root CA certificate (DER) that Intel publishes;
// callers loading it from a file can check it against this.
inline constexpr std::string_view kIntelSgxRootCaSha256Hex =
    "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3";
// TD_ATTRIBUTES bit 0 (TUD.DEBUG): the TD is debuggable by the host.
inline constexpr uint64_t kTdAttributeDebug = 1;

// ---- Check identifiers (docs/attestation-tdx.md, "Checks") -----------------

inline constexpr std::string_view kCheckTdxQuoteFormat = "TDX_QUOTE_FORMAT";
inline constexpr std::string_view kCheckTdxPckRootPinned = "TDX_PCK_ROOT_PINNED";
inline constexpr std::string_view kCheckTdxPckChain = "TDX_PCK_CHAIN";
inline constexpr std::string_view kCheckTdxPckRevocation = "TDX_PCK_REVOCATION";
inline constexpr std::string_view kCheckTdxQeReportSignature = "TDX_QE_REPORT_SIGNATURE";
inline constexpr std::string_view kCheckTdxQeReportData = "TDX_QE_REPORT_DATA";
inline constexpr std::string_view kCheckTdxQuoteSignature = "TDX_QUOTE_SIGNATURE";
inline constexpr std::string_view kCheckTdxTcbInfoSignature = "TDX_TCB_INFO_SIGNATURE";
inline constexpr std::string_view kCheckTdxTcbInfoValid = "TDX_TCB_INFO_VALID";
inline constexpr std::string_view kCheckTdxQeIdentitySignature = "TDX_QE_IDENTITY_SIGNATURE";
inline constexpr std::string_view kCheckTdxQeIdentityValid = "TDX_QE_IDENTITY_VALID";
inline constexpr std::string_view kCheckTdxQeIdentity = "TDX_QE_IDENTITY";
inline constexpr std::string_view kCheckTdxPckPlatform = "TDX_PCK_PLATFORM";
inline constexpr std::string_view kCheckTdxModuleIdentity = "TDX_MODULE_IDENTITY";
inline constexpr std::string_view kCheckTdxTcbStatus = "TDX_TCB_STATUS";
inline constexpr std::string_view kCheckTdxTdAttributes = "TDX_TD_ATTRIBUTES";

// ---- The quote --------------------------------------------------------------

using TdxMeasurement = std::array<uint8_t, 48>;  // SHA-384 registers
using TdxSvn16 = std::array<uint8_t, 16>;        // TEE_TCB_SVN, CPUSVN

struct TdxQuoteHeader {
  uint16_t version = 0;       // 4 or 5
  uint16_t att_key_type = 0;  // 2: ECDSA-256 with P-256
  uint32_t tee_type = 0;      // 0x81: TDX
  uint16_t reserved1 = 0;     // QE SVN in older layouts; signed, not interpreted
  uint16_t reserved2 = 0;     // PCE SVN in older layouts; signed, not interpreted
  std::array<uint8_t, 16> qe_vendor_id = {};
  std::array<uint8_t, 20> user_data = {};
};

// The TD report body; the last two fields only for TD1.5 (v5 body type 3).
struct TdReportBody {
  TdxSvn16 tee_tcb_svn = {};
  TdxMeasurement mr_seam = {};
  TdxMeasurement mr_signer_seam = {};
  uint64_t seam_attributes = 0;  // little-endian in the quote
  uint64_t td_attributes = 0;    // little-endian in the quote
  uint64_t xfam = 0;             // little-endian in the quote
  TdxMeasurement mr_td = {};
  TdxMeasurement mr_config_id = {};
  TdxMeasurement mr_owner = {};
  TdxMeasurement mr_owner_config = {};
  std::array<TdxMeasurement, 4> rtmr = {};
  std::array<uint8_t, 64> report_data = {};
  std::optional<TdxSvn16> tee_tcb_svn_2;
  std::optional<TdxMeasurement> mr_service_td;
};

// The Quoting Enclave's SGX report body (384 bytes).
struct SgxReportBody {
  TdxSvn16 cpu_svn = {};
  uint32_t misc_select = 0;
  std::array<uint8_t, 16> attributes = {};
  std::array<uint8_t, 32> mr_enclave = {};
  std::array<uint8_t, 32> mr_signer = {};
  uint16_t isv_prod_id = 0;
  uint16_t isv_svn = 0;
  std::array<uint8_t, 64> report_data = {};
};

struct TdxQuote {
  TdxQuoteHeader header;
  uint16_t body_type = kTdxBodyTypeTd10;  // v4: always TD1.0
  TdReportBody body;
  Bytes signed_data;  // what the attestation key signed: header [|| type || size] || body
  std::array<uint8_t, 64> quote_signature = {};  // r || s
  std::array<uint8_t, 64> attestation_key = {};  // P-256 X || Y
  Bytes qe_report_raw;                           // 384 bytes, what the PCK key signed
  SgxReportBody qe_report;
  std::array<uint8_t, 64> qe_report_signature = {};  // r || s
  Bytes qe_auth_data;
  std::vector<Bytes> pck_chain_der;  // leaf, intermediate CA, root (DER)
  size_t trailing_zeros = 0;         // zero padding after the signature data
};

// Parses structure, sizes and limits only; nothing is verified.
StatusOr<TdxQuote> ParseTdxQuote(ByteSpan quote);

// ---- Collateral ---------------------------------------------------------------

// dcap-qvl's QuoteCollateralV3 as JSON (keys below; unknown keys ignored,
// duplicates rejected). Certificates are decoded and parsed, CRLs checked
// structurally; the two signed JSON bodies are kept as the exact bytes Intel
// signed and parsed during verification.
struct TdxCollateral {
  std::vector<Bytes> pck_crl_issuer_chain_der;  // "pck_crl_issuer_chain" (PEM)
  Bytes root_ca_crl_der;                        // "root_ca_crl" (hex DER)
  Bytes pck_crl_der;                            // "pck_crl" (hex DER)
  std::vector<Bytes> tcb_info_issuer_chain_der;  // "tcb_info_issuer_chain" (PEM)
  std::string tcb_info_json;                     // "tcb_info": the signed tcbInfo object text
  std::array<uint8_t, 64> tcb_info_signature = {};  // "tcb_info_signature" (hex r || s)
  std::vector<Bytes> qe_identity_issuer_chain_der;  // "qe_identity_issuer_chain" (PEM)
  std::string qe_identity_json;                     // "qe_identity": the signed enclaveIdentity text
  std::array<uint8_t, 64> qe_identity_signature = {};  // "qe_identity_signature" (hex r || s)
};

StatusOr<TdxCollateral> ParseTdxCollateralJson(std::string_view json);

// Intel's TCB statuses that a TDX verification can end in.
enum class TdxTcbStatus {
  kUpToDate,
  kSwHardeningNeeded,
  kConfigurationNeeded,
  kConfigurationAndSwHardeningNeeded,
  kOutOfDate,
  kOutOfDateConfigurationNeeded,
  kRevoked,
};
// Intel's spelling: "UpToDate", "SWHardeningNeeded", ...
std::string_view TdxTcbStatusName(TdxTcbStatus status);
StatusOr<TdxTcbStatus> TdxTcbStatusFromName(std::string_view name);

struct TdxTcbLevel {
  TdxSvn16 sgx_components = {};  // sgxtcbcomponents[].svn
  uint16_t pce_svn = 0;
  TdxSvn16 tdx_components = {};  // tdxtcbcomponents[].svn
  int64_t tcb_date = 0;          // unix seconds
  TdxTcbStatus status = TdxTcbStatus::kOutOfDate;
  std::vector<std::string> advisory_ids;
};

// A TCB level of an identity (TDX module or QE): status by ISVSVN.
struct TdxIsvSvnLevel {
  uint16_t isv_svn = 0;
  int64_t tcb_date = 0;
  TdxTcbStatus status = TdxTcbStatus::kOutOfDate;  // UpToDate, OutOfDate or Revoked
  std::vector<std::string> advisory_ids;
};

struct TdxModuleIdentity {
  std::string id;  // "TDX_<major version, 2 hex digits>"; empty for the base tdxModule
  TdxMeasurement mr_signer = {};
  std::array<uint8_t, 8> attributes = {};  // expected SEAM_ATTRIBUTES, in the quote's byte order
  std::array<uint8_t, 8> attributes_mask = {};
  std::vector<TdxIsvSvnLevel> tcb_levels;  // empty for the base tdxModule
};

struct TdxTcbInfo {
  int version = 0;  // 3
  int64_t issue_date = 0;
  int64_t next_update = 0;
  std::array<uint8_t, 6> fmspc = {};
  std::array<uint8_t, 2> pce_id = {};
  uint32_t tcb_evaluation_data_number = 0;
  TdxModuleIdentity tdx_module;
  std::vector<TdxModuleIdentity> tdx_module_identities;
  std::vector<TdxTcbLevel> tcb_levels;  // in the order Intel lists them (highest first)
};

struct TdxQeIdentity {
  int version = 0;  // 2
  int64_t issue_date = 0;
  int64_t next_update = 0;
  uint32_t tcb_evaluation_data_number = 0;
  uint32_t misc_select = 0;  // hex in the JSON is the big-endian rendering of the value
  uint32_t misc_select_mask = 0;
  std::array<uint8_t, 16> attributes = {};  // byte order as in the report
  std::array<uint8_t, 16> attributes_mask = {};
  std::array<uint8_t, 32> mr_signer = {};
  uint16_t isv_prod_id = 0;
  std::vector<TdxIsvSvnLevel> tcb_levels;  // highest first
};

// The signed bodies (collateral "tcb_info" / "qe_identity"): id "TDX",
// version 3 / id "TD_QE", version 2, every field Intel's QVL reads. Unknown
// keys are ignored; duplicates, wrong types and out-of-range values are not.
StatusOr<TdxTcbInfo> ParseTdxTcbInfoJson(std::string_view json);
StatusOr<TdxQeIdentity> ParseTdxQeIdentityJson(std::string_view json);

// ---- TCB evaluation (pure; exposed for tests) -----------------------------------

// The platform data in the PCK leaf's SGX extension (OID 1.2.840.113741.1.13.1).
struct PckPlatformInfo {
  TdxSvn16 sgx_components = {};  // TCB components 1..16 (OIDs ...13.1.2.1..16)
  uint16_t pce_svn = 0;          // ...13.1.2.17
  TdxSvn16 cpu_svn = {};         // ...13.1.2.18
  std::array<uint8_t, 2> pce_id = {};  // ...13.1.3
  std::array<uint8_t, 6> fmspc = {};   // ...13.1.4
};

// Parses the extension's value (DER SEQUENCE of {OID, value}); unknown
// entries are skipped, known ones must appear once with their type and size.
StatusOr<PckPlatformInfo> ParsePckPlatformInfo(ByteSpan extension_der);

// The PCK certificate belongs to the platform the TCB info describes: FMSPC
// and PCE-ID equal (VerificationFailed otherwise).
Status MatchPckPlatform(const TdxTcbInfo& tcb_info, const PckPlatformInfo& pck);

// The QE report against the QE Identity: MRSIGNER, ISVPRODID, masked
// MISCSELECT and ATTRIBUTES must match (VerificationFailed otherwise); the
// first TCB level with isvsvn <= ISVSVN is returned (VerificationFailed if
// none: Intel's "ISVSVN not supported").
StatusOr<TdxIsvSvnLevel> MatchQeIdentity(const TdxQeIdentity& identity, const SgxReportBody& qe);

// The TDX module identity for this TEE_TCB_SVN: the base tdxModule when the
// major version (TEE_TCB_SVN[1]) is 0, else the entry "TDX_<major>"; its
// MRSIGNER must equal MRSIGNERSEAM and SEAM_ATTRIBUTES & mask its attributes.
// Returns the matched module TCB level (none for the base module).
StatusOr<std::optional<TdxIsvSvnLevel>> MatchTdxModule(const TdxTcbInfo& tcb_info,
                                                       const TdReportBody& body);

struct TdxTcbEvaluation {
  TdxTcbStatus status = TdxTcbStatus::kOutOfDate;  // converged
  TdxTcbStatus tcb_level_status = TdxTcbStatus::kOutOfDate;
  size_t tcb_level_index = 0;
  std::vector<std::string> advisory_ids;  // TCB level, module level, QE level; no duplicates
};

// Intel's TCB level selection and status convergence (docs, "TCB
// evaluation"): VerificationFailed when no level matches.
StatusOr<TdxTcbEvaluation> EvaluateTdxTcb(const TdxTcbInfo& tcb_info, const PckPlatformInfo& pck,
                                          const TdReportBody& body,
                                          const std::optional<TdxIsvSvnLevel>& module_level,
                                          const TdxIsvSvnLevel& qe_level);

// The TDX_TD_ATTRIBUTES check as the report lists it: failed
// (VERIFICATION_FAILED) if TD_ATTRIBUTES.DEBUG is set and not allowed.
EvidenceCheck CheckTdAttributes(const TdReportBody& body, bool allow_debug);

// ---- Verification ----------------------------------------------------------------

struct TdxVerifyOptions {
  // Candidate trust anchors (DER), borrowed for the call; 1..16. Normally
  // the Intel SGX Root CA (kIntelSgxRootCaSha256Hex).
  std::vector<ByteSpan> pinned_roots = {};
  // When certificates, CRLs and collateral are judged (unix seconds, > 0).
  int64_t at_unix_seconds = 0;
  bool allow_debug = false;
  // Intel status names the caller accepts; "Revoked" may not be listed.
  std::vector<std::string> accepted_tcb_statuses = {"UpToDate"};
};

struct TdxVerification {
  EvidenceReport report;
  // Set once TDX_QUOTE_FORMAT passed (measurements: quote->body); trust it
  // only if verified().
  std::optional<TdxQuote> quote;
  std::optional<size_t> matched_root;  // index into options.pinned_roots
  // Set once the TCB was evaluated (accepted or not).
  std::optional<TdxTcbStatus> tcb_status;
  std::vector<std::string> advisory_ids;
  bool verified() const { return report.verified(); }
};

// Runs every check. The Status is an error only for invalid options; a bad
// quote or collateral is a report whose verified() is false.
StatusOr<TdxVerification> VerifyTdxQuote(ByteSpan quote, const TdxCollateral& collateral,
                                         const TdxVerifyOptions& options);

}  // namespace eml::attest

#endif  // EML_ATTEST_TDX_H_

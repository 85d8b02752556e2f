// AMD SEV-SNP attestation reports: parse and verify, as AMD's tooling
// (snpguest, virtee/sev, go-sev-guest) does. Format, limits and every check:
// docs/attestation-snp.md.
//
// A report is the firmware's 1184-byte ATTESTATION_REPORT (versions 2, 3 and
// 5), signed with ECDSA P-384/SHA-384 over bytes 0x000..0x29F by the VCEK (a
// key derived from the chip and its reported TCB) or the VLEK (a key a cloud
// provider loads; SIGNING_KEY in the report says which). AMD's KDS certifies
// VCEK -> ASK -> ARK and VLEK -> ASVK -> ARK, one ARK per product (Milan,
// Genoa, Turin), every link RSASSA-PSS. VerifySnpReport runs these checks
// and reports each one (attest/evidence.h); a check runs only when the
// checks it depends on passed, otherwise it is listed as NOT_RUN:
//
//   SNP_REPORT_PARSE         size, version, algorithm, signing key, reserved
//                            fields, policy MBZ bits (ParseSnpReport)
//   SNP_COLLATERAL           the certificates parse; exactly one leaf (VCEK or
//                            VLEK, as the report says), one ASK/ASVK, at most
//                            one ARK (after SNP_REPORT_PARSE)
//   SNP_PRODUCT              report CPUID (v3+), leaf productName and the
//                            ASK/ASVK name agree on Milan, Genoa or Turin
//                            (after SNP_COLLATERAL)
//   SNP_ROOT_PINNED          a pinned root is ARK-<product>, self-signed; a
//                            supplied ARK is byte-identical to it (after SNP_PRODUCT)
//   SNP_CHAIN_VALID_AT_TIME  leaf <- ASK/ASVK <- pinned ARK, RSASSA-PSS, valid at
//                            the given time (after SNP_ROOT_PINNED)
//   SNP_SIGNATURE            the report signature verifies with the leaf's
//                            P-384 key (after SNP_COLLATERAL)
//   SNP_TCB                  REPORTED_TCB equals the leaf's SPL extensions
//                            (layout per product) (after SNP_PRODUCT)
//   SNP_CHIP_ID              VCEK hwID equals CHIP_ID (Turin: 8 bytes)
//                            (after SNP_PRODUCT)
//   SNP_POLICY               debug and migration agent refused unless allowed
//                            (after SNP_REPORT_PARSE)
//
// Appraisal (which measurement, host data, report data, minimum TCB) is the
// caller's job on the parsed fields of a verified report.
//
// FIXME: no CRL check (the KDS CRLs in ../shared are not consulted), no
// minimum-TCB policy, and version 4 reports are refused (no vector exists).
//
// Thread-safety: pure functions; options borrow the pinned roots for the call.
#ifndef EML_ATTEST_SNP_H_
#define EML_ATTEST_SNP_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/evidence.h"
#include "core/bytes.h"
#include "core/status.h"

namespace eml::attest {

inline constexpr size_t kSnpReportSize = 0x4A0;     // 1184
inline constexpr size_t kSnpSignedSize = 0x2A0;     // bytes covered by the signature
inline constexpr size_t kSnpMaxCollateral = 8;      // certificates in SnpVerifyOptions::chain_der
inline constexpr size_t kSnpMaxPinnedRoots = 16;
inline constexpr size_t kSnpMaxCollateralFileSize = 64 * 1024;

// Stable check identifiers (docs/attestation-snp.md, "Checks").
inline constexpr std::string_view kSnpCheckReportParse = "SNP_REPORT_PARSE";
inline constexpr std::string_view kSnpCheckCollateral = "SNP_COLLATERAL";
inline constexpr std::string_view kSnpCheckProduct = "SNP_PRODUCT";
inline constexpr std::string_view kSnpCheckRootPinned = "SNP_ROOT_PINNED";
inline constexpr std::string_view kSnpCheckChain = "SNP_CHAIN_VALID_AT_TIME";
inline constexpr std::string_view kSnpCheckSignature = "SNP_SIGNATURE";
inline constexpr std::string_view kSnpCheckTcb = "SNP_TCB";
inline constexpr std::string_view kSnpCheckChipId = "SNP_CHIP_ID";
inline constexpr std::string_view kSnpCheckPolicy = "SNP_POLICY";

// Guest POLICY bits (ABI spec, "Guest Policy").
inline constexpr uint64_t kSnpPolicySmt = uint64_t{1} << 16;
inline constexpr uint64_t kSnpPolicyReservedOne = uint64_t{1} << 17;  // must be 1
inline constexpr uint64_t kSnpPolicyMigrateMa = uint64_t{1} << 18;
inline constexpr uint64_t kSnpPolicyDebug = uint64_t{1} << 19;
inline constexpr uint64_t kSnpPolicySingleSocket = uint64_t{1} << 20;

enum class SnpProduct { kUnknown, kMilan, kGenoa, kTurin };
enum class SnpSigningKey { kVcek, kVlek };

// "Milan", "Genoa", "Turin" or "unknown".
std::string_view SnpProductName(SnpProduct product);
// The product of a CPUID family/model (extended fields combined), as AMD's
// tooling maps them; kUnknown for anything else.
SnpProduct SnpProductFromCpuid(uint8_t family, uint8_t model);

// A decoded TCB_VERSION. Milan/Genoa: byte 0 bootloader, 1 tee, 6 snp,
// 7 microcode (2..5 reserved). Turin: 0 fmc, 1 bootloader, 2 tee, 3 snp,
// 7 microcode (4..6 reserved).
struct SnpTcb {
  uint8_t fmc = 0;  // Turin only; 0 elsewhere
  uint8_t bootloader = 0;
  uint8_t tee = 0;
  uint8_t snp = 0;
  uint8_t microcode = 0;
  bool operator==(const SnpTcb&) const = default;
};

// Decodes `raw` (the field read as a little-endian u64) for `product`.
// InvalidArgument for a non-zero reserved byte or an unknown product.
StatusOr<SnpTcb> DecodeSnpTcb(uint64_t raw, SnpProduct product);
// "bl=2 tee=0 snp=5 ucode=68" (Turin adds "fmc=N ").
std::string FormatSnpTcb(const SnpTcb& tcb, SnpProduct product);

struct SnpReport {
  uint32_t version = 0;
  uint32_t guest_svn = 0;
  uint64_t policy = 0;
  std::array<uint8_t, 16> family_id = {};
  std::array<uint8_t, 16> image_id = {};
  uint32_t vmpl = 0;
  uint32_t signature_algo = 0;
  uint64_t current_tcb = 0;  // raw TCB_VERSION fields, little-endian u64
  uint64_t platform_info = 0;
  bool author_key_en = false;
  bool mask_chip_key = false;
  SnpSigningKey signing_key = SnpSigningKey::kVcek;
  std::array<uint8_t, 64> report_data = {};
  std::array<uint8_t, 48> measurement = {};
  std::array<uint8_t, 32> host_data = {};
  std::array<uint8_t, 48> id_key_digest = {};
  std::array<uint8_t, 48> author_key_digest = {};
  std::array<uint8_t, 32> report_id = {};
  std::array<uint8_t, 32> report_id_ma = {};
  uint64_t reported_tcb = 0;
  // Version 3+: CPUID family (extended + base), model (extended + base),
  // stepping; all zero in version 2.
  uint8_t cpuid_family = 0;
  uint8_t cpuid_model = 0;
  uint8_t cpuid_stepping = 0;
  std::array<uint8_t, 64> chip_id = {};
  uint64_t committed_tcb = 0;
  uint8_t current_build = 0, current_minor = 0, current_major = 0;
  uint8_t committed_build = 0, committed_minor = 0, committed_major = 0;
  uint64_t launch_tcb = 0;
  uint64_t launch_mit_vector = 0;   // version 5; 0 before
  uint64_t current_mit_vector = 0;  // version 5; 0 before
  std::array<uint8_t, 48> signature_r = {};  // big-endian (the report stores little-endian)
  std::array<uint8_t, 48> signature_s = {};
  // From the CPUID fields (version 3+); kUnknown for version 2 or an
  // unrecognised CPUID.
  SnpProduct product = SnpProduct::kUnknown;

  bool debug_allowed() const { return (policy & kSnpPolicyDebug) != 0; }
  bool migration_agent_allowed() const { return (policy & kSnpPolicyMigrateMa) != 0; }
  bool smt_allowed() const { return (policy & kSnpPolicySmt) != 0; }
};

// Parses without verifying anything but structure: exactly kSnpReportSize
// bytes, version 2, 3 or 5, signature algorithm 1, signing key VCEK or VLEK,
// VMPL 0..3, policy bit 17 set and bits 63..26 clear, every reserved field
// zero (docs/attestation-snp.md lists them). InvalidArgument, or Unsupported
// for a well-formed report we do not handle (version, algorithm, no signer).
StatusOr<SnpReport> ParseSnpReport(ByteSpan report);

struct SnpVerifyOptions {
  // Candidate ARKs (DER), borrowed for the call; 1..16 of them.
  std::vector<ByteSpan> pinned_roots = {};
  // VCEK or VLEK, ASK or ASVK and optionally the ARK, in any order (DER);
  // at most kSnpMaxCollateral.
  std::vector<Bytes> chain_der = {};
  // When to judge certificate validity (unix seconds, 1970..9999).
  int64_t at_unix_seconds = 0;
  bool allow_debug = false;
  bool allow_migration_agent = false;
};

struct SnpVerification {
  EvidenceReport report;
  // Set once SNP_REPORT_PARSE passed; trust it only if verified().
  std::optional<SnpReport> parsed;
  SnpProduct product = SnpProduct::kUnknown;  // set once SNP_PRODUCT passed
  std::optional<size_t> matched_root;         // index into options.pinned_roots
  std::optional<SnpTcb> reported_tcb;         // decoded, once SNP_TCB passed
  std::optional<SnpTcb> current_tcb;
  std::optional<SnpTcb> committed_tcb;
  std::optional<SnpTcb> launch_tcb;
  bool verified() const { return report.verified(); }
};

// Runs every check above. The returned Status is an error only for invalid
// options (no or too many pinned roots or certificates, time out of range); a
// bad report or chain is a report whose verified() is false.
StatusOr<SnpVerification> VerifySnpReport(ByteSpan report, const SnpVerifyOptions& options);

// The certificates in one collateral item: a PEM text with one or more
// CERTIFICATE blocks (a KDS cert_chain is ASK then ARK) or one DER
// certificate (a KDS VCEK). InvalidArgument for anything else.
StatusOr<std::vector<Bytes>> ParseSnpCollateral(ByteSpan file);
// ParseSnpCollateral on a file of at most kSnpMaxCollateralFileSize bytes.
StatusOr<std::vector<Bytes>> LoadSnpCollateralFile(const std::string& path);

// ---- The VCEK's AMD extensions -------------------------------------------------
//
// What a VCEK/VLEK certificate says about the chip, read exactly as the checks
// SNP_PRODUCT, SNP_TCB and SNP_CHIP_ID read it (the same code), for callers
// that must produce or predict a matching report (attest/snp_sim.h).

struct SnpLeafExtensions {
  std::string product_name;  // productName as written, e.g. "Milan-B0"
  SnpProduct product = SnpProduct::kUnknown;  // its part before '-'
  SnpTcb tcb;                // blSPL, teeSPL, snpSPL, ucodeSPL; Turin also fmcSPL
  Bytes hwid;                // hwID as written (Milan/Genoa 64 bytes, Turin 8); empty if absent
};

// Parses the certificate (DER) and its extensions. InvalidArgument for an
// unparsable certificate; VerificationFailed for an unknown product or a
// missing or out-of-range SPL, as the verifier reports them.
StatusOr<SnpLeafExtensions> ReadSnpLeafExtensions(ByteSpan leaf_der);

// ---- The configfs-tsm auxblob certificate table ----------------------------------
//
// What the Linux sev-guest driver returns as configfs-tsm `auxblob` for SNP:
// the certificate table of the GHCB "extended guest request" (GHCB
// specification, "SNP Extended Guest Request"), entries of
//   { GUID (16 bytes, RFC 4122 byte order), u32le offset, u32le length }
// ended by an all-zero entry, then the certificates; offsets count from the
// table's first byte. Format, limits and checks: docs/attestation-snp.md,
// "The auxblob certificate table".

inline constexpr size_t kSnpCertTableEntrySize = 24;
inline constexpr size_t kSnpMaxCertTableEntries = 8;  // not counting the terminator
inline constexpr size_t kSnpMaxCertTableSize = 28 * 1024;  // = kTsmMaxAuxblobSize (attest/tsm.h)

// Kinds with a GHCB GUID. The GHCB specification assigns none to the ASVK, so
// "asvk" never appears in a table; any other GUID is kSnpCertKindUnknown.
inline constexpr std::string_view kSnpCertKindVcek = "vcek";  // 63da758d-e664-4564-adc5-f4b93be8accd
inline constexpr std::string_view kSnpCertKindVlek = "vlek";  // a8074bc2-a25a-483e-aae6-39c045a0b8a1
inline constexpr std::string_view kSnpCertKindAsk = "ask";    // 4ab7b379-bbac-4fe4-a02f-05aef327c782
inline constexpr std::string_view kSnpCertKindArk = "ark";    // c0b406a4-a803-4952-9743-3fb6014cd0ae
inline constexpr std::string_view kSnpCertKindUnknown = "unknown";

struct SnpCertTableEntry {
  std::string kind = {};              // one of the kinds above
  std::array<uint8_t, 16> guid = {};  // as stored (RFC 4122 byte order)
  Bytes der = {};                     // the entry's bytes; not parsed here
  bool operator==(const SnpCertTableEntry&) const = default;
};

// The GUID of a known kind ("vcek", "vlek", "ask", "ark"); InvalidArgument
// for anything else.
StatusOr<std::array<uint8_t, 16>> SnpCertGuid(std::string_view kind);

// Strict: at most kSnpMaxCertTableSize bytes and kSnpMaxCertTableEntries
// entries (LimitExceeded beyond either), a terminator entry, every
// certificate non-empty, after the table and inside the blob, no two
// overlapping, no GUID twice, every byte outside the table and the
// certificates zero (padding). Unknown GUIDs are returned as "unknown" (a
// host may add entries of its own). InvalidArgument otherwise. Entries come
// in table order.
StatusOr<std::vector<SnpCertTableEntry>> ParseSnpCertTable(ByteSpan auxblob);

// The table for `entries` (at most kSnpMaxCertTableEntries), certificates
// packed after the terminator in entry order. A known kind takes its own GUID
// (`guid` zero or equal to it); "unknown" needs a non-zero GUID that is not a
// known one. Empty certificates, repeated GUIDs, other kinds and a result over
// kSnpMaxCertTableSize are refused. ParseSnpCertTable(Encode(e)) == e.
StatusOr<Bytes> EncodeSnpCertTable(const std::vector<SnpCertTableEntry>& entries);

}  // namespace eml::attest

#endif  // EML_ATTEST_SNP_H_

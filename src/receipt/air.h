// AIR v1 (Attested Inference Receipt): build, sign and verify.
//
// An AIR v1 receipt is a tagged COSE_Sign1 (tag 18) whose protected header is
// exactly a2 01 27 03 18 3d ({1: -8 EdDSA, 3: 61 application/cwt}), whose
// unprotected header is an empty map, whose payload is a CWT claims map with
// integer keys (table in docs/receipt.md), and whose signature is Ed25519 over
// Sig_structure1 = ["Signature1", protected, h'', payload]. The format is the
// upstream EphemeralML one, byte for byte: the two valid upstream vectors
// (../shared/vectors/air-v1) are reproduced by SignAirReceipt.
//
// Verification runs four layers and reports every check with a stable code:
//   L1 parse   SIZE COSE_DECODE UNPROTECTED ALG CONTENT_TYPE PROTECTED_HEADER
//              PAYLOAD CLAIMS_DECODE EAT_PROFILE
//   L2 crypto  SIG
//   L3 claims  CTI MHASH_PRESENT MEAS MTYPE MHASH_SCHEME SECURITY_MODE
//   L4 policy  FRESH MHASH RHASH OHASH ADHASH MODEL SECURITY_MODE_POLICY
//              PLATFORM NONCE REPLAY
// L1-L3 checks are critical: a receipt verifies only if all of them pass.
// L4 checks are skipped unless the policy asks for them (SECURITY_MODE_POLICY
// always runs: "evaluation" receipts are rejected unless allowed). Codes and
// what we check beyond upstream (deterministic payload, closed maps, exact
// protected header, tag required, iat != 0, no pcr8 with TDX, text bounds):
// docs/receipt.md.
//
// The verifier never trusts a length from the input: the receipt is bounded
// to 64 KiB before decoding and the strict CBOR decoder checks every length
// against the bytes that remain.
//
// Thread-safety: pure functions. AirVerifyPolicy::seen_cti is called at most
// once per VerifyAirReceipt call, from the calling thread.
#ifndef EML_RECEIPT_AIR_H_
#define EML_RECEIPT_AIR_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"
#include "crypto/ed25519.h"

namespace eml::receipt {

inline constexpr size_t kAirMaxReceiptSize = 65536;
inline constexpr std::string_view kAirProfile = "https://spec.cyntrisec.com/air/v1";
inline constexpr std::string_view kMeasurementNitro = "nitro-pcr";
inline constexpr std::string_view kMeasurementTdx = "tdx-mrtd-rtmr";
// Not in upstream AIR v1, which has no SEV-SNP type: our extension
// (docs/receipt.md, "SEV-SNP measurements"); verifiers that know only the
// two upstream types reject such receipts (MTYPE), which fails closed.
inline constexpr std::string_view kMeasurementSnp = "sev-snp";
inline constexpr std::string_view kSecurityModeProduction = "production";
inline constexpr std::string_view kSecurityModeEvaluation = "evaluation";

// Enclave measurements (claim -65543). For TDX, pcr0..pcr4 hold MRTD and
// RTMR0..RTMR3; for SEV-SNP, pcr0 MEASUREMENT, pcr1 HOST_DATA followed by 16
// zero bytes, pcr2 ID_KEY_DIGEST, and nothing else; pcr8 is Nitro-only.
struct AirMeasurements {
  std::string type{};                // kMeasurementNitro, kMeasurementTdx or kMeasurementSnp
  Bytes pcr0{}, pcr1{}, pcr2{};      // 48 bytes each
  std::optional<Bytes> pcr3{}, pcr4{}, pcr8{};  // 48 bytes each when present
  friend bool operator==(const AirMeasurements&, const AirMeasurements&) = default;
};

// The receipt measurements of a platform ("nitro", "tdx", "snp") from its
// measurements keyed like the policy's names (policy/policy.h): nitro PCR
// indices 0..2 (the others are not carried), tdx 0 mrtd and 1..4 rtmr0..3,
// snp 0 measurement, 1 host_data, 2 id_key_digest. InvalidArgument for an
// unknown platform or a missing or wrongly sized value.
StatusOr<AirMeasurements> AirMeasurementsFor(std::string_view platform,
                                             const std::map<uint32_t, Bytes>& measurements);
// The measurement_type a platform's receipts carry ("" if unknown).
std::string_view AirMeasurementTypeFor(std::string_view platform);

// The claims of one receipt (eat_profile is implied: always kAirProfile).
struct AirClaims {
  std::string iss{};                 // 1..256 bytes
  uint64_t iat = 0;                  // Unix seconds, != 0
  Bytes cti{};                       // 16 bytes, not all zero
  std::optional<Bytes> eat_nonce{};  // 8..64 bytes
  std::string model_id{};            // 1..256 bytes
  std::string model_version{};       // 1..128 bytes
  Bytes model_hash{};                // 32 bytes, not all zero
  Bytes request_hash{};              // 32 bytes
  Bytes response_hash{};             // 32 bytes
  Bytes attestation_doc_hash{};      // 32 bytes
  AirMeasurements measurements{};
  std::string policy_version{};      // 1..256 bytes
  uint64_t sequence_number = 0;
  uint64_t execution_time_ms = 0;
  uint64_t memory_peak_mb = 0;
  std::string security_mode{};       // "production" or "evaluation"
  // "sha256-single", "sha256-concat" or "sha256-manifest".
  std::optional<std::string> model_hash_scheme{};
  friend bool operator==(const AirClaims&, const AirClaims&) = default;
};

// The payload: the claims as a deterministically encoded CBOR map.
// InvalidArgument, whose message names the violated rule's failure code, if
// any claim breaks a constraint the verifier checks.
StatusOr<Bytes> EncodeAirClaims(const AirClaims& claims);

// A complete receipt (tagged COSE_Sign1) signed with `key`.
StatusOr<Bytes> SignAirReceipt(const crypto::Ed25519PrivateKey& key, const AirClaims& claims);

// What a verifier requires beyond the structure. Unset fields skip their
// check. Freshness needs `now_unix_seconds`; with max_age_secs set and no
// time, FRESH fails with CLOCK_ERROR rather than guessing.
struct AirVerifyPolicy {
  std::optional<Bytes> expected_nonce{};
  std::optional<Bytes> expected_model_hash{};
  std::optional<Bytes> expected_request_hash{};
  std::optional<Bytes> expected_response_hash{};
  std::optional<Bytes> expected_attestation_doc_hash{};
  std::optional<std::string> expected_model_id{};
  std::optional<std::string> expected_platform{};  // a measurement type
  std::optional<uint64_t> max_age_secs{};
  uint64_t clock_skew_secs = 0;      // how far iat may be ahead of now
  std::optional<int64_t> now_unix_seconds{};
  bool allow_evaluation_mode = false;
  bool require_nonce = false;
  // Replay detection: returns true if `cti` was seen before. Called only for
  // a receipt that passed every other check (so a forged receipt cannot
  // plant a cti), at most once; it should record the cti atomically.
  std::function<bool(ByteSpan cti)> seen_cti{};
};

struct AirCheck {
  enum class Result { kPass, kFail, kSkip };
  std::string id{};                  // "SIG", "MEAS", ...
  Result result = Result::kSkip;
  std::string code{};                // failure code when kFail, else ""
  std::string detail{};              // human-readable; never contains key material
};

struct AirVerifyResult {
  bool verified = false;
  std::vector<AirCheck> checks{};    // every check, in layer order
  // The decoded claims whenever the payload decoded, even if verification
  // failed (for diagnostics): trust them only when `verified`.
  std::optional<AirClaims> claims{};
  std::string failure_code{};        // the first failing check's code; "" if verified
};

AirVerifyResult VerifyAirReceipt(ByteSpan receipt, ByteSpan ed25519_public_key,
                                 const AirVerifyPolicy& policy);

std::string_view AirCheckResultName(AirCheck::Result result);  // "PASS" ...

}  // namespace eml::receipt

#endif  // EML_RECEIPT_AIR_H_

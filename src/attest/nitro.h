// AWS Nitro Enclaves attestation documents: parse and verify, with one code
// path for real documents (AWS root) and development documents (dev root,
// attest/dev_provider.h).
//
// A document is a COSE_Sign1 (ES384) whose payload is a CBOR map with
// module_id, digest, timestamp, pcrs, certificate, cabundle and the optional
// public_key, user_data and nonce (AWS "Verifying the root of trust").
// VerifyNitroEvidence runs these checks and reports each one
// (attest/evidence.h); a check runs only when the checks it depends on passed,
// otherwise it is listed as NOT_RUN:
//
//   COSE_DECODE          COSE_Sign1 (tagged or untagged, <= 64 KiB), protected
//                        alg ES384, payload attached
//   PAYLOAD_FIELDS       the payload map (definite or indefinite length) has
//                        every field with its type and limit (after COSE_DECODE)
//   ROOT_PINNED          cabundle[0] is byte-identical to one of the pinned
//                        roots; that one is the trust anchor (after PAYLOAD_FIELDS)
//   SIGNATURE            the leaf certificate is not a CA, its key is P-384 and
//                        the COSE signature verifies with it (after PAYLOAD_FIELDS)
//   CHAIN_VALID_AT_TIME  certificate <- cabundle[1..] <- matched root verifies
//                        at the chain time (after ROOT_PINNED and SIGNATURE)
//   CABUNDLE_ORDER       cabundle[0] is a self-issued root, every later entry
//                        is a CA certificate whose issuer name is the previous
//                        entry's subject, subjects are distinct, and the
//                        leaf's issuer is the last entry's subject (after
//                        PAYLOAD_FIELDS). With CHAIN_VALID_AT_TIME this makes
//                        the verified path exactly leaf, cabundle[n-1], ...,
//                        cabundle[0]: distinct subjects leave the path
//                        builder one candidate per step.
//   NOT_DEBUG_MODE       PCR0, PCR1 and PCR2 are present and not all zero
//                        (all zero is what a debug-mode enclave reports);
//                        passes for a debug document only with allow_debug
//                        (after PAYLOAD_FIELDS)
//   NOT_FUTURE           with a clock: timestamp <= now + max future skew
//                        (after SIGNATURE)
//   MAX_AGE              with a clock and a maximum age: now - timestamp <=
//                        max age (after SIGNATURE)
//
// The chain time: chain_time_unix_seconds if given; otherwise, with a clock
// (a live session), the later of now and the document's timestamp, so an
// expired chain never passes a live check (the later of the two only spares
// a client whose clock is a little behind, within NOT_FUTURE's skew);
// without a clock (archived evidence), the document's own timestamp, so
// archived documents stay verifiable after their three-hour leaf expires. A
// maximum age without a clock is an invalid option rather than a silent
// archived check. Policy (which PCRs and roots are acceptable, nonce
// binding) is the caller's job.
//
// Format notes and limits: docs/attestation.md. Thread-safety: pure
// functions; options borrow the pinned roots for the duration of the call.
#ifndef EML_ATTEST_NITRO_H_
#define EML_ATTEST_NITRO_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/evidence.h"
#include "core/bytes.h"
#include "core/clock.h"
#include "core/status.h"

namespace eml::attest {

inline constexpr size_t kNitroMaxDocumentSize = 64 * 1024;
inline constexpr size_t kNitroMaxOptionalFieldSize = kMaxAttestFieldSize;  // public_key, user_data, nonce
inline constexpr size_t kNitroMaxPcrs = 32;
inline constexpr size_t kNitroMaxCabundle = 8;
inline constexpr size_t kNitroMaxPinnedRoots = 16;
inline constexpr int64_t kNitroDefaultFutureSkewMillis = 60'000;

// Check identifiers of the hardening checks (the others are in evidence.h).
inline constexpr std::string_view kCheckCabundleOrder = "CABUNDLE_ORDER";
inline constexpr std::string_view kCheckNotDebugMode = "NOT_DEBUG_MODE";

struct NitroDocument {
  std::string module_id;
  int64_t timestamp_ms = 0;
  std::map<uint32_t, Bytes> pcrs;  // index -> 48-byte SHA-384 value
  Bytes certificate_der;
  std::vector<Bytes> cabundle_der;  // root first, as AWS orders it
  std::optional<Bytes> public_key;
  std::optional<Bytes> user_data;
  std::optional<Bytes> nonce;
};

// Parses without verifying anything but structure and limits.
StatusOr<NitroDocument> ParseNitroDocument(ByteSpan document);

struct NitroVerifyOptions {
  // Candidate trust anchors (DER), borrowed for the call; 1..16 of them.
  std::vector<ByteSpan> pinned_roots = {};
  // When to judge the certificate chain; nullopt: the later of now and the
  // document's timestamp with a clock, the document's timestamp without one.
  std::optional<int64_t> chain_time_unix_seconds = std::nullopt;
  // "Now" for the chain, NOT_FUTURE and MAX_AGE; null: archived evidence.
  const Clock* clock = nullptr;
  // The oldest acceptable document; needs a clock (InvalidArgument without
  // one); nullopt: MAX_AGE does not run.
  std::optional<int64_t> max_age_millis = std::nullopt;
  int64_t max_future_skew_millis = kNitroDefaultFutureSkewMillis;
  // Accept debug-mode documents (PCR0..2 all zero) in NOT_DEBUG_MODE.
  bool allow_debug = false;
};

struct NitroVerification {
  EvidenceReport report;
  // Set once PAYLOAD_FIELDS passed; trust it only if verified().
  std::optional<NitroDocument> document;
  std::optional<size_t> matched_root;  // index into options.pinned_roots
  int64_t chain_time_unix_seconds = 0;  // what the chain was (or would be) judged at
  bool verified() const { return report.verified(); }
};

// Runs every check above. The returned Status is an error only for invalid
// options (no pinned roots, negative limits, a maximum age without a clock);
// a bad document is a report whose verified() is false.
StatusOr<NitroVerification> VerifyNitroEvidence(ByteSpan document, const NitroVerifyOptions& options);

// VerifyNitroEvidence with one pinned root, the chain judged at the
// document's timestamp and no freshness checks: the document if verified,
// else the first failed check as a Status.
StatusOr<NitroDocument> VerifyNitroDocument(ByteSpan document, ByteSpan pinned_root_der);

}  // namespace eml::attest

#endif  // EML_ATTEST_NITRO_H_

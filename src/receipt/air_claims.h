// Internal to src/receipt: the AIR v1 claims map <-> AirClaims, and the rules
// on claim values that both the encoder and the verifier apply.
//
// A rule that fails yields a Finding: a stable failure code (the strings in
// docs/receipt.md) and a human-readable detail. Values from the receipt that
// appear in a code or detail (an unknown measurement type, say) go through
// Printable(), so hostile text cannot carry control characters to a terminal
// or grow a report without bound.
//
// Thread-safety: pure functions.
#ifndef EML_RECEIPT_AIR_CLAIMS_H_
#define EML_RECEIPT_AIR_CLAIMS_H_

#include <string>
#include <string_view>

#include "cbor/value.h"
#include "core/bytes.h"
#include "core/status.h"
#include "receipt/air.h"

namespace eml::receipt::internal {

// An empty code means the rule held.
struct Finding {
  std::string code;
  std::string detail;
  bool ok() const { return code.empty(); }
};

inline Finding Holds() { return {}; }
inline Finding Violation(std::string code, std::string detail) {
  return {std::move(code), std::move(detail)};
}

// `text` with bytes outside printable ASCII replaced by '?', cut to 64
// characters (with "..." appended when cut).
std::string Printable(std::string_view text);

// The claims map, eat_profile included. Values are not checked here.
// The reference for EncodeClaimsDirect: cbor::Encode of this value.
cbor::Value ClaimsToValue(const AirClaims& claims);

// The same bytes as cbor::Encode(ClaimsToValue(claims)), written straight
// into one buffer without building a cbor::Value tree (it runs per request).
// Keys go out in deterministic order (RFC 8949 4.2.1), which is the order of
// the claim table and, in the measurements map, pcr0..pcr8 then
// measurement_type. InvalidArgument when a text is not valid UTF-8, as for
// cbor::Encode. Values are not checked here.
StatusOr<Bytes> EncodeClaimsDirect(const AirClaims& claims);

// CLAIMS_DECODE: `payload` must be one CBOR map in deterministic encoding
// with no duplicate keys, only the keys of the claim table, every required
// claim, the right CBOR types, and field values within CheckClaimFields.
// On success fills *claims and *profile (checked later, by EAT_PROFILE).
//
// Payloads of the valid shape are read in one pass without a cbor::Value
// tree (CanonicalClaimsReader); any other payload goes to
// DecodeClaimsWithTree, which gives every failure code.
Finding DecodeClaims(ByteSpan payload, AirClaims* claims, std::string* profile);

// The reference decode: strict cbor::Decode to a tree, then the same rules.
// DecodeClaims must agree with it on every payload (air_encode_test.cc).
Finding DecodeClaimsWithTree(ByteSpan payload, AirClaims* claims, std::string* profile);

// Sizes and bounds of individual fields: text lengths, iat != 0, cti 16
// bytes, hashes 32 bytes, eat_nonce 8..64 bytes.
Finding CheckClaimFields(const AirClaims& claims);

// Layer 3, one function per check.
Finding CheckCti(const AirClaims& claims);               // CTI
Finding CheckModelHashPresent(const AirClaims& claims);  // MHASH_PRESENT
Finding CheckMeasurements(const AirClaims& claims);      // MEAS
Finding CheckMeasurementType(const AirClaims& claims);   // MTYPE
Finding CheckModelHashScheme(const AirClaims& claims);   // MHASH_SCHEME
Finding CheckSecurityMode(const AirClaims& claims);      // SECURITY_MODE

}  // namespace eml::receipt::internal

#endif  // EML_RECEIPT_AIR_CLAIMS_H_

// Building AIR v1 receipts: EncodeAirClaims and SignAirReceipt (air.h).
#include <array>

#include "cbor/encode.h"
#include "cose/sign1.h"
#include "receipt/air.h"
#include "receipt/air_claims.h"

namespace eml::receipt {

namespace {

// Every rule the verifier applies to the claims (CLAIMS_DECODE's field rules
// and all of layer 3), so we never sign a receipt that would not verify.
Status ValidateClaims(const AirClaims& claims) {
  using Rule = internal::Finding (*)(const AirClaims&);
  constexpr std::array<Rule, 7> kRules = {
      internal::CheckClaimFields,      internal::CheckCti,
      internal::CheckModelHashPresent, internal::CheckMeasurements,
      internal::CheckMeasurementType,  internal::CheckModelHashScheme,
      internal::CheckSecurityMode,
  };
  for (Rule rule : kRules) {
    internal::Finding found = rule(claims);
    if (!found.ok()) return InvalidArgumentError("air: " + found.code + ": " + found.detail);
  }
  return OkStatus();
}

}  // namespace

StatusOr<Bytes> EncodeAirClaims(const AirClaims& claims) {
  RETURN_IF_ERROR(ValidateClaims(claims));
  // Byte for byte cbor::Encode(ClaimsToValue(claims)) (air_encode_test.cc),
  // without building the cbor::Value tree on every request.
  return internal::EncodeClaimsDirect(claims);
}

StatusOr<Bytes> SignAirReceipt(const crypto::Ed25519PrivateKey& key, const AirClaims& claims) {
  ASSIGN_OR_RETURN(Bytes payload, EncodeAirClaims(claims));
  // BuildSign1 adds alg (-8) from the key; with content type 61 the
  // deterministic encoder yields exactly a2 01 27 03 18 3d.
  cose::Sign1BuildParams params{
      .protected_headers = {{cbor::Value::Int(cose::kLabelContentType), cbor::Value::Int(61)}},
      .payload = payload,
  };
  ASSIGN_OR_RETURN(Bytes receipt, cose::BuildSign1(key, params));
  if (receipt.size() > kAirMaxReceiptSize) {
    return LimitExceededError("air: receipt of " + std::to_string(receipt.size()) +
                              " bytes exceeds 65536");
  }
  return receipt;
}

}  // namespace eml::receipt

// Verifying AIR v1 receipts: VerifyAirReceipt (air.h), layer by layer.
//
// Every check has a slot in a fixed list and starts as SKIP; a layer that
// cannot run (its input did not decode) leaves its checks skipped, which a
// critical check may not be. Later layers run even when earlier ones failed,
// so a report shows everything that is wrong, except REPLAY, which runs only
// for an otherwise valid receipt.
#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "cbor/decode.h"
#include "cose/sign1.h"
#include "crypto/ed25519.h"
#include "receipt/air.h"
#include "receipt/air_claims.h"

namespace eml::receipt {

namespace {

using internal::Finding;
using internal::Holds;
using internal::Violation;

enum CheckIndex : size_t {
  // L1 parse
  kSize, kCoseDecode, kUnprotected, kAlg, kContentType, kProtectedHeader, kPayload,
  kClaimsDecode, kEatProfile,
  // L2 crypto
  kSig,
  // L3 claims
  kCti, kMhashPresent, kMeas, kMtype, kMhashScheme, kSecurityMode,
  // L4 policy: not critical (a skip is fine)
  kFresh, kMhash, kRhash, kOhash, kAdhash, kModel, kSecurityModePolicy, kPlatform, kNonce,
  kReplay, kCheckCount,
};

constexpr std::array<const char*, kCheckCount> kCheckIds = {
    "SIZE", "COSE_DECODE", "UNPROTECTED", "ALG", "CONTENT_TYPE", "PROTECTED_HEADER", "PAYLOAD",
    "CLAIMS_DECODE", "EAT_PROFILE", "SIG", "CTI", "MHASH_PRESENT", "MEAS", "MTYPE",
    "MHASH_SCHEME", "SECURITY_MODE", "FRESH", "MHASH", "RHASH", "OHASH", "ADHASH", "MODEL",
    "SECURITY_MODE_POLICY", "PLATFORM", "NONCE", "REPLAY",
};

constexpr bool IsCritical(size_t index) { return index < kFresh; }

// The only protected header AIR v1 allows: {1: -8, 3: 61}.
constexpr std::array<uint8_t, 6> kAirProtectedHeader = {0xa2, 0x01, 0x27, 0x03, 0x18, 0x3d};
constexpr int64_t kContentTypeCwt = 61;
constexpr size_t kMaxEnvelopeItems = 256;

class Report {
 public:
  Report() {
    checks_.reserve(kCheckCount);
    for (const char* id : kCheckIds) {
      AirCheck check;
      check.id = id;
      checks_.push_back(std::move(check));
    }
  }

  void Record(CheckIndex index, Finding finding) {
    AirCheck& check = checks_[index];
    check.result = finding.ok() ? AirCheck::Result::kPass : AirCheck::Result::kFail;
    check.code = std::move(finding.code);
    check.detail = std::move(finding.detail);
  }
  void Skip(CheckIndex index, std::string detail) {
    checks_[index].result = AirCheck::Result::kSkip;
    checks_[index].detail = std::move(detail);
  }
  bool Passed(CheckIndex index) const { return checks_[index].result == AirCheck::Result::kPass; }
  bool AnyFailed() const {
    for (const AirCheck& check : checks_) {
      if (check.result == AirCheck::Result::kFail) return true;
    }
    return false;
  }

  AirVerifyResult Finish(std::optional<AirClaims> claims) && {
    AirVerifyResult result;
    result.verified = true;
    for (size_t i = 0; i < kCheckCount; ++i) {
      AirCheck& check = checks_[i];
      if (check.result == AirCheck::Result::kSkip && check.detail.empty()) {
        check.detail = "not run: its input did not decode";
      }
      bool failed = check.result == AirCheck::Result::kFail;
      if (failed && result.failure_code.empty()) result.failure_code = check.code;
      if (failed || (IsCritical(i) && check.result != AirCheck::Result::kPass)) {
        result.verified = false;
      }
    }
    // Unreachable by construction (a critical check is skipped only after
    // another failed), but the verdict must never be silently negative.
    if (!result.verified && result.failure_code.empty()) {
      result.failure_code = "CRITICAL_CHECK_SKIPPED";
    }
    result.checks = std::move(checks_);
    result.claims = std::move(claims);
    return result;
  }

 private:
  std::vector<AirCheck> checks_;
};

// The four COSE_Sign1 elements, copied out of the decoded message.
struct Envelope {
  Bytes protected_bytes;
  cbor::Value protected_headers;  // map
  cbor::Value unprotected;        // map
  std::optional<Bytes> payload;   // nullopt: nil
  Bytes signature;
};

Finding DecodeFailed(std::string detail) {
  return Violation("COSE_DECODE_FAILED", std::move(detail));
}

Finding DecodeProtected(const Bytes& bytes, cbor::Value* out) {
  if (bytes.empty()) {
    *out = cbor::Value::FromMap({});
    return Holds();
  }
  StatusOr<cbor::Value> headers =
      cbor::Decode(bytes, {.max_depth = 4, .max_items = kMaxEnvelopeItems});
  if (!headers.ok()) return DecodeFailed("protected header: " + headers.status().message());
  if (!headers->is_map()) return DecodeFailed("protected header is not a map");
  *out = std::move(headers).value();
  return Holds();
}

// COSE_DECODE: #6.18([bstr, map, bstr / nil, bstr]) in deterministic CBOR.
Finding DecodeEnvelope(ByteSpan receipt, Envelope* out) {
  StatusOr<cbor::Value> root = cbor::Decode(receipt, {.max_depth = 8,
                                                      .max_items = kMaxEnvelopeItems,
                                                      .max_size = kAirMaxReceiptSize,
                                                      .require_deterministic = true});
  if (!root.ok()) return DecodeFailed(root.status().message());
  if (!root->is_tag()) return DecodeFailed("not tagged; AIR v1 requires tag 18 (COSE_Sign1)");
  if (root->tag() != cose::kSign1Tag) {
    return DecodeFailed("tag " + std::to_string(root->tag()) + " is not 18 (COSE_Sign1)");
  }
  const cbor::Value& message = root->tag_content();
  if (!message.is_array() || message.array().size() != 4) {
    return DecodeFailed("COSE_Sign1 must be an array of 4 elements");
  }
  const cbor::Array& items = message.array();
  if (!items[0].is_bytes()) return DecodeFailed("protected header is not a bstr");
  if (!items[1].is_map()) return DecodeFailed("unprotected header is not a map");
  if (!items[2].is_bytes() && !items[2].is_null()) {
    return DecodeFailed("payload is neither bstr nor nil");
  }
  if (!items[3].is_bytes()) return DecodeFailed("signature is not a bstr");
  out->protected_bytes = items[0].bytes();
  out->unprotected = items[1];
  if (items[2].is_bytes()) out->payload = items[2].bytes();
  out->signature = items[3].bytes();
  return DecodeProtected(out->protected_bytes, &out->protected_headers);
}

Finding CheckAlg(const cbor::Value& headers) {
  const cbor::Value* alg = headers.FindInt(cose::kLabelAlg);
  if (alg == nullptr) return Violation("BAD_ALG", "alg missing from the protected header");
  if (*alg == cbor::Value::Int(static_cast<int64_t>(cose::Algorithm::kEdDSA))) return Holds();
  StatusOr<int64_t> id = alg->AsInt64();
  return Violation("BAD_ALG", id.ok() ? "alg is " + std::to_string(*id) + ", not -8 (EdDSA)"
                                      : std::string("alg is not an integer"));
}

Finding CheckContentType(const cbor::Value& headers) {
  const cbor::Value* type = headers.FindInt(cose::kLabelContentType);
  if (type == nullptr) return Violation("BAD_CONTENT_TYPE", "content type missing");
  if (*type == cbor::Value::Int(kContentTypeCwt)) return Holds();
  return Violation("BAD_CONTENT_TYPE", "content type is not 61 (application/cwt)");
}

Finding CheckProtectedBytes(const Envelope& envelope) {
  const Bytes& bytes = envelope.protected_bytes;
  if (std::equal(bytes.begin(), bytes.end(), kAirProtectedHeader.begin(),
                 kAirProtectedHeader.end())) {
    return Holds();
  }
  size_t count = envelope.protected_headers.map().size();
  if (count != 2) {
    return Violation("BAD_PROTECTED_HEADER", "protected header has " + std::to_string(count) +
                                                 " parameters; only alg and content type allowed");
  }
  return Violation("BAD_PROTECTED_HEADER", "protected header is not encoded as a2012703183d");
}

// UNPROTECTED, ALG, CONTENT_TYPE, PROTECTED_HEADER.
void CheckHeaders(const Envelope& envelope, Report* report) {
  report->Record(kUnprotected, envelope.unprotected.map().empty()
                                   ? Holds()
                                   : Violation("NON_EMPTY_UNPROTECTED",
                                               "unprotected header must be an empty map"));
  report->Record(kAlg, CheckAlg(envelope.protected_headers));
  report->Record(kContentType, CheckContentType(envelope.protected_headers));
  if (report->Passed(kAlg) && report->Passed(kContentType)) {
    report->Record(kProtectedHeader, CheckProtectedBytes(envelope));
  } else {
    report->Skip(kProtectedHeader, "alg or content type already failed");
  }
}

// PAYLOAD, CLAIMS_DECODE, EAT_PROFILE. Returns the claims if they decoded.
std::optional<AirClaims> CheckPayload(const Envelope& envelope, Report* report) {
  if (!envelope.payload.has_value() || envelope.payload->empty()) {
    report->Record(kPayload, Violation("MISSING_PAYLOAD", "payload is nil or empty"));
    return std::nullopt;
  }
  report->Record(kPayload, Holds());
  AirClaims claims;
  std::string profile;
  Finding decoded = internal::DecodeClaims(*envelope.payload, &claims, &profile);
  bool ok = decoded.ok();
  report->Record(kClaimsDecode, std::move(decoded));
  if (!ok) return std::nullopt;
  report->Record(kEatProfile, profile == kAirProfile
                                  ? Holds()
                                  : Violation("WRONG_PROFILE", "eat_profile is '" +
                                                                   internal::Printable(profile) +
                                                                   "', not AIR v1"));
  return claims;
}

// SIG (layer 2): Ed25519 over Sig_structure1 with an empty external_aad.
Finding CheckSignature(const Envelope& envelope, ByteSpan public_key) {
  if (envelope.signature.size() != crypto::kEd25519SignatureSize) {
    return Violation("BAD_SIG_LENGTH", "signature is " + std::to_string(envelope.signature.size()) +
                                           " bytes, not 64");
  }
  if (public_key.size() != crypto::kEd25519PublicKeySize) {
    return Violation("BAD_PUBLIC_KEY", "verification key is " +
                                           std::to_string(public_key.size()) + " bytes, not 32");
  }
  StatusOr<Bytes> to_be_signed = cose::Sign1ToBeSigned(envelope.protected_bytes, {},
                                                        *envelope.payload);
  if (!to_be_signed.ok()) return Violation("SIG_FAILED", to_be_signed.status().message());
  Status verified = crypto::Ed25519Verify(public_key, *to_be_signed, envelope.signature);
  if (!verified.ok()) return Violation("SIG_FAILED", "Ed25519 signature does not verify");
  return Holds();
}

void CheckClaims(const AirClaims& claims, Report* report) {
  report->Record(kCti, internal::CheckCti(claims));
  report->Record(kMhashPresent, internal::CheckModelHashPresent(claims));
  report->Record(kMeas, internal::CheckMeasurements(claims));
  report->Record(kMtype, internal::CheckMeasurementType(claims));
  report->Record(kMhashScheme, internal::CheckModelHashScheme(claims));
  report->Record(kSecurityMode, internal::CheckSecurityMode(claims));
}

Finding CheckFreshness(uint64_t iat, const AirVerifyPolicy& policy) {
  if (!policy.now_unix_seconds.has_value() || *policy.now_unix_seconds < 0) {
    return Violation("CLOCK_ERROR", "max_age_secs is set but no valid current time was given");
  }
  const uint64_t now = static_cast<uint64_t>(*policy.now_unix_seconds);
  if (iat > now && iat - now > policy.clock_skew_secs) {
    return Violation("TIMESTAMP_FUTURE", "iat is " + std::to_string(iat - now) +
                                             " s in the future (skew allowed " +
                                             std::to_string(policy.clock_skew_secs) + " s)");
  }
  if (now > iat && now - iat > *policy.max_age_secs) {
    return Violation("TIMESTAMP_STALE", "receipt is " + std::to_string(now - iat) +
                                            " s old (max " +
                                            std::to_string(*policy.max_age_secs) + " s)");
  }
  return Holds();
}

// Records `index` as a comparison with an optional expected value.
template <typename T>
void Expect(Report* report, CheckIndex index, const std::optional<T>& expected, const T& actual,
            const char* code, const char* what) {
  if (!expected.has_value()) {
    report->Skip(index, "not requested by the policy");
    return;
  }
  if (*expected == actual) {
    report->Record(index, Holds());
  } else {
    report->Record(index, Violation(code, std::string(what) + " differs from the expected value"));
  }
}

Finding CheckNonce(const std::optional<Bytes>& nonce, const AirVerifyPolicy& policy) {
  if (!nonce.has_value()) return Violation("NONCE_MISSING", "eat_nonce is required but absent");
  if (policy.expected_nonce.has_value() && *policy.expected_nonce != *nonce) {
    return Violation("NONCE_MISMATCH", "eat_nonce differs from the expected challenge");
  }
  return Holds();
}

void CheckPolicy(const AirClaims& claims, const AirVerifyPolicy& policy, Report* report) {
  if (policy.max_age_secs.has_value()) {
    report->Record(kFresh, CheckFreshness(claims.iat, policy));
  } else {
    report->Skip(kFresh, "no max_age_secs in the policy");
  }
  Expect(report, kMhash, policy.expected_model_hash, claims.model_hash, "MODEL_HASH_MISMATCH",
         "model_hash");
  Expect(report, kRhash, policy.expected_request_hash, claims.request_hash,
         "REQUEST_HASH_MISMATCH", "request_hash");
  Expect(report, kOhash, policy.expected_response_hash, claims.response_hash,
         "RESPONSE_HASH_MISMATCH", "response_hash");
  Expect(report, kAdhash, policy.expected_attestation_doc_hash, claims.attestation_doc_hash,
         "ATTESTATION_DOC_HASH_MISMATCH", "attestation_doc_hash");
  Expect(report, kModel, policy.expected_model_id, claims.model_id, "MODEL_ID_MISMATCH",
         "model_id");
  bool evaluation = claims.security_mode == kSecurityModeEvaluation;
  report->Record(kSecurityModePolicy,
                 evaluation && !policy.allow_evaluation_mode
                     ? Violation("EVALUATION_MODE_REJECTED",
                                 "security_mode is evaluation and the policy does not allow it")
                     : Holds());
  Expect(report, kPlatform, policy.expected_platform, claims.measurements.type,
         "PLATFORM_MISMATCH", "measurement_type");
  if (policy.expected_nonce.has_value() || policy.require_nonce) {
    report->Record(kNonce, CheckNonce(claims.eat_nonce, policy));
  } else {
    report->Skip(kNonce, "not requested by the policy");
  }
}

// REPLAY last, and only for a receipt that passed everything else, so the
// callback never records the cti of a forged or rejected receipt.
void CheckReplay(const AirClaims& claims, const AirVerifyPolicy& policy, Report* report) {
  if (!policy.seen_cti) {
    report->Skip(kReplay, "no seen_cti callback in the policy");
  } else if (report->AnyFailed()) {
    report->Skip(kReplay, "not consulted: another check failed");
  } else {
    report->Record(kReplay, policy.seen_cti(claims.cti)
                                ? Violation("REPLAY_CTI", "cti was seen before")
                                : Holds());
  }
}

}  // namespace

std::string_view AirCheckResultName(AirCheck::Result result) {
  switch (result) {
    case AirCheck::Result::kPass:
      return "PASS";
    case AirCheck::Result::kFail:
      return "FAIL";
    case AirCheck::Result::kSkip:
      return "SKIP";
  }
  return "?";
}

AirVerifyResult VerifyAirReceipt(ByteSpan receipt, ByteSpan ed25519_public_key,
                                 const AirVerifyPolicy& policy) {
  Report report;
  if (receipt.size() > kAirMaxReceiptSize) {
    report.Record(kSize, Violation("RECEIPT_TOO_LARGE", "receipt is " +
                                                            std::to_string(receipt.size()) +
                                                            " bytes; the limit is 65536"));
    return std::move(report).Finish(std::nullopt);
  }
  report.Record(kSize, Holds());
  Envelope envelope;
  Finding decoded = DecodeEnvelope(receipt, &envelope);
  bool envelope_ok = decoded.ok();
  report.Record(kCoseDecode, std::move(decoded));
  if (!envelope_ok) return std::move(report).Finish(std::nullopt);

  CheckHeaders(envelope, &report);
  std::optional<AirClaims> claims = CheckPayload(envelope, &report);
  if (!report.Passed(kAlg)) {
    report.Skip(kSig, "not verified under an algorithm other than EdDSA");
  } else if (envelope.payload.has_value()) {
    report.Record(kSig, CheckSignature(envelope, ed25519_public_key));
  }
  if (claims.has_value()) {
    CheckClaims(*claims, &report);
    CheckPolicy(*claims, policy, &report);
    CheckReplay(*claims, policy, &report);
  }
  return std::move(report).Finish(std::move(claims));
}

}  // namespace eml::receipt

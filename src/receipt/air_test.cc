// AIR v1 rules beyond the upstream vectors: each negative test builds a
// receipt that breaks exactly one rule and signs it with the test key, so
// the rule under test is the only check that fails. Mutations start from the
// upstream golden payload (decoded with the CBOR library, changed, and
// re-encoded), or from raw bytes where the point is a non-deterministic
// encoding the encoder cannot produce.
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cbor/decode.h"
#include "cbor/encode.h"
#include "core/encoding.h"
#include "cose/sign1.h"
#include "crypto/ed25519.h"
#include "receipt/air.h"
#include "tests/testing.h"

namespace eml::receipt {
namespace {

using cbor::Value;
using testing::Hex;

// Claim keys (docs/receipt.md), written out here rather than taken from the
// library so the tests pin the table.
constexpr int64_t kIss = 1, kIat = 6, kCti = 7, kNonce = 10, kProfile = 265;
constexpr int64_t kModelId = -65537, kModelVersion = -65538, kModelHash = -65539;
constexpr int64_t kRequestHash = -65540, kMeasurements = -65543, kSecurityMode = -65548;
constexpr int64_t kModelHashScheme = -65549;

const Bytes& TestSeed() {
  static const Bytes seed(32, 0x2a);
  return seed;
}

crypto::Ed25519PrivateKey TestKey() {
  return crypto::Ed25519PrivateKey::FromSeed(TestSeed()).value();
}

// a2 01 27 03 18 3d: {1: -8, 3: 61}.
Bytes GoodProtected() { return Hex("a2012703183d"); }

std::string NitroVector() {
  return testing::SharedPath("vectors/air-v1/valid/v1-nitro-no-nonce.json");
}

Value GoldenPayload() {
  nlohmann::json v = testing::ReadJsonOrFail(NitroVector());
  return cbor::Decode(Hex(v["payload_hex"])).value();
}

Value& Claim(Value& map, int64_t key) {
  for (auto& [k, v] : map.mutable_map()) {
    if (k == Value::Int(key)) return v;
  }
  map.mutable_map().emplace_back(Value::Int(key), Value());
  return map.mutable_map().back().second;
}

void Erase(Value& map, const Value& key) {
  auto& entries = map.mutable_map();
  std::erase_if(entries, [&](const auto& entry) { return entry.first == key; });
}

Value& Measurement(Value& payload, const std::string& key) {
  Value& m = Claim(payload, kMeasurements);
  for (auto& [k, v] : m.mutable_map()) {
    if (k == Value::Text(key)) return v;
  }
  m.mutable_map().emplace_back(Value::Text(key), Value());
  return m.mutable_map().back().second;
}

// A COSE_Sign1 with the given parts, signed over Sig_structure1 with the
// test key. `signature_size` shorter than 64 truncates the signature.
struct EnvelopeParts {
  Bytes protected_bytes = GoodProtected();
  Value unprotected = Value::FromMap({});
  std::optional<Bytes> payload;
  bool tagged = true;
  uint64_t tag = 18;
  size_t signature_size = 64;
};

Bytes Sign(const EnvelopeParts& parts) {
  Bytes payload = parts.payload.value_or(Bytes{});
  Bytes tbs = cose::Sign1ToBeSigned(parts.protected_bytes, {}, payload).value();
  Bytes signature = TestKey().Sign(tbs).value();
  signature.resize(parts.signature_size);
  Value message = Value::FromArray({
      Value::ByteString(parts.protected_bytes),
      parts.unprotected,
      parts.payload ? Value::ByteString(*parts.payload) : Value::Null(),
      Value::ByteString(std::move(signature)),
  });
  if (parts.tagged) message = Value::Tagged(parts.tag, std::move(message));
  return cbor::Encode(message).value();
}

Bytes SignPayload(const Bytes& payload) { return Sign({.payload = payload}); }
Bytes SignClaims(const Value& payload) { return SignPayload(cbor::Encode(payload).value()); }

AirVerifyResult Verify(const Bytes& receipt, const AirVerifyPolicy& policy = {}) {
  return VerifyAirReceipt(receipt, TestKey().PublicKey(), policy);
}

std::string Describe(const AirVerifyResult& result) {
  std::string out;
  for (const AirCheck& c : result.checks) {
    out += c.id + "=" + std::string(AirCheckResultName(c.result)) + " " + c.code + " (" +
           c.detail + "); ";
  }
  return out;
}

const AirCheck& Check(const AirVerifyResult& result, const std::string& id) {
  for (const AirCheck& check : result.checks) {
    if (check.id == id) return check;
  }
  ADD_FAILURE() << "no check " << id;
  static const AirCheck kNone;
  return kNone;
}

// Exactly one check failed: `id` with `code`; nothing else failed.
void ExpectOnlyFailure(const AirVerifyResult& result, const std::string& id,
                       const std::string& code) {
  EXPECT_FALSE(result.verified);
  EXPECT_EQ(result.failure_code, code) << Describe(result);
  for (const AirCheck& check : result.checks) {
    if (check.id == id) {
      EXPECT_EQ(check.result, AirCheck::Result::kFail) << Describe(result);
      EXPECT_EQ(check.code, code);
    } else {
      EXPECT_NE(check.result, AirCheck::Result::kFail) << Describe(result);
    }
  }
}

void ExpectSignatureChecked(const AirVerifyResult& result) {
  EXPECT_EQ(Check(result, "SIG").result, AirCheck::Result::kPass) << Describe(result);
}

AirClaims OurClaims() {
  return AirClaims{
      .iss = "ephemeralml.test",
      .iat = 1750000000,
      .cti = Bytes(16, 0x5a),
      .eat_nonce = Bytes(16, 0x6b),
      .model_id = "minilm-l6",
      .model_version = "2",
      .model_hash = Bytes(32, 0x11),
      .request_hash = Bytes(32, 0x22),
      .response_hash = Bytes(32, 0x33),
      .attestation_doc_hash = Bytes(32, 0x44),
      .measurements = {.type = std::string(kMeasurementNitro),
                       .pcr0 = Bytes(48, 1),
                       .pcr1 = Bytes(48, 2),
                       .pcr2 = Bytes(48, 3),
                       .pcr8 = Bytes(48, 8)},
      .policy_version = "policy-1",
      .sequence_number = 7,
      .execution_time_ms = 12,
      .memory_peak_mb = 90,
      .security_mode = std::string(kSecurityModeProduction),
      .model_hash_scheme = "sha256-manifest",
  };
}

// --- The golden payload itself verifies when we sign it (sanity for all
// the mutations below).

TEST(AirRules, GoldenPayloadSignedByTheHarnessVerifies) {
  AirVerifyResult result = Verify(SignClaims(GoldenPayload()));
  EXPECT_TRUE(result.verified) << Describe(result);
}

// --- Envelope (layer 1)

TEST(AirRules, UntaggedIsRejected) {
  Bytes receipt = Sign({.payload = cbor::Encode(GoldenPayload()).value(), .tagged = false});
  AirVerifyResult result = Verify(receipt);
  ExpectOnlyFailure(result, "COSE_DECODE", "COSE_DECODE_FAILED");
  EXPECT_NE(Check(result, "COSE_DECODE").detail.find("tag 18"), std::string::npos)
      << Check(result, "COSE_DECODE").detail;
}

TEST(AirRules, OtherTagIsRejected) {
  Bytes receipt = Sign({.payload = cbor::Encode(GoldenPayload()).value(), .tag = 98});
  ExpectOnlyFailure(Verify(receipt), "COSE_DECODE", "COSE_DECODE_FAILED");
}

TEST(AirRules, OversizeIsRejectedBeforeDecoding) {
  Bytes receipt(kAirMaxReceiptSize + 1, 0);
  AirVerifyResult result = Verify(receipt);
  ExpectOnlyFailure(result, "SIZE", "RECEIPT_TOO_LARGE");
  EXPECT_EQ(Check(result, "COSE_DECODE").result, AirCheck::Result::kSkip);
}

TEST(AirRules, HostileLengthCostsNothing) {
  // d2 84 5a ffffffff: a protected bstr claiming 4 GiB.
  ExpectOnlyFailure(Verify(Hex("d2845affffffff")), "COSE_DECODE", "COSE_DECODE_FAILED");
}

TEST(AirRules, TrailingBytesAreRejected) {
  Bytes receipt = SignClaims(GoldenPayload());
  receipt.push_back(0x00);
  ExpectOnlyFailure(Verify(receipt), "COSE_DECODE", "COSE_DECODE_FAILED");
}

TEST(AirRules, NonDeterministicEnvelopeIsRejected) {
  // The same message with the empty unprotected map written b9 0000 instead
  // of a0: the signature still covers the same bytes, so only the encoding
  // rule can catch it (receipt bytes must not be malleable).
  Bytes receipt = SignClaims(GoldenPayload());
  ASSERT_EQ(receipt[9], 0xa0);  // d2 84 46 <6 protected bytes> a0
  receipt[9] = 0xb9;
  receipt.insert(receipt.begin() + 10, {0x00, 0x00});
  ExpectOnlyFailure(Verify(receipt), "COSE_DECODE", "COSE_DECODE_FAILED");
}

TEST(AirRules, NonEmptyUnprotectedIsRejected) {
  Value kid = Value::FromMap({{Value::Int(4), Value::ByteString(Hex("01"))}});
  Bytes receipt = Sign({.unprotected = kid, .payload = cbor::Encode(GoldenPayload()).value()});
  AirVerifyResult result = Verify(receipt);
  ExpectOnlyFailure(result, "UNPROTECTED", "NON_EMPTY_UNPROTECTED");
  ExpectSignatureChecked(result);
}

TEST(AirRules, ExtraProtectedParameterIsRejected) {
  // {1: -8, 3: 61, 4: h'01'} (kid), correctly signed.
  Bytes receipt = Sign({.protected_bytes = Hex("a3012703183d044101"),
                        .payload = cbor::Encode(GoldenPayload()).value()});
  AirVerifyResult result = Verify(receipt);
  ExpectOnlyFailure(result, "PROTECTED_HEADER", "BAD_PROTECTED_HEADER");
  ExpectSignatureChecked(result);
}

TEST(AirRules, CritInProtectedHeaderIsRejected) {
  // {1: -8, 2: [3], 3: 61}.
  Bytes receipt = Sign({.protected_bytes = Hex("a30127028103" "03183d"),
                        .payload = cbor::Encode(GoldenPayload()).value()});
  ExpectOnlyFailure(Verify(receipt), "PROTECTED_HEADER", "BAD_PROTECTED_HEADER");
}

TEST(AirRules, NonDeterministicProtectedHeaderIsRejected) {
  // {3: 61, 1: -8}: the same map with keys in the wrong order.
  Bytes receipt = Sign({.protected_bytes = Hex("a203183d0127"),
                        .payload = cbor::Encode(GoldenPayload()).value()});
  ExpectOnlyFailure(Verify(receipt), "PROTECTED_HEADER", "BAD_PROTECTED_HEADER");
}

TEST(AirRules, MissingAlgAndWrongContentType) {
  Bytes payload = cbor::Encode(GoldenPayload()).value();
  AirVerifyResult no_alg = Verify(Sign({.protected_bytes = Hex("a103183d"), .payload = payload}));
  EXPECT_EQ(no_alg.failure_code, "BAD_ALG");
  EXPECT_EQ(Check(no_alg, "SIG").result, AirCheck::Result::kSkip);
  // {1: -8, 3: 50} (application/json).
  ExpectOnlyFailure(Verify(Sign({.protected_bytes = Hex("a20127031832"), .payload = payload})),
                    "CONTENT_TYPE", "BAD_CONTENT_TYPE");
  // {1: -8, 3: "application/cwt"}: the text form is not accepted either.
  ExpectOnlyFailure(
      Verify(Sign({.protected_bytes = Hex("a20127036f6170706c69636174696f6e2f637774"),
                   .payload = payload})),
      "CONTENT_TYPE", "BAD_CONTENT_TYPE");
}

TEST(AirRules, MissingOrEmptyPayload) {
  ExpectOnlyFailure(Verify(Sign({})), "PAYLOAD", "MISSING_PAYLOAD");
  ExpectOnlyFailure(Verify(Sign({.payload = Bytes{}})), "PAYLOAD", "MISSING_PAYLOAD");
}

TEST(AirRules, SignatureLengthAndKeyLength) {
  Bytes payload = cbor::Encode(GoldenPayload()).value();
  ExpectOnlyFailure(Verify(Sign({.payload = payload, .signature_size = 63})), "SIG",
                    "BAD_SIG_LENGTH");
  AirVerifyResult short_key = VerifyAirReceipt(SignPayload(payload), Bytes(31, 1), {});
  ExpectOnlyFailure(short_key, "SIG", "BAD_PUBLIC_KEY");
}

// --- Payload encoding (CLAIMS_DECODE)

TEST(AirRules, PayloadThatIsNotAMap) {
  ExpectOnlyFailure(Verify(SignPayload(Hex("80"))), "CLAIMS_DECODE", "PAYLOAD_NOT_MAP");
  ExpectOnlyFailure(Verify(SignPayload(Hex("ff"))), "CLAIMS_DECODE", "PAYLOAD_NOT_MAP");
  Bytes trailing = cbor::Encode(GoldenPayload()).value();
  trailing.push_back(0x00);
  ExpectOnlyFailure(Verify(SignPayload(trailing)), "CLAIMS_DECODE", "PAYLOAD_NOT_MAP");
}

TEST(AirRules, NonShortestIntegerInPayloadIsRejected) {
  Bytes payload = cbor::Encode(GoldenPayload()).value();
  ASSERT_EQ(payload[1], 0x01);  // b0 01 <iss>: key 1 ...
  payload[1] = 0x18;            // ... written as 18 01
  payload.insert(payload.begin() + 2, 0x01);
  AirVerifyResult result = Verify(SignPayload(payload));
  ExpectOnlyFailure(result, "CLAIMS_DECODE", "NON_DETERMINISTIC_PAYLOAD");
  ExpectSignatureChecked(result);
}

// The payload's entries, each encoded, in the order given (no sorting).
Bytes RawMap(const std::vector<std::pair<Value, Value>>& entries) {
  Bytes out;
  cbor::AppendHead(5, entries.size(), &out);
  for (const auto& [key, value] : entries) {
    EXPECT_TRUE(cbor::EncodeTo(key, &out).ok());
    EXPECT_TRUE(cbor::EncodeTo(value, &out).ok());
  }
  return out;
}

TEST(AirRules, DescendingKeyOrderIsRejected) {
  // Older upstream receipts have descending keys; upstream accepts them.
  std::vector<std::pair<Value, Value>> entries = GoldenPayload().map();
  std::reverse(entries.begin(), entries.end());
  AirVerifyResult result = Verify(SignPayload(RawMap(entries)));
  ExpectOnlyFailure(result, "CLAIMS_DECODE", "NON_DETERMINISTIC_PAYLOAD");
  ExpectSignatureChecked(result);
}

TEST(AirRules, DuplicateClaimIsRejected) {
  std::vector<std::pair<Value, Value>> entries = GoldenPayload().map();
  entries.insert(entries.begin() + 1, entries.front());  // iss twice, in order
  ExpectOnlyFailure(Verify(SignPayload(RawMap(entries))), "CLAIMS_DECODE", "DUPLICATE_KEY");
}

TEST(AirRules, DuplicateMeasurementKeyIsRejected) {
  Value payload = GoldenPayload();
  std::vector<std::pair<Value, Value>> m = Claim(payload, kMeasurements).map();
  m.insert(m.begin() + 1, m.front());  // pcr0 twice
  std::vector<std::pair<Value, Value>> entries = payload.map();
  Bytes raw;
  cbor::AppendHead(5, entries.size(), &raw);
  for (const auto& [key, value] : entries) {
    ASSERT_TRUE(cbor::EncodeTo(key, &raw).ok());
    if (key == Value::Int(kMeasurements)) {
      Bytes inner = RawMap(m);
      raw.insert(raw.end(), inner.begin(), inner.end());
    } else {
      ASSERT_TRUE(cbor::EncodeTo(value, &raw).ok());
    }
  }
  ExpectOnlyFailure(Verify(SignPayload(raw)), "CLAIMS_DECODE", "DUPLICATE_KEY");
}

TEST(AirRules, UnknownClaimsAreRejected) {
  Value reserved = GoldenPayload();
  Claim(reserved, -65550) = Value::Unsigned(1);  // "reserved for v1.x"
  ExpectOnlyFailure(Verify(SignClaims(reserved)), "CLAIMS_DECODE", "UNKNOWN_CLAIM:-65550");
  Value text_key = GoldenPayload();
  text_key.mutable_map().emplace_back(Value::Text("iss"), Value::Text("x"));
  ExpectOnlyFailure(Verify(SignClaims(text_key)), "CLAIMS_DECODE", "UNKNOWN_CLAIM");
  Value meas = GoldenPayload();
  Measurement(meas, "pcr5") = Value::ByteString(Bytes(48, 5));
  ExpectOnlyFailure(Verify(SignClaims(meas)), "CLAIMS_DECODE", "UNKNOWN_MEASUREMENT_KEY");
}

TEST(AirRules, MissingAndMistypedClaims) {
  Value missing = GoldenPayload();
  Erase(missing, Value::Int(kModelId));
  ExpectOnlyFailure(Verify(SignClaims(missing)), "CLAIMS_DECODE", "MISSING_CLAIM:model_id");
  Value no_profile = GoldenPayload();
  Erase(no_profile, Value::Int(kProfile));
  ExpectOnlyFailure(Verify(SignClaims(no_profile)), "CLAIMS_DECODE", "MISSING_CLAIM:eat_profile");
  Value no_pcr1 = GoldenPayload();
  Erase(Claim(no_pcr1, kMeasurements), Value::Text("pcr1"));
  ExpectOnlyFailure(Verify(SignClaims(no_pcr1)), "CLAIMS_DECODE",
                    "MISSING_CLAIM:enclave_measurements.pcr1");
  Value text_iat = GoldenPayload();
  Claim(text_iat, kIat) = Value::Text("1740500000");
  ExpectOnlyFailure(Verify(SignClaims(text_iat)), "CLAIMS_DECODE", "WRONG_TYPE:iat");
  Value negative_iat = GoldenPayload();
  Claim(negative_iat, kIat) = Value::Int(-1);
  ExpectOnlyFailure(Verify(SignClaims(negative_iat)), "CLAIMS_DECODE", "WRONG_TYPE:iat");
  Value null_pcr3 = GoldenPayload();
  Measurement(null_pcr3, "pcr3") = Value::Null();
  ExpectOnlyFailure(Verify(SignClaims(null_pcr3)), "CLAIMS_DECODE",
                    "WRONG_TYPE:enclave_measurements.pcr3");
  Value hash_as_text = GoldenPayload();
  Claim(hash_as_text, kModelHash) = Value::Text(std::string(32, 'a'));
  ExpectOnlyFailure(Verify(SignClaims(hash_as_text)), "CLAIMS_DECODE", "WRONG_TYPE:model_hash");
}

TEST(AirRules, FieldBounds) {
  struct Case {
    int64_t key;
    Value value;
    const char* code;
  };
  const Case cases[] = {
      {kIat, Value::Unsigned(0), "ZERO_IAT"},
      {kIss, Value::Text(""), "BAD_TEXT_LENGTH:iss"},
      {kIss, Value::Text(std::string(257, 'i')), "BAD_TEXT_LENGTH:iss"},
      {kModelId, Value::Text(std::string(257, 'm')), "BAD_TEXT_LENGTH:model_id"},
      {kModelVersion, Value::Text(std::string(129, 'v')), "BAD_TEXT_LENGTH:model_version"},
      {kSecurityMode, Value::Text(std::string(65, 'p')), "BAD_TEXT_LENGTH:security_mode"},
      {kCti, Value::ByteString(Bytes(15, 1)), "BAD_CTI_LENGTH"},
      {kCti, Value::ByteString(Bytes(17, 1)), "BAD_CTI_LENGTH"},
      {kNonce, Value::ByteString(Bytes(7, 1)), "BAD_NONCE_LENGTH"},
      {kNonce, Value::ByteString(Bytes(65, 1)), "BAD_NONCE_LENGTH"},
      {kModelHash, Value::ByteString(Bytes(31, 1)), "BAD_HASH_LENGTH:model_hash"},
      {kRequestHash, Value::ByteString(Bytes(33, 1)), "BAD_HASH_LENGTH:request_hash"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code);
    Value payload = GoldenPayload();
    Claim(payload, c.key) = c.value;
    ExpectOnlyFailure(Verify(SignClaims(payload)), "CLAIMS_DECODE", c.code);
  }
  // The edges that are allowed.
  const Case allowed[] = {
      {kIss, Value::Text(std::string(256, 'i')), ""},
      {kModelVersion, Value::Text(std::string(128, 'v')), ""},
      {kNonce, Value::ByteString(Bytes(8, 1)), ""},
      {kNonce, Value::ByteString(Bytes(64, 1)), ""},
      {kIat, Value::Unsigned(1), ""},
  };
  for (const Case& c : allowed) {
    Value payload = GoldenPayload();
    Claim(payload, c.key) = c.value;
    AirVerifyResult result = Verify(SignClaims(payload));
    EXPECT_TRUE(result.verified) << Describe(result);
  }
}

TEST(AirRules, WrongProfile) {
  Value payload = GoldenPayload();
  Claim(payload, kProfile) = Value::Text("https://spec.cyntrisec.com/air/v2");
  ExpectOnlyFailure(Verify(SignClaims(payload)), "EAT_PROFILE", "WRONG_PROFILE");
}

// --- Layer 3

TEST(AirRules, ClaimValueChecks) {
  Value zero_cti = GoldenPayload();
  Claim(zero_cti, kCti) = Value::ByteString(Bytes(16, 0));
  ExpectOnlyFailure(Verify(SignClaims(zero_cti)), "CTI", "BAD_CTI_LENGTH");

  Value pcr4 = GoldenPayload();
  Measurement(pcr4, "pcr4") = Value::ByteString(Bytes(47, 4));
  ExpectOnlyFailure(Verify(SignClaims(pcr4)), "MEAS", "BAD_MEASUREMENT_LENGTH");

  Value tdx_pcr8 = GoldenPayload();
  Measurement(tdx_pcr8, "measurement_type") = Value::Text("tdx-mrtd-rtmr");
  Measurement(tdx_pcr8, "pcr8") = Value::ByteString(Bytes(48, 8));
  ExpectOnlyFailure(Verify(SignClaims(tdx_pcr8)), "MEAS", "PCR8_WITH_TDX");

  Value nitro_pcr8 = GoldenPayload();
  Measurement(nitro_pcr8, "pcr8") = Value::ByteString(Bytes(48, 8));
  EXPECT_TRUE(Verify(SignClaims(nitro_pcr8)).verified);

  Value mtype = GoldenPayload();
  Measurement(mtype, "measurement_type") = Value::Text("sev-snp\x1b[31m");
  ExpectOnlyFailure(Verify(SignClaims(mtype)), "MTYPE", "UNKNOWN_MTYPE:sev-snp?[31m");

  Value scheme = GoldenPayload();
  Claim(scheme, kModelHashScheme) = Value::Text("md5");
  ExpectOnlyFailure(Verify(SignClaims(scheme)), "MHASH_SCHEME", "UNKNOWN_MODEL_HASH_SCHEME:md5");
  for (const char* known : {"sha256-single", "sha256-concat", "sha256-manifest"}) {
    Claim(scheme, kModelHashScheme) = Value::Text(known);
    EXPECT_TRUE(Verify(SignClaims(scheme)).verified) << known;
  }

  Value mode = GoldenPayload();
  Claim(mode, kSecurityMode) = Value::Text("GatewayOnly");
  ExpectOnlyFailure(Verify(SignClaims(mode)), "SECURITY_MODE",
                    "UNKNOWN_SECURITY_MODE:GatewayOnly");
}

TEST(AirRules, CodesFromHostileTextAreBounded) {
  Value payload = GoldenPayload();
  Measurement(payload, "measurement_type") = Value::Text(std::string(1000, 'x'));
  AirVerifyResult result = Verify(SignClaims(payload));
  EXPECT_EQ(result.failure_code, "UNKNOWN_MTYPE:" + std::string(64, 'x') + "...");
}

// --- Our own build -> verify, and layer 4

TEST(AirRoundTrip, OurReceiptVerifiesWithEveryPolicyCheck) {
  StatusOr<crypto::Ed25519PrivateKey> key = crypto::Ed25519PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  AirClaims claims = OurClaims();
  StatusOr<Bytes> receipt = SignAirReceipt(*key, claims);
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  std::set<Bytes> seen;
  AirVerifyPolicy policy{
      .expected_nonce = claims.eat_nonce,
      .expected_model_hash = claims.model_hash,
      .expected_request_hash = claims.request_hash,
      .expected_response_hash = claims.response_hash,
      .expected_attestation_doc_hash = claims.attestation_doc_hash,
      .expected_model_id = claims.model_id,
      .expected_platform = std::string(kMeasurementNitro),
      .max_age_secs = 60,
      .now_unix_seconds = static_cast<int64_t>(claims.iat + 60),
      .require_nonce = true,
      .seen_cti = [&](ByteSpan cti) { return !seen.insert(Bytes(cti.begin(), cti.end())).second; },
  };
  AirVerifyResult result = VerifyAirReceipt(*receipt, key->PublicKey(), policy);
  ASSERT_TRUE(result.verified) << Describe(result);
  for (const AirCheck& check : result.checks) {
    EXPECT_EQ(check.result, AirCheck::Result::kPass) << check.id;
  }
  ASSERT_TRUE(result.claims.has_value());
  EXPECT_EQ(EncodeAirClaims(*result.claims).value(), EncodeAirClaims(claims).value());
  EXPECT_EQ(result.claims->measurements.pcr8, claims.measurements.pcr8);
  EXPECT_EQ(result.claims->model_hash_scheme, claims.model_hash_scheme);

  // The same receipt again is a replay.
  ExpectOnlyFailure(VerifyAirReceipt(*receipt, key->PublicKey(), policy), "REPLAY", "REPLAY_CTI");
}

TEST(AirRoundTrip, ReplayCallbackIsNotConsultedForARejectedReceipt) {
  StatusOr<Bytes> receipt = SignAirReceipt(TestKey(), OurClaims());
  ASSERT_TRUE(receipt.ok());
  int calls = 0;
  AirVerifyPolicy policy{.seen_cti = [&](ByteSpan) { ++calls; return false; }};
  StatusOr<crypto::Ed25519PrivateKey> other = crypto::Ed25519PrivateKey::Generate();
  AirVerifyResult result = VerifyAirReceipt(*receipt, other->PublicKey(), policy);
  EXPECT_EQ(result.failure_code, "SIG_FAILED");
  EXPECT_EQ(Check(result, "REPLAY").result, AirCheck::Result::kSkip);
  EXPECT_EQ(calls, 0);
  EXPECT_TRUE(VerifyAirReceipt(*receipt, TestKey().PublicKey(), policy).verified);
  EXPECT_EQ(calls, 1);
}

TEST(AirRoundTrip, EvaluationModeNeedsThePolicyToAllowIt) {
  AirClaims claims = OurClaims();
  claims.security_mode = std::string(kSecurityModeEvaluation);
  Bytes receipt = SignAirReceipt(TestKey(), claims).value();
  ExpectOnlyFailure(Verify(receipt), "SECURITY_MODE_POLICY", "EVALUATION_MODE_REJECTED");
  EXPECT_TRUE(Verify(receipt, {.allow_evaluation_mode = true}).verified);
}

TEST(AirRoundTrip, PolicyMismatches) {
  AirClaims claims = OurClaims();
  Bytes receipt = SignAirReceipt(TestKey(), claims).value();
  Bytes other(32, 0xee);
  ExpectOnlyFailure(Verify(receipt, {.expected_request_hash = other}), "RHASH",
                    "REQUEST_HASH_MISMATCH");
  ExpectOnlyFailure(Verify(receipt, {.expected_response_hash = other}), "OHASH",
                    "RESPONSE_HASH_MISMATCH");
  ExpectOnlyFailure(Verify(receipt, {.expected_attestation_doc_hash = other}), "ADHASH",
                    "ATTESTATION_DOC_HASH_MISMATCH");
  ExpectOnlyFailure(Verify(receipt, {.expected_model_hash = other}), "MHASH",
                    "MODEL_HASH_MISMATCH");
  ExpectOnlyFailure(Verify(receipt, {.expected_model_id = "other"}), "MODEL", "MODEL_ID_MISMATCH");
  ExpectOnlyFailure(Verify(receipt, {.expected_platform = std::string(kMeasurementTdx)}),
                    "PLATFORM", "PLATFORM_MISMATCH");
  ExpectOnlyFailure(Verify(receipt, {.expected_nonce = Bytes(16, 0)}), "NONCE", "NONCE_MISMATCH");

  claims.eat_nonce.reset();
  Bytes no_nonce = SignAirReceipt(TestKey(), claims).value();
  EXPECT_TRUE(Verify(no_nonce).verified);
  ExpectOnlyFailure(Verify(no_nonce, {.require_nonce = true}), "NONCE", "NONCE_MISSING");
  ExpectOnlyFailure(Verify(no_nonce, {.expected_nonce = Bytes(16, 0x6b)}), "NONCE",
                    "NONCE_MISSING");
}

TEST(AirRoundTrip, Freshness) {
  AirClaims claims = OurClaims();
  Bytes receipt = SignAirReceipt(TestKey(), claims).value();
  const int64_t iat = static_cast<int64_t>(claims.iat);
  auto at = [&](int64_t now, uint64_t skew) {
    return Verify(receipt, {.max_age_secs = 100, .clock_skew_secs = skew, .now_unix_seconds = now});
  };
  EXPECT_TRUE(at(iat, 0).verified);
  EXPECT_TRUE(at(iat + 100, 0).verified);
  ExpectOnlyFailure(at(iat + 101, 0), "FRESH", "TIMESTAMP_STALE");
  ExpectOnlyFailure(at(iat - 1, 0), "FRESH", "TIMESTAMP_FUTURE");
  EXPECT_TRUE(at(iat - 30, 30).verified);
  ExpectOnlyFailure(at(iat - 31, 30), "FRESH", "TIMESTAMP_FUTURE");
  ExpectOnlyFailure(Verify(receipt, {.max_age_secs = 100}), "FRESH", "CLOCK_ERROR");
  ExpectOnlyFailure(at(-1, 0), "FRESH", "CLOCK_ERROR");
  EXPECT_EQ(Check(Verify(receipt), "FRESH").result, AirCheck::Result::kSkip);
}

TEST(AirRoundTrip, EncoderRefusesClaimsTheVerifierWouldReject) {
  struct Case {
    void (*mutate)(AirClaims*);
    const char* code;
  };
  const Case cases[] = {
      {[](AirClaims* c) { c->iat = 0; }, "ZERO_IAT"},
      {[](AirClaims* c) { c->cti = Bytes(16, 0); }, "BAD_CTI_LENGTH"},
      {[](AirClaims* c) { c->model_hash = Bytes(32, 0); }, "ZERO_MODEL_HASH"},
      {[](AirClaims* c) { c->response_hash.pop_back(); }, "BAD_HASH_LENGTH:response_hash"},
      {[](AirClaims* c) { c->measurements.pcr1.push_back(0); }, "BAD_MEASUREMENT_LENGTH"},
      {[](AirClaims* c) { c->measurements.type = "tdx-mrtd-rtmr"; }, "PCR8_WITH_TDX"},
      {[](AirClaims* c) { c->measurements.type = "sgx"; }, "UNKNOWN_MTYPE:sgx"},
      {[](AirClaims* c) { c->measurements.type = "sev-snp"; }, "EXTRA_PCR_WITH_SNP"},
      {[](AirClaims* c) {
         c->measurements = {"sev-snp", Bytes(48, 1), Bytes(48, 2), Bytes(48, 3), {}, {}, {}};
       },
       "SNP_HOST_DATA_PADDING"},
      {[](AirClaims* c) { c->security_mode = "ShieldMode"; }, "UNKNOWN_SECURITY_MODE:ShieldMode"},
      {[](AirClaims* c) { c->model_hash_scheme = "sha1"; }, "UNKNOWN_MODEL_HASH_SCHEME:sha1"},
      {[](AirClaims* c) { c->eat_nonce = Bytes(4, 1); }, "BAD_NONCE_LENGTH"},
      {[](AirClaims* c) { c->model_id.clear(); }, "BAD_TEXT_LENGTH:model_id"},
      {[](AirClaims* c) { c->policy_version.assign(257, 'p'); }, "BAD_TEXT_LENGTH:policy_version"},
  };
  for (const Case& c : cases) {
    AirClaims claims = OurClaims();
    c.mutate(&claims);
    StatusOr<Bytes> encoded = EncodeAirClaims(claims);
    ASSERT_FALSE(encoded.ok()) << c.code;
    EXPECT_EQ(encoded.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(encoded.status().message().find(std::string(c.code) + ":"), std::string::npos)
        << encoded.status().message();
    EXPECT_FALSE(SignAirReceipt(TestKey(), claims).ok());
  }
  AirClaims bad_utf8 = OurClaims();
  bad_utf8.iss = "bad \xff";
  EXPECT_FALSE(EncodeAirClaims(bad_utf8).ok());
}

TEST(AirMeasurementsTest, EachPlatformMapsToItsReceiptMeasurements) {
  const Bytes a(48, 0xa), b(48, 0xb), c(48, 0xc), d(48, 0xd), e(48, 0xe), host(32, 0x4d);
  StatusOr<AirMeasurements> nitro = AirMeasurementsFor("nitro", {{0, a}, {1, b}, {2, c}, {3, d}});
  ASSERT_TRUE(nitro.ok());
  EXPECT_EQ(*nitro, (AirMeasurements{"nitro-pcr", a, b, c, {}, {}, {}}));
  StatusOr<AirMeasurements> tdx =
      AirMeasurementsFor("tdx", {{0, a}, {1, b}, {2, c}, {3, d}, {4, e}, {5, a}});
  ASSERT_TRUE(tdx.ok());
  EXPECT_EQ(*tdx, (AirMeasurements{"tdx-mrtd-rtmr", a, b, c, d, e, {}}));
  StatusOr<AirMeasurements> snp = AirMeasurementsFor("snp", {{0, a}, {1, host}, {2, c}});
  ASSERT_TRUE(snp.ok());
  Bytes padded = host;
  padded.resize(48, 0);
  EXPECT_EQ(*snp, (AirMeasurements{"sev-snp", a, padded, c, {}, {}, {}}));

  EXPECT_FALSE(AirMeasurementsFor("sgx", {{0, a}, {1, b}, {2, c}}).ok());
  EXPECT_FALSE(AirMeasurementsFor("nitro", {{0, a}, {1, b}}).ok());       // pcr2 missing
  EXPECT_FALSE(AirMeasurementsFor("tdx", {{0, a}, {1, b}, {2, c}, {3, d}}).ok());  // rtmr3
  EXPECT_FALSE(AirMeasurementsFor("snp", {{0, a}, {1, b}, {2, c}}).ok());  // host_data 48
  EXPECT_EQ(AirMeasurementTypeFor("snp"), "sev-snp");

  // A SEV-SNP receipt signs and verifies; the verifier knows the type.
  AirClaims claims = OurClaims();
  claims.measurements = *snp;
  StatusOr<Bytes> receipt = SignAirReceipt(TestKey(), claims);
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  AirVerifyPolicy policy{.expected_platform = "sev-snp"};
  EXPECT_TRUE(VerifyAirReceipt(*receipt, TestKey().PublicKey(), policy).verified);
  policy.expected_platform = "tdx-mrtd-rtmr";
  ExpectOnlyFailure(VerifyAirReceipt(*receipt, TestKey().PublicKey(), policy), "PLATFORM",
                    "PLATFORM_MISMATCH");
}

TEST(AirRoundTrip, ProtectedHeaderIsExactlyTheAirOne) {
  Bytes receipt = SignAirReceipt(TestKey(), OurClaims()).value();
  // d2 84 46 <a2 01 27 03 18 3d> a0: tag 18, array of 4, the fixed header,
  // an empty unprotected map.
  EXPECT_EQ(HexEncode(ByteSpan(receipt.data(), 10)), "d28446a2012703183da0");
}

}  // namespace
}  // namespace eml::receipt

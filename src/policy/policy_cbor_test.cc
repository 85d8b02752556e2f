// Payload decoder rules (docs/policy.md "Payload grammar" and "Rules").
//
// Every negative case mutates a valid payload and signs the result with the
// owner key, so the signature verifies and only the rule under test can
// reject it. Each case names the message fragment it expects, so a case that
// fails for some other reason is noticed.
#include "policy/policy_cbor.h"

#include <algorithm>
#include <functional>

#include <gtest/gtest.h>

#include "cbor/decode.h"
#include "cbor/encode.h"
#include "policy/policy_test_util.h"
#include "policy/signed_policy.h"

namespace eml::policy {
namespace {

using cbor::Value;
using testing::MapEntry;
using testing::SamplePolicy;

Status VerifyFile(const Bytes& file) {
  return VerifySignedPolicy(file, testing::OwnerKey().PublicKey(), testing::kNow).status();
}

Status VerifyMutated(const std::function<void(Value&)>& mutate) {
  Value payload = PolicyToCbor(SamplePolicy());
  mutate(payload);
  return VerifyFile(testing::SignPayloadValue(payload));
}

Status VerifyPolicy(const Policy& p) {
  return VerifyFile(testing::SignPayloadValue(PolicyToCbor(p)));
}

void ExpectRejected(const Status& status, StatusCode code, std::string_view fragment) {
  EXPECT_EQ(status.code(), code) << status.ToString();
  EXPECT_NE(status.message().find(fragment), std::string::npos)
      << "want '" << fragment << "' in " << status.ToString();
}

Value& Item(Value& payload, std::string_view list, size_t i) {
  return MapEntry(payload, list).mutable_array()[i];
}

void RemoveKey(Value& map, std::string_view key) {
  auto& entries = map.mutable_map();
  std::erase_if(entries, [&](const auto& e) { return e.first.is_text() && e.first.text() == key; });
}

TEST(PolicyCbor, ControlMutationIsAccepted) {
  EXPECT_TRUE(VerifyMutated([](Value&) {}).ok());
}

TEST(PolicyCbor, EncodeDecodeRoundTrip) {
  StatusOr<Bytes> payload = EncodePolicyPayload(SamplePolicy());
  ASSERT_TRUE(payload.ok());
  StatusOr<Policy> decoded = DecodePolicyPayload(*payload);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, SamplePolicy());
}

TEST(PolicyCbor, TdxExtraTcbStatuses) {
  // Absent when empty: the default policy's bytes do not mention it.
  const Bytes plain = *EncodePolicyPayload(SamplePolicy());
  const std::string key = "tdx_extra_tcb_statuses";
  EXPECT_EQ(std::search(plain.begin(), plain.end(), key.begin(), key.end()), plain.end());
  EXPECT_EQ(AcceptedTdxTcbStatuses(SamplePolicy()), std::vector<std::string>{"UpToDate"});

  Policy p = SamplePolicy();
  p.tdx_extra_tcb_statuses = {"SWHardeningNeeded", "OutOfDate"};
  StatusOr<Policy> decoded = DecodePolicyPayload(*EncodePolicyPayload(p));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, p);
  EXPECT_EQ(AcceptedTdxTcbStatuses(*decoded),
            (std::vector<std::string>{"UpToDate", "SWHardeningNeeded", "OutOfDate"}));
  EXPECT_TRUE(VerifyPolicy(p).ok());

  for (const auto& [statuses, fragment] :
       std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"Revoked"}, "not one of"},
           {{"UpToDate"}, "not one of"},
           {{"uptodate"}, "not one of"},
           {{"OutOfDate", "OutOfDate"}, "listed twice"}}) {
    p.tdx_extra_tcb_statuses = statuses;
    ExpectRejected(VerifyPolicy(p), StatusCode::kInvalidArgument, fragment);
  }
  // Present but empty would be a second encoding of the default (the
  // encoder puts the added key in its sorted place).
  ExpectRejected(VerifyMutated([&](Value& payload) {
                   payload.mutable_map().emplace_back(Value::Text(key), Value::FromArray({}));
                 }),
                 StatusCode::kInvalidArgument, "omit it");
  ExpectRejected(VerifyMutated([&](Value& payload) {
                   payload.mutable_map().emplace_back(Value::Text(key),
                                                      Value::FromArray({Value::Unsigned(1)}));
                 }),
                 StatusCode::kInvalidArgument, "not a text string");
}

TEST(PolicyCbor, ClosedMaps) {
  ExpectRejected(VerifyMutated([](Value& p) {
                   p.mutable_map().emplace_back(Value::Text("extra"), Value::Unsigned(1));
                 }),
                 StatusCode::kInvalidArgument, "payload has an unknown key");
  ExpectRejected(VerifyMutated([](Value& p) {
                   p.mutable_map().emplace_back(Value::Unsigned(1), Value::Unsigned(1));
                 }),
                 StatusCode::kInvalidArgument, "non-text key");
  ExpectRejected(VerifyMutated([](Value& p) {
                   Item(p, "roots", 0).mutable_map().emplace_back(Value::Text("x"), Value::Null());
                 }),
                 StatusCode::kInvalidArgument, "roots[0] has an unknown key");
  ExpectRejected(VerifyMutated([](Value& p) {
                   Item(p, "measurements", 1).mutable_map().emplace_back(Value::Text("x"),
                                                                         Value::Null());
                 }),
                 StatusCode::kInvalidArgument, "measurements[1] has an unknown key");
  ExpectRejected(VerifyMutated([](Value& p) {
                   Item(p, "models", 0).mutable_map().emplace_back(Value::Text("x"), Value::Null());
                 }),
                 StatusCode::kInvalidArgument, "models[0] has an unknown key");
}

TEST(PolicyCbor, EveryRequiredKeyIsRequired) {
  for (const char* key : {"version", "policy_id", "created_at", "expires_at", "max_evidence_age_s",
                          "allow_evaluation", "any_model", "roots", "measurements", "models"}) {
    ExpectRejected(VerifyMutated([&](Value& p) { RemoveKey(p, key); }),
                   StatusCode::kInvalidArgument, std::string("payload.") + key + " missing");
  }
  for (const char* key : {"platform", "name", "der", "evaluation"}) {
    ExpectRejected(VerifyMutated([&](Value& p) { RemoveKey(Item(p, "roots", 0), key); }),
                   StatusCode::kInvalidArgument, std::string("roots[0].") + key + " missing");
  }
  for (const char* key : {"platform", "name", "values"}) {
    ExpectRejected(VerifyMutated([&](Value& p) { RemoveKey(Item(p, "measurements", 0), key); }),
                   StatusCode::kInvalidArgument,
                   std::string("measurements[0].") + key + " missing");
  }
  ExpectRejected(VerifyMutated([](Value& p) { RemoveKey(Item(p, "models", 0), "model_id"); }),
                 StatusCode::kInvalidArgument, "models[0].model_id missing");
  // model_hash is the one optional key.
  EXPECT_TRUE(VerifyMutated([](Value& p) { RemoveKey(Item(p, "models", 0), "model_hash"); }).ok());
}

TEST(PolicyCbor, WrongTypes) {
  struct Case {
    const char* key;
    Value value;
    const char* message;
  };
  const Case cases[] = {
      {"version", Value::Text("5"), "version is not an unsigned integer"},
      {"version", Value::Int(-1), "version is not an unsigned integer"},
      {"version", Value::Float(5.0), "version is not an unsigned integer"},
      {"version", Value::Tagged(0, Value::Unsigned(5)), "version is not an unsigned integer"},
      {"policy_id", Value::ByteString(Bytes{'a'}), "policy_id is not a text string"},
      {"created_at", Value::Int(-5), "created_at is not an unsigned integer"},
      {"allow_evaluation", Value::Unsigned(0), "allow_evaluation is not a bool"},
      {"any_model", Value::Null(), "any_model is not a bool"},
      {"roots", Value::FromMap({}), "roots is not an array"},
      {"measurements", Value::Null(), "measurements is not an array"},
      {"models", Value::Text("x"), "models is not an array"},
  };
  for (const Case& c : cases) {
    ExpectRejected(VerifyMutated([&](Value& p) { MapEntry(p, c.key) = c.value; }),
                   StatusCode::kInvalidArgument, c.message);
  }
  ExpectRejected(VerifyMutated([](Value& p) {
                   MapEntry(Item(p, "roots", 0), "der") = Value::Text("MII");
                 }),
                 StatusCode::kInvalidArgument, "roots[0].der is not a byte string");
  ExpectRejected(VerifyMutated([](Value& p) {
                   MapEntry(Item(p, "roots", 0), "evaluation") = Value::Unsigned(1);
                 }),
                 StatusCode::kInvalidArgument, "roots[0].evaluation is not a bool");
  ExpectRejected(VerifyMutated([](Value& p) {
                   Item(p, "models", 0) = Value::FromArray({});
                 }),
                 StatusCode::kInvalidArgument, "models[0] is not a map");
  ExpectRejected(VerifyMutated([](Value& p) {
                   MapEntry(Item(p, "models", 0), "model_hash") = Value::Text("aa");
                 }),
                 StatusCode::kInvalidArgument, "models[0].model_hash is not a byte string");
}

TEST(PolicyCbor, MeasurementValueKeysAndTypes) {
  auto set_values = [](Value values) {
    return VerifyMutated([&](Value& p) {
      MapEntry(Item(p, "measurements", 0), "values") = values;
    });
  };
  const Bytes pcr = testing::Filled(48, 1);
  ExpectRejected(set_values(Value::FromArray({})), StatusCode::kInvalidArgument,
                 "values is not a map");
  ExpectRejected(set_values(Value::FromMap({{Value::Text("pcr0"), Value::ByteString(pcr)}})),
                 StatusCode::kInvalidArgument, "key is not an index 0..31");
  ExpectRejected(set_values(Value::FromMap({{Value::Int(-1), Value::ByteString(pcr)}})),
                 StatusCode::kInvalidArgument, "key is not an index 0..31");
  // 2^32 would alias index 0 if narrowed before the check.
  ExpectRejected(set_values(Value::FromMap({{Value::Unsigned(uint64_t{1} << 32),
                                             Value::ByteString(pcr)},
                                            {Value::Unsigned(1), Value::ByteString(pcr)},
                                            {Value::Unsigned(2), Value::ByteString(pcr)}})),
                 StatusCode::kInvalidArgument, "key is not an index 0..31");
  ExpectRejected(set_values(Value::FromMap({{Value::Unsigned(0), Value::Text("aa")}})),
                 StatusCode::kInvalidArgument, "value is not a byte string");
}

TEST(PolicyCbor, DuplicateKeyIsRefused) {
  // Hand-built: the sample payload map with its "version": 5 entry repeated
  // right after itself (so key order is not what fails). The encoder cannot
  // produce this, so the bytes are spliced.
  StatusOr<Bytes> payload = EncodePolicyPayload(SamplePolicy());
  ASSERT_TRUE(payload.ok());
  ASSERT_EQ((*payload)[0], 0xaa);  // map of 10 entries
  const Bytes entry = {0x67, 'v', 'e', 'r', 's', 'i', 'o', 'n', 0x05};
  auto at = std::search(payload->begin(), payload->end(), entry.begin(), entry.end());
  ASSERT_NE(at, payload->end());
  Bytes dup(payload->begin(), at + static_cast<std::ptrdiff_t>(entry.size()));
  dup.insert(dup.end(), entry.begin(), entry.end());
  dup.insert(dup.end(), at + static_cast<std::ptrdiff_t>(entry.size()), payload->end());
  dup[0] = 0xab;  // 11 entries
  ExpectRejected(VerifyFile(testing::SignPayloadBytes(dup, testing::OwnerKey())),
                 StatusCode::kAlreadyExists, "duplicate");
}

TEST(PolicyCbor, NonDeterministicPayloadIsRefused) {
  // "version": 5 is the bytes 67 'version' 05; re-encode 5 as 18 05 (valid
  // CBOR, same value, not the shortest form).
  StatusOr<Bytes> payload = EncodePolicyPayload(SamplePolicy());
  ASSERT_TRUE(payload.ok());
  const Bytes key = {0x67, 'v', 'e', 'r', 's', 'i', 'o', 'n', 0x05};
  auto at = std::search(payload->begin(), payload->end(), key.begin(), key.end());
  ASSERT_NE(at, payload->end());
  Bytes longer(payload->begin(), at + 8);
  longer.insert(longer.end(), {0x18, 0x05});
  longer.insert(longer.end(), at + 9, payload->end());
  // Control: the same bytes decode fine without the determinism rule.
  EXPECT_TRUE(cbor::Decode(longer).ok());
  ExpectRejected(VerifyFile(testing::SignPayloadBytes(longer, testing::OwnerKey())),
                 StatusCode::kInvalidArgument, "cbor:");
}

TEST(PolicyCbor, ScalarRanges) {
  Policy p = SamplePolicy();
  p.version = 0;
  ExpectRejected(VerifyPolicy(p), StatusCode::kInvalidArgument, "version must be at least 1");
  p = SamplePolicy();
  p.version = UINT64_MAX;
  p.created_at = 0;
  EXPECT_TRUE(VerifyPolicy(p).ok());

  p = SamplePolicy();
  p.expires_at = p.created_at;
  ExpectRejected(VerifyPolicy(p), StatusCode::kInvalidArgument, "expires_at must be after");
  ExpectRejected(VerifyMutated([](Value& v) {
                   MapEntry(v, "expires_at") = Value::Unsigned(kMaxUnixSeconds + 1);
                 }),
                 StatusCode::kInvalidArgument, "expires_at out of range");
  ExpectRejected(VerifyMutated([](Value& v) {
                   MapEntry(v, "created_at") = Value::Unsigned(UINT64_MAX);
                 }),
                 StatusCode::kInvalidArgument, "created_at out of range");
  for (uint64_t age : {uint64_t{0}, uint64_t{kMaxEvidenceAgeLimitS} + 1, uint64_t{1} << 32}) {
    ExpectRejected(VerifyMutated([&](Value& v) {
                     MapEntry(v, "max_evidence_age_s") = Value::Unsigned(age);
                   }),
                   StatusCode::kInvalidArgument, "max_evidence_age_s");
  }
  p = SamplePolicy();
  p.max_evidence_age_s = kMaxEvidenceAgeLimitS;
  EXPECT_TRUE(VerifyPolicy(p).ok());
}

TEST(PolicyCbor, TextRules) {
  const std::string longest(kMaxStringSize, 'a');
  for (const std::string& bad : {std::string(), longest + "a", std::string("a\x1b[31m"),
                                 std::string("tab\there"), std::string("caf\xc3\xa9")}) {
    Policy p = SamplePolicy();
    p.policy_id = bad;
    EXPECT_EQ(VerifyPolicy(p).code(), StatusCode::kInvalidArgument) << bad;
    p = SamplePolicy();
    p.models[0].model_id = bad;
    ExpectRejected(VerifyPolicy(p), StatusCode::kInvalidArgument, "models[0].model_id");
    p = SamplePolicy();
    p.roots[1].name = bad;
    ExpectRejected(VerifyPolicy(p), StatusCode::kInvalidArgument, "roots[1].name");
    p = SamplePolicy();
    p.measurements[1].name = bad;
    ExpectRejected(VerifyPolicy(p), StatusCode::kInvalidArgument, "measurements[1].name");
  }
  Policy p = SamplePolicy();
  p.policy_id = longest;
  EXPECT_TRUE(VerifyPolicy(p).ok());
}

TEST(PolicyCbor, RootRules) {
  Policy p = SamplePolicy();
  p.roots[0].platform = "sgx";
  ExpectRejected(VerifyPolicy(p), StatusCode::kUnsupported, "roots[0].platform");
  p = SamplePolicy();
  p.roots[0].der.clear();
  ExpectRejected(VerifyPolicy(p), StatusCode::kLimitExceeded, "roots[0].der must be");
  p = SamplePolicy();
  p.roots[0].der.assign(kMaxRootDerSize + 1, 0x30);
  ExpectRejected(VerifyPolicy(p), StatusCode::kLimitExceeded, "roots[0].der must be");
  p = SamplePolicy();
  p.roots[0].der.push_back(0);  // trailing byte after the certificate
  ExpectRejected(VerifyPolicy(p), StatusCode::kInvalidArgument, "not a DER certificate");
  p = SamplePolicy();
  p.roots[0].der = testing::NotACaDer();
  ExpectRejected(VerifyPolicy(p), StatusCode::kInvalidArgument, "not a CA certificate");
  p = SamplePolicy();
  p.roots[1].der = p.roots[0].der;
  ExpectRejected(VerifyPolicy(p), StatusCode::kAlreadyExists, "roots[1] repeats a certificate");
  p = SamplePolicy();
  p.roots[1].name = p.roots[0].name;
  ExpectRejected(VerifyPolicy(p), StatusCode::kAlreadyExists, "roots[1] repeats a name");
}

TEST(PolicyCbor, TupleRules) {
  Policy p = SamplePolicy();
  p.measurements[0].platform = "sgx";
  ExpectRejected(VerifyPolicy(p), StatusCode::kUnsupported, "measurements[0].platform");
  p = SamplePolicy();
  p.measurements[0].values.clear();
  ExpectRejected(VerifyPolicy(p), StatusCode::kInvalidArgument, "values is empty");
  for (uint32_t required : {0u, 1u, 2u}) {
    p = SamplePolicy();
    p.measurements[0].values.erase(required);
    ExpectRejected(VerifyPolicy(p), StatusCode::kInvalidArgument,
                   "pcr" + std::to_string(required) + " missing");
  }
  p = SamplePolicy();
  p.measurements[0].values[1] = testing::Filled(32, 1);
  ExpectRejected(VerifyPolicy(p), StatusCode::kInvalidArgument, "pcr1 must be 48 bytes");
  p = SamplePolicy();
  p.measurements[0].values[8] = testing::Filled(48, 8);  // extra PCRs are fine
  EXPECT_TRUE(VerifyPolicy(p).ok());
  p.measurements[0].values[32] = testing::Filled(48, 8);
  ExpectRejected(VerifyPolicy(p), StatusCode::kInvalidArgument, "key is not an index 0..31");
  p = SamplePolicy();
  p.measurements[1].values = p.measurements[0].values;
  ExpectRejected(VerifyPolicy(p), StatusCode::kAlreadyExists, "measurements[1] repeats a tuple");
  p = SamplePolicy();
  p.measurements[1].name = p.measurements[0].name;
  ExpectRejected(VerifyPolicy(p), StatusCode::kAlreadyExists, "measurements[1] repeats a name");
}

TEST(PolicyCbor, DebugTupleNeedsAllowEvaluation) {
  Policy p = SamplePolicy();
  p.measurements[1].values[2] = testing::Filled(48, 0);
  ExpectRejected(VerifyPolicy(p), StatusCode::kInvalidArgument, "debug enclave");
  p.allow_evaluation = true;
  EXPECT_TRUE(VerifyPolicy(p).ok());
}

TEST(PolicyCbor, ModelRules) {
  Policy p = SamplePolicy();
  p.models[0].model_hash = testing::Filled(31, 1);
  ExpectRejected(VerifyPolicy(p), StatusCode::kInvalidArgument, "model_hash must be 32 bytes");
  p = SamplePolicy();
  p.any_model = true;
  ExpectRejected(VerifyPolicy(p), StatusCode::kInvalidArgument, "any_model excludes");
  p.models.clear();
  EXPECT_TRUE(VerifyPolicy(p).ok());
  p = SamplePolicy();
  p.models.push_back(p.models[0]);
  ExpectRejected(VerifyPolicy(p), StatusCode::kAlreadyExists, "repeats a model");
  p = SamplePolicy();
  p.models.push_back(p.models[1]);  // "any-hash" twice without hash
  ExpectRejected(VerifyPolicy(p), StatusCode::kAlreadyExists, "repeats a model");
  p = SamplePolicy();
  p.models.push_back({.model_id = "minilm", .model_hash = std::nullopt});
  ExpectRejected(VerifyPolicy(p), StatusCode::kAlreadyExists, "both with and without hash");
  p = SamplePolicy();
  p.models.push_back({.model_id = "minilm", .model_hash = testing::Filled(32, 0xbb)});
  EXPECT_TRUE(VerifyPolicy(p).ok());  // two versions of one model
}

TEST(PolicyCbor, EmptyListsAreAValidDenyAllPolicy) {
  Policy p = SamplePolicy();
  p.roots.clear();
  p.measurements.clear();
  p.models.clear();
  EXPECT_TRUE(VerifyPolicy(p).ok());
}

Policy WithCounts(size_t roots, size_t tuples, size_t models) {
  Policy p = SamplePolicy();
  p.roots.resize(roots, p.roots[0]);
  for (size_t i = 0; i < roots; ++i) p.roots[i].name = "r" + std::to_string(i);
  p.measurements.resize(tuples, p.measurements[0]);
  for (size_t i = 0; i < tuples; ++i) {
    p.measurements[i].name = "t" + std::to_string(i);
    p.measurements[i].values[0][0] = static_cast<uint8_t>(i);
    p.measurements[i].values[0][1] = static_cast<uint8_t>(i >> 8);
  }
  p.models.clear();
  for (size_t i = 0; i < models; ++i) {
    p.models.push_back({.model_id = "m" + std::to_string(i), .model_hash = std::nullopt});
  }
  return p;
}

TEST(PolicyCbor, CountLimits) {
  // At the limits (distinct tuples and models; one root, since 16 distinct
  // CA certificates are not at hand) the policy is accepted...
  EXPECT_TRUE(VerifyPolicy(WithCounts(1, kMaxMeasurementTuples, kMaxModels)).ok());
  // ...and one more entry is refused before anything else is looked at.
  ExpectRejected(VerifyPolicy(WithCounts(kMaxRoots + 1, 1, 1)), StatusCode::kLimitExceeded,
                 "roots has more than 16");
  ExpectRejected(VerifyPolicy(WithCounts(1, kMaxMeasurementTuples + 1, 1)),
                 StatusCode::kLimitExceeded, "measurements has more than 1024");
  ExpectRejected(VerifyPolicy(WithCounts(1, 1, kMaxModels + 1)), StatusCode::kLimitExceeded,
                 "models has more than 1024");
  Policy p = SamplePolicy();
  for (uint32_t i = 3; i <= kMaxValuesPerTuple; ++i) {
    p.measurements[0].values[i] = testing::Filled(48, 1);
  }
  ASSERT_EQ(p.measurements[0].values.size(), kMaxValuesPerTuple + 1);
  ExpectRejected(VerifyPolicy(p), StatusCode::kLimitExceeded, "more than 32 values");
}

TEST(PolicyCbor, DecodePayloadSizeLimit) {
  EXPECT_EQ(DecodePolicyPayload(Bytes(kMaxPolicyFileSize + 1, 0)).status().code(),
            StatusCode::kLimitExceeded);
}

}  // namespace
}  // namespace eml::policy

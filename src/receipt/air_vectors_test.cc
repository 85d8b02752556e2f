// AIR v1 conformance against the upstream vectors in ../shared/vectors/air-v1
// (provenance in its SOURCES.md). Every vector file must be visited; each
// must give its expected verdict and failure code; the two valid vectors'
// claims, rebuilt from their JSON "claims" objects and signed with the
// vector seed 2a x 32, must reproduce payload_hex and receipt_hex byte for
// byte (the interop proof: the expected bytes come from the upstream Rust
// implementation, not from us).
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/encoding.h"
#include "crypto/ed25519.h"
#include "receipt/air.h"
#include "tests/testing.h"

namespace eml::receipt {
namespace {

using nlohmann::json;
using testing::Hex;

constexpr uint64_t kNitroIat = 1740500000;  // iat of the stale-iat vector

std::string VectorDir() { return testing::SharedPath("vectors/air-v1"); }

std::vector<std::string> VectorFiles(const std::string& sub) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(VectorDir() + "/" + sub)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::optional<Bytes> OptionalHex(const json& j, const char* field) {
  if (!j.contains(field) || j[field].is_null()) return std::nullopt;
  return Hex(j[field].get<std::string>());
}

AirClaims ClaimsFromJson(const json& c) {
  const json& m = c["enclave_measurements"];
  AirClaims claims{
      .iss = c["iss"],
      .iat = c["iat"],
      .cti = Hex(c["cti_hex"]),
      .eat_nonce = OptionalHex(c, "eat_nonce_hex"),
      .model_id = c["model_id"],
      .model_version = c["model_version"],
      .model_hash = Hex(c["model_hash_hex"]),
      .request_hash = Hex(c["request_hash_hex"]),
      .response_hash = Hex(c["response_hash_hex"]),
      .attestation_doc_hash = Hex(c["attestation_doc_hash_hex"]),
      .measurements = {.type = m["measurement_type"],
                       .pcr0 = Hex(m["pcr0_hex"]),
                       .pcr1 = Hex(m["pcr1_hex"]),
                       .pcr2 = Hex(m["pcr2_hex"]),
                       .pcr3 = OptionalHex(m, "pcr3_hex"),
                       .pcr4 = OptionalHex(m, "pcr4_hex"),
                       .pcr8 = OptionalHex(m, "pcr8_hex")},
      .policy_version = c["policy_version"],
      .sequence_number = c["sequence_number"],
      .execution_time_ms = c["execution_time_ms"],
      .memory_peak_mb = c["memory_peak_mb"],
      .security_mode = c["security_mode"],
  };
  EXPECT_EQ(c["eat_profile"], std::string(kAirProfile));
  return claims;
}

AirVerifyPolicy PolicyFromJson(const json& vector) {
  AirVerifyPolicy policy;
  if (!vector.contains("verify_policy")) return policy;
  const json& p = vector["verify_policy"];
  policy.expected_nonce = OptionalHex(p, "expected_nonce_hex");
  policy.expected_model_hash = OptionalHex(p, "expected_model_hash_hex");
  if (p.contains("expected_platform")) policy.expected_platform = p["expected_platform"];
  if (p.contains("max_age_secs")) {
    policy.max_age_secs = p["max_age_secs"].get<uint64_t>();
    // One second past the allowed age of the vector's iat (see SOURCES.md).
    policy.now_unix_seconds = static_cast<int64_t>(kNitroIat + *policy.max_age_secs + 1);
  }
  return policy;
}

const AirCheck* FindCheck(const AirVerifyResult& result, const std::string& id) {
  for (const AirCheck& check : result.checks) {
    if (check.id == id) return &check;
  }
  return nullptr;
}

std::string Describe(const AirVerifyResult& result) {
  std::string out;
  for (const AirCheck& c : result.checks) {
    out += c.id + "=" + std::string(AirCheckResultName(c.result)) + " " + c.code + "; ";
  }
  return out;
}

TEST(AirVectors, EveryVectorGivesItsExpectedVerdict) {
  std::vector<std::string> valid = VectorFiles("valid");
  std::vector<std::string> invalid = VectorFiles("invalid");
  ASSERT_EQ(valid.size(), 2u);
  ASSERT_EQ(invalid.size(), 8u);
  size_t checked = 0;
  for (const std::string& path : valid) {
    SCOPED_TRACE(path);
    json v = testing::ReadJsonOrFail(path);
    Bytes receipt = Hex(v["receipt_hex"]);
    ASSERT_EQ(receipt.size(), v["receipt_length"].get<size_t>());
    AirVerifyResult result = VerifyAirReceipt(receipt, Hex(v["public_key_hex"]), PolicyFromJson(v));
    EXPECT_TRUE(result.verified) << Describe(result);
    EXPECT_EQ(result.failure_code, "");
    ++checked;
  }
  for (const std::string& path : invalid) {
    SCOPED_TRACE(path);
    json v = testing::ReadJsonOrFail(path);
    std::string key_hex = v.contains("wrong_public_key_hex") ? v["wrong_public_key_hex"]
                                                              : v["public_key_hex"];
    AirVerifyResult result =
        VerifyAirReceipt(Hex(v["receipt_hex"]), Hex(key_hex), PolicyFromJson(v));
    const json& failure = v["expected_failure"];
    EXPECT_FALSE(result.verified);
    EXPECT_EQ(result.failure_code, failure["code"].get<std::string>()) << Describe(result);
    const AirCheck* check = FindCheck(result, failure["check"]);
    ASSERT_NE(check, nullptr);
    EXPECT_EQ(check->result, AirCheck::Result::kFail);
    EXPECT_EQ(check->code, failure["code"].get<std::string>());
    ++checked;
  }
  EXPECT_EQ(checked, 10u);
}

TEST(AirVectors, PolicyVectorsPassWithoutTheirPolicy) {
  // The layer-4 vectors are valid receipts: only the policy makes them fail.
  for (const std::string& path : VectorFiles("invalid")) {
    json v = testing::ReadJsonOrFail(path);
    if (v["expected_failure"]["layer"] != 4) continue;
    SCOPED_TRACE(path);
    AirVerifyResult result = VerifyAirReceipt(Hex(v["receipt_hex"]), Hex(v["public_key_hex"]), {});
    EXPECT_TRUE(result.verified) << Describe(result);
  }
}

TEST(AirVectors, StaleBoundaryAndTdxNoncePolicy) {
  json nitro = testing::ReadJsonOrFail(VectorDir() + "/valid/v1-nitro-no-nonce.json");
  Bytes key = Hex(nitro["public_key_hex"]);
  AirVerifyPolicy fresh{.max_age_secs = 3600, .now_unix_seconds = kNitroIat + 3600};
  EXPECT_TRUE(VerifyAirReceipt(Hex(nitro["receipt_hex"]), key, fresh).verified);

  json tdx = testing::ReadJsonOrFail(VectorDir() + "/valid/v1-tdx-with-nonce.json");
  AirVerifyPolicy nonce{.expected_nonce = Hex(tdx["claims"]["eat_nonce_hex"])};
  AirVerifyResult result = VerifyAirReceipt(Hex(tdx["receipt_hex"]), key, nonce);
  EXPECT_TRUE(result.verified) << Describe(result);
  EXPECT_EQ(FindCheck(result, "NONCE")->result, AirCheck::Result::kPass);
}

TEST(AirVectors, RebuildingTheValidVectorsReproducesTheirBytes) {
  for (const std::string& path : VectorFiles("valid")) {
    SCOPED_TRACE(path);
    json v = testing::ReadJsonOrFail(path);
    StatusOr<crypto::Ed25519PrivateKey> key =
        crypto::Ed25519PrivateKey::FromSeed(Hex(v["signing_key_seed_hex"]));
    ASSERT_TRUE(key.ok());
    EXPECT_EQ(HexEncode(key->PublicKey()), v["public_key_hex"].get<std::string>());
    AirClaims claims = ClaimsFromJson(v["claims"]);

    StatusOr<Bytes> payload = EncodeAirClaims(claims);
    ASSERT_TRUE(payload.ok()) << payload.status().ToString();
    EXPECT_EQ(HexEncode(*payload), v["payload_hex"].get<std::string>());
    StatusOr<Bytes> receipt = SignAirReceipt(*key, claims);
    ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
    EXPECT_EQ(HexEncode(*receipt), v["receipt_hex"].get<std::string>());

    // And the verifier decodes the same claims back.
    AirVerifyResult result = VerifyAirReceipt(*receipt, key->PublicKey(), {});
    ASSERT_TRUE(result.claims.has_value());
    EXPECT_EQ(EncodeAirClaims(*result.claims).value(), *payload);
  }
}

TEST(AirVectors, NoMutationOfAValidVectorVerifies) {
  json v = testing::ReadJsonOrFail(VectorDir() + "/valid/v1-nitro-no-nonce.json");
  Bytes receipt = Hex(v["receipt_hex"]);
  Bytes key = Hex(v["public_key_hex"]);
  for (size_t len = 0; len < receipt.size(); ++len) {
    ByteSpan truncated(receipt.data(), len);
    ASSERT_FALSE(VerifyAirReceipt(truncated, key, {}).verified) << "length " << len;
  }
  for (size_t bit = 0; bit < receipt.size() * 8; ++bit) {
    Bytes flipped = receipt;
    flipped[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    ASSERT_FALSE(VerifyAirReceipt(flipped, key, {}).verified) << "bit " << bit;
  }
}

}  // namespace
}  // namespace eml::receipt

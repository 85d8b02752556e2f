#include "policy/policy_test_util.h"

#include <gtest/gtest.h>

#include "cbor/encode.h"
#include "cose/sign1.h"
#include "policy/signed_policy.h"
#include "tests/testing.h"

namespace eml::policy::testing {

std::string TestDataPath(const std::string& name) {
  return eml::testing::SourceDir() + "/src/policy/testdata/" + name;
}

Bytes AwsNitroRootDer() {
  return eml::testing::ReadFileOrFail(
      eml::testing::SharedPath("vectors/nitro/aws_nitro_root_ca.der"));
}

Bytes DevRootDer() { return eml::testing::ReadFileOrFail(TestDataPath("dev_root_ca.der")); }

Bytes NotACaDer() { return eml::testing::ReadFileOrFail(TestDataPath("not_a_ca.der")); }

Bytes RealPcr(uint32_t index) {
  // Copied from ../shared/vectors/nitro/SOURCES.md (decoded independently
  // with python there); appraise_test also reads them from the document.
  switch (index) {
    case 0:
      return eml::testing::Hex("e72a46ca80a260fb044a125442f0c7e331813bcbaf9724d9f3857758992766f2"
                               "d65710a27aa94ae3949dd54e7c9fe86a");
    case 1:
      return eml::testing::Hex("0343b056cd8485ca7890ddd833476d78460aed2aa161548e4e26bedf32172669"
                               "6257d623e8805f3f605946b3d8b0c6aa");
    case 2:
      return eml::testing::Hex("d5dcbdea0aa39c802f9d55ced2ea6e4d74ecec5f08fe40c508882639c9090642"
                               "669106a062a3e24ee2805a3024b9b75c");
    default:
      ADD_FAILURE() << "no real PCR " << index;
      return {};
  }
}

Bytes Filled(size_t size, uint8_t byte) { return Bytes(size, byte); }

crypto::Ed25519PrivateKey OwnerKey() {
  return std::move(crypto::Ed25519PrivateKey::FromSeed(Filled(32, 0x2a))).value();
}

crypto::Ed25519PrivateKey OtherKey() {
  return std::move(crypto::Ed25519PrivateKey::FromSeed(Filled(32, 0x07))).value();
}

Policy SamplePolicy() {
  Policy p;
  p.version = 5;
  p.policy_id = "sample";
  p.created_at = kCreated;
  p.expires_at = kExpires;
  p.max_evidence_age_s = 300;
  p.allow_evaluation = false;
  p.roots = {{.platform = "nitro", .name = "aws", .der = AwsNitroRootDer(), .evaluation = false},
             {.platform = "nitro", .name = "dev", .der = DevRootDer(), .evaluation = true}};
  p.measurements = {
      {.platform = "nitro", .name = "real",
       .values = {{0, RealPcr(0)}, {1, RealPcr(1)}, {2, RealPcr(2)}}},
      {.platform = "nitro", .name = "other",
       .values = {{0, Filled(48, 0x11)}, {1, Filled(48, 0x22)}, {2, Filled(48, 0x33)}}}};
  p.models = {{.model_id = "minilm", .model_hash = Filled(32, 0xaa)},
              {.model_id = "any-hash", .model_hash = std::nullopt}};
  return p;
}

Bytes SignPayloadBytes(ByteSpan payload, const crypto::Ed25519PrivateKey& key) {
  cbor::MapEntries headers = {{cbor::Value::Int(cose::kLabelContentType),
                               cbor::Value::Text(kPolicyContentType)}};
  StatusOr<Bytes> file =
      cose::BuildSign1(key, {.protected_headers = headers, .payload = payload, .tagged = true});
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  return file.ok() ? *file : Bytes{};
}

Bytes SignPayloadValue(const cbor::Value& payload) {
  StatusOr<Bytes> encoded = cbor::Encode(payload);
  EXPECT_TRUE(encoded.ok()) << encoded.status().ToString();
  return SignPayloadBytes(encoded.ok() ? *encoded : Bytes{}, OwnerKey());
}

cbor::Value& MapEntry(cbor::Value& map, std::string_view key) {
  for (auto& [k, v] : map.mutable_map()) {
    if (k.is_text() && k.text() == key) return v;
  }
  ADD_FAILURE() << "no key " << key;
  static cbor::Value dummy;
  return dummy;
}

}  // namespace eml::policy::testing

#include "attest/nitro.h"

#include <gtest/gtest.h>

#include "core/encoding.h"
#include "tests/testing.h"

namespace eml::attest {
namespace {

using eml::testing::ReadFileOrFail;
using eml::testing::ReadJsonOrFail;
using eml::testing::SharedPath;

constexpr char kDoc[] = "vectors/nitro/blocky-nitrite_nitro_attestation_2024-09-07.cbor";
constexpr char kRoot[] = "vectors/nitro/aws_nitro_root_ca.der";

TEST(NitroTest, RealDocumentVerifiesAtItsOwnTime) {
  const Bytes doc = ReadFileOrFail(SharedPath(kDoc));
  const Bytes root = ReadFileOrFail(SharedPath(kRoot));
  StatusOr<NitroDocument> parsed = VerifyNitroDocument(doc, root);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();

  // Expected values come from index.json, decoded independently (Python).
  const nlohmann::json index = ReadJsonOrFail(SharedPath("vectors/nitro/index.json"));
  ASSERT_TRUE(index.is_array() && !index.empty());
  const nlohmann::json& want = index[0];
  ASSERT_EQ(want["file"], "blocky-nitrite_nitro_attestation_2024-09-07.cbor");
  EXPECT_EQ(parsed->module_id, want["module_id"].get<std::string>());
  EXPECT_EQ(parsed->timestamp_ms, want["timestamp_ms"].get<int64_t>());
  ASSERT_EQ(parsed->pcrs.size(), want["pcrs"].size());
  for (const auto& [index_text, hex] : want["pcrs"].items()) {
    const uint32_t i = static_cast<uint32_t>(std::stoul(index_text));
    ASSERT_TRUE(parsed->pcrs.count(i)) << i;
    EXPECT_EQ(HexEncode(parsed->pcrs.at(i)), hex.get<std::string>()) << "pcr " << i;
  }
  EXPECT_EQ(parsed->cabundle_der.size(), want["cabundle_len"].get<size_t>());
  ASSERT_TRUE(parsed->public_key && parsed->user_data && parsed->nonce);
  EXPECT_EQ(*parsed->nonce, Bytes(1024, 0x01));
  EXPECT_EQ(*parsed->user_data, Bytes(1024, 0x01));
}

TEST(NitroTest, WrongPinnedRootFails) {
  const Bytes doc = ReadFileOrFail(SharedPath(kDoc));
  StatusOr<NitroDocument> parsed = ParseNitroDocument(doc);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  // An intermediate of the document itself is a valid certificate, but not the root we pin.
  StatusOr<NitroDocument> verified = VerifyNitroDocument(doc, parsed->cabundle_der[1]);
  EXPECT_EQ(verified.status().code(), StatusCode::kVerificationFailed);
}

TEST(NitroTest, TamperedDocumentsFail) {
  const Bytes doc = ReadFileOrFail(SharedPath(kDoc));
  const Bytes root = ReadFileOrFail(SharedPath(kRoot));
  ASSERT_TRUE(VerifyNitroDocument(doc, root).ok());
  // One flipped bit in every 7th byte (covering headers, payload, chain and
  // signature): never accepted, never a crash.
  for (size_t i = 0; i < doc.size(); i += 7) {
    Bytes bad = doc;
    bad[i] ^= static_cast<uint8_t>(1u << (i % 8));
    EXPECT_FALSE(VerifyNitroDocument(bad, root).ok()) << "byte " << i;
  }
  for (size_t len = 0; len < doc.size(); len += 13) {
    EXPECT_FALSE(VerifyNitroDocument(ByteSpan(doc).first(len), root).ok()) << "length " << len;
  }
}

TEST(NitroTest, RejectsOversizeDocument) {
  const Bytes big(kNitroMaxDocumentSize + 1, 0);
  EXPECT_EQ(ParseNitroDocument(big).status().code(), StatusCode::kLimitExceeded);
}

}  // namespace
}  // namespace eml::attest

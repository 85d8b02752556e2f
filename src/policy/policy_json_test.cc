// The editable JSON form (docs/policy.md "JSON form").
#include "policy/policy_json.h"

#include <gtest/gtest.h>

#include "core/encoding.h"
#include "policy/policy_test_util.h"
#include "tests/testing.h"

namespace eml::policy {
namespace {

using testing::SamplePolicy;

// The JSON a person would write for SamplePolicy(): the AWS root by absolute
// path, the dev root by a PEM path relative to base_dir.
std::string HandWritten() {
  const std::string aws = eml::testing::SharedPath("vectors/nitro/aws_nitro_root_ca.der");
  return R"({
  "policy_id": "sample", "version": 5,
  "created_at": 1700000000, "expires_at": 1900000000,
  "max_evidence_age_s": 300, "allow_evaluation": false, "any_model": false,
  "roots": [
    {"platform": "nitro", "name": "aws", "evaluation": false, "der_file": ")" + aws + R"("},
    {"platform": "nitro", "name": "dev", "evaluation": true, "der_file": "dev_root_ca.pem"}
  ],
  "measurements": [
    {"platform": "nitro", "name": "real", "values": {
      "pcr0": "E72A46CA80A260FB044A125442F0C7E331813BCBAF9724D9F3857758992766F2D65710A27AA94AE3949DD54E7C9FE86A",
      "pcr1": "0343b056cd8485ca7890ddd833476d78460aed2aa161548e4e26bedf321726696257d623e8805f3f605946b3d8b0c6aa",
      "pcr2": "d5dcbdea0aa39c802f9d55ced2ea6e4d74ecec5f08fe40c508882639c9090642669106a062a3e24ee2805a3024b9b75c"}},
    {"platform": "nitro", "name": "other", "values": {
      "pcr0": ")" + std::string(96, '1') + R"(",
      "pcr1": ")" + std::string(96, '2') + R"(",
      "pcr2": ")" + std::string(96, '3') + R"("}}
  ],
  "models": [
    {"model_id": "minilm", "model_hash": ")" + std::string(64, 'a') + R"("},
    {"model_id": "any-hash"}
  ]
})";
}

JsonOptions TestDataBase() { return {.base_dir = testing::TestDataPath("")}; }

TEST(PolicyJson, HandWrittenEqualsSample) {
  StatusOr<Policy> p = PolicyFromJson(HandWritten(), TestDataBase());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p, SamplePolicy());
}

TEST(PolicyJson, RoundTrip) {
  const std::string text = PolicyToJson(SamplePolicy());
  StatusOr<Policy> p = PolicyFromJson(text, {.allow_der_files = false});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p, SamplePolicy());
  EXPECT_EQ(PolicyToJson(*p), text);
  EXPECT_NE(text.find("\"der_base64\": \"" + Base64Encode(testing::DevRootDer()) + "\""),
            std::string::npos);
}

TEST(PolicyJson, TdxExtraTcbStatusesRoundTrip) {
  Policy p = SamplePolicy();
  EXPECT_EQ(PolicyToJson(p).find("tdx_extra_tcb_statuses"), std::string::npos);
  p.tdx_extra_tcb_statuses = {"ConfigurationNeeded"};
  const std::string text = PolicyToJson(p);
  StatusOr<Policy> back = PolicyFromJson(text, {.allow_der_files = false});
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, p);
  std::string revoked = text;
  revoked.replace(revoked.find("ConfigurationNeeded"), 19, "Revoked");
  EXPECT_FALSE(PolicyFromJson(revoked, {.allow_der_files = false}).ok());
}

TEST(PolicyJson, RootSources) {
  const std::string dev_hex = HexEncode(testing::DevRootDer());
  const std::string dev_b64 = Base64Encode(testing::DevRootDer());
  const std::string head = R"({"policy_id": "x", "version": 1, "created_at": 1, "expires_at": 2,
    "max_evidence_age_s": 1, "allow_evaluation": false, "any_model": true,
    "measurements": [], "models": [], "roots": [{"platform": "nitro", "name": "d",
    "evaluation": true, )";
  auto parse = [&](const std::string& source, const JsonOptions& options) {
    return PolicyFromJson(head + source + "}]}", options);
  };
  for (const std::string& source : {"\"der_hex\": \"" + dev_hex + "\"",
                                    "\"der_base64\": \"" + dev_b64 + "\"",
                                    std::string("\"der_file\": \"dev_root_ca.der\""),
                                    std::string("\"der_file\": \"dev_root_ca.pem\"")}) {
    StatusOr<Policy> p = parse(source, TestDataBase());
    ASSERT_TRUE(p.ok()) << source << ": " << p.status().ToString();
    EXPECT_EQ(p->roots[0].der, testing::DevRootDer()) << source;
  }
  EXPECT_FALSE(parse("\"der_hex\": \"" + dev_hex + "\", \"der_base64\": \"" + dev_b64 + "\"",
                     TestDataBase())
                   .ok());
  StatusOr<Policy> none = parse("\"x\": 1", TestDataBase());
  EXPECT_FALSE(none.ok());
  StatusOr<Policy> no_files = parse("\"der_file\": \"dev_root_ca.der\"", {.allow_der_files = false});
  EXPECT_NE(no_files.status().message().find("not allowed"), std::string::npos);
  EXPECT_EQ(parse("\"der_file\": \"missing.der\"", TestDataBase()).status().code(),
            StatusCode::kNotFound);
  EXPECT_FALSE(parse("\"der_hex\": \"zz\"", TestDataBase()).ok());
  EXPECT_FALSE(parse("\"der_base64\": \"***\"", TestDataBase()).ok());
}

// Replaces the first occurrence of `from` in the sample's JSON.
StatusOr<Policy> ParseEdited(std::string_view from, std::string_view to) {
  std::string text = PolicyToJson(SamplePolicy());
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return PolicyFromJson(text);
}

void ExpectRejected(const StatusOr<Policy>& p, std::string_view fragment) {
  ASSERT_FALSE(p.ok()) << fragment;
  EXPECT_NE(p.status().message().find(fragment), std::string::npos) << p.status().ToString();
}

TEST(PolicyJson, StrictSyntaxAndTypes) {
  ExpectRejected(ParseEdited("\"version\": 5", "\"version\": -5"), "version is not a non-negative");
  ExpectRejected(ParseEdited("\"version\": 5", "\"version\": 5.0"), "version is not a non-negative");
  ExpectRejected(ParseEdited("\"version\": 5", "\"version\": \"5\""), "version is not a non-negative");
  ExpectRejected(ParseEdited("\"version\": 5", "\"version\": 0"), "version must be at least 1");
  ExpectRejected(ParseEdited("\"created_at\": 1700000000", "\"created_at\": 253402300800"),
                 "created_at out of range");
  ExpectRejected(ParseEdited("\"max_evidence_age_s\": 300", "\"max_evidence_age_s\": 4294967296"),
                 "max_evidence_age_s out of range");
  ExpectRejected(ParseEdited("\"any_model\": false", "\"any_model\": 0"), "any_model is not a boolean");
  ExpectRejected(ParseEdited("\"version\": 5", "\"version\": 5, \"extra\": 1"), "unknown key");
  ExpectRejected(ParseEdited("\"version\": 5", "\"version\": 5, \"version\": 6"), "duplicate key");
  ExpectRejected(ParseEdited("\"any_model\": false,", ""), "any_model missing");
  ExpectRejected(ParseEdited("\"model_id\": \"minilm\"", "\"model_id\": \"minilm\", \"x\": []"),
                 "models[0] has an unknown key");
  ExpectRejected(ParseEdited("\"name\": \"real\"", "\"name\": \"real\", \"name\": \"again\""),
                 "duplicate key");
  ExpectRejected(ParseEdited("\"model_id\": \"minilm\"", "\"model_id\": {\"a\": [[1]]}"),
                 "nested deeper");
  ExpectRejected(PolicyFromJson("{"), "not valid JSON");
  ExpectRejected(PolicyFromJson("[]"), "policy is not an object");
  ExpectRejected(PolicyFromJson(std::string(kMaxPolicyJsonSize + 1, ' ')), "exceeds");
}

TEST(PolicyJson, MeasurementNames) {
  for (const char* bad : {"pcr01", "PCR0", "pcr32", "pcr", "pcr-1", "mrtd", "pcr0 "}) {
    ExpectRejected(ParseEdited("\"pcr0\": \"e72a", std::string("\"") + bad + "\": \"e72a"),
                   "pcr0..pcr31");
  }
  ExpectRejected(ParseEdited("\"pcr1\": \"0343", "\"pcr1\": \"x343"), "pcr1 is not hex");
  ExpectRejected(ParseEdited("\"pcr1\": \"0343", "\"pcr1\": \"43"), "pcr1 must be 48 bytes");
  StatusOr<Policy> extra = ParseEdited("\"pcr0\": \"e72a", "\"pcr31\": \"" +
                                                               std::string(96, '9') +
                                                               "\", \"pcr0\": \"e72a");
  ASSERT_TRUE(extra.ok()) << extra.status().ToString();
  EXPECT_EQ(extra->measurements[0].values.at(31), testing::Filled(48, 0x99));
}

TEST(PolicyJson, ValidationAppliesToJsonToo) {
  ExpectRejected(ParseEdited("\"model_hash\": \"aaaa", "\"model_hash\": \"aa"),
                 "model_hash must be 32 bytes");
  ExpectRejected(ParseEdited("\"platform\": \"nitro\"", "\"platform\": \"sgx\""),
                 "not a known platform");
}

// TDX and SEV-SNP tuples and roots: names, sizes and required values
// (policy.h), in JSON and through ValidatePolicy.
TEST(PolicyJson, TdxAndSnpTuples) {
  const std::string h48 = std::string(96, 'a'), h32 = std::string(64, 'b');
  auto with_tuple = [&](const std::string& tuple) {
    std::string text = PolicyToJson(SamplePolicy());
    const std::string anchor = "\"measurements\": [";
    const size_t at = text.find(anchor);
    EXPECT_NE(at, std::string::npos);
    text.insert(at + anchor.size(), tuple + ",");
    return PolicyFromJson(text);
  };
  const std::string tdx = R"({"platform": "tdx", "name": "td", "values": {"mrtd": ")" + h48 +
                          R"(", "rtmr0": ")" + h48 + R"(", "rtmr1": ")" + h48 +
                          R"(", "rtmr2": ")" + h48 + R"("}})";
  StatusOr<Policy> p = with_tuple(tdx);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const MeasurementTuple& t = p->measurements[0];
  EXPECT_EQ(t.platform, "tdx");
  EXPECT_EQ(t.values.size(), 4u);
  EXPECT_EQ(t.values.at(0), testing::Filled(48, 0xaa));  // mrtd is index 0
  EXPECT_EQ(MeasurementName("tdx", 4), "rtmr3");
  // Round trip keeps the names.
  const std::string again = PolicyToJson(*p);
  EXPECT_NE(again.find("\"rtmr2\": \"" + h48 + "\""), std::string::npos);
  StatusOr<Policy> reread = PolicyFromJson(again, {.allow_der_files = false});
  ASSERT_TRUE(reread.ok()) << reread.status().ToString();
  EXPECT_EQ(*reread, *p);

  std::string missing = tdx;
  missing.replace(missing.find(", \"rtmr2\""), 8 + 4 + 96 + 1, "");
  ExpectRejected(with_tuple(missing), "rtmr2 missing (required for tdx)");
  ExpectRejected(with_tuple(R"({"platform": "tdx", "name": "td", "values": {"pcr0": ")" + h48 + R"("}})"),
                 "unknown tdx measurement name");
  std::string short_mrtd = tdx;
  short_mrtd.replace(short_mrtd.find(h48), 96, h32);
  ExpectRejected(with_tuple(short_mrtd), "mrtd must be 48 bytes");

  const std::string snp = R"({"platform": "snp", "name": "vm", "values": {"measurement": ")" +
                          h48 + R"(", "host_data": ")" + h32 + R"("}})";
  p = with_tuple(snp);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->measurements[0].values.at(1), testing::Filled(32, 0xbb));  // host_data is index 1
  ExpectRejected(with_tuple(R"({"platform": "snp", "name": "vm", "values": {"measurement": ")" +
                            h48 + R"("}})"),
                 "host_data missing (required for snp)");
  ExpectRejected(with_tuple(R"({"platform": "snp", "name": "vm", "values": {"measurement": ")" +
                            h48 + R"(", "host_data": ")" + h48 + R"("}})"),
                 "host_data must be 32 bytes");
}

TEST(PolicyJson, CertificateFileSizeLimit) {
  const std::string path = ::testing::TempDir() + "/policy_big_cert.der";
  FILE* f = fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  const std::string big(kMaxRootDerSize + 1, '\x30');
  fwrite(big.data(), 1, big.size(), f);
  fclose(f);
  EXPECT_EQ(ReadCertificateFile(path).status().code(), StatusCode::kLimitExceeded);
  remove(path.c_str());
}

}  // namespace
}  // namespace eml::policy

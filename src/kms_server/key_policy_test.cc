// Key-policy subset: parsing limits and AWS evaluation order.
#include "kms_server/key_policy.h"

#include <gtest/gtest.h>

#include "core/encoding.h"

namespace eml::kms_server {
namespace {

const char kCaller[] = "arn:aws:iam::111122223333:role/enclave";

std::map<uint32_t, Bytes> Pcrs() {
  std::map<uint32_t, Bytes> pcrs;
  for (uint32_t i = 0; i < 16; ++i) pcrs[i] = Bytes(48, static_cast<uint8_t>(0xa0 + i));
  return pcrs;
}
std::string PcrHex(uint32_t i) { return HexEncode(Pcrs()[i]); }

PolicyDecision Eval(const std::string& text, const std::string& action,
                    const std::map<uint32_t, Bytes>* pcrs, const std::string& caller = kCaller) {
  auto policy = ParseKeyPolicy(text);
  EXPECT_TRUE(policy.ok()) << policy.status().ToString() << "\n" << text;
  if (!policy.ok()) return PolicyDecision::kExplicitDeny;
  return EvaluateKeyPolicy(*policy, {.action = action, .principal_arn = caller, .attested_pcrs = pcrs});
}

std::string Allow(const std::string& condition, const std::string& action = "kms:Decrypt") {
  return R"({"Version":"2012-10-17","Statement":[{"Sid":"s","Effect":"Allow","Principal":{"AWS":")" +
         std::string(kCaller) + R"("},"Action":")" + action + R"(","Resource":"*")" +
         (condition.empty() ? "" : ",\"Condition\":" + condition) + "}]}";
}

TEST(KeyPolicyTest, ImageSha384IsPcr0AsLowerCaseHex) {
  const auto pcrs = Pcrs();
  const std::string cond = R"({"StringEquals":{"kms:RecipientAttestation:ImageSha384":")" + PcrHex(0) + "\"}}";
  EXPECT_EQ(Eval(Allow(cond), "kms:Decrypt", &pcrs), PolicyDecision::kAllow);
  EXPECT_EQ(Eval(Allow(cond), "kms:Decrypt", nullptr), PolicyDecision::kImplicitDeny);  // no Recipient
  EXPECT_EQ(Eval(Allow(cond), "kms:Encrypt", &pcrs), PolicyDecision::kImplicitDeny);    // other action
  EXPECT_EQ(Eval(Allow(cond), "kms:Decrypt", &pcrs, "arn:aws:iam::999999999999:role/x"),
            PolicyDecision::kImplicitDeny);
  // StringEquals is case-sensitive; StringEqualsIgnoreCase is not.
  std::string upper = PcrHex(0);
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_EQ(Eval(Allow(R"({"StringEquals":{"kms:RecipientAttestation:ImageSha384":")" + upper + "\"}}"),
                 "kms:Decrypt", &pcrs),
            PolicyDecision::kImplicitDeny);
  EXPECT_EQ(Eval(Allow(R"({"StringEqualsIgnoreCase":{"kms:RecipientAttestation:ImageSha384":")" + upper + "\"}}"),
                 "kms:Decrypt", &pcrs),
            PolicyDecision::kAllow);
}

TEST(KeyPolicyTest, PcrConditionsAllMustHoldAndListsAreOr) {
  const auto pcrs = Pcrs();
  const std::string both = R"({"StringEquals":{"kms:RecipientAttestation:PCR0":")" + PcrHex(0) +
                           R"(","kms:RecipientAttestation:PCR8":")" + PcrHex(8) + "\"}}";
  EXPECT_EQ(Eval(Allow(both), "kms:Decrypt", &pcrs), PolicyDecision::kAllow);
  const std::string one_wrong = R"({"StringEquals":{"kms:RecipientAttestation:PCR0":")" + PcrHex(0) +
                                R"(","kms:RecipientAttestation:PCR8":")" + PcrHex(7) + "\"}}";
  EXPECT_EQ(Eval(Allow(one_wrong), "kms:Decrypt", &pcrs), PolicyDecision::kImplicitDeny);
  const std::string any_of = R"({"StringEquals":{"kms:RecipientAttestation:PCR2":[")" + PcrHex(1) +
                             R"(",")" + PcrHex(2) + "\"]}}";
  EXPECT_EQ(Eval(Allow(any_of), "kms:Decrypt", &pcrs), PolicyDecision::kAllow);
  // A PCR the document does not have.
  const std::string absent = R"({"StringEquals":{"kms:RecipientAttestation:PCR20":")" + PcrHex(0) + "\"}}";
  EXPECT_EQ(Eval(Allow(absent), "kms:Decrypt", &pcrs), PolicyDecision::kImplicitDeny);
}

TEST(KeyPolicyTest, UnknownConditionsFailClosed) {
  const auto pcrs = Pcrs();
  for (const std::string& cond : std::vector<std::string>{
        R"({"StringLike":{"kms:RecipientAttestation:PCR0":"*"}})",
        R"({"StringEqualsIfExists":{"kms:RecipientAttestation:PCR0":"x"}})",
        R"({"StringEquals":{"kms:RecipientAttestation:PCR00":")" + PcrHex(0) + "\"}}",
        R"({"StringEquals":{"kms:RecipientAttestation:PCR32":")" + PcrHex(0) + "\"}}",
        R"({"StringEquals":{"kms:EncryptionContext:purpose":"x"}})",
        R"({"StringEquals":{"aws:username":"x"}})"}) {
    EXPECT_EQ(Eval(Allow(cond), "kms:Decrypt", &pcrs), PolicyDecision::kImplicitDeny) << cond;
    // In a Deny the unknown condition counts as true: the Deny applies.
    const std::string deny = R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
      {"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":)" + cond + "}]}";
    EXPECT_EQ(Eval(deny, "kms:Decrypt", &pcrs), PolicyDecision::kExplicitDeny) << cond;
  }
}

TEST(KeyPolicyTest, ExplicitDenyWinsAndWildcards) {
  const auto pcrs = Pcrs();
  const std::string policy = R"({"Statement":[
    {"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
    {"Effect":"Deny","Principal":{"AWS":["arn:aws:iam::111122223333:root"]},"Action":["kms:Decrypt"],"Resource":["*"]}]})";
  EXPECT_EQ(Eval(policy, "kms:Decrypt", &pcrs), PolicyDecision::kExplicitDeny);
  EXPECT_EQ(Eval(policy, "kms:Encrypt", &pcrs), PolicyDecision::kAllow);
  EXPECT_EQ(Eval(policy, "kms:Decrypt", &pcrs, "arn:aws:iam::222222222222:user/x"), PolicyDecision::kAllow);
  EXPECT_EQ(Eval(R"({"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"KMS:decrypt","Resource":"*"}})",
                 "kms:Decrypt", nullptr),
            PolicyDecision::kAllow);
  EXPECT_EQ(Eval(R"({"Statement":{"Effect":"Deny","Principal":"*","Action":"kms:Encrypt","Resource":"*"}})",
                 "kms:Decrypt", nullptr),
            PolicyDecision::kImplicitDeny);
}

TEST(KeyPolicyTest, MalformedPoliciesAreRejected) {
  for (const char* bad : {
           "", "null", "[]", "{}", R"({"Statement":[]})", R"({"Statement":"x"})",
           R"({"Version":"2020-01-01","Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}})",
           R"({"Statement":{"Principal":"*","Action":"kms:*","Resource":"*"}})",
           R"({"Statement":{"Effect":"allow","Principal":"*","Action":"kms:*","Resource":"*"}})",
           R"({"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}})",
           R"({"Statement":{"Effect":"Allow","Principal":"me","Action":"kms:*","Resource":"*"}})",
           R"({"Statement":{"Effect":"Allow","Principal":{"Service":"x"},"Action":"kms:*","Resource":"*"}})",
           R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}})",
           R"({"Statement":{"Effect":"Allow","Principal":"*","Action":[],"Resource":"*"}})",
           R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"arn:x"}})",
           R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*"}})",
           R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","NotAction":"x"}})",
           R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{}}}})",
           R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"k":1}}}})",
           R"({"Statement":{"Effect":"Allow","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*"}})",
           R"({"Statement":[[[[[[[[[[]]]]]]]]]]})"}) {
    EXPECT_EQ(ParseKeyPolicy(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(ParseKeyPolicy(std::string(kMaxKeyPolicySize + 1, ' ')).ok());
  EXPECT_TRUE(ParseKeyPolicy(DefaultKeyPolicyJson()).ok());
}

}  // namespace
}  // namespace eml::kms_server

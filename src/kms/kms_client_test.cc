// KmsClient against a scripted transport: request shape, response checks
// (Recipient responses must not carry Plaintext), AWS error mapping, bounds.
#include "kms/kms_client.h"

#include <stdlib.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "crypto/cms.h"
#include "crypto/hash.h"
#include "kms/kms_json.h"

namespace eml::kms {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1440938160;  // 20150830T123600Z

struct Scripted {
  int status = 200;
  std::string body;
  std::optional<net::HttpRequest> seen;
};

KmsClient MakeClient(Scripted* script, const Clock* clock) {
  auto client = KmsClient::Create(
      {.region = "us-east-1",
       .credentials = Credentials{"AKIDEXAMPLE", SecretBytes(AsBytes("wJalrXUtnFEMI/K7MDENG")), "tok"},
       .transport = [script](const net::HttpRequest& r) -> StatusOr<net::HttpResponse> {
         script->seen = r;
         return net::HttpResponse{.status = script->status, .reason = "x", .headers = {},
                                  .body = ToBytes(script->body)};
       },
       .clock = clock});
  EXPECT_TRUE(client.ok());
  return std::move(*client);
}

class KmsClientTest : public ::testing::Test {
 protected:
  FakeClock clock_{kNow * 1000};
  Scripted script_;
  KmsClient client_ = MakeClient(&script_, &clock_);
};

TEST_F(KmsClientTest, RequestShape) {
  script_.body = json{{"CiphertextBlob", Base64Encode(ToBytes("blob"))},
                      {"KeyId", "arn:k"},
                      {"Plaintext", Base64Encode(Bytes(32, 7))}}
                     .dump();
  auto r = client_.GenerateDataKey(
      {.key_id = "k1", .key_spec = "AES_256", .encryption_context = {{"a", "b"}}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->plaintext, SecretBytes(Bytes(32, 7)));
  EXPECT_EQ(r->ciphertext_blob, ToBytes("blob"));
  ASSERT_TRUE(script_.seen.has_value());
  const net::HttpRequest& req = *script_.seen;
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/");
  EXPECT_EQ(*net::FindHeader(req.headers, "host"), "kms.us-east-1.amazonaws.com");
  EXPECT_EQ(*net::FindHeader(req.headers, "content-type"), "application/x-amz-json-1.1");
  EXPECT_EQ(*net::FindHeader(req.headers, "x-amz-target"), "TrentService.GenerateDataKey");
  EXPECT_EQ(*net::FindHeader(req.headers, "x-amz-date"), "20150830T123600Z");
  EXPECT_EQ(*net::FindHeader(req.headers, "x-amz-security-token"), "tok");
  EXPECT_EQ(*net::FindHeader(req.headers, "x-amz-content-sha256"), HexEncode(crypto::Sha256(req.body)));
  const std::string auth(*net::FindHeader(req.headers, "authorization"));
  EXPECT_EQ(auth.rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request, "
                       "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;"
                       "x-amz-security-token;x-amz-target, Signature=", 0),
            0u) << auth;
  const json body = json::parse(AsStringView(req.body));
  EXPECT_EQ(body, (json{{"KeyId", "k1"}, {"KeySpec", "AES_256"}, {"EncryptionContext", {{"a", "b"}}}}));
  // A data key of the wrong length is refused.
  auto short_key = client_.GenerateDataKey({.key_id = "k1", .key_spec = "AES_128"});
  EXPECT_EQ(short_key.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(KmsClientTest, RecipientResponseMustNotCarryPlaintext) {
  auto rsa = crypto::RsaPrivateKey::Generate2048();
  ASSERT_TRUE(rsa.ok());
  const Bytes document = ToBytes("attestation document bytes");
  KmsRecipient recipient{document, &*rsa};
  const Bytes data_key(32, 9);
  auto envelope = crypto::EncryptCmsEnvelopedData(data_key, rsa->PublicKeySpkiDer());
  ASSERT_TRUE(envelope.ok());
  json response = {{"CiphertextBlob", Base64Encode(ToBytes("blob"))},
                   {"KeyId", "arn:k"},
                   {"CiphertextForRecipient", Base64Encode(*envelope)}};
  script_.body = response.dump();
  auto ok = client_.GenerateDataKey({.key_id = "k", .key_spec = "AES_256", .recipient = &recipient});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->plaintext, SecretBytes(data_key));
  const json sent = json::parse(AsStringView(script_.seen->body));
  EXPECT_EQ(sent["Recipient"],
            (json{{"AttestationDocument", Base64Encode(document)},
                  {"KeyEncryptionAlgorithm", "RSAES_OAEP_SHA_256"}}));

  response["Plaintext"] = Base64Encode(data_key);  // a proxy that stripped the attestation
  script_.body = response.dump();
  auto refused = client_.GenerateDataKey({.key_id = "k", .key_spec = "AES_256", .recipient = &recipient});
  EXPECT_EQ(refused.status().code(), StatusCode::kVerificationFailed);
  auto refused_decrypt = client_.Decrypt({.ciphertext_blob = ToBytes("blob"), .recipient = &recipient});
  EXPECT_EQ(refused_decrypt.status().code(), StatusCode::kVerificationFailed);
  // null / empty Plaintext is what AWS sends: accepted.
  response["Plaintext"] = nullptr;
  script_.body = response.dump();
  EXPECT_TRUE(client_.Decrypt({.ciphertext_blob = ToBytes("blob"), .recipient = &recipient}).ok());
  // No CiphertextForRecipient, or one for another key.
  response.erase("CiphertextForRecipient");
  script_.body = response.dump();
  EXPECT_FALSE(client_.Decrypt({.ciphertext_blob = ToBytes("blob"), .recipient = &recipient}).ok());
  auto other = crypto::RsaPrivateKey::Generate2048();
  ASSERT_TRUE(other.ok());
  response["CiphertextForRecipient"] =
      Base64Encode(*crypto::EncryptCmsEnvelopedData(data_key, other->PublicKeySpkiDer()));
  script_.body = response.dump();
  EXPECT_EQ(client_.Decrypt({.ciphertext_blob = ToBytes("blob"), .recipient = &recipient}).status().code(),
            StatusCode::kVerificationFailed);
}

TEST_F(KmsClientTest, AwsErrorsMapToTypedStatuses) {
  struct Case {
    int status;
    std::string body;
    std::string_view type;
    StatusCode code;
  };
  for (const Case& c : std::vector<Case>{
           {400, R"({"__type":"AccessDeniedException","message":"no"})", "AccessDeniedException",
            StatusCode::kVerificationFailed},
           {400, R"({"__type":"com.amazonaws.kms#NotFoundException","Message":"gone"})",
            "NotFoundException", StatusCode::kNotFound},
           {400, R"({"__type":"InvalidCiphertextException"})", "InvalidCiphertextException",
            StatusCode::kInvalidArgument},
           {500, R"({"__type":"KMSInternalException","message":"x"})", "KMSInternalException",
            StatusCode::kInternal},
           {403, R"({"__type":"MissingAuthenticationTokenException","message":"m"})",
            "MissingAuthenticationTokenException", StatusCode::kVerificationFailed}}) {
    script_.status = c.status;
    script_.body = c.body;
    auto r = client_.DescribeKey("k");
    EXPECT_EQ(AwsErrorType(r.status()), c.type) << c.body;
    EXPECT_EQ(r.status().code(), c.code) << c.body;
  }
  // The server's message is made printable and cut; no type: not an AWS error.
  script_.status = 400;
  script_.body = json{{"__type", "ValidationException"}, {"message", std::string(1000, 'x') + "\n"}}.dump();
  auto long_message = client_.DescribeKey("k");
  EXPECT_LE(long_message.status().message().size(), std::string("ValidationException: ").size() + 256);
  script_.body = "<html>bad gateway</html>";
  EXPECT_TRUE(AwsErrorType(client_.DescribeKey("k").status()).empty());
  script_.body = R"({"__type":"Not An Exception; rm -rf"})";
  EXPECT_TRUE(AwsErrorType(client_.DescribeKey("k").status()).empty());
}

TEST_F(KmsClientTest, ResponsesAreBoundedAndStrict) {
  script_.body = std::string(kMaxKmsResponseSize + 1, ' ');
  EXPECT_EQ(client_.DescribeKey("k").status().code(), StatusCode::kLimitExceeded);
  for (const std::string& blob : {std::string("YWJj"), std::string("YWJ"), std::string("YW=j"),
                                  std::string("YWJj\n"), std::string("")}) {
    script_.body = json{{"CiphertextBlob", blob}, {"KeyId", "k"}}.dump();
    auto r = client_.Encrypt({.key_id = "k", .plaintext = AsBytes("x")});
    EXPECT_EQ(r.ok(), blob == "YWJj") << blob;
  }
  script_.body = R"({"KeyId":"k","KeyId":"k2","CiphertextBlob":"YWJj"})";
  EXPECT_FALSE(client_.Encrypt({.key_id = "k", .plaintext = AsBytes("x")}).ok());
}

TEST_F(KmsClientTest, RequestsAreCheckedBeforeSending) {
  EXPECT_FALSE(client_.GenerateDataKey({.key_id = "k"}).ok());
  EXPECT_FALSE(client_.GenerateDataKey({.key_id = "k", .key_spec = "AES_256", .number_of_bytes = 32}).ok());
  EXPECT_FALSE(client_.GenerateDataKey({.key_id = "k", .number_of_bytes = 1025}).ok());
  EXPECT_FALSE(client_.GenerateDataKey({.key_id = "", .key_spec = "AES_256"}).ok());
  EXPECT_FALSE(client_.Encrypt({.key_id = "k", .plaintext = Bytes(4097)}).ok());
  KmsRecipient no_key{AsBytes("doc"), nullptr};
  EXPECT_FALSE(client_.Decrypt({.ciphertext_blob = ToBytes("b"), .recipient = &no_key}).ok());
  EXPECT_FALSE(script_.seen.has_value());
  auto transport = [](const net::HttpRequest&) -> StatusOr<net::HttpResponse> {
    return IoError("unused");
  };
  EXPECT_FALSE(KmsClient::Create({.region = "US East", .credentials = {"a", SecretBytes(), ""},
                                  .transport = transport})
                   .ok());
  EXPECT_FALSE(KmsClient::Create({.region = "us-east-1", .credentials = {"a", SecretBytes(), ""},
                                  .transport = nullptr})
                   .ok());
  EXPECT_TRUE(KmsClient::Create({.region = "cn-north-1", .credentials = {"a", SecretBytes(), ""},
                                 .transport = transport})
                  ->host() == "kms.cn-north-1.amazonaws.com.cn");
}

TEST(KmsCredentialsTest, FromEnvironment) {
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::setenv("AWS_SECRET_ACCESS_KEY", "very-secret", 1);
  auto missing = CredentialsFromEnvironment();
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message().find("very-secret"), std::string::npos);
  ::setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
  ::setenv("AWS_SESSION_TOKEN", "token", 1);
  auto c = CredentialsFromEnvironment();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AKID");
  EXPECT_EQ(c->secret_access_key, SecretBytes(AsBytes("very-secret")));
  EXPECT_EQ(c->session_token, "token");
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  ::unsetenv("AWS_SESSION_TOKEN");
}

}  // namespace
}  // namespace eml::kms

// eml-kms service end to end in process: KmsClient -> KmsService::Handle,
// with development attestation documents (attest/dev_provider.h).
#include "kms_server/service.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "crypto/rsa.h"
#include "kms/kms_client.h"
#include "kms/kms_json.h"
#include "kms_server/kms_test_util.h"

namespace eml::kms_server {
namespace {

using kms::AwsErrorType;
using testing::DevAttester;
using testing::InProcessClient;
using testing::TempDir;

constexpr int64_t kT0Ms = 1795219200000;  // 2026-11-21T00:00:00Z

class KmsServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    attester_ = testing::MakeDevAttester(dir_.path() + "/ca", "enclave image v1", &clock_);
    auto key = crypto::RsaPrivateKey::Generate2048();
    ASSERT_TRUE(key.ok());
    rsa_ = std::make_unique<crypto::RsaPrivateKey>(std::move(*key));
    StartService();
  }

  KmsServiceOptions Options() {
    KmsServiceOptions o;
    o.state_dir = dir_.path() + "/state";
    o.credentials = testing::TestCredentials();
    o.attestation_roots = {attester_.root_der};
    o.clock = &clock_;
    o.single_use_attestation = single_use_;
    return o;
  }

  void StartService() {
    service_.reset();
    auto service = KmsService::Create(Options());
    ASSERT_TRUE(service.ok()) << service.status().ToString();
    service_ = std::move(*service);
  }

  kms::KmsClient Client() { return InProcessClient(service_.get(), &clock_); }

  Bytes Document(ByteSpan public_key) {
    auto doc = attester_.provider->Attest(public_key, {}, {});
    EXPECT_TRUE(doc.ok()) << doc.status().ToString();
    return doc.ok() ? *doc : Bytes();
  }
  Bytes Document() { return Document(rsa_->PublicKeySpkiDer()); }

  std::string CreateKey(const std::string& policy) {
    auto meta = Client().CreateKey({.description = "test", .policy = policy});
    EXPECT_TRUE(meta.ok()) << meta.status().ToString();
    return meta.ok() ? meta->key_id : "";
  }

  StatusOr<kms::GenerateDataKeyResult> GenerateWith(const std::string& key_id, ByteSpan document) {
    kms::KmsRecipient recipient{document, rsa_.get()};
    return Client().GenerateDataKey(
        {.key_id = key_id, .key_spec = "AES_256", .recipient = &recipient});
  }

  FakeClock clock_{kT0Ms};
  TempDir dir_;
  DevAttester attester_;
  std::unique_ptr<crypto::RsaPrivateKey> rsa_;
  bool single_use_ = false;
  std::unique_ptr<KmsService> service_;
};

Bytes Reveal(const SecretBytes& s) { return Bytes(s.RevealSecret().begin(), s.RevealSecret().end()); }

TEST_F(KmsServiceTest, RecipientRoundTripRecoversTheSameDataKey) {
  const std::string key_id = CreateKey(testing::Pcr0Policy(HexEncode(attester_.pcr0)));
  const Bytes document = Document();
  kms::KmsRecipient recipient{document, rsa_.get()};
  const kms::EncryptionContext context = {{"model", "minilm"}, {"version", "1"}};
  auto generated = Client().GenerateDataKey({.key_id = key_id,
                                             .key_spec = "AES_256",
                                             .encryption_context = context,
                                             .recipient = &recipient});
  ASSERT_TRUE(generated.ok()) << generated.status().ToString();
  EXPECT_EQ(generated->plaintext.size(), 32u);
  EXPECT_EQ(generated->key_id, "arn:aws:kms:us-east-1:111122223333:key/" + key_id);

  auto decrypted = Client().Decrypt({.ciphertext_blob = generated->ciphertext_blob,
                                     .encryption_context = context,
                                     .recipient = &recipient});
  ASSERT_TRUE(decrypted.ok()) << decrypted.status().ToString();
  EXPECT_EQ(decrypted->plaintext, generated->plaintext);
  EXPECT_EQ(Reveal(decrypted->plaintext).size(), 32u);

  // Key ARN and key id both name the key on Decrypt.
  auto by_arn = Client().Decrypt({.ciphertext_blob = generated->ciphertext_blob,
                                  .key_id = generated->key_id,
                                  .encryption_context = context,
                                  .recipient = &recipient});
  ASSERT_TRUE(by_arn.ok()) << by_arn.status().ToString();
  EXPECT_EQ(by_arn->plaintext, generated->plaintext);
}

// The raw response to a Recipient request has no Plaintext member at all.
TEST_F(KmsServiceTest, RecipientResponseHasNoPlaintext) {
  const std::string key_id = CreateKey(testing::Pcr0Policy(HexEncode(attester_.pcr0)));
  const Bytes document = Document();
  kms::KmsRecipient recipient{document, rsa_.get()};
  std::optional<net::HttpResponse> seen;
  auto client = kms::KmsClient::Create(
      {.region = "us-east-1",
       .credentials = testing::ClientCredentials(),
       .transport = [&](const net::HttpRequest& r) -> StatusOr<net::HttpResponse> {
         seen = service_->Handle(r);
         return *seen;
       },
       .clock = &clock_});
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE(client->GenerateDataKey({.key_id = key_id, .number_of_bytes = 48, .recipient = &recipient})
                  .ok());
  ASSERT_TRUE(seen.has_value());
  const auto body = nlohmann::json::parse(AsStringView(seen->body));
  EXPECT_FALSE(body.contains("Plaintext"));
  EXPECT_TRUE(body.contains("CiphertextForRecipient"));
}

TEST_F(KmsServiceTest, WrongPcr0InPolicyIsAccessDenied) {
  Bytes other_pcr0 = attester_.pcr0;
  other_pcr0[0] ^= 1;
  const std::string key_id = CreateKey(testing::Pcr0Policy(HexEncode(other_pcr0)));
  auto generated = GenerateWith(key_id, Document());
  EXPECT_EQ(AwsErrorType(generated.status()), "AccessDeniedException") << generated.status().ToString();

  // Decrypt too: a blob made under a permissive key policy, then the policy
  // is narrowed to another image.
  const std::string open_key = CreateKey(testing::Pcr0Policy(HexEncode(attester_.pcr0)));
  auto blob = GenerateWith(open_key, Document());
  ASSERT_TRUE(blob.ok()) << blob.status().ToString();
  ASSERT_TRUE(Client().PutKeyPolicy(open_key, testing::Pcr0Policy(HexEncode(other_pcr0))).ok());
  const Bytes document = Document();
  kms::KmsRecipient recipient{document, rsa_.get()};
  auto decrypted = Client().Decrypt({.ciphertext_blob = blob->ciphertext_blob, .recipient = &recipient});
  EXPECT_EQ(AwsErrorType(decrypted.status()), "AccessDeniedException");
}

TEST_F(KmsServiceTest, MissingRecipientIsAccessDenied) {
  const std::string key_id = CreateKey(testing::Pcr0Policy(HexEncode(attester_.pcr0)));
  auto generated = Client().GenerateDataKey({.key_id = key_id, .key_spec = "AES_256"});
  EXPECT_EQ(AwsErrorType(generated.status()), "AccessDeniedException") << generated.status().ToString();
  EXPECT_EQ(generated.status().code(), StatusCode::kVerificationFailed);

  auto with = GenerateWith(key_id, Document());
  ASSERT_TRUE(with.ok()) << with.status().ToString();
  auto decrypted = Client().Decrypt({.ciphertext_blob = with->ciphertext_blob});
  EXPECT_EQ(AwsErrorType(decrypted.status()), "AccessDeniedException");
  // Encrypt is allowed without attestation by this policy.
  EXPECT_TRUE(Client().Encrypt({.key_id = key_id, .plaintext = AsBytes("x")}).ok());
}

TEST_F(KmsServiceTest, BitFlippedAndTruncatedDocumentsAreValidationErrors) {
  const std::string key_id = CreateKey(testing::Pcr0Policy(HexEncode(attester_.pcr0)));
  const Bytes document = Document();
  ASSERT_TRUE(GenerateWith(key_id, document).ok());
  size_t checked = 0;
  for (size_t i = 0; i < document.size(); ++i) {
    Bytes bad = document;
    bad[i] ^= static_cast<uint8_t>(1u << (i % 8));
    auto r = GenerateWith(key_id, bad);
    ASSERT_EQ(AwsErrorType(r.status()), "ValidationException") << "flip at " << i << ": "
                                                              << r.status().ToString();
    ++checked;
  }
  for (size_t len = 1; len < document.size(); ++len) {
    auto r = GenerateWith(key_id, ByteSpan(document).first(len));
    ASSERT_EQ(AwsErrorType(r.status()), "ValidationException") << "truncated to " << len;
    ++checked;
  }
  EXPECT_EQ(checked, 2 * document.size() - 1);
}

TEST_F(KmsServiceTest, UnverifiableDocumentsAreValidationErrors) {
  const std::string key_id = CreateKey(testing::Pcr0Policy(HexEncode(attester_.pcr0)));
  // Signed by another dev CA that eml-kms does not pin.
  TempDir other;
  DevAttester stranger = testing::MakeDevAttester(other.path() + "/ca", "enclave image v1", &clock_);
  auto foreign = stranger.provider->Attest(rsa_->PublicKeySpkiDer(), {}, {});
  ASSERT_TRUE(foreign.ok());
  EXPECT_EQ(AwsErrorType(GenerateWith(key_id, *foreign).status()), "ValidationException");
  // Older than the five-minute maximum age.
  const Bytes document = Document();
  clock_.AdvanceMillis(5 * 60 * 1000 + 1000);
  EXPECT_EQ(AwsErrorType(GenerateWith(key_id, document).status()), "ValidationException");
  // public_key that is not an RSA-2048 SPKI (and none at all).
  EXPECT_EQ(AwsErrorType(GenerateWith(key_id, Document(AsBytes("not a key"))).status()),
            "ValidationException");
  EXPECT_EQ(AwsErrorType(GenerateWith(key_id, Document({})).status()), "ValidationException");
  // Not a document at all.
  EXPECT_EQ(AwsErrorType(GenerateWith(key_id, AsBytes("hello")).status()), "ValidationException");
}

TEST_F(KmsServiceTest, SingleUseModeRefusesAReplayedDocument) {
  const std::string key_id = CreateKey(testing::Pcr0Policy(HexEncode(attester_.pcr0)));
  const Bytes document = Document();
  // Without the mode, AWS behaviour: the same document works twice.
  ASSERT_TRUE(GenerateWith(key_id, document).ok());
  ASSERT_TRUE(GenerateWith(key_id, document).ok());

  single_use_ = true;
  StartService();
  ASSERT_TRUE(GenerateWith(key_id, document).ok());
  auto replay = GenerateWith(key_id, document);
  EXPECT_EQ(AwsErrorType(replay.status()), "AccessDeniedException");
  EXPECT_NE(replay.status().message().find("already used"), std::string::npos);
  // Decrypt spends documents too; a fresh document is fine.
  auto fresh = GenerateWith(key_id, Document());
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  kms::KmsRecipient recipient{document, rsa_.get()};
  EXPECT_EQ(AwsErrorType(Client().Decrypt({.ciphertext_blob = fresh->ciphertext_blob,
                                           .recipient = &recipient})
                             .status()),
            "AccessDeniedException");
}

TEST_F(KmsServiceTest, EncryptionContextMismatchIsInvalidCiphertext) {
  const std::string key_id = CreateKey(kms_server::DefaultKeyPolicyJson());
  const Bytes secret = ToBytes("model weights key");
  auto encrypted = Client().Encrypt(
      {.key_id = key_id, .plaintext = secret, .encryption_context = {{"purpose", "weights"}}});
  ASSERT_TRUE(encrypted.ok()) << encrypted.status().ToString();
  auto ok = Client().Decrypt(
      {.ciphertext_blob = encrypted->ciphertext_blob, .encryption_context = {{"purpose", "weights"}}});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(Reveal(ok->plaintext), secret);
  for (const kms::EncryptionContext& wrong :
       {kms::EncryptionContext{}, kms::EncryptionContext{{"purpose", "other"}},
        kms::EncryptionContext{{"purpose", "weights"}, {"x", "y"}}}) {
    auto r = Client().Decrypt({.ciphertext_blob = encrypted->ciphertext_blob,
                               .encryption_context = wrong});
    EXPECT_EQ(AwsErrorType(r.status()), "InvalidCiphertextException") << r.status().ToString();
  }
  Bytes tampered = encrypted->ciphertext_blob;
  tampered.back() ^= 1;
  EXPECT_EQ(AwsErrorType(Client().Decrypt({.ciphertext_blob = tampered,
                                           .encryption_context = {{"purpose", "weights"}}})
                             .status()),
            "InvalidCiphertextException");
  // A blob of one key named with another key id.
  const std::string other = CreateKey(kms_server::DefaultKeyPolicyJson());
  EXPECT_EQ(AwsErrorType(Client().Decrypt({.ciphertext_blob = encrypted->ciphertext_blob,
                                           .key_id = other,
                                           .encryption_context = {{"purpose", "weights"}}})
                             .status()),
            "IncorrectKeyException");
}

TEST_F(KmsServiceTest, ExplicitDenyWins) {
  const std::string pcr0 = HexEncode(attester_.pcr0);
  const std::string policy = R"({"Statement":[
    {"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
    {"Effect":"Deny","Principal":{"AWS":"*"},"Action":"kms:GenerateDataKey","Resource":"*",
     "Condition":{"StringEquals":{"kms:RecipientAttestation:PCR0":")" + pcr0 + R"("}}}]})";
  const std::string key_id = CreateKey(policy);
  EXPECT_EQ(AwsErrorType(GenerateWith(key_id, Document()).status()), "AccessDeniedException");
  EXPECT_TRUE(Client().GenerateDataKey({.key_id = key_id, .key_spec = "AES_128"}).ok());
}

TEST_F(KmsServiceTest, MalformedPoliciesAreRefused) {
  for (const std::string& bad : std::vector<std::string>{"", "{", "[]", R"({"Statement":[]})",
                                R"({"Statement":{"Effect":"Maybe","Principal":"*","Action":"kms:*","Resource":"*"}})",
                                R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}})"}) {
    auto r = Client().CreateKey({.policy = bad});
    if (bad.empty()) {
      EXPECT_FALSE(r.ok());  // refused by the client before sending
      continue;
    }
    EXPECT_EQ(AwsErrorType(r.status()), "MalformedPolicyDocumentException") << bad;
  }
  const std::string key_id = CreateKey(kms_server::DefaultKeyPolicyJson());
  EXPECT_EQ(AwsErrorType(Client().PutKeyPolicy(key_id, "{\"Statement\":1}")),
            "MalformedPolicyDocumentException");
  auto policy = Client().GetKeyPolicy(key_id);
  ASSERT_TRUE(policy.ok());
  EXPECT_EQ(*policy, kms_server::DefaultKeyPolicyJson());
}

TEST_F(KmsServiceTest, AuthenticationErrors) {
  const std::string key_id = CreateKey(kms_server::DefaultKeyPolicyJson());
  // Unknown access key.
  auto stranger = InProcessClient(service_.get(), &clock_,
                                  testing::ClientCredentials("AKIDUNKNOWN", testing::kTestSecretKey));
  EXPECT_EQ(AwsErrorType(stranger.DescribeKey(key_id).status()), "UnrecognizedClientException");
  // Known key id, wrong secret: the signature does not match.
  auto wrong_secret = InProcessClient(
      service_.get(), &clock_, testing::ClientCredentials(testing::kTestAccessKeyId, "wrong"));
  EXPECT_EQ(AwsErrorType(wrong_secret.DescribeKey(key_id).status()), "InvalidSignatureException");
  // A session token the key does not have.
  kms::Credentials with_token = testing::ClientCredentials();
  with_token.session_token = "token";
  EXPECT_EQ(AwsErrorType(InProcessClient(service_.get(), &clock_, std::move(with_token))
                             .DescribeKey(key_id)
                             .status()),
            "UnrecognizedClientException");
  // Signed six minutes ago / six minutes ahead.
  for (int64_t offset_ms : {-6 * 60 * 1000, 6 * 60 * 1000}) {
    FakeClock skewed(kT0Ms + offset_ms);
    auto r = InProcessClient(service_.get(), &skewed).DescribeKey(key_id);
    EXPECT_EQ(AwsErrorType(r.status()), "InvalidSignatureException") << offset_ms;
  }
  FakeClock slightly(kT0Ms - 4 * 60 * 1000);  // within +-5 min
  EXPECT_TRUE(InProcessClient(service_.get(), &slightly).DescribeKey(key_id).ok());

  // Body changed after signing.
  auto tamper = kms::KmsClient::Create(
      {.region = "us-east-1",
       .credentials = testing::ClientCredentials(),
       .transport = [&](const net::HttpRequest& r) -> StatusOr<net::HttpResponse> {
         net::HttpRequest copy = r;
         copy.body.push_back(' ');
         return service_->Handle(copy);
       },
       .clock = &clock_});
  ASSERT_TRUE(tamper.ok());
  EXPECT_EQ(AwsErrorType(tamper->DescribeKey(key_id).status()), "InvalidSignatureException");

  // No Authorization at all / a malformed one.
  net::HttpRequest bare{.method = "POST",
                        .target = "/",
                        .headers = {{"Host", "kms.us-east-1.amazonaws.com"},
                                    {"X-Amz-Target", "TrentService.DescribeKey"}},
                        .body = ToBytes("{}")};
  auto status_of = [&](const net::HttpRequest& r) {
    const net::HttpResponse response = service_->Handle(r);
    return kms::StatusFromAwsErrorResponse(response.status, response.body);
  };
  EXPECT_EQ(AwsErrorType(status_of(bare)), "MissingAuthenticationTokenException");
  net::HttpRequest garbled = bare;
  garbled.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEMLTEST");
  garbled.headers.emplace_back("X-Amz-Date", "20261121T000000Z");
  EXPECT_EQ(AwsErrorType(status_of(garbled)), "IncompleteSignatureException");
}

TEST_F(KmsServiceTest, KeysPersistAcrossRestart) {
  const std::string key_id = CreateKey(testing::Pcr0Policy(HexEncode(attester_.pcr0)));
  auto generated = GenerateWith(key_id, Document());
  ASSERT_TRUE(generated.ok());
  const Bytes blob = generated->ciphertext_blob;
  StartService();
  EXPECT_EQ(service_->key_count(), 1u);
  auto meta = Client().DescribeKey(key_id);
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  EXPECT_EQ(meta->description, "test");
  const Bytes document = Document();
  kms::KmsRecipient recipient{document, rsa_.get()};
  auto decrypted = Client().Decrypt({.ciphertext_blob = blob, .recipient = &recipient});
  ASSERT_TRUE(decrypted.ok()) << decrypted.status().ToString();
  EXPECT_EQ(decrypted->plaintext, generated->plaintext);
  // The policy persisted too: still denied without a recipient.
  EXPECT_EQ(AwsErrorType(Client().Decrypt({.ciphertext_blob = blob}).status()),
            "AccessDeniedException");
}

TEST_F(KmsServiceTest, DamagedStateRefusesToStart) {
  const std::string key_id = CreateKey(kms_server::DefaultKeyPolicyJson());
  service_.reset();
  const std::string state = dir_.path() + "/state";
  const std::string file = state + "/key-" + key_id + ".json";
  struct stat st = {};
  ASSERT_EQ(::stat(state.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string original;
  {
    std::ifstream in(file);
    original.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto expect_refused = [&](const char* what) {
    auto s = KmsService::Create(Options());
    EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition) << what;
    EXPECT_EQ(s.status().message().find(original.substr(original.find("Material"), 40)),
              std::string::npos);
  };
  {
    std::ofstream(file, std::ios::trunc) << original.substr(0, original.size() / 2);
  }
  expect_refused("truncated key file");
  {
    std::string bad = original;
    const size_t start = bad.find("\"Material\": \"") + 13;
    bad.replace(start, bad.find('"', start) - start, "AAAA");
    std::ofstream(file, std::ios::trunc) << bad;
  }
  expect_refused("short key material");
  { std::ofstream(file, std::ios::trunc) << original; }
  ::chmod(file.c_str(), 0644);
  expect_refused("key file readable by others");
  ::chmod(file.c_str(), 0600);
  ::chmod(state.c_str(), 0755);
  expect_refused("state directory readable by others");
  ::chmod(state.c_str(), 0700);
  std::filesystem::rename(file, state + "/key-00000000-0000-4000-8000-000000000000.json");
  expect_refused("key id differs from the file name");
  std::filesystem::rename(state + "/key-00000000-0000-4000-8000-000000000000.json", file);
  StartService();  // restored: starts again with the same key
  EXPECT_EQ(service_->key_count(), 1u);
  EXPECT_TRUE(Client().DescribeKey(key_id).ok());
}

TEST_F(KmsServiceTest, RequestValidation) {
  const std::string key_id = CreateKey(kms_server::DefaultKeyPolicyJson());
  auto status_for = [&](std::string_view op, std::string body) {
    std::optional<net::HttpResponse> response;
    kms::HttpRequest to_sign{.method = "POST",
                             .path = "/",
                             .query = {},
                             .headers = {{"Host", "kms"},
                                         {"X-Amz-Target", "TrentService." + std::string(op)}},
                             .body = ToBytes(body)};
    auto creds = testing::ClientCredentials();
    auto signed_request = kms::SignRequest(
        to_sign, creds, {.region = "us-east-1", .service = "kms", .unix_seconds = kT0Ms / 1000});
    EXPECT_TRUE(signed_request.ok());
    net::HttpRequest request{.method = "POST", .target = "/", .headers = to_sign.headers,
                             .body = to_sign.body};
    for (auto& h : signed_request->headers_to_add) request.headers.push_back(h);
    const net::HttpResponse r = service_->Handle(request);
    return kms::StatusFromAwsErrorResponse(r.status, r.body);
  };
  EXPECT_EQ(AwsErrorType(status_for("DescribeKey", "not json")), "SerializationException");
  EXPECT_EQ(AwsErrorType(status_for("DescribeKey", R"({"KeyId":"a","KeyId":"b"})")),
            "SerializationException");
  EXPECT_EQ(AwsErrorType(status_for("DescribeKey", "{}")), "ValidationException");
  EXPECT_EQ(AwsErrorType(status_for("DescribeKey", R"({"KeyId":"alias/x"})")), "NotFoundException");
  EXPECT_EQ(AwsErrorType(status_for("Frobnicate", "{}")), "UnknownOperationException");
  EXPECT_EQ(AwsErrorType(status_for("GenerateDataKey",
                                    R"({"KeyId":")" + key_id + R"(","KeySpec":"AES_256","NumberOfBytes":32})")),
            "ValidationException");
  EXPECT_EQ(AwsErrorType(status_for("GenerateDataKey",
                                    R"({"KeyId":")" + key_id + R"(","NumberOfBytes":1025})")),
            "ValidationException");
  EXPECT_EQ(AwsErrorType(status_for("Decrypt", R"({"CiphertextBlob":"AAAA"})")),
            "InvalidCiphertextException");
  EXPECT_EQ(AwsErrorType(status_for("Decrypt", R"({"CiphertextBlob":"A==="})")),
            "ValidationException");
  EXPECT_EQ(AwsErrorType(status_for(
                "GenerateDataKey", R"({"KeyId":")" + key_id +
                                       R"(","KeySpec":"AES_256","Recipient":{"AttestationDocument":"AAAA","KeyEncryptionAlgorithm":"RSAES_OAEP_SHA_1"}})")),
            "ValidationException");
}

}  // namespace
}  // namespace eml::kms_server

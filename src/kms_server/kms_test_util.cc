#include "kms_server/kms_test_util.h"

#include <stdlib.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "attest/dev_ca.h"
#include "attest/dev_provider.h"
#include "core/encoding.h"

namespace eml::kms_server::testing {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "eml-kms-test-XXXXXX").string();
  EXPECT_NE(::mkdtemp(tmpl.data()), nullptr);
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

DevAttester MakeDevAttester(const std::string& ca_dir, std::string_view image, const Clock* clock) {
  DevAttester out;
  attest::DevProviderOptions options;
  options.state_dir = ca_dir;
  options.measurements = attest::ComputeDevMeasurements(AsBytes(image), AsBytes("config"), {});
  options.clock = clock;
  out.pcr0 = options.measurements.pcr0;
  auto provider = attest::CreateDevNitroProvider(options);
  EXPECT_TRUE(provider.ok()) << provider.status().ToString();
  if (provider.ok()) out.provider = std::move(*provider);
  auto ca = attest::LoadOrCreateDevCa(ca_dir, clock ? *clock : SystemClock::Get());
  EXPECT_TRUE(ca.ok()) << ca.status().ToString();
  if (ca.ok()) out.root_der = ca->root_der;
  return out;
}

std::vector<ServerCredential> TestCredentials() {
  std::vector<ServerCredential> out(1);
  out[0].access_key_id = kTestAccessKeyId;
  out[0].secret_access_key = SecretBytes(AsBytes(kTestSecretKey));
  out[0].principal_arn = kTestArn;
  return out;
}

kms::Credentials ClientCredentials(std::string access_key_id, std::string secret) {
  return kms::Credentials{std::move(access_key_id), SecretBytes(AsBytes(secret)), ""};
}

std::string Pcr0Policy(const std::string& pcr0_hex) {
  return R"({"Version":"2012-10-17","Statement":[
    {"Sid":"admin","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},
     "Action":["kms:Encrypt","kms:DescribeKey","kms:GetKeyPolicy","kms:PutKeyPolicy"],"Resource":"*"},
    {"Sid":"enclave","Effect":"Allow","Principal":{"AWS":")" +
         std::string(kTestArn) + R"("},
     "Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"*",
     "Condition":{"StringEquals":{"kms:RecipientAttestation:ImageSha384":")" +
         pcr0_hex + R"("}}}]})";
}

kms::KmsClient InProcessClient(KmsService* service, const Clock* clock,
                               kms::Credentials credentials) {
  kms::KmsClientOptions options{
      .region = "us-east-1",
      .host = "kms.us-east-1.amazonaws.com",
      .credentials = std::move(credentials),
      .transport = [service](const net::HttpRequest& request) -> StatusOr<net::HttpResponse> {
        return service->Handle(request);
      },
      .clock = clock};
  auto client = kms::KmsClient::Create(std::move(options));
  EXPECT_TRUE(client.ok());
  return std::move(*client);
}

}  // namespace eml::kms_server::testing

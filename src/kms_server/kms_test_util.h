// Test helpers for eml-kms: temporary directories, development attestation
// documents with chosen PCRs and public key, credentials, and a KmsClient
// wired to an in-process KmsService (no sockets).
#ifndef EML_KMS_SERVER_KMS_TEST_UTIL_H_
#define EML_KMS_SERVER_KMS_TEST_UTIL_H_

#include <memory>
#include <string>

#include "attest/evidence.h"
#include "core/bytes.h"
#include "core/clock.h"
#include "kms/kms_client.h"
#include "kms_server/service.h"

namespace eml::kms_server::testing {

inline constexpr char kTestAccessKeyId[] = "AKIDEMLTEST";
inline constexpr char kTestSecretKey[] = "eml-kms-test-secret/K7MDENG+bPxRfiCYEXAMPLEKEY";
inline constexpr char kTestArn[] = "arn:aws:iam::111122223333:role/enclave";

// mkdtemp under the system temp dir; removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A dev Nitro provider (its CA in `ca_dir`) measuring `image` as PCR0.
struct DevAttester {
  std::unique_ptr<attest::EvidenceProvider> provider;
  Bytes root_der;  // what eml-kms pins
  Bytes pcr0;      // 48 bytes
};
DevAttester MakeDevAttester(const std::string& ca_dir, std::string_view image, const Clock* clock);

std::vector<ServerCredential> TestCredentials();
kms::Credentials ClientCredentials(std::string access_key_id = kTestAccessKeyId,
                                   std::string secret = kTestSecretKey);

// A policy allowing `actions_with_pcr0` only when ImageSha384 == pcr0_hex,
// and everything else (kms:CreateKey, Encrypt, DescribeKey, policy calls)
// unconditionally.
std::string Pcr0Policy(const std::string& pcr0_hex);

// A client whose transport calls service->Handle directly. `clock` signs.
kms::KmsClient InProcessClient(KmsService* service, const Clock* clock,
                               kms::Credentials credentials = ClientCredentials());

}  // namespace eml::kms_server::testing

#endif  // EML_KMS_SERVER_KMS_TEST_UTIL_H_

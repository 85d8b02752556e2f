// The AWS credentials eml-host hands to the enclave (GET /eml/v1/credentials
// on the KMS proxy, docs/proxy.md) and uses to sign its own S3 requests.
//
// On Nitro the parent instance's role credentials reach the enclave through
// the host; they grant nothing alone, because the KMS key policy requires
// attestation (docs/proxy.md, "Why the host may carry credentials").
//
// Sources, in eml-host's order: --credentials-file FILE (re-read on every
// request, so an agent that refreshes it, e.g. from EC2 IMDS, rotates them),
// else the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION; read once at start).
//
// File format: lines NAME=VALUE with the four names above, '#' comments and
// blank lines; every name at most once; the first two are required. Values
// are 1..16384 bytes of visible ASCII without '"' or '\' (so the JSON needs no
// escaping); the file is at most 64 KiB. Errors name the file and line, never
// a value.
//
// Thread-safety: CredentialSource is immutable after construction; Get() may
// be called from any thread.
#ifndef EML_HOST_CREDENTIALS_H_
#define EML_HOST_CREDENTIALS_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace eml::host {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;  // never logged
  std::string session_token;      // empty for long-term keys; never logged
  std::string expiration;         // ISO 8601 as given, or empty
};

// Parses the file format above. `what` names the source in messages.
StatusOr<AwsCredentials> ParseCredentialsText(std::string_view text, std::string_view what);

// {"AccessKeyId":"...","SecretAccessKey":"...","SessionToken":"...","Expiration":"..."}
// (empty strings for an absent token or expiration).
std::string CredentialsJson(const AwsCredentials& credentials);

class CredentialSource {
 public:
  // Reads the variables now. NotFound if AWS_ACCESS_KEY_ID or
  // AWS_SECRET_ACCESS_KEY is unset.
  static StatusOr<CredentialSource> FromEnvironment();
  // Checks the file loads now; Get() reads it again each time.
  static StatusOr<CredentialSource> FromFile(std::string path);
  // The file if a path is given, otherwise the environment.
  static StatusOr<CredentialSource> FromFileOrEnvironment(const std::string& path);

  StatusOr<AwsCredentials> Get() const;

 private:
  CredentialSource() = default;
  std::string path_;                   // empty: use fixed_
  std::optional<AwsCredentials> fixed_;
};

}  // namespace eml::host

#endif  // EML_HOST_CREDENTIALS_H_

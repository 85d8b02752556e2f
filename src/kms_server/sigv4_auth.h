// Server-side SigV4 authentication for eml-kms: recomputes the signature of
// a received request with our signer (kms/sigv4.h) and compares it in
// constant time (docs/kms.md "Authentication").
//
// AWS error types, as AWS uses them:
//   MissingAuthenticationTokenException  no Authorization header
//   IncompleteSignatureException         Authorization not "AWS4-HMAC-SHA256
//                                        Credential=.., SignedHeaders=..,
//                                        Signature=..", bad scope syntax, or
//                                        no X-Amz-Date
//   UnrecognizedClientException          unknown access key id, or a session
//                                        token that does not match the key's
//   InvalidSignatureException            signature mismatch, date outside
//                                        +-max_skew ("Signature expired" /
//                                        "not yet current"), scope date,
//                                        region or service wrong, a signed
//                                        header missing, host/x-amz-date unsigned
// Messages never contain the secret key, the token or the signatures.
//
// The credentials file (--credentials) is a JSON list of
//   {"AccessKeyId": "...", "SecretAccessKey": "...", "SessionToken": "..."?,
//    "Arn": "arn:aws:iam::<account>:user/<name>"?}
// (Arn defaults to arn:aws:iam::000000000000:user/<AccessKeyId>); it must
// not be readable by group or others.
//
// Thread-safety: pure functions over immutable inputs.
#ifndef EML_KMS_SERVER_SIGV4_AUTH_H_
#define EML_KMS_SERVER_SIGV4_AUTH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/secret.h"
#include "core/status.h"
#include "net/http.h"

namespace eml::kms_server {

inline constexpr size_t kMaxCredentials = 256;
inline constexpr int64_t kDefaultMaxClockSkewSeconds = 300;

struct ServerCredential {
  std::string access_key_id;
  SecretBytes secret_access_key;
  std::string session_token;  // empty: long-term key
  std::string principal_arn;
};

StatusOr<std::vector<ServerCredential>> ParseCredentialsJson(std::string_view text);
// Reads and parses; FailedPrecondition if the file is group/other readable.
StatusOr<std::vector<ServerCredential>> LoadCredentialsFile(const std::string& path);

struct AuthOptions {
  std::string region;  // the only region requests may be scoped to
  const Clock* clock = nullptr;  // required
  int64_t max_skew_seconds = kDefaultMaxClockSkewSeconds;
};

// The credential that signed `request`, or an AWS auth error (AwsError).
StatusOr<const ServerCredential*> AuthenticateRequest(const net::HttpRequest& request,
                                                      const std::vector<ServerCredential>& credentials,
                                                      const AuthOptions& options);

// "20150830T123600Z" -> unix seconds; InvalidArgument for anything else.
StatusOr<int64_t> ParseAmzDate(std::string_view text);

}  // namespace eml::kms_server

#endif  // EML_KMS_SERVER_SIGV4_AUTH_H_

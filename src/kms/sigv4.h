// AWS Signature Version 4 request signing (header form, AWS4-HMAC-SHA256).
//
// Builds the canonical request, the string to sign and the Authorization
// header for one HTTP request, as specified in docs/sigv4.md and proven
// against AWS's published test suites (../shared/vectors/sigv4/).
//
// Limits: header-based signing only (no presigned query-string URLs, no
// SigV4a, no chunked/streaming payload signing). Inputs are bounded
// (kMaxHeaders, kMaxPathSize, kMaxQueryParams) and checked; bad input is an
// InvalidArgument/LimitExceeded Status whose message names the field but
// never echoes the secret key, the session token or a derived key.
//
// Thread-safety: pure functions over values; safe to call concurrently.
#ifndef EML_KMS_SIGV4_H_
#define EML_KMS_SIGV4_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/secret.h"
#include "core/status.h"

namespace eml::kms {

inline constexpr size_t kMaxHeaders = 128;
inline constexpr size_t kMaxQueryParams = 256;
inline constexpr size_t kMaxPathSize = 8192;
inline constexpr size_t kMaxHeaderValueSize = 16384;

using NameValue = std::pair<std::string, std::string>;

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  // The path exactly as it goes on the request line, without the query:
  // "/", "/models/llama%202/weights.enc". Must start with '/'.
  std::string path;
  // Decoded query parameters (the signer URI-encodes them); repeated keys are
  // kept. The wire query must be built with UriEncode() for the same bytes.
  std::vector<NameValue> query;
  // Headers in any order and case; repeated names are joined with ','.
  // Must include Host. Must not include X-Amz-Date or Authorization.
  std::vector<NameValue> headers;
  Bytes body;
};

struct Credentials {
  std::string access_key_id;
  SecretBytes secret_access_key;
  std::string session_token = {};  // empty for long-term credentials
};

struct SigningParams {
  std::string region;   // "us-east-1"; [a-z0-9-]+
  std::string service;  // "kms", "s3"; [a-z0-9-]+
  int64_t unix_seconds = 0;  // signing time, 1970..9999
  // Remove "." / ".." segments and empty segments ("//"). False for S3.
  bool normalize_path = true;
  // URI-encode every path byte outside [A-Za-z0-9-._~/] (so an already
  // encoded "%20" becomes "%2520": AWS's "double encoding"). False for S3,
  // which signs the wire path as it is (it must then be plain visible ASCII).
  bool encode_path = true;
  // Add and sign "x-amz-content-sha256: <payload hash>" (S3 requires it;
  // aws-nitro-enclaves-sdk-c sends it to KMS).
  bool sign_body_hash_header = false;
  // Add X-Amz-Security-Token to the signed headers (true), or only to the
  // headers to send after signing (false; a few services want that).
  bool sign_session_token = true;
  // Replaces hex(SHA-256(body)) in the canonical request, e.g.
  // "UNSIGNED-PAYLOAD" for S3.
  std::optional<std::string> payload_hash_override = std::nullopt;
};

struct SignedRequest {
  std::string authorization;  // value of the Authorization header
  // Headers the caller must add to the request before sending, in order:
  // X-Amz-Date, then x-amz-content-sha256 and X-Amz-Security-Token when they
  // apply, then Authorization.
  std::vector<NameValue> headers_to_add;
  std::string canonical_request;  // for debugging and tests; holds no secret key
  std::string string_to_sign;
};

// "20150830T123600Z". InvalidArgument outside years 1970..9999.
StatusOr<std::string> FormatAmzDate(int64_t unix_seconds);

// RFC 3986 percent-encoding as AWS specifies: bytes in [A-Za-z0-9-._~] are
// kept, every other byte becomes %XX (upper-case hex); '/' is kept only when
// keep_slash.
std::string UriEncode(std::string_view in, bool keep_slash);

// The canonical URI (path) after optional normalisation and encoding.
StatusOr<std::string> CanonicalUri(std::string_view path, const SigningParams& params);

// The canonical request for `request` exactly as given: the caller has
// already added X-Amz-Date (and any other header to be signed). The payload
// hash is params.payload_hash_override or hex(SHA-256(body)).
StatusOr<std::string> CanonicalRequest(const HttpRequest& request, const SigningParams& params);

// "AWS4-HMAC-SHA256\n<date>\n<scope>\n<hex sha256(canonical_request)>".
StatusOr<std::string> StringToSign(std::string_view canonical_request,
                                   const SigningParams& params);

// Adds X-Amz-Date (and the token / content hash headers when they apply) to a
// copy of `request`, and signs it.
StatusOr<SignedRequest> SignRequest(const HttpRequest& request, const Credentials& credentials,
                                    const SigningParams& params);

}  // namespace eml::kms

#endif  // EML_KMS_SIGV4_H_

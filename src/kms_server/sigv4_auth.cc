// SigV4 verification by re-signing with kms/sigv4.h (sigv4_auth.h).
#include "kms_server/sigv4_auth.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "core/file.h"
#include "kms/kms_json.h"
#include "kms/sigv4.h"

namespace eml::kms_server {
namespace {

using nlohmann::json;
using kms::AwsError;

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr size_t kMaxCredentialsFileSize = 256 * 1024;
constexpr size_t kMaxAuthorizationSize = 4096;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

Status Incomplete(std::string_view what) { return AwsError(kms::kIncompleteSignature, what); }
Status BadSignature(std::string_view what) { return AwsError(kms::kInvalidSignature, what); }

struct ParsedAuthorization {
  std::string access_key_id;
  std::string date;  // YYYYMMDD
  std::string region;
  std::string service;
  std::vector<std::string> signed_headers;
  std::string signed_headers_text;
  std::string signature;
};

StatusOr<ParsedAuthorization> ParseAuthorization(std::string_view header) {
  if (header.size() > kMaxAuthorizationSize) return Incomplete("Authorization header is too long");
  if (header.substr(0, kAlgorithm.size()) != kAlgorithm || header.size() == kAlgorithm.size() ||
      header[kAlgorithm.size()] != ' ') {
    return Incomplete("Authorization header must use AWS4-HMAC-SHA256");
  }
  ParsedAuthorization out;
  std::optional<std::string_view> credential, signed_headers, signature;
  for (std::string_view part : Split(header.substr(kAlgorithm.size() + 1), ',')) {
    part = Trim(part);
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos) return Incomplete("Authorization parameter without '='");
    const std::string_view name = part.substr(0, eq), value = part.substr(eq + 1);
    std::optional<std::string_view>* slot = name == "Credential"      ? &credential
                                            : name == "SignedHeaders" ? &signed_headers
                                            : name == "Signature"     ? &signature
                                                                      : nullptr;
    if (slot == nullptr) return Incomplete("unknown Authorization parameter");
    if (slot->has_value()) return Incomplete("repeated Authorization parameter");
    *slot = value;
  }
  if (!credential) return Incomplete("Authorization header requires 'Credential' parameter");
  if (!signed_headers) return Incomplete("Authorization header requires 'SignedHeaders' parameter");
  if (!signature) return Incomplete("Authorization header requires 'Signature' parameter");
  const std::vector<std::string_view> scope = Split(*credential, '/');
  if (scope.size() != 5 || scope[0].empty() || scope[1].size() != 8 || scope[2].empty() ||
      scope[3].empty() || scope[4] != "aws4_request") {
    return Incomplete("Credential must be <key id>/<date>/<region>/<service>/aws4_request");
  }
  out.access_key_id = scope[0];
  out.date = scope[1];
  out.region = scope[2];
  out.service = scope[3];
  out.signed_headers_text = *signed_headers;
  for (std::string_view name : Split(*signed_headers, ';')) {
    if (name.empty()) return Incomplete("empty name in SignedHeaders");
    out.signed_headers.emplace_back(name);
  }
  if (signature->size() != 64) return Incomplete("Signature must be 64 hex digits");
  out.signature = *signature;
  return out;
}

// All values of `name` (case-insensitive) joined with ',' as SigV4 does.
std::optional<std::string> JoinedHeader(const net::HttpHeaders& headers, std::string_view name) {
  std::optional<std::string> out;
  for (const auto& [n, v] : headers) {
    if (Lower(n) != name) continue;
    if (out) {
      *out += "," + v;
    } else {
      out = v;
    }
  }
  return out;
}

const ServerCredential* FindCredential(const std::vector<ServerCredential>& credentials,
                                       std::string_view access_key_id) {
  for (const ServerCredential& c : credentials) {
    if (c.access_key_id == access_key_id) return &c;
  }
  return nullptr;
}

}  // namespace

StatusOr<int64_t> ParseAmzDate(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') {
    return InvalidArgumentError("X-Amz-Date must be YYYYMMDDTHHMMSSZ");
  }
  auto number = [&](size_t pos, size_t len, int64_t* out) {
    int64_t v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      v = v * 10 + (text[i] - '0');
    }
    *out = v;
    return true;
  };
  int64_t y, mo, d, h, mi, s;
  if (!number(0, 4, &y) || !number(4, 2, &mo) || !number(6, 2, &d) || !number(9, 2, &h) ||
      !number(11, 2, &mi) || !number(13, 2, &s)) {
    return InvalidArgumentError("X-Amz-Date must be YYYYMMDDTHHMMSSZ");
  }
  const int64_t t = UnixSecondsFromCivil(y, mo, d, h, mi, s);
  // Out-of-range fields (month 13, second 61) do not survive the round trip.
  StatusOr<std::string> back = kms::FormatAmzDate(t);
  if (!back.ok() || *back != text) return InvalidArgumentError("X-Amz-Date is not a valid time");
  return t;
}

StatusOr<std::vector<ServerCredential>> ParseCredentialsJson(std::string_view text) {
  const Status bad = InvalidArgumentError(
      "credentials: expected a JSON list of {AccessKeyId, SecretAccessKey, SessionToken?, Arn?}");
  json root = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_array() || root.empty() || root.size() > kMaxCredentials) {
    return bad;
  }
  std::vector<ServerCredential> out;
  for (json& entry : root) {
    if (!entry.is_object()) return bad;
    for (const auto& item : entry.items()) {
      if (item.key() != "AccessKeyId" && item.key() != "SecretAccessKey" &&
          item.key() != "SessionToken" && item.key() != "Arn") {
        return bad;
      }
    }
    auto id = kms::GetString(entry, "AccessKeyId", 128);
    auto secret = kms::GetString(entry, "SecretAccessKey", 256);
    auto token = kms::GetString(entry, "SessionToken", 4096);
    auto arn = kms::GetString(entry, "Arn", 2048);
    if (auto it = entry.find("SecretAccessKey"); it != entry.end() && it->is_string()) {
      std::string& s = it->get_ref<std::string&>();
      SecureWipe(s.data(), s.size());
    }
    if (!id.ok() || !*id || !secret.ok() || !*secret || !token.ok() || !arn.ok()) return bad;
    ServerCredential c;
    c.access_key_id = **id;
    c.secret_access_key = SecretBytes(AsBytes(**secret));
    SecureWipe((*secret)->data(), (*secret)->size());
    c.session_token = token->value_or("");
    c.principal_arn = arn->value_or("arn:aws:iam::000000000000:user/" + c.access_key_id);
    if (FindCredential(out, c.access_key_id) != nullptr) {
      return InvalidArgumentError("credentials: duplicate AccessKeyId");
    }
    out.push_back(std::move(c));
  }
  return out;
}

StatusOr<std::vector<ServerCredential>> LoadCredentialsFile(const std::string& path) {
  struct stat st = {};
  if (::stat(path.c_str(), &st) != 0) return NotFoundError("credentials: cannot stat " + path);
  if ((st.st_mode & 077) != 0) {
    return FailedPreconditionError("credentials: " + path + " is readable by group or others");
  }
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, kMaxCredentialsFileSize));
  StatusOr<std::vector<ServerCredential>> parsed = ParseCredentialsJson(text);
  SecureWipe(text.data(), text.size());
  return parsed;
}

StatusOr<const ServerCredential*> AuthenticateRequest(const net::HttpRequest& request,
                                                      const std::vector<ServerCredential>& credentials,
                                                      const AuthOptions& options) {
  const std::optional<std::string> authorization = JoinedHeader(request.headers, "authorization");
  if (!authorization) return AwsError(kms::kMissingAuthenticationToken, "Missing Authentication Token");
  ASSIGN_OR_RETURN(ParsedAuthorization auth, ParseAuthorization(*authorization));
  const std::optional<std::string> amz_date = JoinedHeader(request.headers, "x-amz-date");
  if (!amz_date) {
    return Incomplete("Authorization header requires existence of a 'X-Amz-Date' header");
  }
  const ServerCredential* credential = FindCredential(credentials, auth.access_key_id);
  if (credential == nullptr) {
    return AwsError(kms::kUnrecognizedClient, "The security token included in the request is invalid.");
  }
  const std::optional<std::string> token = JoinedHeader(request.headers, "x-amz-security-token");
  const std::string sent_token = token.value_or("");
  if (!ConstantTimeEquals(AsBytes(sent_token), AsBytes(credential->session_token))) {
    return AwsError(kms::kUnrecognizedClient, "The security token included in the request is invalid.");
  }
  StatusOr<int64_t> signed_at = ParseAmzDate(*amz_date);
  if (!signed_at.ok()) return Incomplete("X-Amz-Date must be YYYYMMDDTHHMMSSZ");
  const int64_t now = options.clock->NowUnixSeconds();
  if (*signed_at < now - options.max_skew_seconds) {
    return BadSignature("Signature expired: " + *amz_date + " is now earlier than the allowed " +
                        std::to_string(options.max_skew_seconds) + " s of clock skew");
  }
  if (*signed_at > now + options.max_skew_seconds) {
    return BadSignature("Signature not yet current: " + *amz_date + " is more than " +
                        std::to_string(options.max_skew_seconds) + " s ahead");
  }
  if (auth.date != amz_date->substr(0, 8)) return BadSignature("Credential date does not match X-Amz-Date");
  if (auth.region != options.region) return BadSignature("Credential should be scoped to a valid region");
  if (auth.service != "kms") return BadSignature("Credential should be scoped to correct service: 'kms'");

  // Rebuild the request as the client signed it, then sign it ourselves.
  kms::HttpRequest rebuilt;
  rebuilt.method = request.method;
  rebuilt.path = request.target.substr(0, request.target.find('?'));
  if (rebuilt.path.size() != request.target.size()) {
    return BadSignature("query strings are not supported");
  }
  rebuilt.body = request.body;
  bool has_host = false, has_date = false, sign_body_hash = false, sign_token = false;
  for (const std::string& name : auth.signed_headers) {
    if (name != Lower(name)) return BadSignature("SignedHeaders must be lower-case");
    if (name == "authorization") return BadSignature("Authorization cannot be signed");
    const std::optional<std::string> value = JoinedHeader(request.headers, name);
    if (!value) return BadSignature("a header in SignedHeaders is missing from the request");
    if (name == "x-amz-date") {
      has_date = true;
    } else if (name == "x-amz-content-sha256") {
      sign_body_hash = true;
    } else if (name == "x-amz-security-token") {
      sign_token = true;
    } else {
      has_host = has_host || name == "host";
      rebuilt.headers.emplace_back(name, *value);
    }
  }
  if (!has_host || !has_date) return BadSignature("host and x-amz-date must be signed");
  if (token && !sign_token) return BadSignature("X-Amz-Security-Token must be signed");
  kms::Credentials signer_credentials{credential->access_key_id,
                                      credential->secret_access_key.Clone(),
                                      credential->session_token};
  kms::SigningParams params{.region = auth.region,
                            .service = "kms",
                            .unix_seconds = *signed_at,
                            .sign_body_hash_header = sign_body_hash,
                            .sign_session_token = true};
  StatusOr<kms::SignedRequest> expected = kms::SignRequest(rebuilt, signer_credentials, params);
  if (!expected.ok()) return BadSignature("the request cannot be canonicalised");
  const std::string& ours = expected->authorization;
  const size_t at = ours.rfind("Signature=");
  const std::string_view our_signature = std::string_view(ours).substr(at + 10);
  const std::string_view our_signed_headers = [&] {
    const size_t from = ours.find("SignedHeaders=") + 14;
    return std::string_view(ours).substr(from, ours.find(',', from) - from);
  }();
  // x-amz-content-sha256 must carry the body's real hash; the re-signed
  // request always does, so a wrong header value shows up as a mismatch.
  const bool same_headers = our_signed_headers == auth.signed_headers_text;
  const bool same_signature = ConstantTimeEquals(AsBytes(our_signature), AsBytes(Lower(auth.signature)));
  if (!same_headers || !same_signature) {
    return BadSignature(
        "The request signature we calculated does not match the signature you provided. Check "
        "your AWS Secret Access Key and signing method.");
  }
  if (sign_body_hash) {
    const std::optional<std::string> sent = JoinedHeader(request.headers, "x-amz-content-sha256");
    bool match = false;
    for (const auto& [n, v] : expected->headers_to_add) {
      if (Lower(n) == "x-amz-content-sha256") match = sent && *sent == v;
    }
    if (!match) return BadSignature("x-amz-content-sha256 does not match the body");
  }
  return credential;
}

}  // namespace eml::kms_server

// AWS Signature Version 4: canonicalisation and signing. See sigv4.h and
// docs/sigv4.md. Nothing here logs; error messages name fields, never values
// of credentials.
#include "kms/sigv4.h"

#include <algorithm>
#include <ctime>

#include "core/encoding.h"
#include "crypto/hash.h"

namespace eml::kms {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr int64_t kMaxUnixSeconds = 253402300799;  // 9999-12-31T23:59:59Z

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~';
}

char ToLowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// RFC 7230 token characters, the only ones allowed in a header name.
bool IsTokenChar(unsigned char c) {
  if (c >= 0x80 || c <= 0x20 || c == 0x7f) return false;
  return std::string_view("\"(),/:;<=>?@[\\]{}").find(static_cast<char>(c)) ==
         std::string_view::npos;
}

bool IsScopeName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// Trims SP/HTAB at both ends and collapses inner runs into one space.
// Rejects CR, LF and other control bytes (header injection).
StatusOr<std::string> CanonicalHeaderValue(std::string_view value) {
  if (value.size() > kMaxHeaderValueSize) return LimitExceededError("sigv4: header value too long");
  std::string out;
  bool pending_space = false;
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (c < 0x20 || c == 0x7f) return InvalidArgumentError("sigv4: control byte in header value");
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(ch);
  }
  return out;
}

// Lower-cased name -> values joined by ',' in the order given; sorted by name.
StatusOr<std::vector<NameValue>> CanonicalHeaders(const std::vector<NameValue>& headers) {
  if (headers.size() > kMaxHeaders) return LimitExceededError("sigv4: too many headers");
  std::vector<NameValue> lowered;
  lowered.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
          return IsTokenChar(static_cast<unsigned char>(c));
        })) {
      return InvalidArgumentError("sigv4: invalid header name");
    }
    std::string lower(name.size(), '\0');
    std::transform(name.begin(), name.end(), lower.begin(), ToLowerAscii);
    ASSIGN_OR_RETURN(std::string canonical_value, CanonicalHeaderValue(value));
    lowered.emplace_back(std::move(lower), std::move(canonical_value));
  }
  // Stable: repeated names keep their request order when joined.
  std::stable_sort(lowered.begin(), lowered.end(),
                   [](const NameValue& a, const NameValue& b) { return a.first < b.first; });
  std::vector<NameValue> merged;
  for (auto& [name, value] : lowered) {
    if (!merged.empty() && merged.back().first == name) {
      merged.back().second += ',';
      merged.back().second += value;
    } else {
      merged.emplace_back(std::move(name), std::move(value));
    }
  }
  return merged;
}

std::string CanonicalQuery(const std::vector<NameValue>& query) {
  std::vector<NameValue> encoded;
  encoded.reserve(query.size());
  for (const auto& [key, value] : query) {
    encoded.emplace_back(UriEncode(key, false), UriEncode(value, false));
  }
  std::sort(encoded.begin(), encoded.end());  // by key, then by value
  std::string out;
  for (const auto& [key, value] : encoded) {
    if (!out.empty()) out += '&';
    out += key;
    out += '=';
    out += value;
  }
  return out;
}

// Removes empty, "." and ".." segments; keeps a trailing slash.
std::string NormalizePath(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(pos, end - pos);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    pos = end + 1;
  }
  std::string out;
  for (std::string_view segment : segments) {
    out += '/';
    out += segment;
  }
  if (out.empty() || path.back() == '/') out += '/';
  return out;
}

std::string PayloadHash(const HttpRequest& request, const SigningParams& params) {
  if (params.payload_hash_override.has_value()) return *params.payload_hash_override;
  return HexEncode(crypto::Sha256(request.body));
}

Status CheckParams(const SigningParams& params) {
  if (!IsScopeName(params.region)) return InvalidArgumentError("sigv4: invalid region");
  if (!IsScopeName(params.service)) return InvalidArgumentError("sigv4: invalid service");
  if (params.payload_hash_override.has_value()) {
    ASSIGN_OR_RETURN(std::string ignored, CanonicalHeaderValue(*params.payload_hash_override));
    if (ignored.empty() || ignored != *params.payload_hash_override) {
      return InvalidArgumentError("sigv4: invalid payload hash override");
    }
  }
  return OkStatus();
}

bool HasHeader(const HttpRequest& request, std::string_view lower_name) {
  return std::any_of(request.headers.begin(), request.headers.end(), [&](const NameValue& h) {
    return h.first.size() == lower_name.size() &&
           std::equal(h.first.begin(), h.first.end(), lower_name.begin(),
                      [](char a, char b) { return ToLowerAscii(a) == b; });
  });
}

std::string Scope(std::string_view amz_date, const SigningParams& params) {
  return std::string(amz_date.substr(0, 8)) + "/" + params.region + "/" + params.service +
         "/aws4_request";
}

// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
// "aws4_request"). Every intermediate key is wiped.
StatusOr<SecretBytes> DeriveSigningKey(const SecretBytes& secret, std::string_view date8,
                                       const SigningParams& params) {
  constexpr std::string_view kPrefix = "AWS4";
  SecretBytes key(kPrefix.size() + secret.size());
  std::copy(kPrefix.begin(), kPrefix.end(), key.MutableData());
  std::copy(secret.RevealSecret().begin(), secret.RevealSecret().end(),
            key.MutableData() + kPrefix.size());
  for (std::string_view part : {date8, std::string_view(params.region),
                                std::string_view(params.service), std::string_view("aws4_request")}) {
    ASSIGN_OR_RETURN(Bytes next, crypto::Hmac(crypto::HashAlg::kSha256, key.RevealSecret(),
                                              AsBytes(part)));
    key = SecretBytes(next);
    SecureWipe(next.data(), next.size());
  }
  return key;
}

Status CheckCredentials(const Credentials& credentials) {
  const std::string& id = credentials.access_key_id;
  if (id.empty() || id.size() > 128 || !std::all_of(id.begin(), id.end(), [](char c) {
        return IsUnreserved(static_cast<unsigned char>(c));
      })) {
    return InvalidArgumentError("sigv4: invalid access key id");
  }
  if (credentials.secret_access_key.empty()) {
    return InvalidArgumentError("sigv4: empty secret access key");
  }
  if (!credentials.session_token.empty()) {
    ASSIGN_OR_RETURN(std::string token, CanonicalHeaderValue(credentials.session_token));
    if (token != credentials.session_token) {
      return InvalidArgumentError("sigv4: session token is not a plain header value");
    }
  }
  return OkStatus();
}

}  // namespace

StatusOr<std::string> FormatAmzDate(int64_t unix_seconds) {
  if (unix_seconds < 0 || unix_seconds > kMaxUnixSeconds) {
    return InvalidArgumentError("sigv4: signing time out of range");
  }
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return InternalError("sigv4: gmtime_r failed");
  char buf[32];
  const size_t n = std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  if (n != 16) return InternalError("sigv4: date formatting failed");
  return std::string(buf, n);
}

std::string UriEncode(std::string_view in, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

StatusOr<std::string> CanonicalUri(std::string_view path, const SigningParams& params) {
  if (path.size() > kMaxPathSize) return LimitExceededError("sigv4: path too long");
  if (path.empty()) path = "/";
  if (path.front() != '/') return InvalidArgumentError("sigv4: path must start with '/'");
  std::string normalized = params.normalize_path ? NormalizePath(path) : std::string(path);
  if (params.encode_path) return UriEncode(normalized, true);
  for (char ch : normalized) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#') {
      return InvalidArgumentError("sigv4: unencoded byte in path (encode_path is off)");
    }
  }
  return normalized;
}

StatusOr<std::string> CanonicalRequest(const HttpRequest& request, const SigningParams& params) {
  RETURN_IF_ERROR(CheckParams(params));
  if (request.method.empty() || request.method.size() > 32 ||
      !std::all_of(request.method.begin(), request.method.end(),
                   [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return InvalidArgumentError("sigv4: invalid method");
  }
  if (request.query.size() > kMaxQueryParams) return LimitExceededError("sigv4: too many query parameters");
  ASSIGN_OR_RETURN(std::string uri, CanonicalUri(request.path, params));
  ASSIGN_OR_RETURN(std::vector<NameValue> headers, CanonicalHeaders(request.headers));
  const bool has_host = std::any_of(headers.begin(), headers.end(),
                                    [](const NameValue& h) { return h.first == "host"; });
  if (!has_host) return InvalidArgumentError("sigv4: request has no Host header");

  std::string out = request.method + "\n" + uri + "\n" + CanonicalQuery(request.query) + "\n";
  std::string signed_headers;
  for (const auto& [name, value] : headers) {
    out += name + ":" + value + "\n";
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += name;
  }
  out += "\n" + signed_headers + "\n" + PayloadHash(request, params);
  return out;
}

StatusOr<std::string> StringToSign(std::string_view canonical_request,
                                   const SigningParams& params) {
  RETURN_IF_ERROR(CheckParams(params));
  ASSIGN_OR_RETURN(std::string amz_date, FormatAmzDate(params.unix_seconds));
  return std::string(kAlgorithm) + "\n" + amz_date + "\n" + Scope(amz_date, params) + "\n" +
         HexEncode(crypto::Sha256(AsBytes(canonical_request)));
}

StatusOr<SignedRequest> SignRequest(const HttpRequest& request, const Credentials& credentials,
                                    const SigningParams& params) {
  RETURN_IF_ERROR(CheckParams(params));
  RETURN_IF_ERROR(CheckCredentials(credentials));
  for (std::string_view reserved : {"authorization", "x-amz-date"}) {
    if (HasHeader(request, reserved)) {
      return InvalidArgumentError("sigv4: request already has header " + std::string(reserved));
    }
  }
  const bool add_token = !credentials.session_token.empty();
  if (add_token && HasHeader(request, "x-amz-security-token")) {
    return InvalidArgumentError("sigv4: request already has header x-amz-security-token");
  }
  if (params.sign_body_hash_header && HasHeader(request, "x-amz-content-sha256")) {
    return InvalidArgumentError("sigv4: request already has header x-amz-content-sha256");
  }

  SignedRequest result;
  ASSIGN_OR_RETURN(std::string amz_date, FormatAmzDate(params.unix_seconds));
  HttpRequest to_sign = request;
  result.headers_to_add.emplace_back("X-Amz-Date", amz_date);
  if (params.sign_body_hash_header) {
    result.headers_to_add.emplace_back("x-amz-content-sha256", PayloadHash(request, params));
  }
  if (add_token) {
    result.headers_to_add.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  for (const auto& header : result.headers_to_add) {
    if (header.first == "X-Amz-Security-Token" && !params.sign_session_token) continue;
    to_sign.headers.push_back(header);
  }

  ASSIGN_OR_RETURN(result.canonical_request, CanonicalRequest(to_sign, params));
  ASSIGN_OR_RETURN(result.string_to_sign, StringToSign(result.canonical_request, params));
  ASSIGN_OR_RETURN(SecretBytes key,
                   DeriveSigningKey(credentials.secret_access_key, amz_date.substr(0, 8), params));
  ASSIGN_OR_RETURN(Bytes signature, crypto::Hmac(crypto::HashAlg::kSha256, key.RevealSecret(),
                                                 AsBytes(result.string_to_sign)));
  // The signed-headers list is line 6 of the canonical request (counting
  // from 1): take it back out rather than recomputing it.
  const std::string& creq = result.canonical_request;
  const size_t hash_start = creq.rfind('\n');
  const size_t list_start = creq.rfind('\n', hash_start - 1) + 1;
  result.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key_id +
                         "/" + Scope(amz_date, params) +
                         ", SignedHeaders=" + creq.substr(list_start, hash_start - list_start) +
                         ", Signature=" + HexEncode(signature);
  result.headers_to_add.emplace_back("Authorization", result.authorization);
  return result;
}

}  // namespace eml::kms

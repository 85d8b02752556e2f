#include "host/credentials.h"

#include <cstdlib>

#include "core/file.h"

namespace eml::host {
namespace {

constexpr size_t kMaxFileSize = 64 * 1024;
constexpr size_t kMaxValueSize = 16 * 1024;

bool IsPlainValue(std::string_view v) {
  if (v.empty() || v.size() > kMaxValueSize) return false;
  for (char c : v) {
    if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') return false;
  }
  return true;
}

Status Bad(std::string_view what, size_t line, std::string_view why) {
  return InvalidArgumentError("credentials: " + std::string(what) + " line " +
                              std::to_string(line) + ": " + std::string(why));
}

std::string* Field(AwsCredentials& c, std::string_view name) {
  if (name == "AWS_ACCESS_KEY_ID") return &c.access_key_id;
  if (name == "AWS_SECRET_ACCESS_KEY") return &c.secret_access_key;
  if (name == "AWS_SESSION_TOKEN") return &c.session_token;
  if (name == "AWS_CREDENTIAL_EXPIRATION") return &c.expiration;
  return nullptr;
}

Status CheckComplete(const AwsCredentials& c, std::string_view what) {
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return NotFoundError("credentials: " + std::string(what) +
                         ": AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required");
  }
  return OkStatus();
}

}  // namespace

StatusOr<AwsCredentials> ParseCredentialsText(std::string_view text, std::string_view what) {
  if (text.size() > kMaxFileSize) {
    return LimitExceededError("credentials: " + std::string(what) + " is over 64 KiB");
  }
  AwsCredentials out;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) return Bad(what, line_no, "expected NAME=VALUE");
    std::string* field = Field(out, line.substr(0, eq));
    if (field == nullptr) return Bad(what, line_no, "unknown name");
    if (!field->empty()) return Bad(what, line_no, "name given twice");
    const std::string_view value = line.substr(eq + 1);
    if (!IsPlainValue(value)) return Bad(what, line_no, "value empty, too long or not plain ASCII");
    *field = std::string(value);
  }
  RETURN_IF_ERROR(CheckComplete(out, what));
  return out;
}

std::string CredentialsJson(const AwsCredentials& c) {
  // Values were checked to need no escaping (IsPlainValue).
  return "{\"AccessKeyId\":\"" + c.access_key_id + "\",\"SecretAccessKey\":\"" +
         c.secret_access_key + "\",\"SessionToken\":\"" + c.session_token +
         "\",\"Expiration\":\"" + c.expiration + "\"}";
}

StatusOr<CredentialSource> CredentialSource::FromEnvironment() {
  AwsCredentials c;
  for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                           "AWS_CREDENTIAL_EXPIRATION"}) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') continue;
    if (!IsPlainValue(v)) {
      return InvalidArgumentError("credentials: environment variable " + std::string(name) +
                                  " is too long or not plain ASCII");
    }
    *Field(c, name) = v;
  }
  RETURN_IF_ERROR(CheckComplete(c, "environment"));
  CredentialSource s;
  s.fixed_ = std::move(c);
  return s;
}

StatusOr<CredentialSource> CredentialSource::FromFile(std::string path) {
  CredentialSource s;
  s.path_ = std::move(path);
  RETURN_IF_ERROR(s.Get().status());
  return s;
}

StatusOr<CredentialSource> CredentialSource::FromFileOrEnvironment(const std::string& path) {
  return path.empty() ? FromEnvironment() : FromFile(path);
}

StatusOr<AwsCredentials> CredentialSource::Get() const {
  if (fixed_.has_value()) return *fixed_;
  ASSIGN_OR_RETURN(const std::string text, ReadSmallFile(path_, kMaxFileSize));
  return ParseCredentialsText(text, path_);
}

}  // namespace eml::host

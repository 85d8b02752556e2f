// Key-policy subset: strict parsing and AWS-style evaluation (key_policy.h).
#include "kms_server/key_policy.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "kms/kms_json.h"

namespace eml::kms_server {
namespace {

using nlohmann::json;

constexpr size_t kMaxPolicyStringSize = 2048;
constexpr std::string_view kImageSha384Key = "kms:recipientattestation:imagesha384";
constexpr std::string_view kPcrKeyPrefix = "kms:recipientattestation:pcr";
constexpr uint32_t kMaxPcrIndex = 31;

Status Malformed(const std::string& what) { return InvalidArgumentError("key policy: " + what); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && Lower(a) == Lower(b);
}

// A string, or a non-empty list of strings, each 1..kMaxPolicyStringSize.
StatusOr<std::vector<std::string>> StringOrList(const json& value, const std::string& what) {
  std::vector<std::string> out;
  auto take = [&](const json& v) -> Status {
    if (!v.is_string()) return Malformed(what + " must be a string or a list of strings");
    const std::string& s = v.get_ref<const std::string&>();
    if (s.empty() || s.size() > kMaxPolicyStringSize) return Malformed(what + " has a bad length");
    out.push_back(s);
    return OkStatus();
  };
  if (value.is_array()) {
    if (value.empty() || value.size() > kMaxPolicyValues) return Malformed(what + " list size");
    for (const json& v : value) RETURN_IF_ERROR(take(v));
  } else {
    RETURN_IF_ERROR(take(value));
  }
  return out;
}

Status ParsePrincipal(const json& value, PolicyStatement* st) {
  if (value.is_string()) {
    if (value.get_ref<const std::string&>() != "*") return Malformed("Principal must be \"*\" or {\"AWS\": ...}");
    st->any_principal = true;
    return OkStatus();
  }
  if (!value.is_object() || value.size() != 1 || !value.contains("AWS")) {
    return Malformed("Principal must be \"*\" or {\"AWS\": ...}");
  }
  ASSIGN_OR_RETURN(st->principals, StringOrList(value["AWS"], "Principal.AWS"));
  st->any_principal =
      std::find(st->principals.begin(), st->principals.end(), "*") != st->principals.end();
  return OkStatus();
}

Status ParseConditions(const json& value, PolicyStatement* st) {
  if (!value.is_object()) return Malformed("Condition must be an object");
  for (const auto& op : value.items()) {
    if (op.key().empty() || op.key().size() > 128) return Malformed("Condition operator length");
    if (!op.value().is_object() || op.value().empty()) {
      return Malformed("Condition operator must map keys to values");
    }
    for (const auto& key : op.value().items()) {
      if (key.key().empty() || key.key().size() > 128) return Malformed("Condition key length");
      if (st->conditions.size() >= kMaxPolicyValues) return Malformed("too many conditions");
      ASSIGN_OR_RETURN(std::vector<std::string> values, StringOrList(key.value(), "Condition value"));
      st->conditions.push_back({op.key(), key.key(), std::move(values)});
    }
  }
  return OkStatus();
}

Status CheckKeys(const json& object, std::initializer_list<std::string_view> allowed,
                 const std::string& where) {
  for (const auto& item : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), item.key()) == allowed.end()) {
      return Malformed(where + " has an unsupported member");
    }
  }
  return OkStatus();
}

StatusOr<PolicyStatement> ParseStatement(const json& value) {
  if (!value.is_object()) return Malformed("Statement entries must be objects");
  RETURN_IF_ERROR(CheckKeys(value, {"Sid", "Effect", "Principal", "Action", "Resource", "Condition"},
                            "Statement"));
  PolicyStatement st;
  if (auto it = value.find("Sid"); it != value.end()) {
    if (!it->is_string() || it->get_ref<const std::string&>().size() > 256) {
      return Malformed("Sid must be a short string");
    }
    st.sid = it->get<std::string>();
  }
  auto effect = value.find("Effect");
  if (effect == value.end() || !effect->is_string()) return Malformed("Effect is required");
  if (*effect == "Allow") {
    st.allow = true;
  } else if (*effect != "Deny") {
    return Malformed("Effect must be Allow or Deny");
  }
  auto principal = value.find("Principal");
  if (principal == value.end()) return Malformed("Principal is required");
  RETURN_IF_ERROR(ParsePrincipal(*principal, &st));
  auto action = value.find("Action");
  if (action == value.end()) return Malformed("Action is required");
  ASSIGN_OR_RETURN(st.actions, StringOrList(*action, "Action"));
  for (const std::string& a : st.actions) {
    if (Lower(a).rfind("kms:", 0) != 0) return Malformed("Action must name kms:<Operation>");
  }
  auto resource = value.find("Resource");
  if (resource == value.end()) return Malformed("Resource is required");
  ASSIGN_OR_RETURN(std::vector<std::string> resources, StringOrList(*resource, "Resource"));
  for (const std::string& r : resources) {
    if (r != "*") return Malformed("Resource must be \"*\" in a key policy");
  }
  if (auto it = value.find("Condition"); it != value.end()) {
    RETURN_IF_ERROR(ParseConditions(*it, &st));
  }
  return st;
}

// The account id of an ARN "arn:aws:iam::<account>:..."; empty if none.
std::string_view AccountOf(std::string_view arn) {
  size_t pos = 0;
  for (int field = 0; field < 4; ++field) {
    pos = arn.find(':', pos);
    if (pos == std::string_view::npos) return {};
    ++pos;
  }
  const size_t end = arn.find(':', pos);
  return end == std::string_view::npos ? std::string_view() : arn.substr(pos, end - pos);
}

bool PrincipalMatches(const PolicyStatement& st, std::string_view caller) {
  if (st.any_principal) return true;
  const std::string_view account = AccountOf(caller);
  for (const std::string& p : st.principals) {
    if (p == caller) return true;
    if (!account.empty() && (p == account || p == "arn:aws:iam::" + std::string(account) + ":root")) {
      return true;
    }
  }
  return false;
}

bool ActionMatches(const PolicyStatement& st, std::string_view action) {
  for (const std::string& a : st.actions) {
    if (a == "kms:*" || EqualsIgnoreCase(a, action)) return true;
  }
  return false;
}

// The PCR index a known condition key refers to, or nullopt (unknown key).
std::optional<uint32_t> PcrIndexOfKey(std::string_view key) {
  const std::string k = Lower(key);
  if (k == kImageSha384Key) return 0;
  if (k.rfind(kPcrKeyPrefix, 0) != 0) return std::nullopt;
  const std::string digits = k.substr(kPcrKeyPrefix.size());
  if (digits.empty() || digits.size() > 2 || (digits.size() == 2 && digits[0] == '0')) {
    return std::nullopt;
  }
  uint32_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint32_t>(c - '0');
  }
  if (n > kMaxPcrIndex) return std::nullopt;
  return n;
}

enum class ConditionResult { kTrue, kFalse, kUnknown };

ConditionResult EvaluateCondition(const PolicyCondition& c, const PolicyRequest& request) {
  const bool ignore_case = c.op == "StringEqualsIgnoreCase";
  if (c.op != "StringEquals" && !ignore_case) return ConditionResult::kUnknown;
  const std::optional<uint32_t> pcr = PcrIndexOfKey(c.key);
  if (!pcr) return ConditionResult::kUnknown;
  if (request.attested_pcrs == nullptr) return ConditionResult::kFalse;  // no Recipient
  auto it = request.attested_pcrs->find(*pcr);
  if (it == request.attested_pcrs->end()) return ConditionResult::kFalse;
  const std::string actual = HexEncode(it->second);  // lower-case
  for (const std::string& want : c.values) {
    if (ignore_case ? EqualsIgnoreCase(want, actual) : want == actual) return ConditionResult::kTrue;
  }
  return ConditionResult::kFalse;
}

// Whether the statement applies to the request (see the header for how
// unknown conditions count in Allow and Deny statements).
bool StatementApplies(const PolicyStatement& st, const PolicyRequest& request) {
  if (!PrincipalMatches(st, request.principal_arn) || !ActionMatches(st, request.action)) {
    return false;
  }
  for (const PolicyCondition& c : st.conditions) {
    switch (EvaluateCondition(c, request)) {
      case ConditionResult::kTrue:
        break;
      case ConditionResult::kFalse:
        return false;
      case ConditionResult::kUnknown:
        if (st.allow) return false;
        break;  // a Deny with an unknown condition still applies
    }
  }
  return true;
}

}  // namespace

StatusOr<KeyPolicy> ParseKeyPolicy(std::string_view json_text) {
  if (json_text.size() > kMaxKeyPolicySize) return Malformed("larger than 32768 bytes");
  StatusOr<json> root = kms::ParseJsonObject(json_text, kMaxKeyPolicySize);
  if (!root.ok()) return Malformed("not a valid JSON object");
  RETURN_IF_ERROR(CheckKeys(*root, {"Version", "Id", "Statement"}, "policy"));
  if (auto it = root->find("Version"); it != root->end()) {
    if (!it->is_string() || (*it != "2012-10-17" && *it != "2008-10-17")) {
      return Malformed("Version must be 2012-10-17 or 2008-10-17");
    }
  }
  if (auto it = root->find("Id"); it != root->end() && !it->is_string()) {
    return Malformed("Id must be a string");
  }
  auto statements = root->find("Statement");
  if (statements == root->end()) return Malformed("Statement is required");
  KeyPolicy policy;
  if (statements->is_object()) {
    ASSIGN_OR_RETURN(PolicyStatement st, ParseStatement(*statements));
    policy.statements.push_back(std::move(st));
  } else if (statements->is_array() && !statements->empty() &&
             statements->size() <= kMaxPolicyStatements) {
    for (const json& s : *statements) {
      ASSIGN_OR_RETURN(PolicyStatement st, ParseStatement(s));
      policy.statements.push_back(std::move(st));
    }
  } else {
    return Malformed("Statement must be an object or a list of 1..64 objects");
  }
  return policy;
}

std::string DefaultKeyPolicyJson() {
  return R"({"Version":"2012-10-17","Id":"eml-kms-default","Statement":[{"Sid":"Enable use by any authenticated caller","Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}]})";
}

PolicyDecision EvaluateKeyPolicy(const KeyPolicy& policy, const PolicyRequest& request) {
  bool allowed = false;
  for (const PolicyStatement& st : policy.statements) {
    if (!StatementApplies(st, request)) continue;
    if (!st.allow) return PolicyDecision::kExplicitDeny;
    allowed = true;
  }
  return allowed ? PolicyDecision::kAllow : PolicyDecision::kImplicitDeny;
}

}  // namespace eml::kms_server

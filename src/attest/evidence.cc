#include "attest/evidence.h"

#include <cinttypes>
#include <cstdio>
#include <ctime>

namespace eml::attest {
namespace {

// The StatusCode whose name is `name`; VerificationFailed for anything else
// (NOT_RUN), so a report never turns into a weaker code than "not verified".
StatusCode CodeFromName(std::string_view name) {
  for (int i = 1; i <= static_cast<int>(StatusCode::kAlreadyExists); ++i) {
    const StatusCode code = static_cast<StatusCode>(i);
    if (StatusCodeName(code) == name) return code;
  }
  return StatusCode::kVerificationFailed;
}

}  // namespace

bool EvidenceReport::verified() const {
  if (checks.empty()) return false;
  for (const EvidenceCheck& check : checks) {
    if (!check.passed) return false;
  }
  return true;
}

Status EvidenceReport::ToStatus() const {
  for (const EvidenceCheck& check : checks) {
    if (!check.passed) return Status(CodeFromName(check.code), check.id + ": " + check.detail);
  }
  if (checks.empty()) return VerificationFailedError("evidence: no checks were run");
  return OkStatus();
}

void EvidenceReport::Pass(std::string_view id, std::string detail) {
  checks.push_back({std::string(id), true, "OK", std::move(detail)});
}

void EvidenceReport::Fail(std::string_view id, const Status& why) {
  const StatusCode code = why.ok() ? StatusCode::kVerificationFailed : why.code();
  checks.push_back({std::string(id), false, std::string(StatusCodeName(code)), why.message()});
}

void EvidenceReport::NotRun(std::string_view id, std::string_view because_of) {
  checks.push_back({std::string(id), false, std::string(kCodeNotRun),
                    "not run: " + std::string(because_of) + " failed"});
}

std::string FormatUnixMillis(int64_t unix_millis) {
  // Floor division that cannot overflow, even for INT64_MIN.
  int64_t seconds = unix_millis / 1000;
  int64_t millis = unix_millis % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  const time_t t = static_cast<time_t>(seconds);
  struct tm tm = {};
  if (gmtime_r(&t, &tm) == nullptr) return std::to_string(unix_millis) + " ms";
  char out[64];
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03" PRId64 "Z", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return out;
}

}  // namespace eml::attest

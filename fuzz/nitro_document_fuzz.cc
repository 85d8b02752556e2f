// libFuzzer target for the AWS Nitro attestation document parser and
// verifier (src/attest/nitro.h): COSE_Sign1 with indefinite-length CBOR
// allowed, the payload map's fields and limits, and the check-by-check
// verifier with the document's own cabundle[0] pinned (so inputs that parse
// reach the signature and chain checks). Aborts when an accepted document
// breaks a documented limit, when parser and verifier disagree, or when a
// report is inconsistent (a verified report with a failed or missing check).
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "attest/nitro.h"
#include "core/clock.h"

namespace {

void Die(const char* why) {
  std::fprintf(stderr, "nitro: %s\n", why);
  std::abort();
}

bool WithinLimits(const eml::attest::NitroDocument& doc) {
  bool ok = !doc.module_id.empty() && !doc.pcrs.empty() &&
            doc.pcrs.size() <= eml::attest::kNitroMaxPcrs && !doc.cabundle_der.empty() &&
            doc.cabundle_der.size() <= eml::attest::kNitroMaxCabundle && doc.timestamp_ms > 0;
  for (const auto& [index, value] : doc.pcrs) ok = ok && index < 32 && value.size() == 48;
  for (const auto* field : {&doc.public_key, &doc.user_data, &doc.nonce}) {
    ok = ok && (!*field || (*field)->size() <= eml::attest::kNitroMaxOptionalFieldSize);
  }
  return ok;
}

void CheckReport(const eml::attest::NitroVerification& v, bool parsed) {
  if (v.report.checks.size() != 9) Die("report does not list all 9 planned checks");
  if (v.document.has_value() != parsed) Die("parser and verifier disagree");
  if (!v.verified()) return;
  for (const eml::attest::EvidenceCheck& c : v.report.checks) {
    if (!c.passed || c.code != "OK") Die("verified report with a failed check");
  }
  if (!v.document || v.matched_root != 0u) Die("verified report without document or root");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const eml::ByteSpan input(data, size);
  eml::StatusOr<eml::attest::NitroDocument> doc = eml::attest::ParseNitroDocument(input);
  if (doc.ok() && !WithinLimits(*doc)) Die("accepted document violates a documented limit");
  // Pin the document's own first CA certificate (or any bytes if it has none).
  const eml::Bytes pinned = doc.ok() ? doc->cabundle_der.front() : eml::Bytes{0x30, 0x00};
  const eml::FakeClock clock(doc.ok() ? doc->timestamp_ms : 1);
  eml::StatusOr<eml::attest::NitroVerification> v = eml::attest::VerifyNitroEvidence(
      input, {.pinned_roots = {pinned}, .clock = &clock, .max_age_millis = 300'000});
  if (!v.ok()) Die("valid options were rejected");
  CheckReport(*v, doc.ok());
  return 0;
}

// libFuzzer target for TDX/SEV-SNP session evidence (src/attest/tee_evidence.h):
// the TEE envelope parser (attest/tsm.h), the auxblob certificate table and
// the quote/report parsers behind VerifyTeeEvidence, for both platforms.
// The pinned root is not a certificate and the TDX collateral is empty, so
// nothing may ever verify. Aborts when an accepted envelope does not
// re-encode to the same bytes (the format is deterministic), when evidence
// verifies, or when the envelope check disagrees with the parser.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "attest/tee_evidence.h"

namespace {

void Die(const char* why) {
  std::fprintf(stderr, "tee_envelope: %s\n", why);
  std::abort();
}

bool EnvelopePassed(const eml::attest::TeeVerification& v) {
  for (const eml::attest::EvidenceCheck& c : v.report.checks) {
    if (c.id == eml::attest::kCheckTeeEnvelope) return c.passed;
  }
  Die("no TEE_ENVELOPE check");
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const eml::ByteSpan input(data, size);
  eml::StatusOr<eml::attest::TeeEnvelope> envelope = eml::attest::ParseTeeEnvelope(input);
  if (envelope.ok()) {
    eml::StatusOr<eml::Bytes> again = eml::attest::EncodeTeeEnvelope(*envelope);
    if (!again.ok() || *again != eml::Bytes(input.begin(), input.end())) {
      Die("an accepted envelope does not re-encode to its bytes");
    }
    (void)eml::attest::UnverifiedTeeMeasurements(input);
  }
  static const eml::Bytes kNotARoot = {0x30, 0x03, 0x02, 0x01, 0x00};
  static const eml::attest::TdxCollateral kEmptyCollateral;
  for (const char* platform : {"tdx", "snp"}) {
    eml::StatusOr<eml::attest::TeeVerification> v = eml::attest::VerifyTeeEvidence(
        input, platform,
        {.pinned_roots = {kNotARoot}, .at_unix_seconds = 1800000000,
         .tdx_collateral = &kEmptyCollateral});
    if (!v.ok()) Die("valid options refused");
    if (v->verified()) Die("evidence verified against a non-certificate root");
    const bool matches = envelope.ok() && eml::attest::TeePlatformName(envelope->platform) == platform;
    if (EnvelopePassed(*v) != matches) Die("TEE_ENVELOPE disagrees with the parser");
  }
  return 0;
}

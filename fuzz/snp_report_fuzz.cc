// libFuzzer target for the AMD SEV-SNP report parser and verifier
// (src/attest/snp.h) and the certificate extension readers it relies on
// (src/crypto/x509_ext.h). An input of at least 1184 bytes is split into a
// report (the first 1184 bytes) and a certificate (the rest); a shorter input
// is used as both. The certificate is parsed with its extensions (each value
// decoded as an INTEGER and an IA5String, as the VCEK's are), read as a
// collateral file, and used as the collateral and the pinned root of a full
// verification. Aborts when an accepted report breaks a documented rule,
// when parser and verifier disagree, or when a report is inconsistent.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "attest/snp.h"
#include "crypto/x509_ext.h"

namespace {

void Die(const char* why) {
  std::fprintf(stderr, "snp: %s\n", why);
  std::abort();
}

void CheckParsed(const eml::attest::SnpReport& r) {
  if (r.version != 2 && r.version != 3 && r.version != 5) Die("accepted an unsupported version");
  if (r.signature_algo != 1 || r.vmpl > 3) Die("accepted a bad algorithm or VMPL");
  if ((r.policy & eml::attest::kSnpPolicyReservedOne) == 0 || (r.policy >> 26) != 0) {
    Die("accepted reserved policy bits");
  }
  if (r.version == 2 && (r.cpuid_family | r.cpuid_model | r.cpuid_stepping) != 0) {
    Die("version 2 with CPUID fields");
  }
  if (r.version != 5 && (r.launch_mit_vector | r.current_mit_vector) != 0) {
    Die("mitigation vectors before version 5");
  }
}

void CheckExtensions(eml::ByteSpan der) {
  eml::StatusOr<eml::crypto::CertificateDetails> details = eml::crypto::ParseCertificateDetails(der);
  if (!details.ok()) return;
  if (details->extensions.size() > eml::crypto::kMaxCertificateExtensions) Die("too many extensions");
  for (const eml::crypto::CertificateExtension& e : details->extensions) {
    if (e.oid.empty()) Die("extension without OID");
    (void)eml::crypto::DecodeDerUnsignedInteger(e.value);
    eml::StatusOr<std::string> text = eml::crypto::DecodeDerIa5String(e.value);
    if (text.ok() && text->size() > 256) Die("IA5String over its limit");
  }
}

void CheckVerification(const eml::attest::SnpVerification& v, bool parsed) {
  if (v.report.checks.size() != 9) Die("report does not list all 9 planned checks");
  if (v.parsed.has_value() != parsed) Die("parser and verifier disagree");
  if (!v.verified()) return;
  for (const eml::attest::EvidenceCheck& c : v.report.checks) {
    if (!c.passed || c.code != "OK") Die("verified report with a failed check");
  }
  if (!v.matched_root || v.product == eml::attest::SnpProduct::kUnknown) {
    Die("verified report without root or product");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const eml::ByteSpan input(data, size);
  const bool split = size >= eml::attest::kSnpReportSize;
  const eml::ByteSpan report = split ? input.first(eml::attest::kSnpReportSize) : input;
  const eml::ByteSpan cert = split ? input.subspan(eml::attest::kSnpReportSize) : input;

  eml::StatusOr<eml::attest::SnpReport> parsed = eml::attest::ParseSnpReport(report);
  if (parsed.ok()) CheckParsed(*parsed);
  CheckExtensions(cert);
  eml::StatusOr<std::vector<eml::Bytes>> collateral = eml::attest::ParseSnpCollateral(cert);
  if (collateral.ok() && (collateral->empty() || collateral->size() > 8)) Die("bad collateral count");

  const eml::Bytes cert_copy(cert.begin(), cert.end());
  eml::StatusOr<eml::attest::SnpVerification> v = eml::attest::VerifySnpReport(
      report, {.pinned_roots = {cert_copy},
               .chain_der = {cert_copy},
               .at_unix_seconds = 1'750'000'000,
               .allow_debug = (size & 1) != 0});
  if (!v.ok()) Die("valid options were rejected");
  CheckVerification(*v, parsed.ok());
  return 0;
}

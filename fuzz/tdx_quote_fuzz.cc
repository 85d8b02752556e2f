// libFuzzer target for the Intel TDX quote verifier (src/attest/tdx.h). The
// first byte picks the parser: 0 the quote (then the full verifier, with the
// quote's own chain root pinned and an empty collateral, so parsed quotes
// reach the signature and chain checks), 1 the collateral JSON, 2 the TCB
// info JSON, 3 the QE identity JSON, 4 the PCK SGX extension DER. Aborts when
// an accepted input breaks a documented limit, when parser and verifier
// disagree, or when a report is inconsistent.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "attest/tdx.h"

namespace {

namespace a = eml::attest;

void Die(const char* why) {
  std::fprintf(stderr, "tdx: %s\n", why);
  std::abort();
}

void CheckQuote(const a::TdxQuote& q, size_t size) {
  const size_t body = q.body.tee_tcb_svn_2 ? a::kTdReport15Size : a::kTdReport10Size;
  const size_t header = a::kTdxHeaderSize + (q.header.version == 5 ? 6 : 0);
  if (q.header.version != 4 && q.header.version != 5) Die("accepted an unknown version");
  if (q.signed_data.size() != header + body) Die("signed data is not header and body");
  if (q.pck_chain_der.size() != 3 || q.qe_report_raw.size() != a::kSgxReportSize) {
    Die("accepted quote breaks a size rule");
  }
  if (q.trailing_zeros > a::kTdxMaxTrailingZeros || size > a::kTdxMaxQuoteSize) {
    Die("accepted quote breaks a limit");
  }
}

void FuzzQuote(eml::ByteSpan input) {
  eml::StatusOr<a::TdxQuote> q = a::ParseTdxQuote(input);
  if (q.ok()) CheckQuote(*q, input.size());
  const eml::Bytes pinned = q.ok() ? q->pck_chain_der.back() : eml::Bytes{0x30, 0x00};
  const a::TdxCollateral empty;
  eml::StatusOr<a::TdxVerification> v = a::VerifyTdxQuote(
      input, empty, {.pinned_roots = {pinned}, .at_unix_seconds = 1751328000});
  if (!v.ok()) Die("valid options were rejected");
  if (v->report.checks.size() != 16) Die("report does not list all 16 checks");
  if (v->quote.has_value() != q.ok()) Die("parser and verifier disagree");
  // Without collateral nothing can verify.
  if (v->verified() || v->tcb_status.has_value()) Die("verified without collateral");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const eml::ByteSpan input(data + 1, size - 1);
  const std::string_view text = eml::AsStringView(input);
  switch (data[0] % 5) {
    case 0:
      FuzzQuote(input);
      break;
    case 1: {
      eml::StatusOr<a::TdxCollateral> c = a::ParseTdxCollateralJson(text);
      if (c.ok() && (c->tcb_info_json.empty() || c->qe_identity_json.empty())) {
        Die("accepted collateral without signed bodies");
      }
      break;
    }
    case 2: {
      eml::StatusOr<a::TdxTcbInfo> t = a::ParseTdxTcbInfoJson(text);
      if (t.ok() && (t->tcb_levels.empty() || t->tcb_levels.size() > a::kTdxMaxTcbLevels ||
                     t->next_update <= t->issue_date)) {
        Die("accepted TCB info breaks a rule");
      }
      break;
    }
    case 3: {
      eml::StatusOr<a::TdxQeIdentity> q = a::ParseTdxQeIdentityJson(text);
      if (q.ok() && q->tcb_levels.empty()) Die("accepted QE identity without levels");
      break;
    }
    default:
      a::ParsePckPlatformInfo(input).status().IgnoreError();
      break;
  }
  return 0;
}

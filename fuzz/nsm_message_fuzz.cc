// libFuzzer target for the bytes a Nitro enclave or a verifier takes from
// outside: every NSM response parser (attest/nsm.h: the device's answer is
// host-adjacent input) and the TDX/SNP TEE envelope parser (attest/tsm.h:
// evidence from the network). Each input goes to all of them. Aborts when an
// accepted response breaks a documented limit, when an accepted envelope
// does not re-encode to the same bytes (it must be deterministic CBOR), or
// when REPORTDATA recomputed from an accepted envelope does not check.
// Seeds: fuzz/corpus/nsm (the example responses of
// ../shared/vectors/nsm/cbor_examples.tsv and a TEE envelope).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "attest/nitro.h"
#include "attest/nsm.h"
#include "attest/tsm.h"

namespace {

using eml::attest::kNsmMaxPcrs;
using eml::attest::kNsmPcrSize;

void Die(const char* why) {
  std::fprintf(stderr, "nsm_message: %s\n", why);
  std::abort();
}

void FuzzNsm(eml::ByteSpan input) {
  if (auto pcr = eml::attest::ParseNsmDescribePcrResponse(input); pcr.ok()) {
    if (pcr->value.size() != kNsmPcrSize) Die("DescribePCR value is not 48 bytes");
  }
  if (auto value = eml::attest::ParseNsmExtendPcrResponse(input); value.ok()) {
    if (value->size() != kNsmPcrSize) Die("ExtendPCR value is not 48 bytes");
  }
  if (auto random = eml::attest::ParseNsmGetRandomResponse(input); random.ok()) {
    if (random->empty() || random->size() > eml::attest::kNsmMaxRandomSize) Die("GetRandom size");
  }
  if (auto doc = eml::attest::ParseNsmAttestationResponse(input); doc.ok()) {
    if (doc->empty() || doc->size() > eml::attest::kNitroMaxDocumentSize) Die("document size");
  }
  if (auto d = eml::attest::ParseNsmDescribeResponse(input); d.ok()) {
    if (d->max_pcrs == 0 || d->max_pcrs > kNsmMaxPcrs) Die("max_pcrs out of range");
    if (d->module_id.empty() || d->module_id.size() > eml::attest::kNsmMaxModuleIdSize) Die("module_id");
    for (size_t i = 0; i < d->locked_pcrs.size(); ++i) {
      if (d->locked_pcrs[i] >= d->max_pcrs) Die("locked PCR beyond max_pcrs");
      if (i > 0 && d->locked_pcrs[i] <= d->locked_pcrs[i - 1]) Die("locked PCRs not ascending");
    }
  }
  const eml::Status lock = eml::attest::ParseNsmLockPcrResponse(input);
  const eml::Status locks = eml::attest::ParseNsmLockPcrsResponse(input);
  if (lock.ok() && locks.ok()) Die("one response accepted as LockPCR and LockPCRs");
}

void FuzzEnvelope(eml::ByteSpan input) {
  eml::StatusOr<eml::attest::TeeEnvelope> e = eml::attest::ParseTeeEnvelope(input);
  if (!e.ok()) return;
  eml::StatusOr<eml::Bytes> again = eml::attest::EncodeTeeEnvelope(*e);
  if (!again.ok()) Die("an accepted envelope does not encode");
  if (!std::equal(again->begin(), again->end(), input.begin(), input.end())) {
    Die("an accepted envelope is not in its deterministic encoding");
  }
  const eml::Bytes report_data = eml::attest::TeeReportData(e->public_key, e->user_data, e->nonce);
  if (!eml::attest::CheckTeeReportData(*e, report_data).ok()) Die("REPORTDATA does not check");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const eml::ByteSpan input(data, size);
  FuzzNsm(input);
  FuzzEnvelope(input);
  return 0;
}

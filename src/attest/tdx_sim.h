// TdxQuoteSimulator: a simulated Intel TDX machine for tests. It writes TDX
// v4 DCAP quotes for any REPORTDATA and measurement registers that
// VerifyTdxQuote (attest/tdx.h) accepts with TCB status UpToDate, but only
// against the SYNTHETIC PKI in src/attest/testdata/tdx_sim (root.der,
// collateral.json; docs/attestation-tdx.md, "Simulated TDX for tests"), never
// against Intel's root. A policy pinning that root must be an evaluation
// policy: the simulation proves nothing about hardware.
//
// A quote is the fixture quote_template.bin (header, TD report body with the
// TCB fields of a real platform, QE report signed by the synthetic PCK key,
// synthetic PCK chain) with REPORTDATA and the measurement registers
// replaced and header||body signed again with the attestation key
// (attestation_key.p8). Everything after the body is the template's.
//
// Thread-safety: immutable after Load; Quote may be called from many threads.
#ifndef EML_ATTEST_TDX_SIM_H_
#define EML_ATTEST_TDX_SIM_H_

#include <cstdint>
#include <map>
#include <string>

#include "core/bytes.h"
#include "core/status.h"
#include "crypto/ecdsa.h"

namespace eml::attest {

// File names inside the fixture directory.
inline constexpr char kTdxSimQuoteTemplateFile[] = "quote_template.bin";
inline constexpr char kTdxSimAttestationKeyFile[] = "attestation_key.p8";

// Measurement register keys, as the policy's tdx names (policy/policy.h).
inline constexpr uint32_t kTdxSimMrtd = 0;
inline constexpr uint32_t kTdxSimRtmr0 = 1;  // rtmr1..rtmr3 are 2..4
inline constexpr uint32_t kTdxSimMrConfigId = 5;
inline constexpr uint32_t kTdxSimMrOwner = 6;
inline constexpr uint32_t kTdxSimMrOwnerConfig = 7;

class TdxQuoteSimulator {
 public:
  // Loads quote_template.bin and attestation_key.p8 from `dir`. The template
  // must parse as a v4 quote without padding and carry the key's public half
  // (FailedPrecondition otherwise; NotFound / InvalidArgument from the files).
  static StatusOr<TdxQuoteSimulator> Load(const std::string& dir);

  // A v4 quote: the template with REPORTDATA = `report_data` (exactly 64
  // bytes) and the registers in `measurements` (keys 0..7 above, 48 bytes
  // each; absent registers are zero), header||body signed with the
  // attestation key (ECDSA P-256, raw r||s). Any other size or key is
  // InvalidArgument.
  StatusOr<Bytes> Quote(ByteSpan report_data, const std::map<uint32_t, Bytes>& measurements) const;

  // The attestation key's public half, X || Y (as the quote carries it).
  const Bytes& attestation_key() const { return attestation_key_; }

 private:
  TdxQuoteSimulator(Bytes quote_template, crypto::EcdsaPrivateKey key, Bytes attestation_key)
      : template_(std::move(quote_template)),
        key_(std::move(key)),
        attestation_key_(std::move(attestation_key)) {}

  Bytes template_;  // a complete v4 quote; measurements and REPORTDATA zero
  crypto::EcdsaPrivateKey key_;
  Bytes attestation_key_;
};

}  // namespace eml::attest

#endif  // EML_ATTEST_TDX_SIM_H_

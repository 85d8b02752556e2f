// Attestation evidence, platform-neutral parts: the provider interface an
// enclave attests through, and the check-by-check report a verifier returns.
//
// A provider turns (public_key, user_data, nonce) into signed evidence bytes
// for its platform: the AWS NSM device in production, the development
// provider (attest/dev_provider.h) everywhere else. A verifier (for Nitro:
// attest/nitro.h) runs a fixed list of named checks and reports each one, so
// the CLI and the client can show exactly what passed and what did not;
// the evidence is accepted only if every listed check passed.
//
// Thread-safety: EvidenceProvider::Attest may be called from many threads at
// once (one call per session handshake). EvidenceReport is a value type.
#ifndef EML_ATTEST_EVIDENCE_H_
#define EML_ATTEST_EVIDENCE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"

namespace eml::attest {

// Per-field limit of the Nitro format (NSM accepts at most 1024 bytes each).
inline constexpr size_t kMaxAttestFieldSize = 1024;

class EvidenceProvider {
 public:
  virtual ~EvidenceProvider() = default;
  // The evidence format: "nitro" (the NSM, its simulator and the dev
  // provider), or "tdx" / "snp" (a TEE envelope, attest/tsm.h).
  virtual std::string_view platform() const = 0;
  // True for development evidence that must never satisfy a production policy.
  virtual bool evaluation() const = 0;
  // Signed evidence binding the three fields (each 0..1024 bytes; an empty
  // field is written as absent). LimitExceeded for a larger field.
  virtual StatusOr<Bytes> Attest(ByteSpan public_key, ByteSpan user_data, ByteSpan nonce) = 0;
};

// Stable check identifiers (docs/attestation.md, "Checks").
inline constexpr std::string_view kCheckCoseDecode = "COSE_DECODE";
inline constexpr std::string_view kCheckPayloadFields = "PAYLOAD_FIELDS";
inline constexpr std::string_view kCheckRootPinned = "ROOT_PINNED";
inline constexpr std::string_view kCheckSignature = "SIGNATURE";
inline constexpr std::string_view kCheckChainValidAtTime = "CHAIN_VALID_AT_TIME";
inline constexpr std::string_view kCheckNotFuture = "NOT_FUTURE";
inline constexpr std::string_view kCheckMaxAge = "MAX_AGE";

// Code of a check that was not run because an earlier one failed.
inline constexpr std::string_view kCodeNotRun = "NOT_RUN";

struct EvidenceCheck {
  std::string id;      // one of kCheck*
  bool passed = false;
  std::string code;    // "OK", a StatusCodeName() such as "VERIFICATION_FAILED", or "NOT_RUN"
  std::string detail;  // for people and logs; never secret (evidence is public)
};

struct EvidenceReport {
  std::vector<EvidenceCheck> checks;  // in the order they were evaluated

  // True only if there is at least one check and every check passed.
  bool verified() const;
  // OK if verified(); otherwise the first failed check as a Status with its
  // code ("ROOT_PINNED: ..." as message; VerificationFailed for NOT_RUN).
  Status ToStatus() const;

  void Pass(std::string_view id, std::string detail);
  void Fail(std::string_view id, const Status& why);
  void NotRun(std::string_view id, std::string_view because_of);
};

// "2024-09-07T14:37:39.545Z" for a time in milliseconds since the epoch.
std::string FormatUnixMillis(int64_t unix_millis);

}  // namespace eml::attest

#endif  // EML_ATTEST_EVIDENCE_H_

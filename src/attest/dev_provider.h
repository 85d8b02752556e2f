// Development evidence: AWS Nitro-format attestation documents signed by a
// local development CA (attest/dev_ca.h) instead of the AWS Nitro PKI.
//
// The document has exactly the shape of a real NSM document (checked against
// ../shared/vectors/nitro): an untagged COSE_Sign1 with protected header
// {1: -35} (ES384), an empty unprotected map, and a definite-length payload
// map with module_id, digest "SHA384", timestamp (ms), pcrs 0..15,
// certificate (leaf DER), cabundle [root, intermediate], public_key,
// user_data, nonce (null when empty), in that order. So it goes through the
// same verifier as real documents (attest/nitro.h); only the pinned root
// differs, and a client that pins the AWS root rejects it.
//
// Dev PCRs are an extend-style SHA-384 over labelled content:
//   event = SHA-384("EphemeralML dev PCR v1" || u32be(len(label)) || label ||
//                   SHA-384(content))
//   PCR   = SHA-384(48 zero bytes || event)      (one extend of a zeroed PCR)
// PCR0 measures the enclave executable's bytes (label "enclave-image"), PCR1
// its canonical configuration bytes ("enclave-config"), PCR2 the model
// identity ("model-identity"); PCRs 3..15 are 48 zero bytes, as in a real
// document. A changed binary therefore changes PCR0.
//
// Evidence from this provider proves nothing about the hardware: it is
// evaluation() == true, and policies must accept its root explicitly.
//
// Thread-safety: Attest may be called concurrently (the provider's state is
// immutable after creation; the clock must be thread-safe, as Clock requires).
// The clock pointer, if given, must outlive the provider.
#ifndef EML_ATTEST_DEV_PROVIDER_H_
#define EML_ATTEST_DEV_PROVIDER_H_

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "attest/dev_ca.h"
#include "attest/evidence.h"
#include "core/bytes.h"
#include "core/clock.h"
#include "core/status.h"

namespace eml::attest {

inline constexpr std::string_view kDevPcrDomain = "EphemeralML dev PCR v1";
inline constexpr std::string_view kDevPcrImageLabel = "enclave-image";    // PCR0
inline constexpr std::string_view kDevPcrConfigLabel = "enclave-config";  // PCR1
inline constexpr std::string_view kDevPcrModelLabel = "model-identity";   // PCR2
inline constexpr size_t kDevPcrCount = 16;
inline constexpr size_t kMaxMeasuredFileSize = size_t{512} << 20;  // the executable, 512 MiB

// 48 bytes; see the formula above.
Bytes DevPcr(std::string_view label, ByteSpan content);

struct DevMeasurements {
  Bytes pcr0;  // 48 bytes each
  Bytes pcr1;
  Bytes pcr2;
};

DevMeasurements ComputeDevMeasurements(ByteSpan executable, ByteSpan config, ByteSpan model_identity);
// Reads the executable at `executable_path` (at most kMaxMeasuredFileSize;
// NotFound / LimitExceeded / Io as core/file.h). What
// `eml-enclave --print-measurements` prints.
StatusOr<DevMeasurements> MeasureDevEnclave(const std::string& executable_path, ByteSpan config,
                                            ByteSpan model_identity);

struct DevProviderOptions {
  std::string state_dir = {};            // the dev CA (attest/dev_ca.h)
  DevMeasurements measurements = {};     // PCR0..2, 48 bytes each
  std::string module_id = "eml-dev-enclave";  // 1..256 bytes
  const Clock* clock = nullptr;          // null: the system clock
};

// A Nitro-format document, exactly as described at the top of this file,
// signed by `ca`'s leaf: the development provider and the simulated NSM
// (attest/nsm_sim.h) both produce theirs here. `pcrs` are PCR 0..n-1 (48
// bytes each, n <= 32); an empty field is written as null.
// FailedPrecondition when `timestamp_ms` is outside the leaf's validity.
StatusOr<Bytes> SignDevNitroDocument(const DevCa& ca, std::string_view module_id,
                                     int64_t timestamp_ms, std::span<const Bytes> pcrs,
                                     ByteSpan public_key, ByteSpan user_data, ByteSpan nonce);

// Loads or creates the dev CA in options.state_dir; Attest then encodes a
// document (a few µs) and makes one ECDSA P-384 signature. FailedPrecondition for a damaged state directory
// (see dev_ca.h), InvalidArgument for bad measurements or module_id.
// Attest fails with FailedPrecondition once the leaf certificate has
// expired (restarting the provider renews it).
StatusOr<std::unique_ptr<EvidenceProvider>> CreateDevNitroProvider(const DevProviderOptions& options);

}  // namespace eml::attest

#endif  // EML_ATTEST_DEV_PROVIDER_H_

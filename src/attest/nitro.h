// AWS Nitro Enclaves attestation documents: parse and verify.
//
// A document is a COSE_Sign1 (ES384) whose payload is a CBOR map with
// module_id, digest, timestamp, pcrs, certificate, cabundle and the optional
// public_key, user_data and nonce (AWS "Verifying the root of trust"). We
// verify it the way a client must: the certificate chain to a *pinned* root at
// the document's own timestamp (archived documents are judged at their own
// time, never at the wall clock), then the COSE signature with the leaf key.
// Policy (which PCR values are acceptable, nonce binding) is the caller's job.
//
// Format notes and limits: docs/attestation.md. Thread-safety: pure functions.
#ifndef EML_ATTEST_NITRO_H_
#define EML_ATTEST_NITRO_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/bytes.h"
#include "core/status.h"

namespace eml::attest {

inline constexpr size_t kNitroMaxDocumentSize = 64 * 1024;
inline constexpr size_t kNitroMaxOptionalFieldSize = 1024;  // public_key, user_data, nonce
inline constexpr size_t kNitroMaxPcrs = 32;
inline constexpr size_t kNitroMaxCabundle = 8;

struct NitroDocument {
  std::string module_id;
  int64_t timestamp_ms = 0;
  std::map<uint32_t, Bytes> pcrs;  // index -> 48-byte SHA-384 value
  Bytes certificate_der;
  std::vector<Bytes> cabundle_der;  // root first, as AWS orders it
  std::optional<Bytes> public_key;
  std::optional<Bytes> user_data;
  std::optional<Bytes> nonce;
};

// Parses without verifying anything but structure and limits.
StatusOr<NitroDocument> ParseNitroDocument(ByteSpan document);

// Parses, then verifies the chain certificate <- cabundle[1..] <- pinned root at
// the document's timestamp and the ES384 signature. cabundle[0] must be the
// pinned root itself (byte-identical), so a document naming another root fails.
StatusOr<NitroDocument> VerifyNitroDocument(ByteSpan document, ByteSpan pinned_root_der);

}  // namespace eml::attest

#endif  // EML_ATTEST_NITRO_H_

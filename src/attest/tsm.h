// Intel TDX and AMD SEV-SNP evidence through Linux configfs-tsm
// (Documentation/ABI/testing/configfs-tsm-report, Linux 6.7+), and the
// envelope that carries it to a verifier.
//
// One report, as GetTsmReport does it, under /sys/kernel/config/tsm/report:
//   mkdir <entry>                 a fresh, randomly named entry per report
//   read  <entry>/generation      g0 (decimal text)
//   write <entry>/privlevel       optional, SNP only (0..3): g0 + 1
//   write <entry>/inblob          exactly 64 bytes (REPORTDATA): one more
//   read  <entry>/outblob         the TDX quote / SNP attestation report
//   read  <entry>/auxblob         SNP: the certificate table (may be absent/empty)
//   read  <entry>/provider        "tdx_guest" | "sev_guest"
//   read  <entry>/generation      must be g0 + our writes; otherwise another
//                                 writer raced us: retry (kTsmMaxAttempts)
//   rmdir <entry>                 always, also on every error path
// The filesystem is reached through TsmFs so tests run the same code over a
// simulated configfs directory.
//
// REPORTDATA binds the session (docs/attestation-nitro-nsm.md, "TEE report
// data"): TeeReportData = SHA-512(
//     "EphemeralML TEE report data v1" ||
//     u32be(len(public_key)) || public_key ||
//     u32be(len(user_data))  || user_data  ||
//     u32be(len(nonce))      || nonce)                 (64 bytes)
// user_data already carries the receipt key, hello hash and model hash
// (docs/protocol.md, "EMLB"); nonce is the client's challenge.
//
// The evidence bytes of a TDX/SNP provider are a TEE envelope: a
// deterministically encoded CBOR map (docs/cbor.md; keys sorted)
//   {"version": 1, "platform": "tdx"|"snp", "report": bstr (outblob),
//    ["aux": bstr (SNP auxblob, only when non-empty)],
//    "public_key": bstr, "user_data": bstr, "nonce": bstr}
// at most kTeeMaxEnvelopeSize bytes, so a verifier can recompute REPORTDATA
// (CheckTeeReportData) after verifying the quote or report itself (the TDX
// and SNP verifiers' job, not this module's).
//
// Thread-safety: TsmFs implementations must allow concurrent calls on
// different entries (the real one does). A provider may Attest from many
// threads: each call uses its own entry. Envelope functions are pure.
#ifndef EML_ATTEST_TSM_H_
#define EML_ATTEST_TSM_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "attest/evidence.h"
#include "core/bytes.h"
#include "core/status.h"

namespace eml::attest {

inline constexpr char kTsmReportRoot[] = "/sys/kernel/config/tsm/report";
inline constexpr size_t kTsmInblobSize = 64;                 // TSM_INBLOB_MAX
inline constexpr size_t kTsmMaxOutblobSize = 32 * 1024;      // TSM_OUTBLOB_MAX
inline constexpr size_t kTsmMaxAuxblobSize = 28 * 1024;
inline constexpr uint32_t kTsmMaxPrivlevel = 3;              // TSM_PRIVLEVEL_MAX
inline constexpr int kTsmMaxAttempts = 3;
inline constexpr size_t kTeeMaxEnvelopeSize = 64 * 1024;     // protocol kMaxEvidenceSize
inline constexpr std::string_view kTeeReportDataDomain = "EphemeralML TEE report data v1";

// The configfs directory. Paths are absolute ("<root>/<entry>/<attribute>").
class TsmFs {
 public:
  virtual ~TsmFs() = default;
  // AlreadyExists if the directory exists, NotFound if its parent does not.
  virtual Status MakeDir(const std::string& path) = 0;
  virtual Status RemoveDir(const std::string& path) = 0;
  // NotFound if absent; LimitExceeded if longer than max_size.
  virtual StatusOr<Bytes> ReadFile(const std::string& path, size_t max_size) = 0;
  // The whole value in one write, committed when the file is closed.
  virtual Status WriteFile(const std::string& path, ByteSpan data) = 0;
  virtual bool Exists(const std::string& path) = 0;
};

// The real filesystem (open/read/write/close, mkdir, rmdir; errno in messages).
std::unique_ptr<TsmFs> RealTsmFs();

enum class TeePlatform { kTdx, kSnp };
std::string_view TeePlatformName(TeePlatform platform);    // "tdx" | "snp"
std::string_view TsmProviderName(TeePlatform platform);    // "tdx_guest" | "sev_guest"

struct TsmReport {
  std::string provider;
  Bytes outblob;  // 1..kTsmMaxOutblobSize
  Bytes auxblob;  // empty when the provider has none
  int attempts = 0;
};

// One report for `inblob` (exactly 64 bytes) as described above.
// FailedPrecondition when the generation changed on every attempt; NotFound
// when `root` does not exist (no configfs-tsm).
StatusOr<TsmReport> GetTsmReport(TsmFs& fs, const std::string& root, ByteSpan inblob,
                                 std::optional<uint32_t> privlevel = std::nullopt);

// The provider name configfs-tsm reports (mkdir, read provider, rmdir);
// NotFound when `root` does not exist.
StatusOr<std::string> ProbeTsmProvider(TsmFs& fs, const std::string& root = kTsmReportRoot);

struct TsmProviderOptions {
  TeePlatform platform = TeePlatform::kTdx;
  std::unique_ptr<TsmFs> fs = nullptr;  // null: RealTsmFs()
  std::string root = kTsmReportRoot;
  std::optional<uint32_t> privlevel = std::nullopt;  // SNP only, 0..3
  // True only for a simulated machine (attest/tsm_sim.h): its evidence is
  // development evidence.
  bool evaluation = false;
};

// Probes once: FailedPrecondition if the provider is not the platform's.
// platform() is "tdx" or "snp", evaluation() as the options say; Attest returns a TEE
// envelope whose report binds TeeReportData(public_key, user_data, nonce).
StatusOr<std::unique_ptr<EvidenceProvider>> CreateTsmProvider(TsmProviderOptions options);

// ---- REPORTDATA and the envelope ------------------------------------------------

// 64 bytes; see the formula above.
Bytes TeeReportData(ByteSpan public_key, ByteSpan user_data, ByteSpan nonce);

struct TeeEnvelope {
  TeePlatform platform = TeePlatform::kTdx;
  Bytes report = {};      // TDX quote or SNP report, 1..kTsmMaxOutblobSize
  Bytes aux = {};         // SNP certificate table, 0..kTsmMaxAuxblobSize; empty for TDX
  Bytes public_key = {};  // each 0..kMaxAttestFieldSize
  Bytes user_data = {};
  Bytes nonce = {};
};

// InvalidArgument / LimitExceeded for a field outside its limit.
StatusOr<Bytes> EncodeTeeEnvelope(const TeeEnvelope& envelope);
// Strict: deterministic CBOR, exactly the keys above, version 1, limits.
StatusOr<TeeEnvelope> ParseTeeEnvelope(ByteSpan bytes);
// OK if `report_data_from_quote` (64 bytes, taken from the verified quote or
// report) equals TeeReportData of the envelope's fields; VerificationFailed
// otherwise, InvalidArgument for a wrong size.
Status CheckTeeReportData(const TeeEnvelope& envelope, ByteSpan report_data_from_quote);

}  // namespace eml::attest

#endif  // EML_ATTEST_TSM_H_

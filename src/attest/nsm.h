// The AWS Nitro Security Module (NSM): the device an enclave attests through.
//
// The NSM is reached through /dev/nsm with one ioctl, NSM_IOCTL_RAW
// (_IOWR(0x0A, 0, struct nsm_raw) = 0xC0200A00): struct nsm_raw is two
// {u64 addr, u64 len} iovecs, a request of at most kNsmMaxRequestSize bytes
// and a response buffer of kNsmMaxResponseSize bytes whose len the driver
// overwrites with the bytes written. Requests and responses are CBOR in the
// shape of AWS's nsm-api crate (serde externally tagged enums):
//   unit request        "DescribeNSM" | "GetRandom"              (text)
//   struct request      {"DescribePCR": {"index": u16}}           (map(1) of map)
//                       {"ExtendPCR": {"index": u16, "data": bstr}}
//                       {"LockPCR": {"index": u16}}, {"LockPCRs": {"range": u16}}
//                       {"Attestation": {"user_data", "nonce", "public_key"}}
//                       (each bstr or null, all three always present)
//   responses           the same names; LockPCR / LockPCRs answer with text,
//                       errors are {"Error": "<ErrorCode name>"}.
// Field order on the wire is declaration order, so the encoders here write
// heads by hand (cbor::Encode would sort keys). Facts, sources and example
// encodings: ../shared/vectors/nsm/FACTS.md, cbor_examples.tsv (the tests
// reproduce every example byte for byte); docs/attestation-nitro-nsm.md.
//
// Every response is bounded (kNsmMaxResponseSize, nesting depth, per-field
// limits), must be the variant the request asked for, and an NSM error
// becomes a Status (NsmErrorStatus) naming the request and the error, never
// request data.
//
// Thread-safety: NsmDevice::Transact may be called from many threads (the
// real device serialises in the kernel; the simulator locks). The provider
// from CreateNsmProvider is thread-safe. The helpers are pure.
#ifndef EML_ATTEST_NSM_H_
#define EML_ATTEST_NSM_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/evidence.h"
#include "core/bytes.h"
#include "core/status.h"

namespace eml::attest {

inline constexpr char kNsmDevicePath[] = "/dev/nsm";
inline constexpr size_t kNsmMaxRequestSize = 0x1000;   // NSM_REQUEST_MAX_SIZE
inline constexpr size_t kNsmMaxResponseSize = 0x3000;  // NSM_RESPONSE_MAX_SIZE
inline constexpr unsigned long kNsmIoctlRaw = 0xC0200A00;  // _IOWR(0x0A, 0, 32 bytes)
inline constexpr size_t kNsmPcrSize = 48;              // SHA-384 registers
inline constexpr size_t kNsmMaxPcrs = 32;
inline constexpr size_t kNsmMaxRandomSize = 1024;      // GetRandom answer, at most
inline constexpr size_t kNsmMaxModuleIdSize = 256;

// The NSM's error codes (nsm-api ErrorCode, C value = declaration order).
enum class NsmError : uint8_t {
  kInvalidArgument = 1,
  kInvalidIndex = 2,
  kInvalidResponse = 3,
  kReadOnlyIndex = 4,
  kInvalidOperation = 5,
  kBufferTooSmall = 6,
  kInputTooLarge = 7,
  kInternalError = 8,
};
std::string_view NsmErrorName(NsmError error);              // "ReadOnlyIndex"
std::optional<NsmError> NsmErrorFromName(std::string_view name);
// InvalidArgument -> InvalidArgument, InvalidIndex -> OutOfRange,
// ReadOnlyIndex -> FailedPrecondition, InvalidOperation -> Unsupported,
// BufferTooSmall / InputTooLarge -> LimitExceeded, InvalidResponse /
// InternalError -> Internal. Message: "nsm: <request>: device error <name>".
Status NsmErrorStatus(NsmError error, std::string_view request);

// ---- Wire encoding (public for tests and the fuzz target) ------------------

Bytes EncodeNsmDescribeRequest();
Bytes EncodeNsmGetRandomRequest();
Bytes EncodeNsmDescribePcrRequest(uint16_t index);
Bytes EncodeNsmExtendPcrRequest(uint16_t index, ByteSpan data);
Bytes EncodeNsmLockPcrRequest(uint16_t index);
Bytes EncodeNsmLockPcrsRequest(uint16_t range);
// An empty field is sent as null, as nsm-lib does.
Bytes EncodeNsmAttestationRequest(ByteSpan user_data, ByteSpan nonce, ByteSpan public_key);

struct NsmPcrState {
  bool locked = false;
  Bytes value;  // kNsmPcrSize bytes
};

struct NsmDescription {
  uint16_t version_major = 0;
  uint16_t version_minor = 0;
  uint16_t version_patch = 0;
  std::string module_id;              // 1..256 bytes
  uint16_t max_pcrs = 0;              // 1..32
  std::vector<uint16_t> locked_pcrs;  // each < max_pcrs, ascending, no duplicates
  std::string digest;                 // "SHA384" (the only digest we accept)
};

// Response parsers: the response must decode (<= kNsmMaxResponseSize, all
// bytes consumed), be the named variant with exactly its fields, or an
// {"Error": name}, which becomes NsmErrorStatus. A wrong variant or shape is
// InvalidArgument ("nsm: ...").
StatusOr<Bytes> ParseNsmAttestationResponse(ByteSpan response);  // the document
StatusOr<NsmPcrState> ParseNsmDescribePcrResponse(ByteSpan response);
StatusOr<Bytes> ParseNsmExtendPcrResponse(ByteSpan response);      // the new value
Status ParseNsmLockPcrResponse(ByteSpan response);
Status ParseNsmLockPcrsResponse(ByteSpan response);
StatusOr<Bytes> ParseNsmGetRandomResponse(ByteSpan response);      // 1..kNsmMaxRandomSize
StatusOr<NsmDescription> ParseNsmDescribeResponse(ByteSpan response);

// ---- The device ------------------------------------------------------------

class NsmDevice {
 public:
  virtual ~NsmDevice() = default;
  // One request/response exchange. The request is at most
  // kNsmMaxRequestSize bytes (LimitExceeded otherwise, nothing sent); the
  // response at most kNsmMaxResponseSize.
  virtual StatusOr<Bytes> Transact(ByteSpan request) = 0;
  // True for a simulation (attest/nsm_sim.h): its evidence is evaluation only.
  virtual bool simulated() const = 0;
};

// Opens the real device (read/write, O_CLOEXEC). NotFound if `path` does not
// exist, Io for any other open error (EACCES: the ioctl needs CAP_SYS_ADMIN).
StatusOr<std::unique_ptr<NsmDevice>> OpenNsmDevice(const std::string& path = kNsmDevicePath);

// ---- Typed helpers (one exchange each) --------------------------------------

// Each field 0..kMaxAttestFieldSize bytes (LimitExceeded otherwise).
StatusOr<Bytes> NsmAttestation(NsmDevice& device, ByteSpan user_data, ByteSpan nonce,
                               ByteSpan public_key);
StatusOr<NsmPcrState> NsmDescribePcr(NsmDevice& device, uint16_t index);
StatusOr<Bytes> NsmExtendPcr(NsmDevice& device, uint16_t index, ByteSpan data);
Status NsmLockPcr(NsmDevice& device, uint16_t index);
Status NsmLockPcrs(NsmDevice& device, uint16_t range);
StatusOr<Bytes> NsmGetRandom(NsmDevice& device);
StatusOr<NsmDescription> NsmDescribe(NsmDevice& device);

// An EvidenceProvider over the device: platform "nitro", evaluation() ==
// device->simulated(). Attest sends one Attestation request (empty fields as
// null) and checks that the returned document parses as a Nitro document
// (attest/nitro.h) and echoes the three fields; it does not verify the
// signature (the client does). At creation it sends DescribeNSM once and
// requires digest SHA384.
StatusOr<std::unique_ptr<EvidenceProvider>> CreateNsmProvider(std::unique_ptr<NsmDevice> device);

}  // namespace eml::attest

#endif  // EML_ATTEST_NSM_H_

// SimulatedNsmDevice: an in-process NSM for tests and development machines
// without Nitro hardware. It speaks exactly the CBOR messages of attest/nsm.h
// (it decodes requests and encodes responses itself, so a client talks to it
// through bytes only) and keeps the state a real NSM keeps:
//   - 32 SHA-384 PCRs, zero at start; ExtendPCR sets PCR = SHA-384(PCR || data)
//     and answers with the new value; LockPCR / LockPCRs [0, range) make PCRs
//     read-only (locking a locked PCR succeeds);
//   - PCR0..4 and PCR8 are read-only from the start, as on real hardware
//     (image, kernel, application, parent role, parent instance, signing
//     certificate), holding the values given in the options (zero if absent);
//   - GetRandom answers 256 random bytes; DescribeNSM version 1.0.0, the
//     module id, max_pcrs 32, the locked PCRs ascending, digest "SHA384";
//   - Attestation answers a document of exactly the dev provider's shape
//     (attest/dev_provider.h: untagged COSE_Sign1 ES384, payload map of nine
//     keys in the real order, PCRs 0..15, cabundle [root, intermediate],
//     empty fields as null) signed by the development CA in state_dir
//     (attest/dev_ca.h), so only a policy that pins that dev root accepts it.
// Errors are NSM error responses: InvalidIndex (PCR index >= 32, range > 32),
// ReadOnlyIndex (extending a locked PCR), InputTooLarge (a request over
// kNsmMaxRequestSize, an Attestation field over 1024 bytes), InvalidArgument
// (anything that is not a well-formed request), InternalError (signing failed).
//
// The simulation proves nothing about hardware: simulated() is true, and a
// provider over it reports evaluation() == true.
//
// Thread-safety: Transact may be called from many threads (one mutex guards
// the PCR bank). The clock, if given, must outlive the device.
#ifndef EML_ATTEST_NSM_SIM_H_
#define EML_ATTEST_NSM_SIM_H_

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "attest/dev_ca.h"
#include "attest/nsm.h"
#include "cbor/value.h"
#include "core/bytes.h"
#include "core/clock.h"
#include "core/status.h"

namespace eml::attest {

inline constexpr size_t kNsmSimRandomSize = 256;
inline constexpr size_t kNsmSimDocumentPcrs = 16;  // PCRs 0..15 in a document, as real ones

struct SimulatedNsmOptions {
  std::string state_dir = {};  // the dev CA (attest/dev_ca.h), created on first use
  // Boot measurements: values for the read-only PCRs 0..4 and 8 only, 48
  // bytes each; others are InvalidArgument.
  std::map<uint16_t, Bytes> boot_pcrs = {};
  std::string module_id = "i-00000000000000000-enc-eml-simulator";  // 1..256 bytes
  const Clock* clock = nullptr;  // null: the system clock
};

class SimulatedNsmDevice final : public NsmDevice {
 public:
  // Loads or creates the dev CA; FailedPrecondition for a damaged state
  // directory (dev_ca.h), InvalidArgument for bad options.
  static StatusOr<std::unique_ptr<SimulatedNsmDevice>> Create(const SimulatedNsmOptions& options);

  // Never fails for bad requests: they get an NSM error response. A request
  // over kNsmMaxRequestSize gets InputTooLarge, as the driver refuses it.
  StatusOr<Bytes> Transact(ByteSpan request) override;
  bool simulated() const override { return true; }

 private:
  struct Pcr {
    Bytes value = Bytes(kNsmPcrSize, 0);
    bool locked = false;
  };
  SimulatedNsmDevice(DevCa ca, std::string module_id, const Clock& clock)
      : ca_(std::move(ca)), module_id_(std::move(module_id)), clock_(clock) {}

  // Each handler gets the request body (a map) and answers a response.
  Bytes Handle(ByteSpan request);
  Bytes DescribePcr(const cbor::Value& body);
  Bytes ExtendPcr(const cbor::Value& body);
  Bytes LockPcr(const cbor::Value& body);
  Bytes LockPcrs(const cbor::Value& body);
  Bytes Describe();
  Bytes Attestation(const cbor::Value& body);
  StatusOr<Bytes> SignDocument(ByteSpan user_data, ByteSpan nonce, ByteSpan public_key);

  const DevCa ca_;
  const std::string module_id_;
  const Clock& clock_;
  std::mutex mu_;
  std::array<Pcr, kNsmMaxPcrs> pcrs_;  // guarded by mu_
};

}  // namespace eml::attest

#endif  // EML_ATTEST_NSM_SIM_H_

// The editable JSON form of a policy (docs/policy.md "JSON form").
//
// Byte fields are hex (model_hash, measurement values); a root certificate
// is given by exactly one of "der_file" (a path to a DER or PEM file,
// relative paths resolved against JsonOptions::base_dir), "der_base64" or
// "der_hex". PolicyToJson always writes "der_base64", so its output is
// self-contained, and PolicyFromJson(PolicyToJson(p)) == p.
//
// The reader is strict like the CBOR decoder: closed objects (unknown keys
// rejected), duplicate keys rejected, integers must be non-negative JSON
// integers, nesting is bounded, and the result must pass ValidatePolicy.
// The JSON text is at most kMaxPolicyJsonSize bytes.
//
// Thread-safety: pure functions (der_file reads the file system).
#ifndef EML_POLICY_POLICY_JSON_H_
#define EML_POLICY_POLICY_JSON_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"
#include "policy/policy.h"

namespace eml::policy {

inline constexpr size_t kMaxPolicyJsonSize = size_t{4} << 20;

struct JsonOptions {
  // Directory that relative "der_file" paths are resolved against; empty
  // means the current directory.
  std::string base_dir = {};
  // When false, "der_file" is an error (for input that must not make us
  // read files, such as fuzzing).
  bool allow_der_files = true;
};

StatusOr<Policy> PolicyFromJson(std::string_view json, const JsonOptions& options = {});

// Pretty-printed (2-space indent), keys sorted, trailing newline.
std::string PolicyToJson(const Policy& policy);

// A measurements file of `platform`: an object of the platform's names
// (policy.h), e.g. {"pcr0": hex, "pcr1": hex, "pcr2": hex} as
// `eml-enclave --print-measurements` prints it for nitro, or {"mrtd": hex,
// "rtmr0": hex, ...} for tdx; the same rules as a policy tuple (sizes,
// required names).
StatusOr<std::map<uint32_t, Bytes>> MeasurementsFromJson(std::string_view platform,
                                                         std::string_view json);

// A certificate file's DER: the file itself if DER, or the first
// "CERTIFICATE" block if PEM. At most kMaxRootDerSize bytes of DER.
StatusOr<Bytes> ReadCertificateFile(const std::string& path);

}  // namespace eml::policy

#endif  // EML_POLICY_POLICY_JSON_H_

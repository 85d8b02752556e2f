#include "attest/nsm_sim.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "attest/dev_provider.h"
#include "cbor/decode.h"
#include "cbor/encode.h"
#include "cbor/utf8.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace eml::attest {
namespace {

constexpr uint8_t kMajorUnsigned = 0;
constexpr uint8_t kMajorBytes = 2;
constexpr uint8_t kMajorText = 3;
constexpr uint8_t kMajorArray = 4;
constexpr uint8_t kMajorMap = 5;
constexpr uint8_t kFalse = 0xf4;
constexpr uint8_t kTrue = 0xf5;
constexpr std::array<uint16_t, 6> kReadOnlyAtBoot = {0, 1, 2, 3, 4, 8};

void AppendText(std::string_view text, Bytes* out) {
  cbor::AppendHead(kMajorText, text.size(), out);
  out->insert(out->end(), text.begin(), text.end());
}

void AppendByteString(ByteSpan bytes, Bytes* out) {
  cbor::AppendHead(kMajorBytes, bytes.size(), out);
  out->insert(out->end(), bytes.begin(), bytes.end());
}

// ---- Responses ---------------------------------------------------------------

Bytes Unit(std::string_view name) {
  Bytes out;
  AppendText(name, &out);
  return out;
}

// {name: {field_count fields follow}}: the caller appends the fields.
Bytes StructHead(std::string_view name, uint64_t field_count) {
  Bytes out;
  cbor::AppendHead(kMajorMap, 1, &out);
  AppendText(name, &out);
  cbor::AppendHead(kMajorMap, field_count, &out);
  return out;
}

Bytes ErrorResponse(NsmError error) {
  Bytes out;
  cbor::AppendHead(kMajorMap, 1, &out);
  AppendText("Error", &out);
  AppendText(NsmErrorName(error), &out);
  return out;
}

// ---- Request fields ------------------------------------------------------------

// The body must have exactly `count` fields.
bool HasFieldCount(const cbor::Value& body, size_t count) {
  return body.is_map() && body.map().size() == count;
}

std::optional<uint64_t> UintField(const cbor::Value& body, std::string_view name) {
  const cbor::Value* v = body.FindText(name);
  if (v == nullptr || !v->is_unsigned() || v->unsigned_value() > 0xffff) return std::nullopt;
  return v->unsigned_value();
}

// A bstr or null (empty) field; nullopt if neither.
std::optional<Bytes> OptionalBytesField(const cbor::Value& body, std::string_view name) {
  const cbor::Value* v = body.FindText(name);
  if (v == nullptr) return std::nullopt;
  if (v->is_null()) return Bytes{};
  if (!v->is_bytes()) return std::nullopt;
  return v->bytes();
}

}  // namespace

StatusOr<std::unique_ptr<SimulatedNsmDevice>> SimulatedNsmDevice::Create(
    const SimulatedNsmOptions& options) {
  if (options.module_id.empty() || options.module_id.size() > kNsmMaxModuleIdSize ||
      !cbor::IsValidUtf8(AsBytes(options.module_id))) {
    return InvalidArgumentError("nsm simulator: module_id must be 1..256 bytes of UTF-8");
  }
  for (const auto& [index, value] : options.boot_pcrs) {
    if (std::find(kReadOnlyAtBoot.begin(), kReadOnlyAtBoot.end(), index) == kReadOnlyAtBoot.end()) {
      return InvalidArgumentError("nsm simulator: boot PCRs are 0..4 and 8 only");
    }
    if (value.size() != kNsmPcrSize) {
      return InvalidArgumentError("nsm simulator: boot PCR values must be 48 bytes");
    }
  }
  const Clock& clock = options.clock != nullptr ? *options.clock : SystemClock::Get();
  ASSIGN_OR_RETURN(DevCa ca, LoadOrCreateDevCa(options.state_dir, clock));
  std::unique_ptr<SimulatedNsmDevice> device(
      new SimulatedNsmDevice(std::move(ca), options.module_id, clock));
  for (uint16_t index : kReadOnlyAtBoot) device->pcrs_[index].locked = true;
  for (const auto& [index, value] : options.boot_pcrs) device->pcrs_[index].value = value;
  return device;
}

StatusOr<Bytes> SimulatedNsmDevice::Transact(ByteSpan request) {
  if (request.size() > kNsmMaxRequestSize) return ErrorResponse(NsmError::kInputTooLarge);
  return Handle(request);
}

Bytes SimulatedNsmDevice::Handle(ByteSpan request) {
  StatusOr<cbor::Value> decoded =
      cbor::Decode(request, {.max_depth = 3, .max_items = 64, .max_size = kNsmMaxRequestSize});
  if (!decoded.ok()) return ErrorResponse(NsmError::kInvalidArgument);
  const cbor::Value& value = *decoded;
  if (value.is_text()) {
    if (value.text() == "DescribeNSM") return Describe();
    if (value.text() == "GetRandom") {
      Bytes random(kNsmSimRandomSize);
      if (!crypto::RandomBytes(random).ok()) return ErrorResponse(NsmError::kInternalError);
      Bytes out = StructHead("GetRandom", 1);
      AppendText("random", &out);
      AppendByteString(random, &out);
      return out;
    }
    return ErrorResponse(NsmError::kInvalidArgument);
  }
  if (!value.is_map() || value.map().size() != 1 || !value.map()[0].first.is_text()) {
    return ErrorResponse(NsmError::kInvalidArgument);
  }
  const std::string& name = value.map()[0].first.text();
  const cbor::Value& body = value.map()[0].second;
  if (!body.is_map()) return ErrorResponse(NsmError::kInvalidArgument);
  if (name == "DescribePCR") return DescribePcr(body);
  if (name == "ExtendPCR") return ExtendPcr(body);
  if (name == "LockPCR") return LockPcr(body);
  if (name == "LockPCRs") return LockPcrs(body);
  if (name == "Attestation") return Attestation(body);
  return ErrorResponse(NsmError::kInvalidArgument);
}

Bytes SimulatedNsmDevice::DescribePcr(const cbor::Value& body) {
  const std::optional<uint64_t> index = UintField(body, "index");
  if (!HasFieldCount(body, 1) || !index) return ErrorResponse(NsmError::kInvalidArgument);
  if (*index >= kNsmMaxPcrs) return ErrorResponse(NsmError::kInvalidIndex);
  Bytes out = StructHead("DescribePCR", 2);
  std::lock_guard<std::mutex> lock(mu_);
  const Pcr& pcr = pcrs_[*index];
  AppendText("lock", &out);
  out.push_back(pcr.locked ? kTrue : kFalse);
  AppendText("data", &out);
  AppendByteString(pcr.value, &out);
  return out;
}

Bytes SimulatedNsmDevice::ExtendPcr(const cbor::Value& body) {
  const std::optional<uint64_t> index = UintField(body, "index");
  const cbor::Value* data = body.FindText("data");
  if (!HasFieldCount(body, 2) || !index || data == nullptr || !data->is_bytes()) {
    return ErrorResponse(NsmError::kInvalidArgument);
  }
  if (*index >= kNsmMaxPcrs) return ErrorResponse(NsmError::kInvalidIndex);
  Bytes out = StructHead("ExtendPCR", 1);
  std::lock_guard<std::mutex> lock(mu_);
  Pcr& pcr = pcrs_[*index];
  if (pcr.locked) return ErrorResponse(NsmError::kReadOnlyIndex);
  pcr.value = crypto::Sha384(Concat({pcr.value, data->bytes()}));
  AppendText("data", &out);
  AppendByteString(pcr.value, &out);
  return out;
}

Bytes SimulatedNsmDevice::LockPcr(const cbor::Value& body) {
  const std::optional<uint64_t> index = UintField(body, "index");
  if (!HasFieldCount(body, 1) || !index) return ErrorResponse(NsmError::kInvalidArgument);
  if (*index >= kNsmMaxPcrs) return ErrorResponse(NsmError::kInvalidIndex);
  std::lock_guard<std::mutex> lock(mu_);
  pcrs_[*index].locked = true;
  return Unit("LockPCR");
}

Bytes SimulatedNsmDevice::LockPcrs(const cbor::Value& body) {
  const std::optional<uint64_t> range = UintField(body, "range");
  if (!HasFieldCount(body, 1) || !range) return ErrorResponse(NsmError::kInvalidArgument);
  if (*range > kNsmMaxPcrs) return ErrorResponse(NsmError::kInvalidIndex);
  std::lock_guard<std::mutex> lock(mu_);
  for (uint64_t i = 0; i < *range; ++i) pcrs_[i].locked = true;
  return Unit("LockPCRs");
}

Bytes SimulatedNsmDevice::Describe() {
  std::vector<uint16_t> locked;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (uint16_t i = 0; i < kNsmMaxPcrs; ++i) {
      if (pcrs_[i].locked) locked.push_back(i);
    }
  }
  Bytes out = StructHead("DescribeNSM", 7);
  for (const char* version : {"version_major", "version_minor", "version_patch"}) {
    AppendText(version, &out);
    cbor::AppendHead(kMajorUnsigned, std::string_view(version) == "version_major" ? 1 : 0, &out);
  }
  AppendText("module_id", &out);
  AppendText(module_id_, &out);
  AppendText("max_pcrs", &out);
  cbor::AppendHead(kMajorUnsigned, kNsmMaxPcrs, &out);
  AppendText("locked_pcrs", &out);
  cbor::AppendHead(kMajorArray, locked.size(), &out);
  for (uint16_t i : locked) cbor::AppendHead(kMajorUnsigned, i, &out);
  AppendText("digest", &out);
  AppendText("SHA384", &out);
  return out;
}

Bytes SimulatedNsmDevice::Attestation(const cbor::Value& body) {
  std::optional<Bytes> user_data = OptionalBytesField(body, "user_data");
  std::optional<Bytes> nonce = OptionalBytesField(body, "nonce");
  std::optional<Bytes> public_key = OptionalBytesField(body, "public_key");
  if (!HasFieldCount(body, 3) || !user_data || !nonce || !public_key) {
    return ErrorResponse(NsmError::kInvalidArgument);
  }
  for (const Bytes* field : {&*user_data, &*nonce, &*public_key}) {
    if (field->size() > kMaxAttestFieldSize) return ErrorResponse(NsmError::kInputTooLarge);
  }
  StatusOr<Bytes> document = SignDocument(*user_data, *nonce, *public_key);
  if (!document.ok()) return ErrorResponse(NsmError::kInternalError);
  Bytes out = StructHead("Attestation", 1);
  AppendText("document", &out);
  AppendByteString(*document, &out);
  return out;
}

// The same document the dev provider makes (and the real NSM's layout), over
// this device's PCR 0..15.
StatusOr<Bytes> SimulatedNsmDevice::SignDocument(ByteSpan user_data, ByteSpan nonce,
                                                 ByteSpan public_key) {
  std::vector<Bytes> pcrs(kNsmSimDocumentPcrs);
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < pcrs.size(); ++i) pcrs[i] = pcrs_[i].value;
  }
  StatusOr<Bytes> document = SignDevNitroDocument(ca_, module_id_, clock_.NowUnixMillis(), pcrs,
                                                  public_key, user_data, nonce);
  if (!document.ok()) return Status(document.status().code(), "nsm simulator: " + document.status().message());
  return document;
}

}  // namespace eml::attest

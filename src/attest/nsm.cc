#include "attest/nsm.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "attest/nitro.h"
#include "cbor/decode.h"
#include "cbor/encode.h"
#include "cbor/value.h"
#include "core/file.h"

namespace eml::attest {
namespace {

constexpr uint8_t kMajorUnsigned = 0;
constexpr uint8_t kMajorBytes = 2;
constexpr uint8_t kMajorText = 3;
constexpr uint8_t kMajorMap = 5;
constexpr uint8_t kNull = 0xf6;
// A response is at most map(1) { name: map(N) { field: array } }.
constexpr size_t kMaxResponseDepth = 4;

constexpr std::array<std::pair<NsmError, std::string_view>, 8> kErrorNames = {{
    {NsmError::kInvalidArgument, "InvalidArgument"},
    {NsmError::kInvalidIndex, "InvalidIndex"},
    {NsmError::kInvalidResponse, "InvalidResponse"},
    {NsmError::kReadOnlyIndex, "ReadOnlyIndex"},
    {NsmError::kInvalidOperation, "InvalidOperation"},
    {NsmError::kBufferTooSmall, "BufferTooSmall"},
    {NsmError::kInputTooLarge, "InputTooLarge"},
    {NsmError::kInternalError, "InternalError"},
}};

void AppendText(std::string_view text, Bytes* out) {
  cbor::AppendHead(kMajorText, text.size(), out);
  out->insert(out->end(), text.begin(), text.end());
}

void AppendBytesOrNull(ByteSpan value, Bytes* out) {
  if (value.empty()) {
    out->push_back(kNull);
    return;
  }
  cbor::AppendHead(kMajorBytes, value.size(), out);
  out->insert(out->end(), value.begin(), value.end());
}

// {name: {field: index}}: DescribePCR, LockPCR, LockPCRs.
Bytes EncodeOneU16(std::string_view name, std::string_view field, uint16_t value) {
  Bytes out;
  cbor::AppendHead(kMajorMap, 1, &out);
  AppendText(name, &out);
  cbor::AppendHead(kMajorMap, 1, &out);
  AppendText(field, &out);
  cbor::AppendHead(kMajorUnsigned, value, &out);
  return out;
}

// ---- Response decoding --------------------------------------------------------

// A decoded response: either a unit variant (text) or {name: body}.
struct Variant {
  std::string name;
  std::optional<cbor::Value> body;  // absent for a unit variant
};

StatusOr<Variant> DecodeVariant(ByteSpan response) {
  if (response.size() > kNsmMaxResponseSize) {
    return LimitExceededError("nsm: response exceeds " + std::to_string(kNsmMaxResponseSize) +
                              " bytes");
  }
  ASSIGN_OR_RETURN(cbor::Value value,
                   cbor::Decode(response, {.max_depth = kMaxResponseDepth,
                                           .max_items = 256,
                                           .max_size = kNsmMaxResponseSize}));
  if (value.is_text()) return Variant{value.text(), std::nullopt};
  if (!value.is_map() || value.map().size() != 1 || !value.map()[0].first.is_text()) {
    return InvalidArgumentError("nsm: response is neither a name nor a one-entry map");
  }
  auto& entry = value.mutable_map()[0];
  return Variant{entry.first.text(), std::move(entry.second)};
}

// The body of variant `name`, or the Status of an {"Error": ...} response.
StatusOr<cbor::Value> ExpectStruct(ByteSpan response, std::string_view name) {
  ASSIGN_OR_RETURN(Variant v, DecodeVariant(response));
  if (v.name == "Error" && v.body.has_value()) {
    if (!v.body->is_text()) return InvalidArgumentError("nsm: error code is not text");
    std::optional<NsmError> error = NsmErrorFromName(v.body->text());
    if (!error) return InternalError(std::string("nsm: ") + std::string(name) + ": unknown device error");
    return NsmErrorStatus(*error, name);
  }
  if (v.name != name || !v.body.has_value()) {
    return InvalidArgumentError("nsm: expected a " + std::string(name) + " response");
  }
  if (!v.body->is_map()) return InvalidArgumentError("nsm: " + std::string(name) + " body is not a map");
  return std::move(*v.body);
}

Status ExpectUnit(ByteSpan response, std::string_view name) {
  ASSIGN_OR_RETURN(Variant v, DecodeVariant(response));
  if (v.name == name && !v.body.has_value()) return OkStatus();
  if (v.name == "Error" && v.body.has_value()) return ExpectStruct(response, name).status();
  return InvalidArgumentError("nsm: expected a " + std::string(name) + " response");
}

// Exactly the named fields, in any order.
Status ExpectFields(const cbor::Value& body, std::string_view variant,
                    std::initializer_list<std::string_view> fields) {
  if (body.map().size() != fields.size()) {
    return InvalidArgumentError("nsm: " + std::string(variant) + " has " +
                                std::to_string(body.map().size()) + " fields, expected " +
                                std::to_string(fields.size()));
  }
  for (std::string_view f : fields) {
    if (body.FindText(f) == nullptr) {
      return InvalidArgumentError("nsm: " + std::string(variant) + " lacks " + std::string(f));
    }
  }
  return OkStatus();
}

StatusOr<Bytes> BytesField(const cbor::Value& body, std::string_view field, size_t min_size,
                           size_t max_size) {
  const cbor::Value* v = body.FindText(field);
  if (v == nullptr || !v->is_bytes()) {
    return InvalidArgumentError("nsm: " + std::string(field) + " is not a byte string");
  }
  if (v->bytes().size() < min_size || v->bytes().size() > max_size) {
    return InvalidArgumentError("nsm: " + std::string(field) + " has " +
                                std::to_string(v->bytes().size()) + " bytes, outside " +
                                std::to_string(min_size) + ".." + std::to_string(max_size));
  }
  return v->bytes();
}

StatusOr<uint16_t> U16(const cbor::Value& v, std::string_view field) {
  if (!v.is_unsigned() || v.unsigned_value() > 0xffff) {
    return InvalidArgumentError("nsm: " + std::string(field) + " is not a u16");
  }
  return static_cast<uint16_t>(v.unsigned_value());
}

StatusOr<uint16_t> U16Field(const cbor::Value& body, std::string_view field) {
  const cbor::Value* v = body.FindText(field);
  if (v == nullptr) return InvalidArgumentError("nsm: missing " + std::string(field));
  return U16(*v, field);
}

StatusOr<std::string> TextField(const cbor::Value& body, std::string_view field, size_t max_size) {
  const cbor::Value* v = body.FindText(field);
  if (v == nullptr || !v->is_text() || v->text().empty() || v->text().size() > max_size) {
    return InvalidArgumentError("nsm: " + std::string(field) + " must be text of 1.." +
                                std::to_string(max_size) + " bytes");
  }
  return v->text();
}

Status ParseLockedPcrs(const cbor::Value& body, NsmDescription* out) {
  const cbor::Value* v = body.FindText("locked_pcrs");
  if (v == nullptr || !v->is_array() || v->array().size() > out->max_pcrs) {
    return InvalidArgumentError("nsm: locked_pcrs must be an array of at most max_pcrs entries");
  }
  for (const cbor::Value& item : v->array()) {
    ASSIGN_OR_RETURN(uint16_t index, U16(item, "locked_pcrs entry"));
    if (index >= out->max_pcrs || (!out->locked_pcrs.empty() && index <= out->locked_pcrs.back())) {
      return InvalidArgumentError("nsm: locked_pcrs must be ascending indexes below max_pcrs");
    }
    out->locked_pcrs.push_back(index);
  }
  return OkStatus();
}

Status CheckAttestField(const char* name, ByteSpan value) {
  if (value.size() > kMaxAttestFieldSize) {
    return LimitExceededError(std::string("nsm: ") + name + " exceeds " +
                              std::to_string(kMaxAttestFieldSize) + " bytes");
  }
  return OkStatus();
}

// ---- The real device -----------------------------------------------------------

// struct nsm_raw from include/uapi/linux/nsm.h: two {addr, len} iovecs.
struct NsmIovec {
  uint64_t addr;
  uint64_t len;
};
struct NsmRaw {
  NsmIovec request;
  NsmIovec response;
};
static_assert(sizeof(NsmRaw) == 32, "the ioctl number encodes a 32-byte argument");

class RealNsmDevice final : public NsmDevice {
 public:
  explicit RealNsmDevice(int fd) : fd_(fd) {}

  StatusOr<Bytes> Transact(ByteSpan request) override {
    if (request.size() > kNsmMaxRequestSize) {
      return LimitExceededError("nsm: request exceeds " + std::to_string(kNsmMaxRequestSize) + " bytes");
    }
    Bytes response(kNsmMaxResponseSize);
    NsmRaw raw{};
    raw.request = {reinterpret_cast<uint64_t>(request.data()), request.size()};
    raw.response = {reinterpret_cast<uint64_t>(response.data()), response.size()};
    int rc = 0;
    do {
      rc = ioctl(fd_.get(), kNsmIoctlRaw, &raw);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) {
      const int err = errno;
      if (err == EMSGSIZE) return LimitExceededError("nsm: device refused the request size (EMSGSIZE)");
      return IoError(std::string("nsm: ioctl failed: ") + std::strerror(err));
    }
    if (raw.response.len > response.size()) {
      return InternalError("nsm: device reported a response larger than the buffer");
    }
    response.resize(static_cast<size_t>(raw.response.len));
    return response;
  }
  bool simulated() const override { return false; }

 private:
  UniqueFd fd_;
};

// ---- The provider --------------------------------------------------------------

bool Echoes(const std::optional<Bytes>& got, ByteSpan want) {
  if (!got.has_value()) return want.empty();
  return std::equal(got->begin(), got->end(), want.begin(), want.end());
}

class NsmProvider final : public EvidenceProvider {
 public:
  explicit NsmProvider(std::unique_ptr<NsmDevice> device) : device_(std::move(device)) {}

  std::string_view platform() const override { return "nitro"; }
  bool evaluation() const override { return device_->simulated(); }

  StatusOr<Bytes> Attest(ByteSpan public_key, ByteSpan user_data, ByteSpan nonce) override {
    ASSIGN_OR_RETURN(Bytes document, NsmAttestation(*device_, user_data, nonce, public_key));
    ASSIGN_OR_RETURN(NitroDocument parsed, ParseNitroDocument(document));
    if (!Echoes(parsed.public_key, public_key) || !Echoes(parsed.user_data, user_data) ||
        !Echoes(parsed.nonce, nonce)) {
      return InternalError("nsm: the document does not carry the requested fields");
    }
    return document;
  }

 private:
  const std::unique_ptr<NsmDevice> device_;
};

}  // namespace

std::string_view NsmErrorName(NsmError error) {
  for (const auto& [code, name] : kErrorNames) {
    if (code == error) return name;
  }
  return "Unknown";
}

std::optional<NsmError> NsmErrorFromName(std::string_view name) {
  for (const auto& [code, n] : kErrorNames) {
    if (n == name) return code;
  }
  return std::nullopt;
}

Status NsmErrorStatus(NsmError error, std::string_view request) {
  StatusCode code = StatusCode::kInternal;
  switch (error) {
    case NsmError::kInvalidArgument: code = StatusCode::kInvalidArgument; break;
    case NsmError::kInvalidIndex: code = StatusCode::kOutOfRange; break;
    case NsmError::kReadOnlyIndex: code = StatusCode::kFailedPrecondition; break;
    case NsmError::kInvalidOperation: code = StatusCode::kUnsupported; break;
    case NsmError::kBufferTooSmall:
    case NsmError::kInputTooLarge: code = StatusCode::kLimitExceeded; break;
    case NsmError::kInvalidResponse:
    case NsmError::kInternalError: code = StatusCode::kInternal; break;
  }
  return Status(code, "nsm: " + std::string(request) + ": device error " +
                          std::string(NsmErrorName(error)));
}

Bytes EncodeNsmDescribeRequest() {
  Bytes out;
  AppendText("DescribeNSM", &out);
  return out;
}

Bytes EncodeNsmGetRandomRequest() {
  Bytes out;
  AppendText("GetRandom", &out);
  return out;
}

Bytes EncodeNsmDescribePcrRequest(uint16_t index) { return EncodeOneU16("DescribePCR", "index", index); }
Bytes EncodeNsmLockPcrRequest(uint16_t index) { return EncodeOneU16("LockPCR", "index", index); }
Bytes EncodeNsmLockPcrsRequest(uint16_t range) { return EncodeOneU16("LockPCRs", "range", range); }

Bytes EncodeNsmExtendPcrRequest(uint16_t index, ByteSpan data) {
  Bytes out;
  cbor::AppendHead(kMajorMap, 1, &out);
  AppendText("ExtendPCR", &out);
  cbor::AppendHead(kMajorMap, 2, &out);
  AppendText("index", &out);
  cbor::AppendHead(kMajorUnsigned, index, &out);
  AppendText("data", &out);
  cbor::AppendHead(kMajorBytes, data.size(), &out);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

Bytes EncodeNsmAttestationRequest(ByteSpan user_data, ByteSpan nonce, ByteSpan public_key) {
  Bytes out;
  cbor::AppendHead(kMajorMap, 1, &out);
  AppendText("Attestation", &out);
  cbor::AppendHead(kMajorMap, 3, &out);
  AppendText("user_data", &out);
  AppendBytesOrNull(user_data, &out);
  AppendText("nonce", &out);
  AppendBytesOrNull(nonce, &out);
  AppendText("public_key", &out);
  AppendBytesOrNull(public_key, &out);
  return out;
}

StatusOr<Bytes> ParseNsmAttestationResponse(ByteSpan response) {
  ASSIGN_OR_RETURN(cbor::Value body, ExpectStruct(response, "Attestation"));
  RETURN_IF_ERROR(ExpectFields(body, "Attestation", {"document"}));
  return BytesField(body, "document", 1, kNitroMaxDocumentSize);
}

StatusOr<NsmPcrState> ParseNsmDescribePcrResponse(ByteSpan response) {
  ASSIGN_OR_RETURN(cbor::Value body, ExpectStruct(response, "DescribePCR"));
  RETURN_IF_ERROR(ExpectFields(body, "DescribePCR", {"lock", "data"}));
  const cbor::Value* lock = body.FindText("lock");
  if (!lock->is_bool()) return InvalidArgumentError("nsm: lock is not a bool");
  NsmPcrState out;
  out.locked = lock->bool_value();
  ASSIGN_OR_RETURN(out.value, BytesField(body, "data", kNsmPcrSize, kNsmPcrSize));
  return out;
}

StatusOr<Bytes> ParseNsmExtendPcrResponse(ByteSpan response) {
  ASSIGN_OR_RETURN(cbor::Value body, ExpectStruct(response, "ExtendPCR"));
  RETURN_IF_ERROR(ExpectFields(body, "ExtendPCR", {"data"}));
  return BytesField(body, "data", kNsmPcrSize, kNsmPcrSize);
}

Status ParseNsmLockPcrResponse(ByteSpan response) { return ExpectUnit(response, "LockPCR"); }
Status ParseNsmLockPcrsResponse(ByteSpan response) { return ExpectUnit(response, "LockPCRs"); }

StatusOr<Bytes> ParseNsmGetRandomResponse(ByteSpan response) {
  ASSIGN_OR_RETURN(cbor::Value body, ExpectStruct(response, "GetRandom"));
  RETURN_IF_ERROR(ExpectFields(body, "GetRandom", {"random"}));
  return BytesField(body, "random", 1, kNsmMaxRandomSize);
}

StatusOr<NsmDescription> ParseNsmDescribeResponse(ByteSpan response) {
  ASSIGN_OR_RETURN(cbor::Value body, ExpectStruct(response, "DescribeNSM"));
  RETURN_IF_ERROR(ExpectFields(body, "DescribeNSM",
                               {"version_major", "version_minor", "version_patch", "module_id",
                                "max_pcrs", "locked_pcrs", "digest"}));
  NsmDescription out;
  ASSIGN_OR_RETURN(out.version_major, U16Field(body, "version_major"));
  ASSIGN_OR_RETURN(out.version_minor, U16Field(body, "version_minor"));
  ASSIGN_OR_RETURN(out.version_patch, U16Field(body, "version_patch"));
  ASSIGN_OR_RETURN(out.module_id, TextField(body, "module_id", kNsmMaxModuleIdSize));
  ASSIGN_OR_RETURN(out.max_pcrs, U16Field(body, "max_pcrs"));
  if (out.max_pcrs == 0 || out.max_pcrs > kNsmMaxPcrs) {
    return InvalidArgumentError("nsm: max_pcrs must be 1..32");
  }
  RETURN_IF_ERROR(ParseLockedPcrs(body, &out));
  ASSIGN_OR_RETURN(out.digest, TextField(body, "digest", 16));
  return out;
}

StatusOr<std::unique_ptr<NsmDevice>> OpenNsmDevice(const std::string& path) {
  const int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return NotFoundError("nsm: " + path + " does not exist (not a Nitro enclave?)");
    return IoError("nsm: cannot open " + path + ": " + std::strerror(err));
  }
  return std::unique_ptr<NsmDevice>(std::make_unique<RealNsmDevice>(fd));
}

StatusOr<Bytes> NsmAttestation(NsmDevice& device, ByteSpan user_data, ByteSpan nonce,
                               ByteSpan public_key) {
  RETURN_IF_ERROR(CheckAttestField("user_data", user_data));
  RETURN_IF_ERROR(CheckAttestField("nonce", nonce));
  RETURN_IF_ERROR(CheckAttestField("public_key", public_key));
  ASSIGN_OR_RETURN(Bytes response,
                   device.Transact(EncodeNsmAttestationRequest(user_data, nonce, public_key)));
  return ParseNsmAttestationResponse(response);
}

StatusOr<NsmPcrState> NsmDescribePcr(NsmDevice& device, uint16_t index) {
  ASSIGN_OR_RETURN(Bytes response, device.Transact(EncodeNsmDescribePcrRequest(index)));
  return ParseNsmDescribePcrResponse(response);
}

StatusOr<Bytes> NsmExtendPcr(NsmDevice& device, uint16_t index, ByteSpan data) {
  const Bytes request = EncodeNsmExtendPcrRequest(index, data);
  if (request.size() > kNsmMaxRequestSize) {
    return LimitExceededError("nsm: ExtendPCR data makes the request exceed " +
                              std::to_string(kNsmMaxRequestSize) + " bytes");
  }
  ASSIGN_OR_RETURN(Bytes response, device.Transact(request));
  return ParseNsmExtendPcrResponse(response);
}

Status NsmLockPcr(NsmDevice& device, uint16_t index) {
  ASSIGN_OR_RETURN(Bytes response, device.Transact(EncodeNsmLockPcrRequest(index)));
  return ParseNsmLockPcrResponse(response);
}

Status NsmLockPcrs(NsmDevice& device, uint16_t range) {
  ASSIGN_OR_RETURN(Bytes response, device.Transact(EncodeNsmLockPcrsRequest(range)));
  return ParseNsmLockPcrsResponse(response);
}

StatusOr<Bytes> NsmGetRandom(NsmDevice& device) {
  ASSIGN_OR_RETURN(Bytes response, device.Transact(EncodeNsmGetRandomRequest()));
  return ParseNsmGetRandomResponse(response);
}

StatusOr<NsmDescription> NsmDescribe(NsmDevice& device) {
  ASSIGN_OR_RETURN(Bytes response, device.Transact(EncodeNsmDescribeRequest()));
  return ParseNsmDescribeResponse(response);
}

StatusOr<std::unique_ptr<EvidenceProvider>> CreateNsmProvider(std::unique_ptr<NsmDevice> device) {
  if (device == nullptr) return InvalidArgumentError("nsm: no device");
  ASSIGN_OR_RETURN(NsmDescription description, NsmDescribe(*device));
  if (description.digest != "SHA384") {
    return UnsupportedError("nsm: the device's PCR digest is not SHA384");
  }
  return std::unique_ptr<EvidenceProvider>(std::make_unique<NsmProvider>(std::move(device)));
}

}  // namespace eml::attest

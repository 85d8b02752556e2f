#include "attest/dev_provider.h"

#include <array>
#include <utility>

#include "attest/dev_ca.h"
#include "cbor/encode.h"
#include "cbor/utf8.h"
#include "core/file.h"
#include "cose/sign1.h"
#include "crypto/hash.h"
#include "crypto/x509_issue.h"

namespace eml::attest {
namespace {

constexpr size_t kPcrSize = 48;
constexpr size_t kMaxModuleIdSize = 256;
constexpr uint64_t kPayloadFieldCount = 9;
// The protected header of every real NSM document: {1: -35} (alg ES384).
constexpr std::array<uint8_t, 4> kProtectedEs384 = {0xa1, 0x01, 0x38, 0x22};

// CBOR major types (RFC 8949 section 3.1).
constexpr uint8_t kMajorUnsigned = 0;
constexpr uint8_t kMajorBytes = 2;
constexpr uint8_t kMajorText = 3;
constexpr uint8_t kMajorArray = 4;
constexpr uint8_t kMajorMap = 5;
constexpr uint8_t kNull = 0xf6;

void AppendText(std::string_view text, Bytes* out) {
  cbor::AppendHead(kMajorText, text.size(), out);
  out->insert(out->end(), text.begin(), text.end());
}

void AppendByteString(ByteSpan bytes, Bytes* out) {
  cbor::AppendHead(kMajorBytes, bytes.size(), out);
  out->insert(out->end(), bytes.begin(), bytes.end());
}

// public_key, user_data, nonce: null when empty, as NSM writes an absent field.
void AppendOptional(std::string_view key, ByteSpan value, Bytes* out) {
  AppendText(key, out);
  if (value.empty()) {
    out->push_back(kNull);
  } else {
    AppendByteString(value, out);
  }
}

// Map head, module_id, digest and the "timestamp" key: the bytes before the
// timestamp value.
Bytes EncodeHead(const std::string& module_id) {
  Bytes out;
  cbor::AppendHead(kMajorMap, kPayloadFieldCount, &out);
  AppendText("module_id", &out);
  AppendText(module_id, &out);
  AppendText("digest", &out);
  AppendText("SHA384", &out);
  AppendText("timestamp", &out);
  return out;
}

// pcrs, certificate and cabundle: the bytes between the timestamp and the
// caller's fields.
Bytes EncodeMiddle(const DevMeasurements& m, const DevCa& ca) {
  Bytes out;
  AppendText("pcrs", &out);
  cbor::AppendHead(kMajorMap, kDevPcrCount, &out);
  const Bytes zero(kPcrSize, 0);
  for (uint64_t i = 0; i < kDevPcrCount; ++i) {
    cbor::AppendHead(kMajorUnsigned, i, &out);
    AppendByteString(i == 0 ? m.pcr0 : i == 1 ? m.pcr1 : i == 2 ? m.pcr2 : zero, &out);
  }
  AppendText("certificate", &out);
  AppendByteString(ca.leaf_der, &out);
  AppendText("cabundle", &out);
  cbor::AppendHead(kMajorArray, 2, &out);
  AppendByteString(ca.root_der, &out);
  AppendByteString(ca.intermediate_der, &out);
  return out;
}

// [protected, {}, payload, signature], untagged like NSM's documents.
Bytes EncodeSign1(ByteSpan payload, ByteSpan signature) {
  Bytes out;
  out.reserve(payload.size() + signature.size() + 16);
  cbor::AppendHead(kMajorArray, 4, &out);
  AppendByteString(kProtectedEs384, &out);
  cbor::AppendHead(kMajorMap, 0, &out);
  AppendByteString(payload, &out);
  AppendByteString(signature, &out);
  return out;
}

Status CheckField(const char* name, ByteSpan value) {
  if (value.size() > kMaxAttestFieldSize) {
    return LimitExceededError(std::string("dev provider: ") + name + " exceeds 1024 bytes");
  }
  return OkStatus();
}

class DevNitroProvider final : public EvidenceProvider {
 public:
  DevNitroProvider(crypto::P384PrivateKey leaf_key, Bytes head, Bytes middle, const Clock& clock,
                   int64_t leaf_not_after)
      : leaf_key_(std::move(leaf_key)), head_(std::move(head)), middle_(std::move(middle)),
        clock_(clock), leaf_not_after_(leaf_not_after) {}

  std::string_view platform() const override { return "nitro"; }
  bool evaluation() const override { return true; }

  StatusOr<Bytes> Attest(ByteSpan public_key, ByteSpan user_data, ByteSpan nonce) override {
    RETURN_IF_ERROR(CheckField("public_key", public_key));
    RETURN_IF_ERROR(CheckField("user_data", user_data));
    RETURN_IF_ERROR(CheckField("nonce", nonce));
    const int64_t now_ms = clock_.NowUnixMillis();
    if (now_ms <= 0) return FailedPreconditionError("dev provider: clock is before 1970");
    if (now_ms / 1000 >= leaf_not_after_) {
      return FailedPreconditionError("dev provider: leaf certificate expired; restart to renew it");
    }
    Bytes payload;
    payload.reserve(head_.size() + middle_.size() + public_key.size() + user_data.size() +
                    nonce.size() + 64);
    payload.insert(payload.end(), head_.begin(), head_.end());
    cbor::AppendHead(kMajorUnsigned, static_cast<uint64_t>(now_ms), &payload);
    payload.insert(payload.end(), middle_.begin(), middle_.end());
    AppendOptional("public_key", public_key, &payload);
    AppendOptional("user_data", user_data, &payload);
    AppendOptional("nonce", nonce, &payload);
    ASSIGN_OR_RETURN(Bytes to_be_signed, cose::Sign1ToBeSigned(kProtectedEs384, {}, payload));
    ASSIGN_OR_RETURN(Bytes signature, leaf_key_.Sign(to_be_signed, crypto::EcdsaSignatureFormat::kRawRS));
    return EncodeSign1(payload, signature);
  }

 private:
  const crypto::P384PrivateKey leaf_key_;
  const Bytes head_;    // payload bytes before the timestamp value
  const Bytes middle_;  // payload bytes from "pcrs" to the end of "cabundle"
  const Clock& clock_;
  const int64_t leaf_not_after_;  // unix seconds
};

Status CheckOptions(const DevProviderOptions& options) {
  for (const Bytes* pcr : {&options.measurements.pcr0, &options.measurements.pcr1,
                           &options.measurements.pcr2}) {
    if (pcr->size() != kPcrSize) return InvalidArgumentError("dev provider: PCR0..2 must be 48 bytes");
  }
  if (options.module_id.empty() || options.module_id.size() > kMaxModuleIdSize ||
      !cbor::IsValidUtf8(AsBytes(options.module_id))) {
    return InvalidArgumentError("dev provider: module_id must be 1..256 bytes of UTF-8");
  }
  return OkStatus();
}

}  // namespace

Bytes DevPcr(std::string_view label, ByteSpan content) {
  ByteWriter event;
  event.PutBytes(AsBytes(kDevPcrDomain));
  event.PutU32Be(static_cast<uint32_t>(label.size()));
  event.PutBytes(AsBytes(label));
  event.PutBytes(crypto::Sha384(content));
  ByteWriter extend;
  extend.PutBytes(Bytes(kPcrSize, 0));
  extend.PutBytes(crypto::Sha384(event.bytes()));
  return crypto::Sha384(extend.bytes());
}

DevMeasurements ComputeDevMeasurements(ByteSpan executable, ByteSpan config, ByteSpan model_identity) {
  return {.pcr0 = DevPcr(kDevPcrImageLabel, executable),
          .pcr1 = DevPcr(kDevPcrConfigLabel, config),
          .pcr2 = DevPcr(kDevPcrModelLabel, model_identity)};
}

StatusOr<DevMeasurements> MeasureDevEnclave(const std::string& executable_path, ByteSpan config,
                                            ByteSpan model_identity) {
  ASSIGN_OR_RETURN(std::string executable, ReadSmallFile(executable_path, kMaxMeasuredFileSize));
  return ComputeDevMeasurements(AsBytes(executable), config, model_identity);
}

StatusOr<std::unique_ptr<EvidenceProvider>> CreateDevNitroProvider(const DevProviderOptions& options) {
  RETURN_IF_ERROR(CheckOptions(options));
  const Clock& clock = options.clock != nullptr ? *options.clock : SystemClock::Get();
  ASSIGN_OR_RETURN(DevCa ca, LoadOrCreateDevCa(options.state_dir, clock));
  Bytes head = EncodeHead(options.module_id);
  Bytes middle = EncodeMiddle(options.measurements, ca);
  return std::unique_ptr<EvidenceProvider>(
      std::make_unique<DevNitroProvider>(std::move(ca.leaf_key), std::move(head), std::move(middle),
                                         clock, ca.leaf_not_after));
}

}  // namespace eml::attest

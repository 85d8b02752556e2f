#include "attest/dev_provider.h"

#include <array>
#include <utility>
#include <vector>

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

Status CheckField(const char* name, ByteSpan value) {
  if (value.size() > kMaxAttestFieldSize) {
    return LimitExceededError(std::string("dev provider: ") + name + " exceeds 1024 bytes");
  }
  return OkStatus();
}

class DevNitroProvider final : public EvidenceProvider {
 public:
  DevNitroProvider(DevCa ca, std::string module_id, const DevMeasurements& m, const Clock& clock)
      : ca_(std::move(ca)), module_id_(std::move(module_id)), clock_(clock) {
    pcrs_ = {m.pcr0, m.pcr1, m.pcr2};
    pcrs_.resize(kDevPcrCount, Bytes(kPcrSize, 0));
  }

  std::string_view platform() const override { return "nitro"; }
  bool evaluation() const override { return true; }

  StatusOr<Bytes> Attest(ByteSpan public_key, ByteSpan user_data, ByteSpan nonce) override {
    RETURN_IF_ERROR(CheckField("public_key", public_key));
    RETURN_IF_ERROR(CheckField("user_data", user_data));
    RETURN_IF_ERROR(CheckField("nonce", nonce));
    return SignDevNitroDocument(ca_, module_id_, clock_.NowUnixMillis(), pcrs_, public_key,
                                user_data, nonce);
  }

 private:
  const DevCa ca_;
  const std::string module_id_;
  std::vector<Bytes> pcrs_;  // PCR0..15
  const Clock& clock_;
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

StatusOr<Bytes> SignDevNitroDocument(const DevCa& ca, std::string_view module_id,
                                     int64_t timestamp_ms, std::span<const Bytes> pcrs,
                                     ByteSpan public_key, ByteSpan user_data, ByteSpan nonce) {
  if (timestamp_ms <= 0) return FailedPreconditionError("dev evidence: clock is before 1970");
  if (timestamp_ms / 1000 >= ca.leaf_not_after) {
    return FailedPreconditionError("dev evidence: leaf certificate expired; restart to renew it");
  }
  Bytes payload;
  cbor::AppendHead(kMajorMap, kPayloadFieldCount, &payload);
  AppendText("module_id", &payload);
  AppendText(module_id, &payload);
  AppendText("digest", &payload);
  AppendText("SHA384", &payload);
  AppendText("timestamp", &payload);
  cbor::AppendHead(kMajorUnsigned, static_cast<uint64_t>(timestamp_ms), &payload);
  AppendText("pcrs", &payload);
  cbor::AppendHead(kMajorMap, pcrs.size(), &payload);
  for (size_t i = 0; i < pcrs.size(); ++i) {
    cbor::AppendHead(kMajorUnsigned, i, &payload);
    AppendByteString(pcrs[i], &payload);
  }
  AppendText("certificate", &payload);
  AppendByteString(ca.leaf_der, &payload);
  AppendText("cabundle", &payload);
  cbor::AppendHead(kMajorArray, 2, &payload);
  AppendByteString(ca.root_der, &payload);
  AppendByteString(ca.intermediate_der, &payload);
  AppendOptional("public_key", public_key, &payload);
  AppendOptional("user_data", user_data, &payload);
  AppendOptional("nonce", nonce, &payload);
  ASSIGN_OR_RETURN(Bytes to_be_signed, cose::Sign1ToBeSigned(kProtectedEs384, {}, payload));
  ASSIGN_OR_RETURN(Bytes signature,
                   ca.leaf_key.Sign(to_be_signed, crypto::EcdsaSignatureFormat::kRawRS));
  // [protected, {}, payload, signature], untagged like NSM's documents.
  Bytes out;
  cbor::AppendHead(kMajorArray, 4, &out);
  AppendByteString(kProtectedEs384, &out);
  cbor::AppendHead(kMajorMap, 0, &out);
  AppendByteString(payload, &out);
  AppendByteString(signature, &out);
  return out;
}

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
  return std::unique_ptr<EvidenceProvider>(
      std::make_unique<DevNitroProvider>(std::move(ca), options.module_id, options.measurements,
                                         clock));
}

}  // namespace eml::attest

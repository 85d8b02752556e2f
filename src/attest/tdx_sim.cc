// The simulated TDX machine: a fixture quote, re-signed per request.
// Offsets are those of docs/attestation-tdx.md, "Quote layout" (v4, TD1.0).
#include "attest/tdx_sim.h"

#include <algorithm>
#include <array>
#include <string>

#include "attest/tdx.h"
#include "core/file.h"

namespace eml::attest {
namespace {

constexpr size_t kMaxTemplateSize = kTdxMaxQuoteSize;
constexpr size_t kMaxKeyFileSize = 1024;
constexpr size_t kRegisterSize = 48;
constexpr size_t kReportDataSize = 64;
constexpr size_t kSignatureSize = 64;

// Offsets in the quote: the body follows the header; the signature data
// (after its u32 size) opens with the attestation key's r || s.
constexpr size_t kBodyOffset = kTdxHeaderSize;
constexpr size_t kSignedSize = kTdxHeaderSize + kTdReport10Size;
constexpr size_t kSignatureOffset = kSignedSize + 4;
constexpr size_t kReportDataOffset = kBodyOffset + 520;
// MRTD, RTMR0..3, MRCONFIGID, MROWNER, MROWNERCONFIG by policy key 0..7.
constexpr std::array<size_t, 8> kRegisterOffsets = {
    kBodyOffset + 136, kBodyOffset + 328, kBodyOffset + 376, kBodyOffset + 424,
    kBodyOffset + 472, kBodyOffset + 184, kBodyOffset + 232, kBodyOffset + 280};

std::string PathIn(const std::string& dir, const char* file) { return dir + "/" + file; }

Status CheckTemplate(const Bytes& quote_template, const Bytes& attestation_key) {
  StatusOr<TdxQuote> parsed = ParseTdxQuote(quote_template);
  if (!parsed.ok()) {
    return FailedPreconditionError("tdx sim: quote template does not parse: " +
                                   parsed.status().message());
  }
  if (parsed->header.version != 4 || parsed->trailing_zeros != 0) {
    return FailedPreconditionError("tdx sim: quote template is not an unpadded v4 quote");
  }
  if (!std::equal(attestation_key.begin(), attestation_key.end(), parsed->attestation_key.begin(),
                  parsed->attestation_key.end())) {
    return FailedPreconditionError(
        "tdx sim: quote template does not carry the attestation key's public half");
  }
  return OkStatus();
}

void Put(Bytes* quote, size_t offset, ByteSpan value) {
  std::copy(value.begin(), value.end(), quote->begin() + static_cast<ptrdiff_t>(offset));
}

}  // namespace

StatusOr<TdxQuoteSimulator> TdxQuoteSimulator::Load(const std::string& dir) {
  ASSIGN_OR_RETURN(std::string quote_text,
                   ReadSmallFile(PathIn(dir, kTdxSimQuoteTemplateFile), kMaxTemplateSize));
  ASSIGN_OR_RETURN(std::string key_text,
                   ReadSmallFile(PathIn(dir, kTdxSimAttestationKeyFile), kMaxKeyFileSize));
  ASSIGN_OR_RETURN(crypto::EcdsaPrivateKey key, crypto::EcdsaPrivateKey::FromPkcs8Der(
                                                    crypto::EcCurve::kP256, AsBytes(key_text)));
  const Bytes point = key.PublicKey().UncompressedPoint();  // 0x04 || X || Y
  if (point.size() != 65) return InternalError("tdx sim: cannot export the attestation key");
  Bytes attestation_key(point.begin() + 1, point.end());
  Bytes quote_template = ToBytes(quote_text);
  RETURN_IF_ERROR(CheckTemplate(quote_template, attestation_key));
  return TdxQuoteSimulator(std::move(quote_template), std::move(key), std::move(attestation_key));
}

StatusOr<Bytes> TdxQuoteSimulator::Quote(ByteSpan report_data,
                                         const std::map<uint32_t, Bytes>& measurements) const {
  if (report_data.size() != kReportDataSize) {
    return InvalidArgumentError("tdx sim: REPORTDATA must be exactly 64 bytes");
  }
  for (const auto& [index, value] : measurements) {
    if (index >= kRegisterOffsets.size()) {
      return InvalidArgumentError(
          "tdx sim: measurement index " + std::to_string(index) +
          " is not 0..7 (mrtd, rtmr0..3, mrconfigid, mrowner, mrownerconfig)");
    }
    if (value.size() != kRegisterSize) {
      return InvalidArgumentError("tdx sim: measurement " + std::to_string(index) +
                                  " must be 48 bytes");
    }
  }
  Bytes quote = template_;
  const std::array<uint8_t, kRegisterSize> zero = {};
  for (size_t i = 0; i < kRegisterOffsets.size(); ++i) {
    auto it = measurements.find(static_cast<uint32_t>(i));
    Put(&quote, kRegisterOffsets[i],
        it == measurements.end() ? ByteSpan(zero) : ByteSpan(it->second));
  }
  Put(&quote, kReportDataOffset, report_data);
  ASSIGN_OR_RETURN(Bytes signature, key_.Sign(ByteSpan(quote).first(kSignedSize),
                                              crypto::EcdsaSignatureFormat::kRawRS));
  if (signature.size() != kSignatureSize) return InternalError("tdx sim: signature size");
  Put(&quote, kSignatureOffset, signature);
  return quote;
}

}  // namespace eml::attest

// SEV-SNP report parsing, products, TCB_VERSION layouts and collateral files
// (the checks are in snp_verify.cc). Layout: docs/attestation-snp.md.
#include "attest/snp.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "core/file.h"
#include "crypto/x509.h"
#include "crypto/x509_ext.h"

namespace eml::attest {
namespace {

constexpr uint32_t kSigAlgoEcdsaP384Sha384 = 1;
constexpr uint32_t kMaxVmpl = 3;
constexpr uint32_t kFlagsAuthorKeyEn = 1u << 0;
constexpr uint32_t kFlagsMaskChipKey = 1u << 1;
constexpr uint32_t kFlagsReservedMask = ~uint32_t{0x1F};  // bits 31..5
constexpr uint64_t kPolicyReservedMask = ~((uint64_t{1} << 26) - 1);  // bits 63..26
constexpr size_t kSignatureComponentSize = 72;  // r and s fields, little-endian
constexpr size_t kScalarSize = 48;               // P-384

template <size_t N>
Status ReadArray(ByteReader& r, std::array<uint8_t, N>* out) {
  ByteSpan s;
  RETURN_IF_ERROR(r.ReadSpan(N, &s));
  std::copy(s.begin(), s.end(), out->begin());
  return OkStatus();
}

Status ReadU8(ByteReader& r, uint8_t* out) { return r.ReadU8(out); }

// Reads `size` bytes that must be zero; `offset` names them in the message.
Status ReadReserved(ByteReader& r, size_t offset, size_t size) {
  ByteSpan s;
  RETURN_IF_ERROR(r.ReadSpan(size, &s));
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != 0) {
      char where[64];
      std::snprintf(where, sizeof where, "snp: reserved byte 0x%03zX is not zero", offset + i);
      return InvalidArgumentError(where);
    }
  }
  return OkStatus();
}

// A 72-byte little-endian r or s; the top 24 bytes must be zero. Out: the
// 48-byte big-endian scalar.
Status ReadSignatureComponent(ByteReader& r, size_t offset, std::array<uint8_t, kScalarSize>* out) {
  ByteSpan s;
  RETURN_IF_ERROR(r.ReadSpan(kScalarSize, &s));
  std::reverse_copy(s.begin(), s.end(), out->begin());
  return ReadReserved(r, offset + kScalarSize, kSignatureComponentSize - kScalarSize);
}

Status CheckHeader(const SnpReport& rep) {
  if (rep.version != 2 && rep.version != 3 && rep.version != 5) {
    return UnsupportedError("snp: report version " + std::to_string(rep.version) +
                            " (supported: 2, 3, 5)");
  }
  if ((rep.policy & kSnpPolicyReservedOne) == 0) {
    return InvalidArgumentError("snp: policy bit 17 (reserved, must be one) is zero");
  }
  if ((rep.policy & kPolicyReservedMask) != 0) {
    return InvalidArgumentError("snp: policy bits 63..26 (reserved) are not zero");
  }
  if (rep.vmpl > kMaxVmpl) return InvalidArgumentError("snp: VMPL above 3");
  if (rep.signature_algo != kSigAlgoEcdsaP384Sha384) {
    return UnsupportedError("snp: signature algorithm " + std::to_string(rep.signature_algo) +
                            " (supported: 1, ECDSA P-384 with SHA-384)");
  }
  return OkStatus();
}

Status ParseFlags(uint32_t flags, SnpReport* rep) {
  if ((flags & kFlagsReservedMask) != 0) {
    return InvalidArgumentError("snp: flags bits 31..5 (reserved) are not zero");
  }
  rep->author_key_en = (flags & kFlagsAuthorKeyEn) != 0;
  rep->mask_chip_key = (flags & kFlagsMaskChipKey) != 0;
  switch ((flags >> 2) & 7) {
    case 0: rep->signing_key = SnpSigningKey::kVcek; return OkStatus();
    case 1: rep->signing_key = SnpSigningKey::kVlek; return OkStatus();
    case 7: return UnsupportedError("snp: the report is unsigned (SIGNING_KEY 7)");
    default: return InvalidArgumentError("snp: SIGNING_KEY 2..6 is reserved");
  }
}

// 0x000..0x188: header, REPORT_DATA, MEASUREMENT ... REPORTED_TCB.
Status ParseFront(ByteReader& r, SnpReport* rep) {
  RETURN_IF_ERROR(r.ReadU32Le(&rep->version));
  RETURN_IF_ERROR(r.ReadU32Le(&rep->guest_svn));
  RETURN_IF_ERROR(r.ReadU64Le(&rep->policy));
  RETURN_IF_ERROR(ReadArray(r, &rep->family_id));
  RETURN_IF_ERROR(ReadArray(r, &rep->image_id));
  RETURN_IF_ERROR(r.ReadU32Le(&rep->vmpl));
  RETURN_IF_ERROR(r.ReadU32Le(&rep->signature_algo));
  RETURN_IF_ERROR(CheckHeader(*rep));
  RETURN_IF_ERROR(r.ReadU64Le(&rep->current_tcb));
  RETURN_IF_ERROR(r.ReadU64Le(&rep->platform_info));
  uint32_t flags = 0;
  RETURN_IF_ERROR(r.ReadU32Le(&flags));
  RETURN_IF_ERROR(ParseFlags(flags, rep));
  RETURN_IF_ERROR(ReadReserved(r, 0x04C, 4));
  RETURN_IF_ERROR(ReadArray(r, &rep->report_data));
  RETURN_IF_ERROR(ReadArray(r, &rep->measurement));
  RETURN_IF_ERROR(ReadArray(r, &rep->host_data));
  RETURN_IF_ERROR(ReadArray(r, &rep->id_key_digest));
  RETURN_IF_ERROR(ReadArray(r, &rep->author_key_digest));
  RETURN_IF_ERROR(ReadArray(r, &rep->report_id));
  RETURN_IF_ERROR(ReadArray(r, &rep->report_id_ma));
  return r.ReadU64Le(&rep->reported_tcb);
}

// 0x188..0x2A0: CPUID (v3+), CHIP_ID, committed TCB and versions, launch
// TCB, mitigation vectors (v5).
Status ParseBack(ByteReader& r, SnpReport* rep) {
  if (rep->version >= 3) {
    RETURN_IF_ERROR(ReadU8(r, &rep->cpuid_family));
    RETURN_IF_ERROR(ReadU8(r, &rep->cpuid_model));
    RETURN_IF_ERROR(ReadU8(r, &rep->cpuid_stepping));
    RETURN_IF_ERROR(ReadReserved(r, 0x18B, 0x1A0 - 0x18B));
    rep->product = SnpProductFromCpuid(rep->cpuid_family, rep->cpuid_model);
  } else {
    RETURN_IF_ERROR(ReadReserved(r, 0x188, 0x1A0 - 0x188));
  }
  RETURN_IF_ERROR(ReadArray(r, &rep->chip_id));
  RETURN_IF_ERROR(r.ReadU64Le(&rep->committed_tcb));
  RETURN_IF_ERROR(ReadU8(r, &rep->current_build));
  RETURN_IF_ERROR(ReadU8(r, &rep->current_minor));
  RETURN_IF_ERROR(ReadU8(r, &rep->current_major));
  RETURN_IF_ERROR(ReadReserved(r, 0x1EB, 1));
  RETURN_IF_ERROR(ReadU8(r, &rep->committed_build));
  RETURN_IF_ERROR(ReadU8(r, &rep->committed_minor));
  RETURN_IF_ERROR(ReadU8(r, &rep->committed_major));
  RETURN_IF_ERROR(ReadReserved(r, 0x1EF, 1));
  RETURN_IF_ERROR(r.ReadU64Le(&rep->launch_tcb));
  if (rep->version >= 5) {
    RETURN_IF_ERROR(r.ReadU64Le(&rep->launch_mit_vector));
    RETURN_IF_ERROR(r.ReadU64Le(&rep->current_mit_vector));
    return ReadReserved(r, 0x208, kSnpSignedSize - 0x208);
  }
  return ReadReserved(r, 0x1F8, kSnpSignedSize - 0x1F8);
}

}  // namespace

std::string_view SnpProductName(SnpProduct product) {
  switch (product) {
    case SnpProduct::kMilan: return "Milan";
    case SnpProduct::kGenoa: return "Genoa";
    case SnpProduct::kTurin: return "Turin";
    case SnpProduct::kUnknown: break;
  }
  return "unknown";
}

SnpProduct SnpProductFromCpuid(uint8_t family, uint8_t model) {
  if (family == 0x19) {
    if (model <= 0x0F) return SnpProduct::kMilan;
    if ((model >= 0x10 && model <= 0x1F) || (model >= 0xA0 && model <= 0xAF)) {
      return SnpProduct::kGenoa;  // Genoa, Bergamo and Siena share Genoa's KDS
    }
  }
  if (family == 0x1A && model <= 0x11) return SnpProduct::kTurin;
  return SnpProduct::kUnknown;
}

StatusOr<SnpTcb> DecodeSnpTcb(uint64_t raw, SnpProduct product) {
  uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(raw >> (8 * i));
  SnpTcb tcb;
  switch (product) {
    case SnpProduct::kMilan:
    case SnpProduct::kGenoa:
      if (b[2] | b[3] | b[4] | b[5]) {
        return InvalidArgumentError("snp: TCB_VERSION reserved bytes 2..5 are not zero");
      }
      tcb.bootloader = b[0];
      tcb.tee = b[1];
      tcb.snp = b[6];
      tcb.microcode = b[7];
      return tcb;
    case SnpProduct::kTurin:
      if (b[4] | b[5] | b[6]) {
        return InvalidArgumentError("snp: TCB_VERSION reserved bytes 4..6 are not zero");
      }
      tcb.fmc = b[0];
      tcb.bootloader = b[1];
      tcb.tee = b[2];
      tcb.snp = b[3];
      tcb.microcode = b[7];
      return tcb;
    case SnpProduct::kUnknown:
      break;
  }
  return InvalidArgumentError("snp: TCB_VERSION layout of an unknown product");
}

std::string FormatSnpTcb(const SnpTcb& tcb, SnpProduct product) {
  std::string out = product == SnpProduct::kTurin ? "fmc=" + std::to_string(tcb.fmc) + " " : "";
  out += "bl=" + std::to_string(tcb.bootloader) + " tee=" + std::to_string(tcb.tee) +
         " snp=" + std::to_string(tcb.snp) + " ucode=" + std::to_string(tcb.microcode);
  return out;
}

StatusOr<SnpReport> ParseSnpReport(ByteSpan report) {
  if (report.size() != kSnpReportSize) {
    return InvalidArgumentError("snp: report is " + std::to_string(report.size()) +
                                " bytes, not " + std::to_string(kSnpReportSize));
  }
  ByteReader r(report);
  SnpReport rep;
  RETURN_IF_ERROR(ParseFront(r, &rep));
  RETURN_IF_ERROR(ParseBack(r, &rep));
  RETURN_IF_ERROR(ReadSignatureComponent(r, 0x2A0, &rep.signature_r));
  RETURN_IF_ERROR(ReadSignatureComponent(r, 0x2E8, &rep.signature_s));
  RETURN_IF_ERROR(ReadReserved(r, 0x330, kSnpReportSize - 0x330));
  RETURN_IF_ERROR(r.ExpectEmpty("snp report"));
  return rep;
}

StatusOr<std::vector<Bytes>> ParseSnpCollateral(ByteSpan file) {
  if (file.size() > kSnpMaxCollateralFileSize) {
    return LimitExceededError("snp: collateral file over 64 KiB");
  }
  const std::string_view text = AsStringView(file);
  if (text.find("-----BEGIN ") != std::string_view::npos) return crypto::CertificatesFromPem(text);
  RETURN_IF_ERROR(crypto::ParseCertificate(file).status());
  return std::vector<Bytes>{Bytes(file.begin(), file.end())};
}

StatusOr<std::vector<Bytes>> LoadSnpCollateralFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string content, ReadSmallFile(path, kSnpMaxCollateralFileSize));
  return ParseSnpCollateral(AsBytes(content));
}

}  // namespace eml::attest

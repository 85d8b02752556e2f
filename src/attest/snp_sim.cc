// SnpReportSimulator (snp_sim.h): an ATTESTATION_REPORT written field by
// field in the order of docs/attestation-snp.md's layout table, then signed.
#include "attest/snp_sim.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "core/file.h"
#include "core/secret.h"
#include "crypto/ecdsa.h"
#include "crypto/random.h"
#include "crypto/x509.h"

namespace eml::attest {
namespace {

constexpr size_t kMaxCertFileSize = 16 * 1024;
constexpr size_t kMaxKeyFileSize = 1024;
constexpr size_t kReportDataSize = 64;
constexpr size_t kMeasurementSize = 48;
constexpr size_t kHostDataSize = 32;
constexpr size_t kChipIdSize = 64;
constexpr size_t kTurinHwIdSize = 8;
constexpr size_t kReportIdSize = 32;
constexpr size_t kScalarSize = 48;           // P-384 r and s
constexpr size_t kSignatureFieldSize = 72;   // each stored little-endian, zero-padded
constexpr uint64_t kPolicy = 0x30000;        // SMT allowed, bit 17, no debug/MA, ABI 0.0
constexpr uint64_t kPlatformInfo = 0x1;      // SMT_EN
constexpr uint32_t kSigAlgoEcdsaP384Sha384 = 1;
constexpr uint8_t kFirmwareMajor = 1;
constexpr uint8_t kFirmwareMinor = 55;

// What differs between products: the report version, the CPUID a guest on
// that product reports, and a firmware build seen on it.
struct ProductProfile {
  uint32_t version;
  uint8_t family, model, stepping;
  uint8_t firmware_build;
};

StatusOr<ProductProfile> ProfileOf(SnpProduct product) {
  switch (product) {
    case SnpProduct::kMilan: return ProductProfile{3, 0x19, 0x01, 1, 29};
    case SnpProduct::kGenoa: return ProductProfile{3, 0x19, 0x11, 1, 43};
    case SnpProduct::kTurin: return ProductProfile{5, 0x1A, 0x02, 1, 61};
    case SnpProduct::kUnknown: break;
  }
  return InvalidArgumentError("snp sim: unknown product");
}

// The inverse of DecodeSnpTcb: the TCB_VERSION as a little-endian u64.
uint64_t EncodeTcb(const SnpTcb& tcb, SnpProduct product) {
  std::array<uint8_t, 8> b = {};
  if (product == SnpProduct::kTurin) {
    b = {tcb.fmc, tcb.bootloader, tcb.tee, tcb.snp, 0, 0, 0, tcb.microcode};
  } else {
    b = {tcb.bootloader, tcb.tee, 0, 0, 0, 0, tcb.snp, tcb.microcode};
  }
  uint64_t v = 0;
  for (size_t i = 0; i < b.size(); ++i) v |= uint64_t{b[i]} << (8 * i);
  return v;
}

std::string PathIn(const std::string& dir, const char* name) { return dir + "/" + name; }

StatusOr<Bytes> ReadCert(const std::string& dir, const char* name) {
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(PathIn(dir, name), kMaxCertFileSize));
  Bytes der(text.begin(), text.end());
  RETURN_IF_ERROR(crypto::ParseCertificate(der).status());
  return der;
}

// The key file's bytes are wiped once parsed (a throwaway test key, but a
// private key all the same).
StatusOr<crypto::EcdsaPrivateKey> ReadKey(const std::string& dir) {
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(PathIn(dir, "vcek_key.p8"), kMaxKeyFileSize));
  StatusOr<crypto::EcdsaPrivateKey> key =
      crypto::EcdsaPrivateKey::FromPkcs8Der(crypto::EcCurve::kP384, AsBytes(text));
  SecureWipe(text.data(), text.size());
  return key;
}

void PutZeros(ByteWriter& w, size_t n) { w.PutBytes(Bytes(n, 0)); }

// r or s: 48 bytes big-endian in, 72 bytes little-endian out.
void PutScalarLe(ByteWriter& w, ByteSpan big_endian) {
  Bytes le(big_endian.rbegin(), big_endian.rend());
  w.PutBytes(le);
  PutZeros(w, kSignatureFieldSize - kScalarSize);
}

// The size of measurement `index`, 0 for an index the simulator does not set.
size_t MeasurementSize(uint32_t index) {
  switch (index) {
    case kSnpSimMeasurementIndex: return kMeasurementSize;
    case kSnpSimHostDataIndex: return kHostDataSize;
    case kSnpSimIdKeyDigestIndex: return kMeasurementSize;
    default: return 0;
  }
}

Status CheckMeasurements(const std::map<uint32_t, Bytes>& measurements) {
  for (const auto& [index, value] : measurements) {
    const size_t want = MeasurementSize(index);
    if (want == 0) {
      return InvalidArgumentError("snp sim: measurement index " + std::to_string(index) +
                                  " (snp has 0 = MEASUREMENT, 1 = HOST_DATA, 2 = ID_KEY_DIGEST)");
    }
    if (value.size() != want) {
      return InvalidArgumentError("snp sim: measurement " + std::to_string(index) + " is " +
                                  std::to_string(value.size()) + " bytes, want " +
                                  std::to_string(want));
    }
  }
  return OkStatus();
}

// `measurements[index]`, or `size` zero bytes when absent.
Bytes MeasurementOrZero(const std::map<uint32_t, Bytes>& measurements, uint32_t index, size_t size) {
  auto it = measurements.find(index);
  return it == measurements.end() ? Bytes(size, 0) : it->second;
}

}  // namespace

struct SnpReportSimulator::State {
  crypto::EcdsaPrivateKey key;  // the VCEK's, P-384
  SnpProduct product = SnpProduct::kUnknown;
  ProductProfile profile = {};
  uint64_t tcb = 0;  // the VCEK's SPLs as a TCB_VERSION
  std::array<uint8_t, kChipIdSize> chip_id = {};
  std::array<uint8_t, kReportIdSize> report_id = {};
  Bytes cert_table = {};
};

StatusOr<SnpReportSimulator> SnpReportSimulator::Load(const std::string& dir) {
  ASSIGN_OR_RETURN(Bytes vcek, ReadCert(dir, "vcek.der"));
  ASSIGN_OR_RETURN(Bytes ask, ReadCert(dir, "ask.der"));
  ASSIGN_OR_RETURN(Bytes ark, ReadCert(dir, "ark.der"));
  ASSIGN_OR_RETURN(crypto::EcdsaPrivateKey key, ReadKey(dir));
  ASSIGN_OR_RETURN(crypto::CertificateInfo vcek_info, crypto::ParseCertificate(vcek));
  if (vcek_info.spki_der != key.PublicKey().SpkiDer()) {
    return InvalidArgumentError("snp sim: vcek_key.p8 is not the key of vcek.der");
  }
  StatusOr<SnpLeafExtensions> ext = ReadSnpLeafExtensions(vcek);
  if (!ext.ok()) return InvalidArgumentError("snp sim: vcek.der: " + ext.status().message());
  const size_t want_hwid = ext->product == SnpProduct::kTurin ? kTurinHwIdSize : kChipIdSize;
  if (ext->hwid.size() != want_hwid) {
    return InvalidArgumentError("snp sim: vcek.der's hwID is " + std::to_string(ext->hwid.size()) +
                                " bytes, want " + std::to_string(want_hwid));
  }
  auto state = std::make_shared<State>(State{.key = std::move(key)});
  state->product = ext->product;
  ASSIGN_OR_RETURN(state->profile, ProfileOf(ext->product));
  state->tcb = EncodeTcb(ext->tcb, ext->product);
  std::copy(ext->hwid.begin(), ext->hwid.end(), state->chip_id.begin());
  RETURN_IF_ERROR(crypto::RandomBytes(state->report_id));
  ASSIGN_OR_RETURN(state->cert_table,
                   EncodeSnpCertTable({{.kind = std::string(kSnpCertKindVcek), .der = std::move(vcek)},
                                       {.kind = std::string(kSnpCertKindAsk), .der = std::move(ask)},
                                       {.kind = std::string(kSnpCertKindArk), .der = std::move(ark)}}));
  return SnpReportSimulator(std::move(state));
}

StatusOr<Bytes> SnpReportSimulator::Report(ByteSpan report_data,
                                           const std::map<uint32_t, Bytes>& measurements) const {
  if (report_data.size() != kReportDataSize) {
    return InvalidArgumentError("snp sim: REPORT_DATA is " + std::to_string(report_data.size()) +
                                " bytes, want 64");
  }
  RETURN_IF_ERROR(CheckMeasurements(measurements));
  const State& s = *state_;
  const ProductProfile& p = s.profile;
  ByteWriter w;
  w.PutU32Le(p.version);                    // 0x000 VERSION
  w.PutU32Le(0);                            // 0x004 GUEST_SVN
  w.PutU64Le(kPolicy);                      // 0x008 POLICY
  PutZeros(w, 16 + 16);                     // 0x010 FAMILY_ID, 0x020 IMAGE_ID
  w.PutU32Le(0);                            // 0x030 VMPL
  w.PutU32Le(kSigAlgoEcdsaP384Sha384);      // 0x034 SIGNATURE_ALGO
  w.PutU64Le(s.tcb);                        // 0x038 CURRENT_TCB
  w.PutU64Le(kPlatformInfo);                // 0x040 PLATFORM_INFO
  w.PutU32Le(0);                            // 0x048 flags: VCEK, chip key not masked
  w.PutU32Le(0);                            // 0x04C reserved
  w.PutBytes(report_data);                  // 0x050 REPORT_DATA
  w.PutBytes(MeasurementOrZero(measurements, kSnpSimMeasurementIndex, kMeasurementSize));  // 0x090
  w.PutBytes(MeasurementOrZero(measurements, kSnpSimHostDataIndex, kHostDataSize));        // 0x0C0
  w.PutBytes(MeasurementOrZero(measurements, kSnpSimIdKeyDigestIndex, kMeasurementSize));  // 0x0E0
  PutZeros(w, 48);                          // 0x110 AUTHOR_KEY_DIGEST
  w.PutBytes(s.report_id);                  // 0x140 REPORT_ID
  w.PutBytes(Bytes(kReportIdSize, 0xFF));   // 0x160 REPORT_ID_MA: no migration agent
  w.PutU64Le(s.tcb);                        // 0x180 REPORTED_TCB
  w.PutU8(p.family);                        // 0x188 CPUID_FAM_ID
  w.PutU8(p.model);                         // 0x189 CPUID_MOD_ID
  w.PutU8(p.stepping);                      // 0x18A CPUID_STEP
  PutZeros(w, 0x1A0 - 0x18B);               // 0x18B reserved
  w.PutBytes(s.chip_id);                    // 0x1A0 CHIP_ID
  w.PutU64Le(s.tcb);                        // 0x1E0 COMMITTED_TCB
  for (int i = 0; i < 2; ++i) {             // 0x1E8 CURRENT_*, 0x1EC COMMITTED_* (+ reserved)
    w.PutU8(p.firmware_build);
    w.PutU8(kFirmwareMinor);
    w.PutU8(kFirmwareMajor);
    w.PutU8(0);
  }
  w.PutU64Le(s.tcb);                        // 0x1F0 LAUNCH_TCB
  PutZeros(w, kSnpSignedSize - 0x1F8);      // 0x1F8 mitigation vectors (v5: zero), reserved
  if (w.size() != kSnpSignedSize) return InternalError("snp sim: signed part is not 0x2A0 bytes");

  ASSIGN_OR_RETURN(Bytes rs, s.key.Sign(w.bytes(), crypto::EcdsaSignatureFormat::kRawRS));
  if (rs.size() != 2 * kScalarSize) return InternalError("snp sim: unexpected signature size");
  PutScalarLe(w, ByteSpan(rs).first(kScalarSize));  // 0x2A0 SIGNATURE.R
  PutScalarLe(w, ByteSpan(rs).subspan(kScalarSize));  // 0x2E8 SIGNATURE.S
  PutZeros(w, kSnpReportSize - 0x330);      // 0x330 reserved
  return w.bytes();
}

const Bytes& SnpReportSimulator::CertTable() const { return state_->cert_table; }

SnpProduct SnpReportSimulator::product() const { return state_->product; }

}  // namespace eml::attest

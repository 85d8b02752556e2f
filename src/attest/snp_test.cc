// The SEV-SNP verifier against real reports from AMD hardware
// (../shared/vectors/sev-snp, expected values from its independently decoded
// index.json) and against a synthetic AMD-style PKI (testdata/snp, written by
// make_synthetic.py) whose VCEK key lets the test sign reports that differ
// from a valid one in exactly one respect (TCB, chip id, policy).
#include "attest/snp.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/encoding.h"
#include "crypto/x509.h"
#include "crypto/x509_ext.h"
#include "crypto/x509_issue.h"
#include "tests/testing.h"

namespace eml::attest {
namespace {

using eml::testing::Hex;
using eml::testing::ReadFileOrFail;
using eml::testing::ReadJsonOrFail;
using eml::testing::ReadTextOrFail;
using eml::testing::SharedPath;

constexpr char kVectors[] = "vectors/sev-snp/";
constexpr size_t kRealVectorCount = 4;  // index.json entries; none may be skipped

// Offsets from ../shared/vectors/sev-snp/SOURCES.md (not from snp.cc).
constexpr size_t kOffPolicy = 0x08;
constexpr size_t kOffFlags = 0x48;
constexpr size_t kOffReportedTcb = 0x180;
constexpr size_t kOffChipId = 0x1A0;
constexpr size_t kOffSigR = 0x2A0;
constexpr size_t kOffSigS = 0x2E8;

std::string TestdataPath(const std::string& relative) {
  return eml::testing::SourceDir() + "/src/attest/testdata/snp/" + relative;
}

const EvidenceCheck* Find(const EvidenceReport& report, std::string_view id) {
  for (const EvidenceCheck& c : report.checks) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

std::string Code(const SnpVerification& v, std::string_view id) {
  const EvidenceCheck* c = Find(v.report, id);
  return c == nullptr ? "MISSING" : c->code;
}

// The ids of the checks that did not pass with code OK.
std::vector<std::string> Failed(const SnpVerification& v) {
  std::vector<std::string> out;
  for (const EvidenceCheck& c : v.report.checks) {
    if (!c.passed) out.push_back(c.id + ":" + c.code);
  }
  return out;
}

SnpVerification Verify(ByteSpan report, const SnpVerifyOptions& options) {
  StatusOr<SnpVerification> v = VerifySnpReport(report, options);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? *std::move(v) : SnpVerification{};
}

uint64_t ReadLe64(ByteSpan b, size_t off) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b[off + static_cast<size_t>(i)];
  return v;
}

void WriteLe64(Bytes& b, size_t off, uint64_t v) {
  for (size_t i = 0; i < 8; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

std::vector<Bytes> LoadCollateral(const std::string& path) {
  StatusOr<std::vector<Bytes>> certs = LoadSnpCollateralFile(path);
  EXPECT_TRUE(certs.ok()) << path << ": " << certs.status().ToString();
  return certs.ok() ? *std::move(certs) : std::vector<Bytes>{};
}

// ---- Real vectors ---------------------------------------------------------------

struct RealVector {
  std::string name;
  nlohmann::json want;  // the index.json entry
  Bytes report;
  Bytes leaf;
  std::vector<Bytes> chain;  // ASK/ASVK then ARK, as in the KDS chain file
  int64_t not_before = 0;    // latest notBefore over leaf and chain
  int64_t not_after = 0;     // earliest notAfter over leaf and chain

  const Bytes& ark() const { return chain.back(); }
  int64_t mid() const { return not_before + (not_after - not_before) / 2; }
  bool debug() const { return (std::stoull(want["decoded"]["policy"].get<std::string>(), nullptr, 16) >> 19) & 1; }
  SnpVerifyOptions Options(int64_t at) const {
    std::vector<Bytes> all = chain;
    all.push_back(leaf);
    return {.pinned_roots = {ark()}, .chain_der = all, .at_unix_seconds = at, .allow_debug = debug()};
  }
};

std::vector<RealVector> LoadRealVectors() {
  const nlohmann::json index = ReadJsonOrFail(SharedPath(std::string(kVectors) + "index.json"));
  std::vector<RealVector> out;
  for (const nlohmann::json& entry : index) {
    RealVector v;
    v.name = entry["report"].get<std::string>();
    v.want = entry;
    v.report = ReadFileOrFail(SharedPath(kVectors + v.name));
    v.leaf = ReadFileOrFail(SharedPath(kVectors + entry["signing_cert"].get<std::string>()));
    v.chain = LoadCollateral(SharedPath(kVectors + entry["chain_file"].get<std::string>()));
    // The time comes from the certificates themselves: inside every window.
    v.not_before = INT64_MIN;
    v.not_after = INT64_MAX;
    std::vector<Bytes> all = v.chain;
    all.push_back(v.leaf);
    for (const Bytes& der : all) {
      StatusOr<crypto::CertificateInfo> info = crypto::ParseCertificate(der);
      EXPECT_TRUE(info.ok()) << v.name;
      if (!info.ok()) continue;
      v.not_before = std::max(v.not_before, info->not_before);
      v.not_after = std::min(v.not_after, info->not_after);
    }
    out.push_back(std::move(v));
  }
  EXPECT_EQ(out.size(), kRealVectorCount);
  return out;
}

class SnpRealTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { vectors_ = new std::vector<RealVector>(LoadRealVectors()); }
  static void TearDownTestSuite() { delete vectors_; }
  static const std::vector<RealVector>& vectors() { return *vectors_; }
  static const RealVector& ByProduct(const std::string& product, int version) {
    for (const RealVector& v : *vectors_) {
      if (v.want["product"] == product && v.want["decoded"]["version"] == version) return v;
    }
    ADD_FAILURE() << "no " << product << " v" << version << " vector";
    return vectors_->front();
  }
  static std::vector<RealVector>* vectors_;
};
std::vector<RealVector>* SnpRealTest::vectors_ = nullptr;

SnpProduct ProductOf(const std::string& name) {
  if (name == "Milan") return SnpProduct::kMilan;
  if (name == "Genoa") return SnpProduct::kGenoa;
  if (name == "Turin") return SnpProduct::kTurin;
  return SnpProduct::kUnknown;
}

TEST_F(SnpRealTest, EveryRealReportVerifiesInsideItsCertificatesValidity) {
  ASSERT_EQ(vectors().size(), kRealVectorCount);
  size_t verified = 0;
  for (const RealVector& v : vectors()) {
    SCOPED_TRACE(v.name);
    ASSERT_LT(v.not_before, v.not_after);
    const SnpVerification result = Verify(v.report, v.Options(v.mid()));
    ASSERT_TRUE(result.verified()) << result.report.ToStatus().ToString();
    ASSERT_EQ(result.report.checks.size(), 9u);
    EXPECT_EQ(result.matched_root, 0u);
    EXPECT_EQ(result.product, ProductOf(v.want["product"]));
    // Boundaries of the common window: valid one second inside both ends.
    EXPECT_TRUE(Verify(v.report, v.Options(v.not_before + 1)).verified());
    EXPECT_TRUE(Verify(v.report, v.Options(v.not_after - 1)).verified());

    const nlohmann::json& d = v.want["decoded"];
    const SnpReport& r = *result.parsed;
    EXPECT_EQ(r.version, d["version"].get<uint32_t>());
    EXPECT_EQ(r.guest_svn, d["guest_svn"].get<uint32_t>());
    EXPECT_EQ(r.policy, std::stoull(d["policy"].get<std::string>(), nullptr, 16));
    EXPECT_EQ(r.vmpl, d["vmpl"].get<uint32_t>());
    EXPECT_EQ(r.signature_algo, d["signature_algo"].get<uint32_t>());
    EXPECT_EQ(r.platform_info, std::stoull(d["platform_info"].get<std::string>(), nullptr, 16));
    EXPECT_EQ(static_cast<int>(r.signing_key), d["signing_key(0=VCEK,1=VLEK)"].get<int>());
    EXPECT_EQ(r.mask_chip_key, d["mask_chip_key"].get<int>() != 0);
    EXPECT_EQ(HexEncode(r.family_id), d["family_id"].get<std::string>());
    EXPECT_EQ(HexEncode(r.image_id), d["image_id"].get<std::string>());
    EXPECT_EQ(HexEncode(r.report_data), d["report_data"].get<std::string>());
    EXPECT_EQ(HexEncode(r.measurement), d["measurement"].get<std::string>());
    EXPECT_EQ(HexEncode(r.host_data), d["host_data"].get<std::string>());
    EXPECT_EQ(HexEncode(r.id_key_digest), d["id_key_digest"].get<std::string>());
    EXPECT_EQ(HexEncode(r.author_key_digest), d["author_key_digest"].get<std::string>());
    EXPECT_EQ(HexEncode(r.report_id), d["report_id"].get<std::string>());
    EXPECT_EQ(HexEncode(r.report_id_ma), d["report_id_ma"].get<std::string>());
    EXPECT_EQ(HexEncode(r.chip_id), d["chip_id"].get<std::string>());
    const auto raw = [&](const char* key) { return ReadLe64(Hex(d[key].get<std::string>()), 0); };
    EXPECT_EQ(r.reported_tcb, raw("reported_tcb_raw"));
    EXPECT_EQ(r.current_tcb, raw("current_tcb_raw"));
    EXPECT_EQ(r.committed_tcb, raw("committed_tcb_raw"));
    EXPECT_EQ(r.launch_tcb, raw("launch_tcb_raw"));
    EXPECT_EQ(r.current_build, d["current_build/minor/major"][0].get<int>());
    EXPECT_EQ(r.current_minor, d["current_build/minor/major"][1].get<int>());
    EXPECT_EQ(r.current_major, d["current_build/minor/major"][2].get<int>());
    EXPECT_EQ(r.committed_build, d["committed_build/minor/major"][0].get<int>());
    EXPECT_EQ(r.committed_minor, d["committed_build/minor/major"][1].get<int>());
    EXPECT_EQ(r.committed_major, d["committed_build/minor/major"][2].get<int>());
    if (r.version >= 3) {
      EXPECT_EQ(r.cpuid_family, d["cpuid_fam_id"].get<int>());
      EXPECT_EQ(r.cpuid_model, d["cpuid_mod_id"].get<int>());
      EXPECT_EQ(r.cpuid_stepping, d["cpuid_step"].get<int>());
    }
    if (r.version >= 5) {
      EXPECT_EQ(r.launch_mit_vector, std::stoull(d["launch_mit_vector"].get<std::string>(), nullptr, 16));
      EXPECT_EQ(r.current_mit_vector, std::stoull(d["current_mit_vector"].get<std::string>(), nullptr, 16));
    }
    // The decoded TCBs, per product layout, against the independent decode.
    const auto tcb_eq = [&](const std::optional<SnpTcb>& got, const nlohmann::json& want) {
      ASSERT_TRUE(got.has_value());
      EXPECT_EQ(got->bootloader, want["bootloader"].get<int>());
      EXPECT_EQ(got->tee, want["tee"].get<int>());
      EXPECT_EQ(got->snp, want["snp"].get<int>());
      EXPECT_EQ(got->microcode, want["microcode"].get<int>());
      EXPECT_EQ(got->fmc, want.value("fmc", 0));
    };
    tcb_eq(result.reported_tcb, d["reported_tcb"]);
    tcb_eq(result.current_tcb, d["current_tcb"]);
    tcb_eq(result.committed_tcb, d["committed_tcb"]);
    tcb_eq(result.launch_tcb, d["launch_tcb"]);
    ++verified;
  }
  EXPECT_EQ(verified, kRealVectorCount);
}

TEST_F(SnpRealTest, EverySingleByteChangeIsRejected) {
  size_t tried = 0;
  for (const RealVector& v : vectors()) {
    SCOPED_TRACE(v.name);
    const SnpVerifyOptions options = v.Options(v.mid());
    ASSERT_TRUE(Verify(v.report, options).verified());
    Bytes changed = v.report;
    for (size_t i = 0; i < changed.size(); ++i) {
      // The lowest bit at even offsets, the highest at odd ones.
      const uint8_t mask = i % 2 == 0 ? 0x01 : 0x80;
      changed[i] ^= mask;
      const SnpVerification result = Verify(changed, options);
      EXPECT_FALSE(result.verified()) << "byte 0x" << std::hex << i << " ^ 0x" << int{mask};
      changed[i] ^= mask;
      ++tried;
    }
  }
  EXPECT_EQ(tried, kRealVectorCount * kSnpReportSize);
}

TEST_F(SnpRealTest, TruncatedAndOversizedReportsAreRejected) {
  const RealVector& v = vectors().front();
  const SnpVerifyOptions options = v.Options(v.mid());
  for (size_t len = 0; len < v.report.size(); ++len) {
    const ByteSpan cut(v.report.data(), len);
    EXPECT_EQ(ParseSnpReport(cut).status().code(), StatusCode::kInvalidArgument) << len;
    const SnpVerification result = Verify(cut, options);
    EXPECT_FALSE(result.verified());
    EXPECT_EQ(Code(result, kSnpCheckReportParse), "INVALID_ARGUMENT");
    EXPECT_EQ(Code(result, kSnpCheckSignature), "NOT_RUN");
    EXPECT_EQ(Code(result, kSnpCheckPolicy), "NOT_RUN");
  }
  for (size_t extra : {size_t{1}, size_t{0x4A0}, size_t{1} << 16}) {
    Bytes longer = v.report;
    longer.resize(longer.size() + extra, 0);
    EXPECT_EQ(ParseSnpReport(longer).status().code(), StatusCode::kInvalidArgument) << extra;
    EXPECT_FALSE(Verify(longer, options).verified());
  }
}

TEST_F(SnpRealTest, OutsideValidityOnlyTheChainFails) {
  for (const RealVector& v : vectors()) {
    SCOPED_TRACE(v.name);
    for (int64_t at : {v.not_before - 1, v.not_after + 1}) {
      const SnpVerification result = Verify(v.report, v.Options(at));
      EXPECT_FALSE(result.verified());
      EXPECT_EQ(Failed(result), std::vector<std::string>{"SNP_CHAIN_VALID_AT_TIME:VERIFICATION_FAILED"});
    }
  }
  // The VLEK expired on 2025-12-10 22:14:21Z (index.json leaf_validity).
  const RealVector& vlek = ByProduct("Milan", 3);
  EXPECT_EQ(vlek.not_after, 1765404861);
  EXPECT_FALSE(Verify(vlek.report, vlek.Options(1765404861 + 86400)).verified());
}

TEST_F(SnpRealTest, DebugPolicyOfTheRealMilanReportIsRefusedUnlessAllowed) {
  const RealVector& milan = ByProduct("Milan", 2);
  ASSERT_TRUE(milan.debug());  // policy 0xb0000: bit 19 set
  SnpVerifyOptions options = milan.Options(milan.mid());
  options.allow_debug = false;
  const SnpVerification result = Verify(milan.report, options);
  EXPECT_EQ(Failed(result), std::vector<std::string>{"SNP_POLICY:VERIFICATION_FAILED"});
  EXPECT_NE(Find(result.report, kSnpCheckPolicy)->detail.find("bit 19"), std::string::npos);
}

TEST_F(SnpRealTest, WrongArkOrProductChainIsRejected) {
  const RealVector& milan = ByProduct("Milan", 2);
  const RealVector& genoa = ByProduct("Genoa", 5);
  const RealVector& turin = ByProduct("Turin", 5);

  // Milan report and chain, but only Genoa's and Turin's ARKs are pinned.
  SnpVerifyOptions options = milan.Options(milan.mid());
  options.pinned_roots = {genoa.ark(), turin.ark()};
  SnpVerification result = Verify(milan.report, options);
  EXPECT_EQ(Failed(result), (std::vector<std::string>{"SNP_ROOT_PINNED:VERIFICATION_FAILED",
                                                      "SNP_CHAIN_VALID_AT_TIME:NOT_RUN"}));
  // Pinning Milan's ARK among others finds it.
  options.pinned_roots = {genoa.ark(), turin.ark(), milan.ark()};
  result = Verify(milan.report, options);
  EXPECT_TRUE(result.verified()) << result.report.ToStatus().ToString();
  EXPECT_EQ(result.matched_root, 2u);

  // Genoa report with Milan's ASK and ARK (and Milan's ARK pinned).
  options = genoa.Options(genoa.mid());
  options.chain_der = {milan.chain[0], milan.chain[1], genoa.leaf};
  options.pinned_roots = {milan.ark()};
  result = Verify(genoa.report, options);
  EXPECT_EQ(Code(result, kSnpCheckProduct), "VERIFICATION_FAILED");
  EXPECT_FALSE(result.verified());

  // Milan VCEK report with the Milan VLEK chain (ASVK instead of ASK).
  const std::vector<Bytes> vlek_chain =
      LoadCollateral(SharedPath(std::string(kVectors) + "certs/milan/ask_ark_milan_vlek.pem"));
  ASSERT_EQ(vlek_chain.size(), 2u);
  options = milan.Options(milan.mid());
  options.chain_der = {vlek_chain[0], milan.leaf};
  result = Verify(milan.report, options);
  EXPECT_EQ(Code(result, kSnpCheckProduct), "VERIFICATION_FAILED");

  // A VCEK report whose leaf is swapped for another VCEK: the signature fails.
  options = milan.Options(milan.mid());
  options.chain_der = {milan.chain[0], milan.chain[1], genoa.leaf};
  result = Verify(milan.report, options);
  EXPECT_FALSE(result.verified());

  // A self-made "ARK-Milan" pinned instead of AMD's: it passes the name
  // check but the chain does not lead to it; with AMD's ARK supplied in the
  // collateral, that ARK is not pinned.
  const Bytes fake_ark = ReadFileOrFail(TestdataPath("milan/ark.der"));
  options = milan.Options(milan.mid());
  options.pinned_roots = {fake_ark};
  options.chain_der = {milan.chain[0], milan.leaf};
  result = Verify(milan.report, options);
  EXPECT_EQ(Failed(result), std::vector<std::string>{"SNP_CHAIN_VALID_AT_TIME:VERIFICATION_FAILED"});
  options.chain_der = {milan.chain[0], milan.chain[1], milan.leaf};
  result = Verify(milan.report, options);
  EXPECT_EQ(Code(result, kSnpCheckRootPinned), "VERIFICATION_FAILED");
  EXPECT_NE(Find(result.report, kSnpCheckRootPinned)->detail.find("supplied ARK"), std::string::npos);
}

TEST_F(SnpRealTest, MissingCollateralStopsOnlyTheChecksThatNeedIt) {
  const RealVector& genoa = ByProduct("Genoa", 5);
  SnpVerifyOptions options = genoa.Options(genoa.mid());
  options.chain_der = {genoa.leaf};  // no ASK
  const SnpVerification result = Verify(genoa.report, options);
  EXPECT_EQ(Failed(result), (std::vector<std::string>{
                                "SNP_COLLATERAL:INVALID_ARGUMENT", "SNP_PRODUCT:NOT_RUN",
                                "SNP_ROOT_PINNED:NOT_RUN", "SNP_CHAIN_VALID_AT_TIME:NOT_RUN",
                                "SNP_SIGNATURE:NOT_RUN", "SNP_TCB:NOT_RUN", "SNP_CHIP_ID:NOT_RUN"}));
  EXPECT_EQ(Find(result.report, kSnpCheckChain)->detail, "not run: SNP_COLLATERAL failed");
  EXPECT_TRUE(Find(result.report, kSnpCheckPolicy)->passed);
  EXPECT_EQ(result.report.ToStatus().code(), StatusCode::kInvalidArgument);

  options.chain_der = {genoa.chain[0], genoa.chain[0], genoa.leaf};  // ASK twice
  EXPECT_EQ(Code(Verify(genoa.report, options), kSnpCheckCollateral), "INVALID_ARGUMENT");
}

TEST_F(SnpRealTest, InvalidOptionsAreAnError) {
  const RealVector& v = vectors().front();
  SnpVerifyOptions options = v.Options(v.mid());
  options.pinned_roots.clear();
  EXPECT_EQ(VerifySnpReport(v.report, options).status().code(), StatusCode::kInvalidArgument);
  options = v.Options(-1);
  EXPECT_EQ(VerifySnpReport(v.report, options).status().code(), StatusCode::kInvalidArgument);
  options = v.Options(v.mid());
  options.chain_der.resize(kSnpMaxCollateral + 1, v.leaf);
  EXPECT_EQ(VerifySnpReport(v.report, options).status().code(), StatusCode::kLimitExceeded);
}

TEST_F(SnpRealTest, TurinChipIdIsTheEightByteHwId) {
  const RealVector& turin = ByProduct("Turin", 5);
  StatusOr<crypto::CertificateDetails> leaf = crypto::ParseCertificateDetails(turin.leaf);
  ASSERT_TRUE(leaf.ok());
  const crypto::CertificateExtension* hwid = crypto::FindExtension(*leaf, "1.3.6.1.4.1.3704.1.4");
  ASSERT_NE(hwid, nullptr);
  EXPECT_EQ(HexEncode(hwid->value), turin.want["leaf_amd_extensions"]["hwID"].get<std::string>());
  EXPECT_EQ(hwid->value.size(), 8u);
  const SnpVerification result = Verify(turin.report, turin.Options(turin.mid()));
  EXPECT_TRUE(Find(result.report, kSnpCheckChipId)->passed);
  EXPECT_NE(Find(result.report, kSnpCheckChipId)->detail.find("8-byte hwID"), std::string::npos);
}

TEST_F(SnpRealTest, VcekExtensionsDecodeAsIndexSays) {
  for (const RealVector& v : vectors()) {
    SCOPED_TRACE(v.name);
    StatusOr<crypto::CertificateDetails> leaf = crypto::ParseCertificateDetails(v.leaf);
    ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
    const nlohmann::json& ext = v.want["leaf_amd_extensions"];
    EXPECT_EQ("CN=" + leaf->subject_common_name, v.want["leaf_subject_CN"].get<std::string>());
    const auto integer = [&](const char* oid) -> int64_t {
      const crypto::CertificateExtension* e = crypto::FindExtension(*leaf, oid);
      if (e == nullptr) return -1;
      StatusOr<uint64_t> n = crypto::DecodeDerUnsignedInteger(e->value);
      return n.ok() ? static_cast<int64_t>(*n) : -2;
    };
    EXPECT_EQ(integer("1.3.6.1.4.1.3704.1.1"), ext["structVersion"].get<int>());
    EXPECT_EQ(integer("1.3.6.1.4.1.3704.1.3.1"), ext["blSPL"].get<int>());
    EXPECT_EQ(integer("1.3.6.1.4.1.3704.1.3.2"), ext["teeSPL"].get<int>());
    EXPECT_EQ(integer("1.3.6.1.4.1.3704.1.3.3"), ext["snpSPL"].get<int>());
    EXPECT_EQ(integer("1.3.6.1.4.1.3704.1.3.8"), ext["ucodeSPL"].get<int>());
    EXPECT_EQ(integer("1.3.6.1.4.1.3704.1.3.9"), ext.contains("fmcSPL") ? ext["fmcSPL"].get<int>() : -1);
    const crypto::CertificateExtension* name = crypto::FindExtension(*leaf, "1.3.6.1.4.1.3704.1.2");
    ASSERT_NE(name, nullptr);
    StatusOr<std::string> product_name = crypto::DecodeDerIa5String(name->value);
    ASSERT_TRUE(product_name.ok());
    EXPECT_EQ(*product_name, ext["productName"].get<std::string>());
  }
}

// ---- Parsing rules ------------------------------------------------------------------

TEST_F(SnpRealTest, ParseRejectsUnsupportedAndReservedValues) {
  const Bytes& base = ByProduct("Genoa", 5).report;
  ASSERT_TRUE(ParseSnpReport(base).ok());
  const auto with = [&](size_t off, uint8_t value) {
    Bytes b = base;
    b[off] = value;
    return ParseSnpReport(b).status().code();
  };
  EXPECT_EQ(with(0x00, 4), StatusCode::kUnsupported);  // version 4
  EXPECT_EQ(with(0x00, 1), StatusCode::kUnsupported);
  EXPECT_EQ(with(0x00, 6), StatusCode::kUnsupported);
  EXPECT_EQ(with(0x34, 2), StatusCode::kUnsupported);               // signature algorithm
  EXPECT_EQ(with(kOffFlags, 7 << 2), StatusCode::kUnsupported);     // SIGNING_KEY none
  EXPECT_EQ(with(kOffFlags, 2 << 2), StatusCode::kInvalidArgument); // SIGNING_KEY reserved
  EXPECT_EQ(with(kOffFlags, 0x20), StatusCode::kInvalidArgument);   // flags bit 5
  EXPECT_EQ(with(0x30, 4), StatusCode::kInvalidArgument);           // VMPL 4
  EXPECT_EQ(with(kOffPolicy + 2, 0x01), StatusCode::kInvalidArgument);  // bit 17 clear
  EXPECT_EQ(with(kOffPolicy + 3, 0x04), StatusCode::kInvalidArgument);  // bit 26 set
  for (size_t off : {size_t{0x04C}, size_t{0x18B}, size_t{0x19F}, size_t{0x1EB}, size_t{0x1EF},
                     size_t{0x208}, size_t{0x29F}, size_t{0x2A0 + 48}, size_t{0x2E8 + 71},
                     size_t{0x330}, size_t{0x49F}}) {
    EXPECT_EQ(with(off, 1), StatusCode::kInvalidArgument) << std::hex << off;
  }
  // Version 3 has no mitigation vectors: 0x1F8.. must be zero there.
  const Bytes& v3 = ByProduct("Milan", 3).report;
  Bytes b = v3;
  b[0x1F8] = 1;
  EXPECT_EQ(ParseSnpReport(b).status().code(), StatusCode::kInvalidArgument);
  // Version 2 has no CPUID: 0x188.. must be zero there.
  b = ByProduct("Milan", 2).report;
  b[0x188] = 0x19;
  EXPECT_EQ(ParseSnpReport(b).status().code(), StatusCode::kInvalidArgument);
}

TEST(SnpTcbTest, LayoutsPerProduct) {
  // Raw values and decodes from ../shared/vectors/sev-snp/index.json.
  const uint64_t turin = ReadLe64(Hex("0001000200000047"), 0);
  StatusOr<SnpTcb> t = DecodeSnpTcb(turin, SnpProduct::kTurin);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, (SnpTcb{.fmc = 0, .bootloader = 1, .tee = 0, .snp = 2, .microcode = 71}));
  const uint64_t genoa = ReadLe64(Hex("0a00000000001954"), 0);
  StatusOr<SnpTcb> g = DecodeSnpTcb(genoa, SnpProduct::kGenoa);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(*g, (SnpTcb{.fmc = 0, .bootloader = 10, .tee = 0, .snp = 25, .microcode = 84}));
  // Each layout's reserved bytes are the other's fields.
  EXPECT_FALSE(DecodeSnpTcb(turin, SnpProduct::kMilan).ok());
  EXPECT_FALSE(DecodeSnpTcb(genoa, SnpProduct::kTurin).ok());
  EXPECT_FALSE(DecodeSnpTcb(genoa, SnpProduct::kUnknown).ok());
  EXPECT_EQ(FormatSnpTcb(*t, SnpProduct::kTurin), "fmc=0 bl=1 tee=0 snp=2 ucode=71");
}

TEST(SnpProductTest, FromCpuid) {
  EXPECT_EQ(SnpProductFromCpuid(0x19, 0x01), SnpProduct::kMilan);
  EXPECT_EQ(SnpProductFromCpuid(0x19, 0x11), SnpProduct::kGenoa);
  EXPECT_EQ(SnpProductFromCpuid(0x19, 0xA0), SnpProduct::kGenoa);
  EXPECT_EQ(SnpProductFromCpuid(0x1A, 0x02), SnpProduct::kTurin);
  EXPECT_EQ(SnpProductFromCpuid(0x19, 0x20), SnpProduct::kUnknown);
  EXPECT_EQ(SnpProductFromCpuid(0x1A, 0x12), SnpProduct::kUnknown);
  EXPECT_EQ(SnpProductFromCpuid(0x17, 0x01), SnpProduct::kUnknown);
}

TEST(SnpCollateralTest, PemBundlesAndDerCertificates) {
  const std::string pem =
      ReadTextOrFail(SharedPath(std::string(kVectors) + "certs/turin/ask_ark_turin_vcek.pem"));
  StatusOr<std::vector<Bytes>> certs = ParseSnpCollateral(AsBytes(pem));
  ASSERT_TRUE(certs.ok()) << certs.status().ToString();
  ASSERT_EQ(certs->size(), 2u);
  StatusOr<crypto::CertificateDetails> ask = crypto::ParseCertificateDetails((*certs)[0]);
  StatusOr<crypto::CertificateDetails> ark = crypto::ParseCertificateDetails((*certs)[1]);
  ASSERT_TRUE(ask.ok() && ark.ok());
  EXPECT_EQ(ask->subject_common_name, "SEV-Turin");
  EXPECT_EQ(ark->subject_common_name, "ARK-Turin");
  EXPECT_TRUE(ark->info.self_signed);

  const Bytes der = ReadFileOrFail(SharedPath(std::string(kVectors) + "reports/turin-v5-oak/vcek.der"));
  certs = ParseSnpCollateral(der);
  ASSERT_TRUE(certs.ok());
  EXPECT_EQ(*certs, std::vector<Bytes>{der});

  EXPECT_FALSE(ParseSnpCollateral(ByteSpan(der.data(), der.size() - 1)).ok());
  EXPECT_FALSE(ParseSnpCollateral(AsBytes("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")).ok());
  EXPECT_FALSE(ParseSnpCollateral(AsBytes("-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n")).ok());
  EXPECT_FALSE(ParseSnpCollateral({}).ok());
  EXPECT_EQ(ParseSnpCollateral(Bytes(kSnpMaxCollateralFileSize + 1, 'A')).status().code(),
            StatusCode::kLimitExceeded);
  EXPECT_EQ(LoadSnpCollateralFile("/nonexistent/vcek.der").status().code(), StatusCode::kNotFound);
}

// ---- Synthetic PKI: one property wrong at a time ------------------------------------

class SnpSyntheticTest : public ::testing::Test {
 protected:
  struct Pki {
    std::string product;
    nlohmann::json want;
    Bytes ark, ask, vcek;
    std::optional<crypto::P384PrivateKey> key;
    Bytes template_report;  // a real report of the same product, re-signed
  };

  static Pki LoadPki(const std::string& product, const std::string& dir, const std::string& real) {
    Pki p;
    p.product = product;
    p.want = ReadJsonOrFail(TestdataPath("index.json"))[product];
    p.ark = ReadFileOrFail(TestdataPath(dir + "/ark.der"));
    p.ask = ReadFileOrFail(TestdataPath(dir + "/ask.der"));
    p.vcek = ReadFileOrFail(TestdataPath(dir + "/vcek.der"));
    StatusOr<crypto::P384PrivateKey> key =
        crypto::P384PrivateKey::FromPkcs8Der(ReadFileOrFail(TestdataPath(dir + "/vcek_key.p8")));
    EXPECT_TRUE(key.ok()) << key.status().ToString();
    if (key.ok()) p.key = *std::move(key);
    p.template_report = ReadFileOrFail(SharedPath(std::string(kVectors) + real));
    return p;
  }

  // Reported TCB encoded per SOURCES.md's layouts, from index.json values.
  static uint64_t ReportedTcb(const Pki& p, int bl_delta = 0, int fmc_delta = 0) {
    const nlohmann::json& t = p.want["tcb"];
    const uint64_t bl = t["bl"].get<uint64_t>() + bl_delta;
    const uint64_t tee = t["tee"].get<uint64_t>(), snp = t["snp"].get<uint64_t>();
    const uint64_t ucode = t["ucode"].get<uint64_t>();
    if (p.product == "Turin") {
      const uint64_t fmc = t["fmc"].get<uint64_t>() + fmc_delta;
      return fmc | bl << 8 | tee << 16 | snp << 24 | ucode << 56;
    }
    return bl | tee << 8 | snp << 48 | ucode << 56;
  }

  // The template with a matching chip id, TCB and policy 0x30000; `edit`
  // changes it further; then signed with the synthetic VCEK key.
  static Bytes Report(const Pki& p, const std::function<void(Bytes&)>& edit = nullptr) {
    Bytes r = p.template_report;
    const Bytes hwid = Hex(p.want["hwid"].get<std::string>());
    std::fill(r.begin() + kOffChipId, r.begin() + kOffChipId + 64, 0);
    std::copy(hwid.begin(), hwid.end(), r.begin() + kOffChipId);
    WriteLe64(r, kOffReportedTcb, ReportedTcb(p));
    WriteLe64(r, kOffPolicy, 0x30000);
    if (edit) edit(r);
    StatusOr<Bytes> sig = p.key->Sign(ByteSpan(r.data(), kSnpSignedSize),
                                      crypto::EcdsaSignatureFormat::kRawRS);
    EXPECT_TRUE(sig.ok());
    if (!sig.ok()) return r;
    std::fill(r.begin() + kOffSigR, r.begin() + kOffSigS + 72, 0);
    std::reverse_copy(sig->begin(), sig->begin() + 48, r.begin() + kOffSigR);
    std::reverse_copy(sig->begin() + 48, sig->end(), r.begin() + kOffSigS);
    return r;
  }

  static SnpVerifyOptions Options(const Pki& p) {
    return {.pinned_roots = {p.ark}, .chain_der = {p.vcek, p.ask, p.ark},
            .at_unix_seconds = p.want["not_before"].get<int64_t>() + 86400};
  }

  Pki milan_ = LoadPki("Milan", "milan", "reports/milan-v2-go-sev-guest/report.bin");
  Pki turin_ = LoadPki("Turin", "turin", "reports/turin-v5-oak/report.bin");
};

TEST_F(SnpSyntheticTest, ValidSyntheticReportsVerify) {
  for (const Pki* p : {&milan_, &turin_}) {
    SCOPED_TRACE(p->product);
    ASSERT_TRUE(p->key.has_value());
    const SnpVerification v = Verify(Report(*p), Options(*p));
    EXPECT_TRUE(v.verified()) << v.report.ToStatus().ToString();
    EXPECT_EQ(v.product, ProductOf(p->product));
  }
}

TEST_F(SnpSyntheticTest, TcbMismatchWithTheVcekFailsTheTcbCheckOnly) {
  for (const Pki* p : {&milan_, &turin_}) {
    SCOPED_TRACE(p->product);
    const Bytes report = Report(*p, [&](Bytes& r) { WriteLe64(r, kOffReportedTcb, ReportedTcb(*p, 1)); });
    const SnpVerification v = Verify(report, Options(*p));
    EXPECT_EQ(Failed(v), std::vector<std::string>{"SNP_TCB:VERIFICATION_FAILED"});
    EXPECT_NE(Find(v.report, kSnpCheckTcb)->detail.find("certifies"), std::string::npos);
  }
  // Turin's FMC SPL is compared too.
  const Bytes report =
      Report(turin_, [&](Bytes& r) { WriteLe64(r, kOffReportedTcb, ReportedTcb(turin_, 0, 1)); });
  EXPECT_EQ(Failed(Verify(report, Options(turin_))), std::vector<std::string>{"SNP_TCB:VERIFICATION_FAILED"});
  // A TCB in the other product's layout has non-zero reserved bytes.
  const Bytes milan_layout = Report(turin_, [&](Bytes& r) { WriteLe64(r, kOffReportedTcb, ReportedTcb(milan_)); });
  EXPECT_EQ(Failed(Verify(milan_layout, Options(turin_))),
            std::vector<std::string>{"SNP_TCB:INVALID_ARGUMENT"});
}

TEST_F(SnpSyntheticTest, DebugAndMigrationAgentPoliciesAreRefusedUnlessAllowed) {
  for (const Pki* p : {&milan_, &turin_}) {
    SCOPED_TRACE(p->product);
    const Bytes debug = Report(*p, [](Bytes& r) { WriteLe64(r, kOffPolicy, 0x30000 | kSnpPolicyDebug); });
    SnpVerifyOptions options = Options(*p);
    SnpVerification v = Verify(debug, options);
    EXPECT_EQ(Failed(v), std::vector<std::string>{"SNP_POLICY:VERIFICATION_FAILED"});
    ASSERT_TRUE(v.parsed.has_value());
    EXPECT_TRUE(v.parsed->debug_allowed());
    options.allow_debug = true;
    EXPECT_TRUE(Verify(debug, options).verified());

    const Bytes ma = Report(*p, [](Bytes& r) { WriteLe64(r, kOffPolicy, 0x30000 | kSnpPolicyMigrateMa); });
    options = Options(*p);
    v = Verify(ma, options);
    EXPECT_EQ(Failed(v), std::vector<std::string>{"SNP_POLICY:VERIFICATION_FAILED"});
    EXPECT_NE(Find(v.report, kSnpCheckPolicy)->detail.find("bit 18"), std::string::npos);
    options.allow_migration_agent = true;
    EXPECT_TRUE(Verify(ma, options).verified());
    // SMT is reported, not refused.
    const Bytes smt = Report(*p, [](Bytes& r) { WriteLe64(r, kOffPolicy, 0x30000 | kSnpPolicySmt); });
    v = Verify(smt, Options(*p));
    EXPECT_TRUE(v.verified());
    EXPECT_NE(Find(v.report, kSnpCheckPolicy)->detail.find("smt=1"), std::string::npos);
  }
}

TEST_F(SnpSyntheticTest, ChipIdMustMatchTheHwId) {
  for (const Pki* p : {&milan_, &turin_}) {
    SCOPED_TRACE(p->product);
    const Bytes first = Report(*p, [](Bytes& r) { r[kOffChipId] ^= 1; });
    EXPECT_EQ(Failed(Verify(first, Options(*p))), std::vector<std::string>{"SNP_CHIP_ID:VERIFICATION_FAILED"});
    const Bytes last = Report(*p, [](Bytes& r) { r[kOffChipId + 63] ^= 1; });
    EXPECT_EQ(Failed(Verify(last, Options(*p))), std::vector<std::string>{"SNP_CHIP_ID:VERIFICATION_FAILED"});
    // MASK_CHIP_KEY with a zero CHIP_ID is accepted (the VCEK still signs).
    const Bytes masked = Report(*p, [](Bytes& r) {
      std::fill(r.begin() + kOffChipId, r.begin() + kOffChipId + 64, 0);
      r[kOffFlags] |= 0x02;
    });
    const SnpVerification v = Verify(masked, Options(*p));
    EXPECT_TRUE(v.verified()) << v.report.ToStatus().ToString();
    EXPECT_TRUE(v.parsed->mask_chip_key);
  }
}

TEST_F(SnpSyntheticTest, SignatureByAnotherKeyIsRejected) {
  // Sign the Milan-shaped report with the Turin key: only SNP_SIGNATURE fails.
  Pki wrong = milan_;
  wrong.key = turin_.key;
  const SnpVerification v = Verify(Report(wrong), Options(milan_));
  EXPECT_EQ(Failed(v), std::vector<std::string>{"SNP_SIGNATURE:VERIFICATION_FAILED"});
}

TEST_F(SnpSyntheticTest, OnlyAmdsPssProfileIsAcceptedInTheChain) {
  // The same ASK (same key and name) signed by the ARK with PKCS#1 v1.5, and
  // with RSASSA-PSS using a 32-byte salt: OpenSSL alone would accept both.
  const Bytes report = Report(milan_);
  for (const char* variant : {"milan/ask_pkcs1.der", "milan/ask_salt32.der"}) {
    SCOPED_TRACE(variant);
    SnpVerifyOptions options = Options(milan_);
    options.chain_der = {milan_.vcek, ReadFileOrFail(TestdataPath(variant)), milan_.ark};
    const SnpVerification v = Verify(report, options);
    EXPECT_EQ(Failed(v), std::vector<std::string>{"SNP_CHAIN_VALID_AT_TIME:VERIFICATION_FAILED"});
    EXPECT_NE(Find(v.report, kSnpCheckChain)->detail.find("RSASSA-PSS"), std::string::npos);
  }
}

TEST_F(SnpSyntheticTest, LeafMustBeTheKindTheReportNames) {
  // SIGNING_KEY says VLEK (flags bits 4:2 = 1) but the leaf is a VCEK.
  const Bytes report = Report(milan_, [](Bytes& r) { r[kOffFlags] = 1 << 2; });
  const SnpVerification v = Verify(report, Options(milan_));
  EXPECT_EQ(Code(v, kSnpCheckCollateral), "VERIFICATION_FAILED");
  EXPECT_NE(Find(v.report, kSnpCheckCollateral)->detail.find("signed by the VLEK"), std::string::npos);
}

TEST_F(SnpSyntheticTest, ProductOfReportAndCertificateMustAgree) {
  // The Turin template (CPUID 1Ah/02h) signed with the Milan VCEK's key.
  Pki mixed = milan_;
  mixed.template_report = turin_.template_report;
  const SnpVerification v = Verify(Report(mixed), Options(milan_));
  EXPECT_EQ(Code(v, kSnpCheckProduct), "VERIFICATION_FAILED");
  EXPECT_NE(Find(v.report, kSnpCheckProduct)->detail.find("CPUID is Turin"), std::string::npos);
}

}  // namespace
}  // namespace eml::attest

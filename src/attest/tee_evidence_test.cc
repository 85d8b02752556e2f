// VerifyTeeEvidence on TEE envelopes: the real TDX quote and a real SEV-SNP
// report (../shared/vectors) verify as quotes/reports but are not bound to a
// session we made up, so only TEE_REPORT_DATA fails; envelope errors; the
// simulated machines (attest/tsm_sim.h) produce bound evidence that passes.
#include "attest/tee_evidence.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "attest/tsm.h"
#include "attest/tsm_sim.h"
#include "core/encoding.h"
#include "tests/testing.h"

namespace eml::attest {
namespace {

using eml::testing::ReadFileOrFail;
using eml::testing::ReadTextOrFail;
using eml::testing::SharedPath;

constexpr int64_t kTdxInWindow = 1751328000;  // 2025-07-01, inside the real collateral window
constexpr int64_t kGenoaValid = 1767225600;   // 2026-01-01, inside the Genoa VCEK's validity

std::string CodeOf(const EvidenceReport& report, std::string_view id) {
  for (const EvidenceCheck& c : report.checks) {
    if (c.id == id) return c.code;
  }
  return "MISSING";
}

// Every check that did not pass, as "ID:CODE".
std::vector<std::string> Failed(const EvidenceReport& report) {
  std::vector<std::string> out;
  for (const EvidenceCheck& c : report.checks) {
    if (!c.passed) out.push_back(c.id + ":" + c.code);
  }
  return out;
}

Bytes Envelope(TeePlatform platform, Bytes report, Bytes aux = {}) {
  StatusOr<Bytes> e = EncodeTeeEnvelope({.platform = platform,
                                         .report = std::move(report),
                                         .aux = std::move(aux),
                                         .public_key = Bytes(32, 0x11),
                                         .user_data = Bytes(100, 0x22),
                                         .nonce = Bytes(32, 0x33)});
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return e.ok() ? *e : Bytes();
}

class TeeEvidenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tdx_quote_ = ReadFileOrFail(SharedPath("vectors/tdx/dcap-qvl_tdx_quote_v4.dat"));
    intel_root_ = ReadFileOrFail(SharedPath("vectors/tdx/intel_sgx_root_ca.der"));
    StatusOr<TdxCollateral> c = ParseTdxCollateralJson(
        ReadTextOrFail(SharedPath("vectors/tdx/dcap-qvl_tdx_quote_v4.collateral.json")));
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    collateral_ = *std::move(c);

    genoa_report_ = ReadFileOrFail(SharedPath("vectors/sev-snp/reports/genoa-v5-oak/report.bin"));
    StatusOr<std::vector<Bytes>> chain = ParseSnpCollateral(
        ReadFileOrFail(SharedPath("vectors/sev-snp/certs/genoa/ask_ark_genoa_vcek.pem")));
    ASSERT_TRUE(chain.ok() && chain->size() == 2);
    genoa_ask_ = (*chain)[0];
    genoa_ark_ = (*chain)[1];
    genoa_vcek_ = ReadFileOrFail(SharedPath("vectors/sev-snp/reports/genoa-v5-oak/vcek.der"));
  }

  TeeVerifyOptions TdxOptions() const {
    return {.pinned_roots = {intel_root_}, .at_unix_seconds = kTdxInWindow,
            .tdx_collateral = &collateral_};
  }
  TeeVerifyOptions SnpOptions() const {
    return {.pinned_roots = {genoa_ark_}, .at_unix_seconds = kGenoaValid,
            .snp_certificates = {genoa_vcek_, genoa_ask_, genoa_ark_}};
  }

  Bytes tdx_quote_, intel_root_;
  TdxCollateral collateral_;
  Bytes genoa_report_, genoa_ask_, genoa_ark_, genoa_vcek_;
};

TEST_F(TeeEvidenceTest, RealTdxQuoteVerifiesButIsNotBoundToThisSession) {
  StatusOr<TeeVerification> v =
      VerifyTeeEvidence(Envelope(TeePlatform::kTdx, tdx_quote_), "tdx", TdxOptions());
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_FALSE(v->verified());
  EXPECT_EQ(Failed(v->report), std::vector<std::string>{"TEE_REPORT_DATA:VERIFICATION_FAILED"});
  EXPECT_EQ(CodeOf(v->report, "TDX_TCB_STATUS"), "OK");
  EXPECT_EQ(v->tcb, "UpToDate");
  EXPECT_EQ(v->matched_root, 0u);
  // Values from ../shared/vectors/tdx/index.json.
  EXPECT_EQ(HexEncode(v->measurements.at(0)),
            "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7");
  EXPECT_EQ(HexEncode(v->measurements.at(3)),
            "d833feef2cd945148aa38ead2c53e9b7f138190aaaebfc551dccd829fc207aa3ba80b70870d7330733642e01d48c3132");
  EXPECT_EQ(v->measurements.size(), 8u);
}

TEST_F(TeeEvidenceTest, RealSnpReportVerifiesButIsNotBoundToThisSession) {
  StatusOr<TeeVerification> v =
      VerifyTeeEvidence(Envelope(TeePlatform::kSnp, genoa_report_), "snp", SnpOptions());
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(Failed(v->report), std::vector<std::string>{"TEE_REPORT_DATA:VERIFICATION_FAILED"});
  EXPECT_EQ(v->measurements.size(), 3u);
  EXPECT_EQ(v->measurements.at(1).size(), 32u);
  EXPECT_FALSE(v->tcb.empty());
}

TEST_F(TeeEvidenceTest, CertificatesMayComeFromTheAuxblobTable) {
  // With an entry of the host's own (say a CRL), which is not part of the chain.
  StatusOr<Bytes> table = EncodeSnpCertTable({{.kind = "vcek", .der = genoa_vcek_},
                                              {.kind = "ask", .der = genoa_ask_},
                                              {.kind = "ark", .der = genoa_ark_},
                                              {.kind = "unknown", .guid = {0x42}, .der = {1, 2, 3}}});
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  TeeVerifyOptions options = SnpOptions();
  options.snp_certificates.clear();
  StatusOr<TeeVerification> v =
      VerifyTeeEvidence(Envelope(TeePlatform::kSnp, genoa_report_, *table), "snp", options);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Failed(v->report), std::vector<std::string>{"TEE_REPORT_DATA:VERIFICATION_FAILED"});
  // Without either source the chain is missing.
  v = VerifyTeeEvidence(Envelope(TeePlatform::kSnp, genoa_report_), "snp", options);
  ASSERT_TRUE(v.ok());
  EXPECT_NE(CodeOf(v->report, "SNP_SIGNATURE"), "OK");
  // A malformed table fails the collateral check.
  v = VerifyTeeEvidence(Envelope(TeePlatform::kSnp, genoa_report_, Bytes(40, 0xab)), "snp", options);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->verified());
  EXPECT_NE(CodeOf(v->report, "SNP_COLLATERAL"), "OK");
}

TEST_F(TeeEvidenceTest, AnyByteChangeOfTheQuoteInsideTheEnvelopeFails) {
  for (size_t i = 0; i < 632; i += 37) {  // header and TD report body
    Bytes quote = tdx_quote_;
    quote[i] ^= 0x01;
    StatusOr<TeeVerification> v =
        VerifyTeeEvidence(Envelope(TeePlatform::kTdx, quote), "tdx", TdxOptions());
    ASSERT_TRUE(v.ok());
    EXPECT_NE(CodeOf(v->report, "TDX_QUOTE_SIGNATURE"), "OK") << i;
    EXPECT_EQ(CodeOf(v->report, "TEE_REPORT_DATA"), "NOT_RUN") << i;
  }
}

TEST_F(TeeEvidenceTest, EnvelopeMustBeOfTheExpectedPlatform) {
  StatusOr<TeeVerification> v =
      VerifyTeeEvidence(Envelope(TeePlatform::kSnp, genoa_report_), "tdx", TdxOptions());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Failed(v->report), (std::vector<std::string>{"TEE_ENVELOPE:VERIFICATION_FAILED",
                                                         "TEE_REPORT_DATA:NOT_RUN"}));
  for (const Bytes& garbage : {Bytes(), Bytes{0xa0}, tdx_quote_, Bytes(70000, 0xbf)}) {
    v = VerifyTeeEvidence(garbage, "tdx", TdxOptions());
    ASSERT_TRUE(v.ok());
    EXPECT_FALSE(v->verified());
    EXPECT_NE(CodeOf(v->report, "TEE_ENVELOPE"), "OK");
  }
}

TEST_F(TeeEvidenceTest, InvalidOptionsAreAnError) {
  const Bytes e = Envelope(TeePlatform::kTdx, tdx_quote_);
  EXPECT_EQ(VerifyTeeEvidence(e, "nitro", TdxOptions()).status().code(), StatusCode::kInvalidArgument);
  TeeVerifyOptions no_collateral = TdxOptions();
  no_collateral.tdx_collateral = nullptr;
  EXPECT_EQ(VerifyTeeEvidence(e, "tdx", no_collateral).status().code(), StatusCode::kInvalidArgument);
  TeeVerifyOptions no_roots = TdxOptions();
  no_roots.pinned_roots.clear();
  EXPECT_FALSE(VerifyTeeEvidence(e, "tdx", no_roots).ok());
}

TEST_F(TeeEvidenceTest, UnverifiedMeasurementsAreTheQuotesAndTheReports) {
  StatusOr<std::map<uint32_t, Bytes>> tdx = UnverifiedTeeMeasurements(Envelope(TeePlatform::kTdx, tdx_quote_));
  ASSERT_TRUE(tdx.ok());
  StatusOr<TeeVerification> v =
      VerifyTeeEvidence(Envelope(TeePlatform::kTdx, tdx_quote_), "tdx", TdxOptions());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*tdx, v->measurements);
  StatusOr<std::map<uint32_t, Bytes>> snp =
      UnverifiedTeeMeasurements(Envelope(TeePlatform::kSnp, genoa_report_));
  ASSERT_TRUE(snp.ok());
  EXPECT_EQ(HexEncode(snp->at(0)), HexEncode(ParseSnpReport(genoa_report_)->measurement));
  EXPECT_FALSE(UnverifiedTeeMeasurements(Bytes{1, 2, 3}).ok());
}

// ---- Simulated machines: evidence bound to a session -----------------------------

class SimulatedTeeTest : public ::testing::Test {
 protected:
  struct Machine {
    std::string platform;
    std::unique_ptr<EvidenceProvider> provider;
    Bytes root;
    std::optional<TdxCollateral> collateral;
  };

  static Machine Make(TeePlatform platform) {
    const std::string dir = eml::testing::SourceDir() + "/src/attest/testdata/" +
                            (platform == TeePlatform::kTdx ? "tdx_sim" : "snp/milan");
    Machine m;
    m.platform = std::string(TeePlatformName(platform));
    StatusOr<std::unique_ptr<EvidenceProvider>> provider =
        CreateSimulatedTsmProvider(platform, dir, {{0, Bytes(48, 0xa0)}});
    EXPECT_TRUE(provider.ok()) << provider.status().ToString();
    if (provider.ok()) m.provider = *std::move(provider);
    m.root = ReadFileOrFail(dir + (platform == TeePlatform::kTdx ? "/root.der" : "/ark.der"));
    if (platform == TeePlatform::kTdx) {
      m.collateral = *ParseTdxCollateralJson(ReadTextOrFail(dir + "/collateral.json"));
    }
    return m;
  }

  static StatusOr<TeeVerification> Verify(const Machine& m, ByteSpan evidence) {
    return VerifyTeeEvidence(evidence, m.platform,
                             {.pinned_roots = {m.root},
                              .at_unix_seconds = kInsideSyntheticWindow,
                              .tdx_collateral = m.collateral ? &*m.collateral : nullptr});
  }

  static constexpr int64_t kInsideSyntheticWindow = 1800000000;  // 2027-01-15
};

TEST_F(SimulatedTeeTest, BoundEvidenceVerifiesAndEveryFieldIsBound) {
  for (TeePlatform platform : {TeePlatform::kTdx, TeePlatform::kSnp}) {
    const Machine m = Make(platform);
    SCOPED_TRACE(m.platform);
    ASSERT_NE(m.provider, nullptr);
    EXPECT_TRUE(m.provider->evaluation());
    const Bytes pk(32, 0x01), ud(101, 0x02), nonce(32, 0x03);
    StatusOr<Bytes> evidence = m.provider->Attest(pk, ud, nonce);
    ASSERT_TRUE(evidence.ok()) << evidence.status().ToString();
    StatusOr<TeeVerification> v = Verify(m, *evidence);
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v->verified()) << v->report.ToStatus().ToString();
    EXPECT_EQ(v->envelope->nonce, nonce);
    EXPECT_EQ(v->measurements.at(0), Bytes(48, 0xa0));

    // The same quote/report with any of the three fields changed.
    const TeeEnvelope good = *ParseTeeEnvelope(*evidence);
    for (Bytes TeeEnvelope::*field : {&TeeEnvelope::public_key, &TeeEnvelope::user_data,
                                      &TeeEnvelope::nonce}) {
      TeeEnvelope changed = good;
      (changed.*field)[0] ^= 1;
      v = Verify(m, *EncodeTeeEnvelope(changed));
      ASSERT_TRUE(v.ok());
      EXPECT_EQ(Failed(v->report), std::vector<std::string>{"TEE_REPORT_DATA:VERIFICATION_FAILED"});
    }
    // The production verdict: the vendor's real root does not know the synthetic PKI.
    const Bytes real_root = ReadFileOrFail(
        platform == TeePlatform::kTdx
            ? SharedPath("vectors/tdx/intel_sgx_root_ca.der")
            : eml::testing::SourceDir() + "/src/attest/testdata/snp/turin/ark.der");
    v = VerifyTeeEvidence(*evidence, m.platform,
                          {.pinned_roots = {real_root}, .at_unix_seconds = kInsideSyntheticWindow,
                           .tdx_collateral = m.collateral ? &*m.collateral : nullptr});
    ASSERT_TRUE(v.ok());
    EXPECT_FALSE(v->verified());
  }
}

}  // namespace
}  // namespace eml::attest

// The simulated SEV-SNP firmware (snp_sim.h): simulated reports must pass the
// real verifier under the synthetic ARK (testdata/snp, make_synthetic.py)
// with the certificates from the simulated auxblob, and nothing else.
#include "attest/snp_sim.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "attest/snp.h"
#include "core/encoding.h"
#include "tests/testing.h"

namespace eml::attest {
namespace {

using eml::testing::ReadFileOrFail;
using eml::testing::ReadJsonOrFail;
using eml::testing::SharedPath;

std::string TestdataPath(const std::string& relative) {
  return eml::testing::SourceDir() + "/src/attest/testdata/snp/" + relative;
}

// ---- The simulator -----------------------------------------------------------------------

std::vector<std::string> Failed(const SnpVerification& v) {
  std::vector<std::string> out;
  for (const EvidenceCheck& c : v.report.checks) {
    if (!c.passed) out.push_back(c.id + ":" + c.code);
  }
  return out;
}

Bytes Filled(size_t n, uint8_t first) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(first + i);
  return b;
}

class SnpSimulatorTest : public ::testing::Test {
 protected:
  struct Product {
    std::string name;  // "Milan", "Turin"
    nlohmann::json want;  // testdata/snp/index.json entry
    SnpProduct product;
    uint32_t version;
    std::optional<SnpReportSimulator> sim;
    Bytes ark;
  };

  static Product LoadProduct(const std::string& name, const std::string& dir, SnpProduct product,
                             uint32_t version) {
    Product p{.name = name, .want = ReadJsonOrFail(TestdataPath("index.json"))[name],
              .product = product, .version = version, .sim = std::nullopt,
              .ark = ReadFileOrFail(TestdataPath(dir + "/ark.der"))};
    StatusOr<SnpReportSimulator> sim = SnpReportSimulator::Load(TestdataPath(dir));
    EXPECT_TRUE(sim.ok()) << sim.status().ToString();
    if (sim.ok()) p.sim = *std::move(sim);
    return p;
  }

  // The chain as a verifier gets it: from the simulated auxblob.
  static std::vector<Bytes> ChainFromAuxblob(const SnpReportSimulator& sim) {
    StatusOr<std::vector<SnpCertTableEntry>> entries = ParseSnpCertTable(sim.CertTable());
    EXPECT_TRUE(entries.ok()) << entries.status().ToString();
    std::vector<Bytes> chain;
    if (entries.ok()) {
      for (const SnpCertTableEntry& e : *entries) chain.push_back(e.der);
    }
    return chain;
  }

  static SnpVerifyOptions Options(const Product& p) {
    return {.pinned_roots = {p.ark}, .chain_der = ChainFromAuxblob(*p.sim),
            .at_unix_seconds = p.want["not_before"].get<int64_t>() + 86400};
  }

  static SnpVerification Verify(ByteSpan report, const SnpVerifyOptions& options) {
    StatusOr<SnpVerification> v = VerifySnpReport(report, options);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *std::move(v) : SnpVerification{};
  }

  static Bytes Report(const Product& p, const Bytes& report_data,
                      const std::map<uint32_t, Bytes>& measurements) {
    StatusOr<Bytes> r = p.sim->Report(report_data, measurements);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *std::move(r) : Bytes{};
  }

  Product milan_ = LoadProduct("Milan", "milan", SnpProduct::kMilan, 3);
  Product turin_ = LoadProduct("Turin", "turin", SnpProduct::kTurin, 5);
};

TEST_F(SnpSimulatorTest, ReportsVerifyWithTheChainFromTheAuxblob) {
  for (const Product* p : {&milan_, &turin_}) {
    SCOPED_TRACE(p->name);
    ASSERT_TRUE(p->sim.has_value());
    EXPECT_EQ(p->sim->product(), p->product);
    const std::vector<SnpCertTableEntry> table = *ParseSnpCertTable(p->sim->CertTable());
    ASSERT_EQ(table.size(), 3u);
    EXPECT_EQ(table[0].kind, "vcek");
    EXPECT_EQ(table[1].kind, "ask");
    EXPECT_EQ(table[2].kind, "ark");

    const Bytes report_data = Filled(64, 0x10), measurement = Filled(48, 0x80), host = Filled(32, 0xC0);
    const Bytes id_key = Filled(48, 0x30);
    const Bytes report = Report(*p, report_data, {{0, measurement}, {1, host}, {2, id_key}});
    ASSERT_EQ(report.size(), kSnpReportSize);
    const SnpVerification v = Verify(report, Options(*p));
    ASSERT_TRUE(v.verified()) << v.report.ToStatus().ToString();
    EXPECT_EQ(v.product, p->product);
    const SnpReport& r = *v.parsed;
    EXPECT_EQ(r.version, p->version);
    EXPECT_EQ(Bytes(r.report_data.begin(), r.report_data.end()), report_data);
    EXPECT_EQ(Bytes(r.measurement.begin(), r.measurement.end()), measurement);
    EXPECT_EQ(Bytes(r.host_data.begin(), r.host_data.end()), host);
    EXPECT_EQ(Bytes(r.id_key_digest.begin(), r.id_key_digest.end()), id_key);
    EXPECT_EQ(HexEncode(r.author_key_digest), std::string(96, '0'));
    EXPECT_EQ(r.policy, 0x30000u);
    EXPECT_EQ(r.vmpl, 0u);
    EXPECT_EQ(r.signing_key, SnpSigningKey::kVcek);
    EXPECT_FALSE(r.debug_allowed());
    EXPECT_FALSE(r.migration_agent_allowed());
    // TCB and chip id as index.json says the VCEK was made.
    const nlohmann::json& t = p->want["tcb"];
    EXPECT_EQ(v.reported_tcb->bootloader, t["bl"].get<int>());
    EXPECT_EQ(v.reported_tcb->snp, t["snp"].get<int>());
    EXPECT_EQ(v.reported_tcb->microcode, t["ucode"].get<int>());
    EXPECT_EQ(*v.current_tcb, *v.reported_tcb);
    EXPECT_EQ(*v.committed_tcb, *v.reported_tcb);
    EXPECT_EQ(*v.launch_tcb, *v.reported_tcb);
    const std::string hwid = p->want["hwid"].get<std::string>();
    EXPECT_EQ(HexEncode(r.chip_id), hwid + std::string(128 - hwid.size(), '0'));
    EXPECT_EQ(HexEncode(r.report_id_ma), std::string(64, 'f'));
  }
  EXPECT_EQ(turin_.sim->product(), SnpProduct::kTurin);
}

TEST_F(SnpSimulatorTest, AbsentMeasurementsAreZeroAndEachReportIsFreshlySigned) {
  const Bytes report_data(64, 0x42);
  const Bytes a = Report(milan_, report_data, {});
  const Bytes b = Report(milan_, report_data, {});
  ASSERT_TRUE(Verify(a, Options(milan_)).verified());
  const SnpReport r = *ParseSnpReport(a);
  EXPECT_EQ(HexEncode(r.measurement), std::string(96, '0'));
  EXPECT_EQ(HexEncode(r.host_data), std::string(64, '0'));
  // Same guest (REPORT_ID), same signed bytes, a new randomized signature.
  EXPECT_EQ(r.report_id, ParseSnpReport(b)->report_id);
  EXPECT_TRUE(std::equal(a.begin(), a.begin() + kSnpSignedSize, b.begin()));
  EXPECT_NE(a, b);
}

TEST_F(SnpSimulatorTest, EverySingleByteChangeFailsVerification) {
  for (const Product* p : {&milan_, &turin_}) {
    SCOPED_TRACE(p->name);
    const Bytes report = Report(*p, Filled(64, 1), {{0, Filled(48, 2)}, {1, Filled(32, 3)}});
    const SnpVerifyOptions options = Options(*p);
    ASSERT_TRUE(Verify(report, options).verified());
    for (size_t i = 0; i < report.size(); ++i) {
      Bytes changed = report;
      changed[i] ^= (i % 2 == 0) ? 0x01 : 0x80;
      ASSERT_FALSE(Verify(changed, options).verified()) << "byte 0x" << std::hex << i;
    }
  }
}

TEST_F(SnpSimulatorTest, AmdsRealArksDoNotAcceptSimulatedReports) {
  const std::vector<std::pair<const Product*, const char*>> real = {
      {&milan_, "vectors/sev-snp/certs/milan/ask_ark_milan_vcek.pem"},
      {&turin_, "vectors/sev-snp/certs/turin/ask_ark_turin_vcek.pem"}};
  for (const auto& [p, pem] : real) {
    SCOPED_TRACE(p->name);
    StatusOr<std::vector<Bytes>> amd = LoadSnpCollateralFile(SharedPath(pem));
    ASSERT_TRUE(amd.ok()) << amd.status().ToString();
    const Bytes& amd_ark = amd->back();
    const Bytes report = Report(*p, Filled(64, 9), {});
    // The auxblob's (synthetic) ARK is not AMD's.
    SnpVerifyOptions options = Options(*p);
    options.pinned_roots = {amd_ark};
    SnpVerification v = Verify(report, options);
    EXPECT_FALSE(v.verified());
    EXPECT_EQ(Failed(v), (std::vector<std::string>{"SNP_ROOT_PINNED:VERIFICATION_FAILED",
                                                   "SNP_CHAIN_VALID_AT_TIME:NOT_RUN"}));
    // Without the synthetic ARK the chain itself fails under AMD's ARK.
    options.chain_der.pop_back();
    v = Verify(report, options);
    EXPECT_EQ(Failed(v), std::vector<std::string>{"SNP_CHAIN_VALID_AT_TIME:VERIFICATION_FAILED"});
  }
}

TEST_F(SnpSimulatorTest, BadInputsAreRejected) {
  const SnpReportSimulator& sim = *milan_.sim;
  for (size_t n : {0, 32, 63, 65}) {
    EXPECT_EQ(sim.Report(Bytes(n, 1), {}).status().code(), StatusCode::kInvalidArgument) << n;
  }
  const Bytes rd(64, 1);
  const std::vector<std::pair<const char*, std::map<uint32_t, Bytes>>> bad = {
      {"index 3", {{3, Bytes(48, 1)}}},
      {"id key digest 32 bytes", {{2, Bytes(32, 1)}}},
      {"measurement 47 bytes", {{0, Bytes(47, 1)}}},
      {"measurement 32 bytes", {{0, Bytes(32, 1)}}},
      {"host data 48 bytes", {{1, Bytes(48, 1)}}},
      {"host data empty", {{1, {}}}},
  };
  for (const auto& [what, m] : bad) {
    EXPECT_EQ(sim.Report(rd, m).status().code(), StatusCode::kInvalidArgument) << what;
  }
  EXPECT_EQ(SnpReportSimulator::Load(TestdataPath("nonexistent")).status().code(), StatusCode::kNotFound);
}

// A directory with Milan's certificates and another product's key, or with
// the ASK where the VCEK belongs, is refused at Load.
TEST_F(SnpSimulatorTest, InconsistentProductDirectoriesAreRefused) {
  char tmpl[] = "/tmp/snp_sim_test.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const auto write = [&](const char* name, const std::string& from) {
    const Bytes b = ReadFileOrFail(TestdataPath(from));
    FILE* f = std::fopen((dir + "/" + name).c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(b.data(), 1, b.size(), f), b.size());
    std::fclose(f);
  };
  write("vcek.der", "milan/vcek.der");
  write("ask.der", "milan/ask.der");
  write("ark.der", "milan/ark.der");
  write("vcek_key.p8", "turin/vcek_key.p8");
  EXPECT_EQ(SnpReportSimulator::Load(dir).status().code(), StatusCode::kInvalidArgument);
  write("vcek_key.p8", "milan/vcek_key.p8");
  EXPECT_TRUE(SnpReportSimulator::Load(dir).ok());
  write("vcek.der", "milan/ask.der");  // an RSA CA certificate, not the key's
  EXPECT_EQ(SnpReportSimulator::Load(dir).status().code(), StatusCode::kInvalidArgument);
  for (const char* name : {"vcek.der", "ask.der", "ark.der", "vcek_key.p8"}) {
    ::unlink((dir + "/" + name).c_str());
  }
  ::rmdir(dir.c_str());
}

TEST_F(SnpSimulatorTest, ManyThreadsGetValidReports) {
  constexpr int kThreads = 4, kPerThread = 8;
  std::vector<std::vector<Bytes>> reports(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        StatusOr<Bytes> r = turin_.sim->Report(Bytes(64, static_cast<uint8_t>(t * kPerThread + i)), {});
        if (r.ok()) reports[t].push_back(*std::move(r));
      }
    });
  }
  for (std::thread& th : threads) th.join();
  const SnpVerifyOptions options = Options(turin_);
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(reports[t].size(), static_cast<size_t>(kPerThread));
    for (int i = 0; i < kPerThread; ++i) {
      const SnpVerification v = Verify(reports[t][i], options);
      ASSERT_TRUE(v.verified()) << t << "/" << i;
      EXPECT_EQ(v.parsed->report_data[0], t * kPerThread + i);
    }
  }
}

}  // namespace
}  // namespace eml::attest

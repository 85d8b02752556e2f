// The simulated TDX machine against the real verifier: its quotes verify with
// TCB status UpToDate against the synthetic root and collateral in
// testdata/tdx_sim (made by make_tdx_sim.py; window and values from its
// index.json), carry exactly the REPORTDATA and registers asked for, break
// on any changed signed byte, and are refused under Intel's real root.
#include "attest/tdx_sim.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "attest/tdx.h"
#include "core/encoding.h"
#include "crypto/ecdsa.h"
#include "crypto/hash.h"
#include "tests/testing.h"

namespace eml::attest {
namespace {

using eml::testing::ReadFileOrFail;
using eml::testing::ReadJsonOrFail;
using eml::testing::ReadTextOrFail;
using eml::testing::SharedPath;

constexpr char kIntelRoot[] = "vectors/tdx/intel_sgx_root_ca.der";
constexpr size_t kSignedSize = kTdxHeaderSize + kTdReport10Size;  // header || body
constexpr size_t kSignatureOffset = kSignedSize + 4;

std::string SimDir() { return eml::testing::SourceDir() + "/src/attest/testdata/tdx_sim"; }
std::string SimPath(const std::string& file) { return SimDir() + "/" + file; }

Bytes Pattern(size_t size, uint8_t seed) {
  Bytes b(size);
  for (size_t i = 0; i < size; ++i) b[i] = static_cast<uint8_t>(seed + 7 * i);
  return b;
}

template <size_t N>
Bytes ToVec(const std::array<uint8_t, N>& a) {
  return Bytes(a.begin(), a.end());
}

std::string FirstFailed(const EvidenceReport& report) {
  for (const EvidenceCheck& c : report.checks) {
    if (!c.passed) return c.id + " " + c.code + ": " + c.detail;
  }
  return "";
}

std::string CodeOf(const EvidenceReport& report, std::string_view id) {
  for (const EvidenceCheck& c : report.checks) {
    if (c.id == id) return c.code;
  }
  return "MISSING";
}

class TdxSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<TdxQuoteSimulator> sim = TdxQuoteSimulator::Load(SimDir());
    ASSERT_TRUE(sim.ok()) << sim.status().ToString();
    sim_.emplace(*std::move(sim));
    StatusOr<TdxCollateral> collateral =
        ParseTdxCollateralJson(ReadTextOrFail(SimPath("collateral.json")));
    ASSERT_TRUE(collateral.ok()) << collateral.status().ToString();
    collateral_ = *std::move(collateral);
    ASSERT_TRUE(index_.contains("valid_from_unix"));
    from_ = index_["valid_from_unix"].get<int64_t>();
    until_ = index_["valid_until_unix"].get<int64_t>();
    ASSERT_LT(from_, until_);
  }

  TdxVerification Verify(ByteSpan quote, ByteSpan root, int64_t at) const {
    const TdxVerifyOptions options = {.pinned_roots = {root}, .at_unix_seconds = at};
    StatusOr<TdxVerification> v = VerifyTdxQuote(quote, collateral_, options);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *std::move(v) : TdxVerification{};
  }
  TdxVerification Verify(ByteSpan quote, int64_t at) const { return Verify(quote, root_, at); }
  TdxVerification Verify(ByteSpan quote) const { return Verify(quote, (from_ + until_) / 2); }

  Bytes QuoteOrFail(ByteSpan report_data,
                    const std::map<uint32_t, Bytes>& measurements = {}) const {
    StatusOr<Bytes> quote = sim_->Quote(report_data, measurements);
    EXPECT_TRUE(quote.ok()) << quote.status().ToString();
    return quote.ok() ? *std::move(quote) : Bytes{};
  }

  const nlohmann::json index_ = ReadJsonOrFail(SimPath("index.json"));
  const Bytes root_ = ReadFileOrFail(SimPath("root.der"));
  std::optional<TdxQuoteSimulator> sim_;
  TdxCollateral collateral_;
  int64_t from_ = 0;
  int64_t until_ = 0;
};

TEST_F(TdxSimTest, FixturesAreTheIndexedOnes) {
  EXPECT_EQ(HexEncode(crypto::Sha256(root_)), index_["root_sha256"].get<std::string>());
  EXPECT_EQ(HexEncode(sim_->attestation_key()), index_["attestation_key"].get<std::string>());
  // Not Intel's root: the simulator must never be mistaken for hardware.
  EXPECT_NE(HexEncode(crypto::Sha256(root_)), kIntelSgxRootCaSha256Hex);
  EXPECT_EQ(ReadFileOrFail(SimPath(kTdxSimQuoteTemplateFile)).size(),
            index_["template_size"].get<size_t>());
}

TEST_F(TdxSimTest, QuoteVerifiesUpToDateWithWhatWasAsked) {
  const Bytes report_data = Pattern(64, 1);
  std::map<uint32_t, Bytes> m;
  for (uint32_t i = 0; i < 8; ++i) m[i] = Pattern(48, static_cast<uint8_t>(0x10 * (i + 1)));
  const Bytes quote = QuoteOrFail(report_data, m);
  const TdxVerification v = Verify(quote);
  ASSERT_TRUE(v.verified()) << FirstFailed(v.report);
  EXPECT_EQ(v.report.checks.size(), 16u);
  ASSERT_TRUE(v.tcb_status.has_value());
  EXPECT_EQ(*v.tcb_status, TdxTcbStatus::kUpToDate);
  EXPECT_TRUE(v.advisory_ids.empty());
  EXPECT_EQ(v.matched_root, 0u);

  const TdReportBody& body = v.quote->body;
  EXPECT_EQ(ToVec(body.report_data), report_data);
  EXPECT_EQ(ToVec(body.mr_td), m[kTdxSimMrtd]);
  for (uint32_t r = 0; r < 4; ++r) EXPECT_EQ(ToVec(body.rtmr[r]), m[kTdxSimRtmr0 + r]) << r;
  EXPECT_EQ(ToVec(body.mr_config_id), m[kTdxSimMrConfigId]);
  EXPECT_EQ(ToVec(body.mr_owner), m[kTdxSimMrOwner]);
  EXPECT_EQ(ToVec(body.mr_owner_config), m[kTdxSimMrOwnerConfig]);
  // The platform fields are the real platform's.
  EXPECT_EQ(HexEncode(body.tee_tcb_svn), index_["tee_tcb_svn"].get<std::string>());
  EXPECT_EQ(HexEncode(body.mr_seam), index_["mr_seam"].get<std::string>());
  EXPECT_EQ(body.td_attributes & kTdAttributeDebug, 0u);
  EXPECT_EQ(HexEncode(v.quote->attestation_key), index_["attestation_key"].get<std::string>());
}

TEST_F(TdxSimTest, AbsentRegistersAreZeroAndOnlyTheBodyAndSignatureChange) {
  const Bytes a = QuoteOrFail(Pattern(64, 1), {{kTdxSimRtmr0 + 2, Pattern(48, 9)}});
  const TdxVerification v = Verify(a);
  ASSERT_TRUE(v.verified()) << FirstFailed(v.report);
  const TdxMeasurement zero = {};
  EXPECT_EQ(v.quote->body.mr_td, zero);
  EXPECT_EQ(v.quote->body.rtmr[0], zero);
  EXPECT_EQ(ToVec(v.quote->body.rtmr[2]), Pattern(48, 9));
  EXPECT_EQ(v.quote->body.mr_owner, zero);

  // Same size as the template; everything after the quote signature is the template's.
  const Bytes b = QuoteOrFail(Pattern(64, 2));
  const Bytes t = ReadFileOrFail(SimPath(kTdxSimQuoteTemplateFile));
  ASSERT_EQ(a.size(), t.size());
  ASSERT_EQ(b.size(), t.size());
  EXPECT_TRUE(
      std::equal(a.begin() + kSignatureOffset + 64, a.end(), t.begin() + kSignatureOffset + 64));
  EXPECT_TRUE(std::equal(a.begin(), a.begin() + kTdxHeaderSize, t.begin()));
  EXPECT_NE(a, b);
}

TEST_F(TdxSimTest, ValidExactlyInsideTheWindow) {
  const Bytes quote = QuoteOrFail(Pattern(64, 3));
  EXPECT_TRUE(Verify(quote, from_).verified()) << FirstFailed(Verify(quote, from_).report);
  EXPECT_TRUE(Verify(quote, until_ - 1).verified())
      << FirstFailed(Verify(quote, until_ - 1).report);
  EXPECT_FALSE(Verify(quote, from_ - 1).verified());
  EXPECT_FALSE(Verify(quote, until_).verified());
}

// Flipping any bit of header || body or of the signature breaks the
// attestation key's signature (what TDX_QUOTE_SIGNATURE checks), checked
// directly for every bit; every 8th byte is also run through the whole
// verifier (about 15 ms a run, so not all of them).
TEST_F(TdxSimTest, AnyChangedSignedByteOrSignatureByteFails) {
  const Bytes quote = QuoteOrFail(Pattern(64, 4), {{kTdxSimMrtd, Pattern(48, 5)}});
  ASSERT_TRUE(Verify(quote).verified());
  const ByteSpan ak(sim_->attestation_key());
  StatusOr<crypto::EcdsaPublicKey> key =
      crypto::EcdsaPublicKey::FromCoordinates(crypto::EcCurve::kP256, ak.first(32), ak.last(32));
  ASSERT_TRUE(key.ok());
  auto signature_holds = [&](ByteSpan q) {
    return key
        ->Verify(q.first(kSignedSize), q.subspan(kSignatureOffset, 64),
                 crypto::EcdsaSignatureFormat::kRawRS)
        .ok();
  };
  ASSERT_TRUE(signature_holds(quote));
  size_t checked = 0;
  for (size_t i = 0; i < kSignatureOffset + 64; ++i) {
    if (i >= kSignedSize && i < kSignatureOffset) continue;  // the u32 size: a format change
    for (int bit = 0; bit < 8; ++bit) {
      Bytes changed = quote;
      changed[i] ^= static_cast<uint8_t>(1 << bit);
      ASSERT_FALSE(signature_holds(changed)) << "byte " << i << " bit " << bit;
      ++checked;
    }
    if (i % 8 != 0) continue;
    Bytes changed = quote;
    changed[i] ^= 0x80;
    const TdxVerification v = Verify(changed);
    ASSERT_FALSE(v.verified()) << "byte " << i;
    if (i >= kTdxHeaderSize + 136 && i < kSignedSize) {
      // Registers and REPORTDATA: only the attestation key's signature notices.
      ASSERT_EQ(FirstFailed(v.report).rfind(std::string(kCheckTdxQuoteSignature) + " ", 0), 0u)
          << "byte " << i << ": " << FirstFailed(v.report);
    }
  }
  EXPECT_EQ(checked, 8 * (kSignedSize + 64));
}

TEST_F(TdxSimTest, IntelsRootDoesNotAcceptIt) {
  const Bytes intel_root = ReadFileOrFail(SharedPath(kIntelRoot));
  ASSERT_EQ(HexEncode(crypto::Sha256(intel_root)), kIntelSgxRootCaSha256Hex);
  const Bytes quote = QuoteOrFail(Pattern(64, 6));
  const TdxVerification v = Verify(quote, intel_root, (from_ + until_) / 2);
  EXPECT_FALSE(v.verified());
  EXPECT_EQ(CodeOf(v.report, kCheckTdxPckRootPinned), "VERIFICATION_FAILED");
  EXPECT_EQ(CodeOf(v.report, kCheckTdxTcbInfoSignature), "VERIFICATION_FAILED");
  EXPECT_EQ(CodeOf(v.report, kCheckTdxQeIdentitySignature), "VERIFICATION_FAILED");
  EXPECT_FALSE(v.tcb_status.has_value());
}

TEST_F(TdxSimTest, BadInputsAreInvalidArgument) {
  auto code = [&](ByteSpan report_data, const std::map<uint32_t, Bytes>& m) {
    return sim_->Quote(report_data, m).status().code();
  };
  for (size_t size : {0, 32, 63, 65, 128}) {
    EXPECT_EQ(code(Pattern(size, 0), {}), StatusCode::kInvalidArgument) << size;
  }
  const Bytes rd = Pattern(64, 0);
  EXPECT_EQ(code(rd, {{8, Pattern(48, 0)}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(rd, {{0xffffffffu, Pattern(48, 0)}}), StatusCode::kInvalidArgument);
  for (size_t size : {0, 32, 47, 49, 64}) {
    EXPECT_EQ(code(rd, {{kTdxSimMrtd, Pattern(size, 0)}}), StatusCode::kInvalidArgument) << size;
  }
  EXPECT_EQ(code(rd, {{7, Pattern(48, 0)}}), StatusCode::kOk);
}

TEST_F(TdxSimTest, LoadRejectsMissingOrMismatchedFixtures) {
  EXPECT_EQ(TdxQuoteSimulator::Load(SimDir() + "/no-such-dir").status().code(),
            StatusCode::kNotFound);
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / ("tdx_sim_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto write = [&](const char* file, const Bytes& data) {
    std::ofstream(dir / file, std::ios::binary)
        .write(reinterpret_cast<const char*>(data.data()),
               static_cast<std::streamsize>(data.size()));
  };
  const Bytes quote_template = ReadFileOrFail(SimPath(kTdxSimQuoteTemplateFile));
  const Bytes key = ReadFileOrFail(SimPath(kTdxSimAttestationKeyFile));
  // A key file that is not PKCS#8.
  write(kTdxSimQuoteTemplateFile, quote_template);
  write(kTdxSimAttestationKeyFile, Bytes(key.begin(), key.end() - 1));
  EXPECT_EQ(TdxQuoteSimulator::Load(dir.string()).status().code(), StatusCode::kInvalidArgument);
  // A template that no longer parses, or carries another attestation key.
  write(kTdxSimAttestationKeyFile, key);
  write(kTdxSimQuoteTemplateFile, Bytes(quote_template.begin(), quote_template.end() - 1));
  EXPECT_EQ(TdxQuoteSimulator::Load(dir.string()).status().code(), StatusCode::kFailedPrecondition);
  Bytes other_key = quote_template;
  other_key[kSignatureOffset + 64] ^= 1;
  write(kTdxSimQuoteTemplateFile, other_key);
  EXPECT_EQ(TdxQuoteSimulator::Load(dir.string()).status().code(), StatusCode::kFailedPrecondition);
  std::filesystem::remove_all(dir);
}

TEST_F(TdxSimTest, QuotesFromManyThreadsAllVerify) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 8;
  std::vector<std::vector<Bytes>> quotes(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        StatusOr<Bytes> q = sim_->Quote(Pattern(64, static_cast<uint8_t>(t * kPerThread + i)), {});
        quotes[t].push_back(q.ok() ? *std::move(q) : Bytes{});
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(quotes[t].size(), static_cast<size_t>(kPerThread));
    for (int i = 0; i < kPerThread; ++i) {
      const TdxVerification v = Verify(quotes[t][i]);
      ASSERT_TRUE(v.verified()) << t << "/" << i << " " << FirstFailed(v.report);
      EXPECT_EQ(ToVec(v.quote->body.report_data),
                Pattern(64, static_cast<uint8_t>(t * kPerThread + i)));
    }
  }
}

}  // namespace
}  // namespace eml::attest

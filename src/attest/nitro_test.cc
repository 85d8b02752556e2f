// The Nitro verifier against the real AWS document in ../shared/vectors/nitro
// (expected values from its independently decoded index.json): it verifies
// at its own time, is rejected at today's time and by maximum age, and every
// single-byte change and every truncation is rejected.
#include "attest/nitro.h"

#include <gtest/gtest.h>

#include "cbor/encode.h"
#include "core/clock.h"
#include "cose/sign1.h"
#include "crypto/x509_issue.h"
#include "core/encoding.h"
#include "tests/testing.h"

namespace eml::attest {
namespace {

using eml::testing::ReadFileOrFail;
using eml::testing::ReadJsonOrFail;
using eml::testing::SharedPath;

constexpr char kDoc[] = "vectors/nitro/blocky-nitrite_nitro_attestation_2024-09-07.cbor";
constexpr char kRoot[] = "vectors/nitro/aws_nitro_root_ca.der";
constexpr int64_t kDocTimestampMs = 1725719859545;  // index.json timestamp_ms
constexpr int64_t kToday = 1795219200;              // 2026-11-21T00:00:00Z

std::vector<std::string> Ids(const EvidenceReport& report) {
  std::vector<std::string> ids;
  for (const EvidenceCheck& c : report.checks) ids.push_back(c.id);
  return ids;
}

const EvidenceCheck* Find(const EvidenceReport& report, std::string_view id) {
  for (const EvidenceCheck& c : report.checks) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

class NitroTest : public ::testing::Test {
 protected:
  NitroVerification Verify(const NitroVerifyOptions& options) { return Verify(doc_, options); }
  NitroVerification Verify(ByteSpan doc, const NitroVerifyOptions& options) {
    StatusOr<NitroVerification> v = VerifyNitroEvidence(doc, options);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *std::move(v) : NitroVerification{};
  }

  const Bytes doc_ = ReadFileOrFail(SharedPath(kDoc));
  const Bytes root_ = ReadFileOrFail(SharedPath(kRoot));
};

TEST_F(NitroTest, RealDocumentVerifiesAtItsOwnTime) {
  const NitroVerification v = Verify({.pinned_roots = {root_}});
  ASSERT_TRUE(v.verified()) << v.report.ToStatus().ToString();
  EXPECT_EQ(Ids(v.report), (std::vector<std::string>{"COSE_DECODE", "PAYLOAD_FIELDS", "ROOT_PINNED",
                                                      "SIGNATURE", "CHAIN_VALID_AT_TIME",
                                                      "CABUNDLE_ORDER", "NOT_DEBUG_MODE"}));
  EXPECT_EQ(v.matched_root, 0u);
  EXPECT_EQ(v.chain_time_unix_seconds, kDocTimestampMs / 1000);
  ASSERT_TRUE(v.document.has_value());
  const NitroDocument& doc = *v.document;

  // Expected values come from index.json, decoded independently (Python).
  const nlohmann::json index = ReadJsonOrFail(SharedPath("vectors/nitro/index.json"));
  ASSERT_TRUE(index.is_array() && !index.empty());
  const nlohmann::json& want = index[0];
  ASSERT_EQ(want["file"], "blocky-nitrite_nitro_attestation_2024-09-07.cbor");
  EXPECT_EQ(doc.module_id, want["module_id"].get<std::string>());
  EXPECT_EQ(doc.timestamp_ms, want["timestamp_ms"].get<int64_t>());
  EXPECT_EQ(doc.timestamp_ms, kDocTimestampMs);
  ASSERT_EQ(doc.pcrs.size(), want["pcrs"].size());
  for (const auto& [index_text, hex] : want["pcrs"].items()) {
    const uint32_t i = static_cast<uint32_t>(std::stoul(index_text));
    ASSERT_TRUE(doc.pcrs.count(i)) << i;
    EXPECT_EQ(HexEncode(doc.pcrs.at(i)), hex.get<std::string>()) << "pcr " << i;
  }
  EXPECT_EQ(doc.cabundle_der.size(), want["cabundle_len"].get<size_t>());
  ASSERT_TRUE(doc.public_key && doc.user_data && doc.nonce);
  EXPECT_EQ(HexEncode(*doc.public_key), want["public_key"]["hex"].get<std::string>());
  EXPECT_EQ(*doc.nonce, Bytes(1024, 0x01));
  EXPECT_EQ(*doc.user_data, Bytes(1024, 0x01));
  // The legacy entry point agrees.
  StatusOr<NitroDocument> legacy = VerifyNitroDocument(doc_, root_);
  ASSERT_TRUE(legacy.ok()) << legacy.status().ToString();
  EXPECT_EQ(legacy->pcrs, doc.pcrs);
}

TEST_F(NitroTest, RootIsChosenFromCandidatesByExactBytes) {
  StatusOr<NitroDocument> parsed = ParseNitroDocument(doc_);
  ASSERT_TRUE(parsed.ok());
  // A real CA certificate (the document's own first intermediate) that is not cabundle[0].
  const Bytes& other = parsed->cabundle_der[1];
  const NitroVerification v = Verify({.pinned_roots = {other, root_}});
  EXPECT_TRUE(v.verified()) << v.report.ToStatus().ToString();
  EXPECT_EQ(v.matched_root, 1u);
  const NitroVerification wrong = Verify({.pinned_roots = {other}});
  EXPECT_FALSE(wrong.verified());
  EXPECT_FALSE(wrong.matched_root.has_value());
  EXPECT_EQ(Find(wrong.report, kCheckRootPinned)->code, "VERIFICATION_FAILED");
  EXPECT_EQ(Find(wrong.report, kCheckSignature)->code, "OK");  // still reported
  EXPECT_EQ(Find(wrong.report, kCheckChainValidAtTime)->code, "NOT_RUN");
  EXPECT_EQ(VerifyNitroDocument(doc_, other).status().code(), StatusCode::kVerificationFailed);
}

TEST_F(NitroTest, ExpiredWhenJudgedToday) {
  const NitroVerification v = Verify({.pinned_roots = {root_}, .chain_time_unix_seconds = kToday});
  EXPECT_FALSE(v.verified());
  EXPECT_EQ(v.chain_time_unix_seconds, kToday);
  const EvidenceCheck* chain = Find(v.report, kCheckChainValidAtTime);
  ASSERT_NE(chain, nullptr);
  EXPECT_FALSE(chain->passed);
  EXPECT_EQ(chain->code, "VERIFICATION_FAILED");
  EXPECT_NE(chain->detail.find("expired"), std::string::npos) << chain->detail;
  EXPECT_NE(chain->detail.find("2026-11-21T00:00:00.000Z (given time)"), std::string::npos) << chain->detail;
  EXPECT_TRUE(Find(v.report, kCheckSignature)->passed);  // only time is wrong
  EXPECT_EQ(v.report.ToStatus().code(), StatusCode::kVerificationFailed);
  // Inside the leaf window (14:37:36 .. 17:37:39) it passes; at notAfter itself, not.
  EXPECT_TRUE(Verify({.pinned_roots = {root_}, .chain_time_unix_seconds = 1725730658}).verified());
  EXPECT_FALSE(Verify({.pinned_roots = {root_}, .chain_time_unix_seconds = 1725730659}).verified());
}

TEST_F(NitroTest, FreshnessChecksUseTheClock) {
  const int64_t five_minutes = 300'000;
  FakeClock today(kToday * 1000);
  NitroVerification v = Verify({.pinned_roots = {root_}, .clock = &today, .max_age_millis = five_minutes});
  EXPECT_FALSE(v.verified());
  EXPECT_EQ(Ids(v.report).size(), 9u);
  EXPECT_FALSE(Find(v.report, kCheckChainValidAtTime)->passed);  // judged now: expired
  EXPECT_EQ(v.chain_time_unix_seconds, kToday);
  EXPECT_TRUE(Find(v.report, kCheckNotFuture)->passed);
  EXPECT_EQ(Find(v.report, kCheckMaxAge)->code, "VERIFICATION_FAILED");

  FakeClock just_after(kDocTimestampMs + five_minutes);
  EXPECT_TRUE(Verify({.pinned_roots = {root_}, .clock = &just_after, .max_age_millis = five_minutes}).verified());
  just_after.AdvanceMillis(1);
  EXPECT_FALSE(Verify({.pinned_roots = {root_}, .clock = &just_after, .max_age_millis = five_minutes}).verified());

  // Without a maximum age only NOT_FUTURE runs: up to 60 s ahead is accepted
  // (the chain is then judged at the later document time: the leaf was
  // issued 3 s before it).
  FakeClock behind(kDocTimestampMs - 60'000);
  v = Verify({.pinned_roots = {root_}, .clock = &behind});
  EXPECT_TRUE(v.verified()) << v.report.ToStatus().ToString();
  EXPECT_EQ(v.chain_time_unix_seconds, kDocTimestampMs / 1000);
  EXPECT_EQ(Find(v.report, kCheckMaxAge), nullptr);
  behind.AdvanceMillis(-1);
  v = Verify({.pinned_roots = {root_}, .clock = &behind});
  EXPECT_EQ(Find(v.report, kCheckNotFuture)->code, "VERIFICATION_FAILED");
  // A clock at the far ends of int64 does not overflow into a pass.
  FakeClock very_early(INT64_MIN);
  EXPECT_FALSE(Verify({.pinned_roots = {root_}, .clock = &very_early}).verified());
  FakeClock very_late(INT64_MAX);
  EXPECT_FALSE(Verify({.pinned_roots = {root_}, .clock = &very_late, .max_age_millis = 0}).verified());
}

TEST_F(NitroTest, EverySingleByteChangeIsRejected) {
  ASSERT_TRUE(Verify({.pinned_roots = {root_}}).verified());
  // Every position with all bits flipped, and every 4th with its low bit
  // flipped (a one-off bit changes lengths and header values differently).
  for (const auto& [mask, step] : {std::pair<uint8_t, size_t>{0xff, 1}, {0x01, 4}}) {
    for (size_t i = 0; i < doc_.size(); i += step) {
      Bytes bad = doc_;
      bad[i] ^= mask;
      StatusOr<NitroVerification> v = VerifyNitroEvidence(bad, {.pinned_roots = {root_}});
      ASSERT_TRUE(v.ok());
      ASSERT_FALSE(v->verified()) << "byte " << i << " mask " << int{mask};
    }
  }
}

TEST_F(NitroTest, EveryTruncationIsRejected) {
  for (size_t len = 0; len < doc_.size(); ++len) {
    StatusOr<NitroVerification> v = VerifyNitroEvidence(ByteSpan(doc_).first(len), {.pinned_roots = {root_}});
    ASSERT_TRUE(v.ok());
    ASSERT_FALSE(v->verified()) << "length " << len;
    ASSERT_EQ(v->report.checks[0].id, "COSE_DECODE");
    ASSERT_FALSE(v->report.checks[0].passed) << "length " << len;
  }
  Bytes longer = doc_;
  longer.push_back(0x00);
  EXPECT_FALSE(Verify(longer, {.pinned_roots = {root_}}).verified());
}

TEST_F(NitroTest, ChecksAfterAFailedDecodeAreListedAsNotRun) {
  FakeClock clock(kDocTimestampMs);
  const Bytes garbage = {0x84, 0x40, 0xa0, 0xf6};
  const NitroVerification v =
      Verify(garbage, {.pinned_roots = {root_}, .clock = &clock, .max_age_millis = 1000});
  ASSERT_EQ(v.report.checks.size(), 9u);
  EXPECT_EQ(v.report.checks[0].id, "COSE_DECODE");
  EXPECT_FALSE(v.report.checks[0].passed);
  for (size_t i = 1; i < v.report.checks.size(); ++i) {
    EXPECT_EQ(v.report.checks[i].code, "NOT_RUN") << v.report.checks[i].id;
    EXPECT_FALSE(v.report.checks[i].passed);
  }
  EXPECT_FALSE(v.document.has_value());
  EXPECT_FALSE(v.verified());
}

TEST_F(NitroTest, RejectsBadOptions) {
  EXPECT_EQ(VerifyNitroEvidence(doc_, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyNitroEvidence(doc_, {.pinned_roots = {root_}, .max_age_millis = -1}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyNitroEvidence(doc_, {.pinned_roots = {root_}, .max_future_skew_millis = -1}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyNitroEvidence(doc_, {.pinned_roots = {root_}, .chain_time_unix_seconds = -1}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyNitroEvidence(doc_, {.pinned_roots = {root_}, .chain_time_unix_seconds = INT64_MAX})
                .status().code(),
            StatusCode::kInvalidArgument);
  // A maximum age without a clock would silently be an archived check.
  EXPECT_EQ(VerifyNitroEvidence(doc_, {.pinned_roots = {root_}, .max_age_millis = 1000}).status().code(),
            StatusCode::kInvalidArgument);
  const std::vector<ByteSpan> many(kNitroMaxPinnedRoots + 1, ByteSpan(root_));
  EXPECT_EQ(VerifyNitroEvidence(doc_, {.pinned_roots = many}).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(NitroTest, RejectsOversizeDocument) {
  const Bytes big(kNitroMaxDocumentSize + 1, 0);
  EXPECT_EQ(ParseNitroDocument(big).status().code(), StatusCode::kLimitExceeded);
  const NitroVerification v = Verify(big, {.pinned_roots = {root_}});
  EXPECT_EQ(v.report.checks[0].code, "LIMIT_EXCEEDED");
}

// A live session (clock and maximum age) judges the chain now, never at the
// document's own time: one minute after the real document's leaf expired it
// fails, however generous the maximum age.
TEST_F(NitroTest, LiveSessionsJudgeTheChainNow) {
  FakeClock after_leaf(int64_t{1725730659 + 60} * 1000);
  const int64_t ten_years = int64_t{10} * 365 * 86400 * 1000;
  NitroVerification v = Verify({.pinned_roots = {root_}, .clock = &after_leaf, .max_age_millis = ten_years});
  EXPECT_FALSE(v.verified());
  EXPECT_EQ(v.chain_time_unix_seconds, 1725730659 + 60);
  EXPECT_TRUE(Find(v.report, kCheckMaxAge)->passed);
  const EvidenceCheck* chain = Find(v.report, kCheckChainValidAtTime);
  EXPECT_FALSE(chain->passed);
  EXPECT_NE(chain->detail.find("(now)"), std::string::npos) << chain->detail;
  // Archived evidence is judged at its own time only without a clock, or
  // when the caller names that time explicitly.
  EXPECT_TRUE(Verify({.pinned_roots = {root_}}).verified());
  v = Verify({.pinned_roots = {root_}, .chain_time_unix_seconds = kDocTimestampMs / 1000,
              .clock = &after_leaf, .max_age_millis = ten_years});
  EXPECT_TRUE(v.verified()) << v.report.ToStatus().ToString();
  EXPECT_NE(Find(v.report, kCheckChainValidAtTime)->detail.find("(given time)"), std::string::npos);
}

// ---- Hardening checks on documents signed here ------------------------------------

constexpr int64_t kBuiltAtMs = kToday * 1000;

struct Ca {
  crypto::P384PrivateKey key;
  Bytes der;
};

Ca MakeCa(const std::string& name, const Ca* issuer, crypto::CertificateRole role = crypto::CertificateRole::kCa) {
  StatusOr<crypto::P384PrivateKey> key = crypto::P384PrivateKey::Generate();
  EXPECT_TRUE(key.ok());
  crypto::CertificateParams params{.common_name = name, .not_before = kToday - 3600,
                                   .not_after = kToday + 86400, .role = role};
  StatusOr<Bytes> der = issuer == nullptr
                            ? crypto::IssueRootCertificate(*key, params)
                            : crypto::IssueCertificate(issuer->key, issuer->der, key->SpkiDer(), params);
  EXPECT_TRUE(der.ok()) << der.status().ToString();
  return Ca{*std::move(key), der.ok() ? *der : Bytes{}};
}

void AppendText(std::string_view text, Bytes* out) {
  cbor::AppendHead(3, text.size(), out);
  out->insert(out->end(), text.begin(), text.end());
}
void AppendBstr(ByteSpan b, Bytes* out) {
  cbor::AppendHead(2, b.size(), out);
  out->insert(out->end(), b.begin(), b.end());
}

// A Nitro-shaped document signed with `leaf`: PCRs 0..15 (`pcrs` for the
// first ones, zero after), the given certificate and cabundle.
Bytes BuildDocument(const Ca& leaf, const std::vector<Bytes>& cabundle, const std::vector<Bytes>& pcrs) {
  Bytes payload;
  cbor::AppendHead(5, 9, &payload);
  AppendText("module_id", &payload);
  AppendText("i-test", &payload);
  AppendText("digest", &payload);
  AppendText("SHA384", &payload);
  AppendText("timestamp", &payload);
  cbor::AppendHead(0, kBuiltAtMs, &payload);
  AppendText("pcrs", &payload);
  cbor::AppendHead(5, 16, &payload);
  for (uint64_t i = 0; i < 16; ++i) {
    cbor::AppendHead(0, i, &payload);
    AppendBstr(i < pcrs.size() ? pcrs[i] : Bytes(48, 0), &payload);
  }
  AppendText("certificate", &payload);
  AppendBstr(leaf.der, &payload);
  AppendText("cabundle", &payload);
  cbor::AppendHead(4, cabundle.size(), &payload);
  for (const Bytes& c : cabundle) AppendBstr(c, &payload);
  for (const char* key : {"public_key", "user_data", "nonce"}) {
    AppendText(key, &payload);
    payload.push_back(0xf6);
  }
  const Bytes protected_header = {0xa1, 0x01, 0x38, 0x22};
  StatusOr<Bytes> tbs = cose::Sign1ToBeSigned(protected_header, {}, payload);
  StatusOr<Bytes> sig = leaf.key.Sign(*tbs, crypto::EcdsaSignatureFormat::kRawRS);
  EXPECT_TRUE(sig.ok());
  Bytes out;
  cbor::AppendHead(4, 4, &out);
  AppendBstr(protected_header, &out);
  cbor::AppendHead(5, 0, &out);
  AppendBstr(payload, &out);
  AppendBstr(*sig, &out);
  return out;
}

class NitroHardeningTest : public ::testing::Test {
 protected:
  NitroVerification Verify(ByteSpan doc, ByteSpan root, bool allow_debug = false) {
    StatusOr<NitroVerification> v =
        VerifyNitroEvidence(doc, {.pinned_roots = {root}, .allow_debug = allow_debug});
    EXPECT_TRUE(v.ok());
    return v.ok() ? *std::move(v) : NitroVerification{};
  }
  const std::vector<Bytes> measured_ = {Bytes(48, 0xa0), Bytes(48, 0xa1), Bytes(48, 0xa2)};
  const Ca root_ = MakeCa("root", nullptr);
  const Ca int1_ = MakeCa("intermediate 1", &root_);
  const Ca int2_ = MakeCa("intermediate 2", &int1_);
  const Ca leaf_ = MakeCa("leaf", &int2_, crypto::CertificateRole::kLeaf);
};

TEST_F(NitroHardeningTest, OrderedBundleVerifies) {
  const NitroVerification v = Verify(BuildDocument(leaf_, {root_.der, int1_.der, int2_.der}, measured_), root_.der);
  EXPECT_TRUE(v.verified()) << v.report.ToStatus().ToString();
  EXPECT_TRUE(Find(v.report, kCheckCabundleOrder)->passed);
  EXPECT_TRUE(Find(v.report, kCheckNotDebugMode)->passed);
}

// OpenSSL builds the path whatever the order, so only CABUNDLE_ORDER sees these.
TEST_F(NitroHardeningTest, MisorderedOrPaddedBundleIsRefused) {
  NitroVerification v = Verify(BuildDocument(leaf_, {root_.der, int2_.der, int1_.der}, measured_), root_.der);
  EXPECT_TRUE(Find(v.report, kCheckChainValidAtTime)->passed);
  EXPECT_EQ(Find(v.report, kCheckCabundleOrder)->code, "VERIFICATION_FAILED");
  EXPECT_FALSE(v.verified());

  // A CA issued by the last intermediate but not the leaf's issuer, appended.
  const Ca stray = MakeCa("stray", &int2_);
  v = Verify(BuildDocument(leaf_, {root_.der, int1_.der, int2_.der, stray.der}, measured_), root_.der);
  EXPECT_TRUE(Find(v.report, kCheckChainValidAtTime)->passed);
  EXPECT_NE(Find(v.report, kCheckCabundleOrder)->detail.find("certificate is not issued by cabundle[3]"), std::string::npos)
      << Find(v.report, kCheckCabundleOrder)->detail;
  EXPECT_FALSE(v.verified());
}

TEST_F(NitroHardeningTest, BundleEntriesMustBeDistinctCas) {
  // A CA named like intermediate 1, issued by intermediate 2, signing the leaf.
  const Ca again = MakeCa("intermediate 1", &int2_);
  const Ca leaf = MakeCa("leaf", &again, crypto::CertificateRole::kLeaf);
  NitroVerification v = Verify(BuildDocument(leaf, {root_.der, int1_.der, int2_.der, again.der}, measured_),
                               root_.der);
  EXPECT_NE(Find(v.report, kCheckCabundleOrder)->detail.find("repeats the subject"), std::string::npos)
      << Find(v.report, kCheckCabundleOrder)->detail;
  EXPECT_FALSE(v.verified());
  // A leaf certificate in the bundle: not a CA.
  v = Verify(BuildDocument(leaf_, {root_.der, int1_.der, leaf_.der}, measured_), root_.der);
  EXPECT_NE(Find(v.report, kCheckCabundleOrder)->detail.find("cabundle[2] is not a CA"), std::string::npos)
      << Find(v.report, kCheckCabundleOrder)->detail;
  EXPECT_FALSE(v.verified());
  // cabundle[0] must be the (self-issued) root, even when the caller pins another CA.
  v = Verify(BuildDocument(leaf_, {int1_.der, int2_.der}, measured_), int1_.der);
  EXPECT_TRUE(Find(v.report, kCheckRootPinned)->passed);
  EXPECT_NE(Find(v.report, kCheckCabundleOrder)->detail.find("not a self-issued root"), std::string::npos)
      << Find(v.report, kCheckCabundleOrder)->detail;
  EXPECT_FALSE(v.verified());
}

TEST_F(NitroHardeningTest, BundleLengthIsOneToEight) {
  NitroVerification v = Verify(BuildDocument(leaf_, {}, measured_), root_.der);
  EXPECT_FALSE(Find(v.report, kCheckPayloadFields)->passed);
  std::vector<Bytes> nine = {root_.der, int1_.der, int2_.der};
  while (nine.size() <= kNitroMaxCabundle) nine.push_back(int2_.der);
  v = Verify(BuildDocument(leaf_, nine, measured_), root_.der);
  EXPECT_FALSE(Find(v.report, kCheckPayloadFields)->passed);
  EXPECT_FALSE(v.verified());
}

TEST_F(NitroHardeningTest, DebugModeDocumentsNeedAllowDebug) {
  const Bytes debug = BuildDocument(leaf_, {root_.der, int1_.der, int2_.der}, {});
  NitroVerification v = Verify(debug, root_.der);
  EXPECT_FALSE(v.verified());
  const EvidenceCheck* check = Find(v.report, kCheckNotDebugMode);
  EXPECT_EQ(check->code, "VERIFICATION_FAILED");
  EXPECT_NE(check->detail.find("debug-mode"), std::string::npos) << check->detail;
  EXPECT_TRUE(Find(v.report, kCheckSignature)->passed);  // only the mode is wrong
  v = Verify(debug, root_.der, /*allow_debug=*/true);
  EXPECT_TRUE(v.verified()) << v.report.ToStatus().ToString();
  EXPECT_NE(Find(v.report, kCheckNotDebugMode)->detail.find("accepted"), std::string::npos);
  // One non-zero PCR among 0..2 is not debug mode.
  const Bytes partly = BuildDocument(leaf_, {root_.der, int1_.der, int2_.der},
                                     {Bytes(48, 0), Bytes(48, 0), Bytes(48, 1)});
  EXPECT_TRUE(Verify(partly, root_.der).verified());
}

TEST(EvidenceReportTest, VerifiedOnlyWhenEveryCheckPassed) {
  EvidenceReport report;
  EXPECT_FALSE(report.verified());
  EXPECT_EQ(report.ToStatus().code(), StatusCode::kVerificationFailed);
  report.Pass("A", "fine");
  EXPECT_TRUE(report.verified());
  EXPECT_TRUE(report.ToStatus().ok());
  report.Fail("B", LimitExceededError("too big"));
  report.NotRun("C", "B");
  EXPECT_FALSE(report.verified());
  EXPECT_EQ(report.ToStatus(), LimitExceededError("B: too big"));
  EXPECT_EQ(report.checks[2].detail, "not run: B failed");
  EXPECT_EQ(FormatUnixMillis(kDocTimestampMs), "2024-09-07T14:37:39.545Z");  // index.json timestamp_utc
  EXPECT_EQ(FormatUnixMillis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatUnixMillis(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_FALSE(FormatUnixMillis(INT64_MIN).empty());  // no overflow (UBSan)
  EXPECT_FALSE(FormatUnixMillis(INT64_MAX).empty());
}

}  // namespace
}  // namespace eml::attest

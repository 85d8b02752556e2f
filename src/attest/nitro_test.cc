// The Nitro verifier against the real AWS document in ../shared/vectors/nitro
// (expected values from its independently decoded index.json): it verifies
// at its own time, is rejected at today's time and by maximum age, and every
// single-byte change and every truncation is rejected.
#include "attest/nitro.h"

#include <gtest/gtest.h>

#include "core/clock.h"
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
                                                      "SIGNATURE", "CHAIN_VALID_AT_TIME"}));
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
  EXPECT_EQ(Ids(v.report).size(), 7u);
  EXPECT_TRUE(Find(v.report, kCheckChainValidAtTime)->passed);  // at the document's time
  EXPECT_TRUE(Find(v.report, kCheckNotFuture)->passed);
  EXPECT_EQ(Find(v.report, kCheckMaxAge)->code, "VERIFICATION_FAILED");

  FakeClock just_after(kDocTimestampMs + five_minutes);
  EXPECT_TRUE(Verify({.pinned_roots = {root_}, .clock = &just_after, .max_age_millis = five_minutes}).verified());
  just_after.AdvanceMillis(1);
  EXPECT_FALSE(Verify({.pinned_roots = {root_}, .clock = &just_after, .max_age_millis = five_minutes}).verified());

  // Without a maximum age only NOT_FUTURE runs: up to 60 s ahead is accepted.
  FakeClock behind(kDocTimestampMs - 60'000);
  v = Verify({.pinned_roots = {root_}, .clock = &behind});
  EXPECT_TRUE(v.verified()) << v.report.ToStatus().ToString();
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
  ASSERT_EQ(v.report.checks.size(), 7u);
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
  const std::vector<ByteSpan> many(kNitroMaxPinnedRoots + 1, ByteSpan(root_));
  EXPECT_EQ(VerifyNitroEvidence(doc_, {.pinned_roots = many}).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(NitroTest, RejectsOversizeDocument) {
  const Bytes big(kNitroMaxDocumentSize + 1, 0);
  EXPECT_EQ(ParseNitroDocument(big).status().code(), StatusCode::kLimitExceeded);
  const NitroVerification v = Verify(big, {.pinned_roots = {root_}});
  EXPECT_EQ(v.report.checks[0].code, "LIMIT_EXCEEDED");
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

// The TDX verifier against the real v4 quote and collateral in
// ../shared/vectors/tdx (expected field values from its independently decoded
// index.json and SOURCES.md, times from the collateral as `openssl crl` and
// the JSON show them), plus unit tests of the TCB rules, the v5 layout and
// CRL handling (fixtures made by testdata/tdx/make_crl_fixtures.py).
#include "attest/tdx.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "crypto/hash.h"
#include "crypto/x509_crl.h"
#include "crypto/x509_ext.h"
#include "tests/testing.h"

namespace eml::attest {
namespace {

using eml::testing::Hex;
using eml::testing::ReadFileOrFail;
using eml::testing::ReadJsonOrFail;
using eml::testing::ReadTextOrFail;
using eml::testing::SharedPath;

constexpr char kQuote[] = "vectors/tdx/dcap-qvl_tdx_quote_v4.dat";
constexpr char kCollateral[] = "vectors/tdx/dcap-qvl_tdx_quote_v4.collateral.json";
constexpr char kRoot[] = "vectors/tdx/intel_sgx_root_ca.der";
constexpr char kIndex[] = "vectors/tdx/index.json";
constexpr char kOtherRoot[] = "vectors/nitro/aws_nitro_root_ca.der";

// The collateral window is [latest issue, earliest nextUpdate):
//   QE identity issueDate   2025-06-19T10:32:27Z (latest issueDate/thisUpdate)
//   PCK CRL nextUpdate      2025-07-19T10:00:35Z (earliest; `openssl crl`)
//   TCB info nextUpdate     2025-07-19T10:16:03Z
//   QE identity nextUpdate  2025-07-19T10:32:27Z
// and the PCK chain is valid 2025-02-06 .. 2032-02-06 (SOURCES.md).
constexpr int64_t kInWindow = 1751328000;          // 2025-07-01T00:00:00Z
constexpr int64_t kWindowStart = 1750329147;       // 2025-06-19T10:32:27Z
constexpr int64_t kPckCrlNextUpdate = 1752919235;  // 2025-07-19T10:00:35Z
constexpr int64_t kTcbInfoNextUpdate = 1752920163; // 2025-07-19T10:16:03Z
constexpr int64_t kQeIdNextUpdate = 1752921147;    // 2025-07-19T10:32:27Z
constexpr size_t kSignatureDataEnd = 48 + 584 + 4 + 4300;  // index.json sig_data_len

const std::vector<std::string> kAllChecks = {
    "TDX_QUOTE_FORMAT",       "TDX_PCK_ROOT_PINNED",       "TDX_PCK_CHAIN",
    "TDX_PCK_REVOCATION",     "TDX_QE_REPORT_SIGNATURE",   "TDX_QE_REPORT_DATA",
    "TDX_QUOTE_SIGNATURE",    "TDX_TCB_INFO_SIGNATURE",    "TDX_TCB_INFO_VALID",
    "TDX_QE_IDENTITY_SIGNATURE", "TDX_QE_IDENTITY_VALID",  "TDX_QE_IDENTITY",
    "TDX_PCK_PLATFORM",       "TDX_MODULE_IDENTITY",       "TDX_TCB_STATUS",
    "TDX_TD_ATTRIBUTES"};

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

std::string CodeOf(const EvidenceReport& report, std::string_view id) {
  const EvidenceCheck* c = Find(report, id);
  return c == nullptr ? "MISSING" : c->code;
}

std::string FirstFailed(const EvidenceReport& report) {
  for (const EvidenceCheck& c : report.checks) {
    if (!c.passed) return c.id;
  }
  return "";
}

template <size_t N>
std::string HexOf(const std::array<uint8_t, N>& a) {
  return HexEncode(a);
}

// TD_ATTRIBUTES etc. are little-endian u64 in the quote; index.json has bytes.
std::string LeHex(uint64_t v) {
  Bytes b(8);
  for (size_t i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  return HexEncode(b);
}

class TdxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<TdxCollateral> parsed = ParseTdxCollateralJson(collateral_text_);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    collateral_ = *std::move(parsed);
    ASSERT_EQ(quote_.size(), 5006u);
  }

  TdxVerifyOptions Options(int64_t at = kInWindow) const {
    return {.pinned_roots = {root_}, .at_unix_seconds = at};
  }

  TdxVerification Verify(ByteSpan quote, const TdxVerifyOptions& options) const {
    return Verify(quote, collateral_, options);
  }
  TdxVerification Verify(ByteSpan quote, const TdxCollateral& collateral,
                         const TdxVerifyOptions& options) const {
    StatusOr<TdxVerification> v = VerifyTdxQuote(quote, collateral, options);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *std::move(v) : TdxVerification{};
  }

  // The collateral JSON with `key`'s string value passed through `edit`.
  TdxCollateral EditedCollateral(const char* key,
                                 const std::function<void(std::string*)>& edit) const {
    nlohmann::json j = nlohmann::json::parse(collateral_text_);
    std::string value = j[key].get<std::string>();
    edit(&value);
    j[key] = value;
    StatusOr<TdxCollateral> parsed = ParseTdxCollateralJson(j.dump());
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    return parsed.ok() ? *std::move(parsed) : TdxCollateral{};
  }

  const Bytes quote_ = ReadFileOrFail(SharedPath(kQuote));
  const std::string collateral_text_ = ReadTextOrFail(SharedPath(kCollateral));
  const Bytes root_ = ReadFileOrFail(SharedPath(kRoot));
  TdxCollateral collateral_;
};

// ---- The real quote ----------------------------------------------------------------

TEST_F(TdxTest, RealQuoteParsesToItsIndexedFields) {
  const nlohmann::json index = ReadJsonOrFail(SharedPath(kIndex))[0];
  ASSERT_EQ(index["file"], "dcap-qvl_tdx_quote_v4.dat");
  StatusOr<TdxQuote> q = ParseTdxQuote(quote_);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->header.version, 4);
  EXPECT_EQ(q->header.att_key_type, 2);
  EXPECT_EQ(q->header.tee_type, 0x81u);
  EXPECT_EQ(HexOf(q->header.qe_vendor_id), index["header"]["qe_vendor_id"]);
  EXPECT_EQ(HexOf(q->header.user_data), index["header"]["user_data"]);
  const nlohmann::json& body = index["body"];
  EXPECT_EQ(HexOf(q->body.tee_tcb_svn), body["tee_tcb_svn"]);
  EXPECT_EQ(HexOf(q->body.mr_seam), body["mr_seam"]);
  EXPECT_EQ(HexOf(q->body.mr_signer_seam), body["mr_signer_seam"]);
  EXPECT_EQ(LeHex(q->body.seam_attributes), body["seam_attributes"]);
  EXPECT_EQ(LeHex(q->body.td_attributes), body["td_attributes"]);
  EXPECT_EQ(LeHex(q->body.xfam), body["xfam"]);
  EXPECT_EQ(HexOf(q->body.mr_td), body["mr_td"]);
  EXPECT_EQ(HexOf(q->body.mr_config_id), body["mr_config_id"]);
  EXPECT_EQ(HexOf(q->body.mr_owner), body["mr_owner"]);
  EXPECT_EQ(HexOf(q->body.mr_owner_config), body["mr_owner_config"]);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(HexOf(q->body.rtmr[i]), body["rtmr" + std::to_string(i)]) << i;
  }
  EXPECT_EQ(HexOf(q->body.report_data), body["report_data"]);
  EXPECT_FALSE(q->body.tee_tcb_svn_2.has_value());
  EXPECT_FALSE(q->body.mr_service_td.has_value());
  EXPECT_EQ(q->signed_data, Bytes(quote_.begin(), quote_.begin() + 48 + 584));
  EXPECT_EQ(HexOf(q->qe_report.mr_enclave), index["qe_report"]["mrenclave"]);
  EXPECT_EQ(HexOf(q->qe_report.mr_signer), index["qe_report"]["mrsigner"]);
  EXPECT_EQ(q->qe_report.isv_prod_id, index["qe_report"]["isv_prod_id"]);
  EXPECT_EQ(q->qe_report.isv_svn, index["qe_report"]["isv_svn"]);
  EXPECT_EQ(HexOf(q->qe_report.report_data), index["qe_report"]["report_data"]);
  EXPECT_EQ(q->qe_report_raw.size(), 384u);
  EXPECT_EQ(q->qe_auth_data.size(), index["qe_auth_data_len"]);
  EXPECT_EQ(q->pck_chain_der.size(), index["pck_chain_pem_count"]);
  EXPECT_EQ(q->trailing_zeros, index["trailing_bytes"]);
  EXPECT_EQ(HexEncode(crypto::Sha256(q->pck_chain_der[2])), index["root_cert_sha256"]);
  EXPECT_EQ(q->pck_chain_der[2], root_);
}

// Expected status, worked out from the collateral by hand (Intel QVL's
// algorithm, docs/attestation-tdx.md): the PCK leaf's SGX TCB is
// 03 03 02 02 04 01 00 05 00.. with PCESVN 11 (`openssl asn1parse` of the
// extension), at or above level 0's sgxtcbcomponents 02 02 02 02 03 01 00 05
// 00.. and pcesvn 11. TEE_TCB_SVN 06 01 03 00..: byte 1 (module major 1) is
// not 0, so components 0-1 are left to the module identity and 03 >= 02 and
// 0 >= 0 for the rest of level 0's tdxtcbcomponents: level 0, "UpToDate", no
// advisories. Module identity TDX_01: SVN 6 >= level isvsvn 4 "UpToDate". QE
// identity TD_QE: ISVSVN 6 >= level 4 "UpToDate". Converged: UpToDate, which
// dcap-qvl's own test expects for this quote too (SOURCES.md).
TEST_F(TdxTest, RealQuoteVerifiesUpToDateInsideTheCollateralWindow) {
  const TdxVerification v = Verify(quote_, Options());
  ASSERT_TRUE(v.verified()) << v.report.ToStatus().ToString();
  EXPECT_EQ(Ids(v.report), kAllChecks);
  for (const EvidenceCheck& c : v.report.checks) {
    EXPECT_EQ(c.code, "OK") << c.id;
    EXPECT_FALSE(c.detail.empty()) << c.id;
  }
  ASSERT_TRUE(v.tcb_status.has_value());
  EXPECT_EQ(*v.tcb_status, TdxTcbStatus::kUpToDate);
  EXPECT_TRUE(v.advisory_ids.empty());
  EXPECT_EQ(v.matched_root, 0u);
  ASSERT_TRUE(v.quote.has_value());
  EXPECT_EQ(HexOf(v.quote->body.mr_td), ReadJsonOrFail(SharedPath(kIndex))[0]["body"]["mr_td"]);
}

TEST_F(TdxTest, VerifiesAtBothEndsOfTheWindow) {
  EXPECT_TRUE(Verify(quote_, Options(kWindowStart)).verified());
  EXPECT_TRUE(Verify(quote_, Options(kPckCrlNextUpdate - 1)).verified());
}

TEST_F(TdxTest, ExpiredCollateralFails) {
  // At the PCK CRL's nextUpdate the CRL has expired.
  TdxVerification v = Verify(quote_, Options(kPckCrlNextUpdate));
  EXPECT_FALSE(v.verified());
  EXPECT_EQ(FirstFailed(v.report), "TDX_PCK_REVOCATION");
  EXPECT_NE(Find(v.report, "TDX_PCK_REVOCATION")->detail.find("expired"), std::string::npos);
  EXPECT_EQ(CodeOf(v.report, "TDX_TCB_INFO_VALID"), "OK");
  // After the TCB info's nextUpdate it is expired too.
  v = Verify(quote_, Options(kTcbInfoNextUpdate));
  EXPECT_EQ(CodeOf(v.report, "TDX_TCB_INFO_VALID"), "VERIFICATION_FAILED");
  EXPECT_EQ(CodeOf(v.report, "TDX_PCK_PLATFORM"), "NOT_RUN");
  EXPECT_EQ(CodeOf(v.report, "TDX_TCB_STATUS"), "NOT_RUN");
  EXPECT_EQ(CodeOf(v.report, "TDX_QE_IDENTITY_VALID"), "OK");
  v = Verify(quote_, Options(kQeIdNextUpdate));
  EXPECT_EQ(CodeOf(v.report, "TDX_QE_IDENTITY_VALID"), "VERIFICATION_FAILED");
  EXPECT_EQ(CodeOf(v.report, "TDX_QE_IDENTITY"), "NOT_RUN");
  // A year later; and before the QE identity was issued.
  EXPECT_FALSE(Verify(quote_, Options(kInWindow + 365 * 86400)).verified());
  v = Verify(quote_, Options(kWindowStart - 1));
  EXPECT_FALSE(v.verified());
  EXPECT_EQ(FirstFailed(v.report), "TDX_QE_IDENTITY_VALID");
}

TEST_F(TdxTest, EverySingleByteChangeFails) {
  Bytes mutated = quote_;
  size_t passed = 0;
  for (size_t i = 0; i < mutated.size(); ++i) {
    mutated[i] ^= 0x01;
    const TdxVerification v = Verify(mutated, Options());
    if (v.verified()) {
      ++passed;
      ADD_FAILURE() << "flipping bit 0 of byte " << i << " still verified";
    }
    mutated[i] ^= 0x01;
  }
  EXPECT_EQ(passed, 0u);
  EXPECT_EQ(mutated, quote_);
}

// Outside the PEM text (whose bytes the bit-0 flips cover well enough):
// every byte of the binary structure and the padding set to 0xff (or 0x00).
TEST_F(TdxTest, EveryBinaryByteChangedToFfOrZeroFails) {
  const size_t pem_begin = 48 + 584 + 4 + 128 + 6 + 384 + 64 + 2 + 32 + 6;
  const size_t pem_end = kSignatureDataEnd - 1;  // the PEM's NUL terminator is checked
  Bytes mutated = quote_;
  for (size_t i = 0; i < mutated.size(); ++i) {
    if (i == pem_begin) i = pem_end;
    const uint8_t original = mutated[i];
    mutated[i] = original == 0xff ? 0x00 : 0xff;
    EXPECT_FALSE(Verify(mutated, Options()).verified()) << "byte " << i;
    mutated[i] = original;
  }
}

// Every cut inside the quote proper is rejected by the parser (and the
// verifier). Cuts inside the 70 bytes of zero padding leave the whole quote:
// the padding is not part of it, so those still verify.
TEST_F(TdxTest, TruncationsAreRejectedWithoutCrash) {
  for (size_t len = 0; len < kSignatureDataEnd; ++len) {
    const ByteSpan cut(quote_.data(), len);
    EXPECT_FALSE(ParseTdxQuote(cut).ok()) << len;
    // The verifier parses with ParseTdxQuote; every 5th length (and the last
    // ones) goes through it too, to keep the test quick under sanitizers.
    if (len % 5 != 0 && len + 16 < kSignatureDataEnd) continue;
    const TdxVerification v = Verify(cut, Options());
    EXPECT_FALSE(v.verified()) << len;
    EXPECT_EQ(FirstFailed(v.report), "TDX_QUOTE_FORMAT") << len;
    EXPECT_EQ(v.report.checks.size(), kAllChecks.size()) << len;
  }
  for (size_t len = kSignatureDataEnd; len <= quote_.size(); len += 7) {
    StatusOr<TdxQuote> q = ParseTdxQuote(ByteSpan(quote_.data(), len));
    ASSERT_TRUE(q.ok()) << len;
    EXPECT_EQ(q->trailing_zeros, len - kSignatureDataEnd);
  }
}

TEST_F(TdxTest, FailedQuoteFormatLeavesEveryQuoteCheckNotRun) {
  const TdxVerification v = Verify(ByteSpan(quote_.data(), 100), Options());
  EXPECT_EQ(Ids(v.report), kAllChecks);
  for (const char* id : {"TDX_PCK_ROOT_PINNED", "TDX_PCK_CHAIN", "TDX_PCK_REVOCATION",
                         "TDX_QE_REPORT_SIGNATURE", "TDX_QE_REPORT_DATA", "TDX_QUOTE_SIGNATURE",
                         "TDX_QE_IDENTITY", "TDX_PCK_PLATFORM", "TDX_MODULE_IDENTITY",
                         "TDX_TCB_STATUS", "TDX_TD_ATTRIBUTES"}) {
    EXPECT_EQ(CodeOf(v.report, id), "NOT_RUN") << id;
  }
  // The collateral is judged on its own.
  for (const char* id : {"TDX_TCB_INFO_SIGNATURE", "TDX_TCB_INFO_VALID",
                         "TDX_QE_IDENTITY_SIGNATURE", "TDX_QE_IDENTITY_VALID"}) {
    EXPECT_EQ(CodeOf(v.report, id), "OK") << id;
  }
  EXPECT_EQ(CodeOf(v.report, "TDX_QUOTE_FORMAT"), "OUT_OF_RANGE");
}

// ---- Collateral and roots ------------------------------------------------------------

TEST_F(TdxTest, TamperedTcbInfoFailsItsSignature) {
  // A byte of the signed text: level 0's pcesvn 11 becomes 10.
  const TdxCollateral c = EditedCollateral("tcb_info", [](std::string* s) {
    const size_t at = s->find("\"pcesvn\":11");
    ASSERT_NE(at, std::string::npos);
    (*s)[at + 10] = '0';
  });
  const TdxVerification v = Verify(quote_, c, Options());
  EXPECT_FALSE(v.verified());
  EXPECT_EQ(FirstFailed(v.report), "TDX_TCB_INFO_SIGNATURE");
  EXPECT_EQ(CodeOf(v.report, "TDX_TCB_INFO_SIGNATURE"), "VERIFICATION_FAILED");
  EXPECT_EQ(CodeOf(v.report, "TDX_TCB_INFO_VALID"), "NOT_RUN");
  EXPECT_EQ(CodeOf(v.report, "TDX_TCB_STATUS"), "NOT_RUN");
  EXPECT_FALSE(v.tcb_status.has_value());
  // Insignificant whitespace counts too: the signature covers the exact text.
  const TdxCollateral spaced = EditedCollateral("tcb_info", [](std::string* s) { *s += " "; });
  EXPECT_EQ(FirstFailed(Verify(quote_, spaced, Options()).report), "TDX_TCB_INFO_SIGNATURE");
}

TEST_F(TdxTest, TamperedQeIdentityAndSignaturesFail) {
  const TdxCollateral qe = EditedCollateral("qe_identity", [](std::string* s) {
    const size_t at = s->find("\"isvprodid\":2");
    ASSERT_NE(at, std::string::npos);
    (*s)[at + 12] = '3';
  });
  TdxVerification v = Verify(quote_, qe, Options());
  EXPECT_EQ(FirstFailed(v.report), "TDX_QE_IDENTITY_SIGNATURE");
  EXPECT_EQ(CodeOf(v.report, "TDX_QE_IDENTITY"), "NOT_RUN");
  for (const char* key : {"tcb_info_signature", "qe_identity_signature"}) {
    const TdxCollateral sig = EditedCollateral(key, [](std::string* s) {
      (*s)[10] = (*s)[10] == '0' ? '1' : '0';
    });
    v = Verify(quote_, sig, Options());
    EXPECT_FALSE(v.verified()) << key;
    EXPECT_EQ(FirstFailed(v.report), key == std::string("tcb_info_signature")
                                         ? "TDX_TCB_INFO_SIGNATURE"
                                         : "TDX_QE_IDENTITY_SIGNATURE");
  }
}

TEST_F(TdxTest, TamperedCrlsFailRevocation) {
  // The last hex digit lies in the CRL's signature value (DER INTEGER s).
  for (const char* key : {"pck_crl", "root_ca_crl"}) {
    const TdxCollateral c = EditedCollateral(key, [](std::string* s) {
      s->back() = s->back() == '0' ? '1' : '0';
    });
    const TdxVerification v = Verify(quote_, c, Options());
    EXPECT_FALSE(v.verified()) << key;
    EXPECT_EQ(FirstFailed(v.report), "TDX_PCK_REVOCATION") << key;
  }
  // Swapping the two CRLs: each is then judged against the wrong issuer.
  TdxCollateral swapped = collateral_;
  std::swap(swapped.pck_crl_der, swapped.root_ca_crl_der);
  EXPECT_EQ(FirstFailed(Verify(quote_, swapped, Options()).report), "TDX_PCK_REVOCATION");
}

TEST_F(TdxTest, WrongRootFails) {
  const Bytes other = ReadFileOrFail(SharedPath(kOtherRoot));
  TdxVerification v = Verify(quote_, {.pinned_roots = {other}, .at_unix_seconds = kInWindow});
  EXPECT_FALSE(v.verified());
  EXPECT_EQ(FirstFailed(v.report), "TDX_PCK_ROOT_PINNED");
  EXPECT_EQ(CodeOf(v.report, "TDX_PCK_CHAIN"), "NOT_RUN");
  EXPECT_EQ(CodeOf(v.report, "TDX_TCB_INFO_SIGNATURE"), "VERIFICATION_FAILED");
  EXPECT_EQ(CodeOf(v.report, "TDX_QE_IDENTITY_SIGNATURE"), "VERIFICATION_FAILED");
  EXPECT_FALSE(v.matched_root.has_value());
  // The Intel root as a second candidate is found and used.
  v = Verify(quote_, {.pinned_roots = {other, root_}, .at_unix_seconds = kInWindow});
  EXPECT_TRUE(v.verified()) << v.report.ToStatus().ToString();
  EXPECT_EQ(v.matched_root, 1u);
}

TEST_F(TdxTest, CollateralChainsMustBeTcbSigningAndRoot) {
  // The PCK CRL issuer chain (Platform CA, root) signs no collateral.
  TdxCollateral c = collateral_;
  c.tcb_info_issuer_chain_der = c.pck_crl_issuer_chain_der;
  EXPECT_EQ(FirstFailed(Verify(quote_, c, Options()).report), "TDX_TCB_INFO_SIGNATURE");
  c = collateral_;
  c.qe_identity_issuer_chain_der.pop_back();
  EXPECT_EQ(FirstFailed(Verify(quote_, c, Options()).report), "TDX_QE_IDENTITY_SIGNATURE");
}

TEST_F(TdxTest, TcbStatusPolicy) {
  // A status outside the accepted list fails TDX_TCB_STATUS but is reported.
  TdxVerifyOptions options = Options();
  options.accepted_tcb_statuses = {"SWHardeningNeeded"};
  const TdxVerification v = Verify(quote_, options);
  EXPECT_FALSE(v.verified());
  EXPECT_EQ(FirstFailed(v.report), "TDX_TCB_STATUS");
  EXPECT_EQ(v.tcb_status, TdxTcbStatus::kUpToDate);
  options.accepted_tcb_statuses = {"UpToDate", "SWHardeningNeeded"};
  EXPECT_TRUE(Verify(quote_, options).verified());
}

TEST_F(TdxTest, InvalidOptionsAreAnError) {
  const TdxVerifyOptions bad[] = {
      {.pinned_roots = {}, .at_unix_seconds = kInWindow},
      {.pinned_roots = {root_}, .at_unix_seconds = 0},
      {.pinned_roots = {root_}, .at_unix_seconds = kInWindow, .accepted_tcb_statuses = {}},
      {.pinned_roots = {root_}, .at_unix_seconds = kInWindow, .accepted_tcb_statuses = {"Revoked"}},
      {.pinned_roots = {root_}, .at_unix_seconds = kInWindow, .accepted_tcb_statuses = {"Fine"}},
  };
  for (const TdxVerifyOptions& options : bad) {
    EXPECT_EQ(VerifyTdxQuote(quote_, collateral_, options).status().code(),
              StatusCode::kInvalidArgument);
  }
}

// ---- TD attributes --------------------------------------------------------------------

TEST_F(TdxTest, DebugTdIsRefusedUnlessAllowed) {
  StatusOr<TdxQuote> q = ParseTdxQuote(quote_);
  ASSERT_TRUE(q.ok());
  TdReportBody body = q->body;
  EXPECT_TRUE(CheckTdAttributes(body, /*allow_debug=*/false).passed);
  body.td_attributes |= kTdAttributeDebug;
  const EvidenceCheck refused = CheckTdAttributes(body, /*allow_debug=*/false);
  EXPECT_EQ(refused.id, "TDX_TD_ATTRIBUTES");
  EXPECT_FALSE(refused.passed);
  EXPECT_EQ(refused.code, "VERIFICATION_FAILED");
  EXPECT_NE(refused.detail.find("DEBUG"), std::string::npos);
  EXPECT_TRUE(CheckTdAttributes(body, /*allow_debug=*/true).passed);
  // In the quote, bit 0 of TD_ATTRIBUTES is byte 48 + 120: setting it breaks
  // the quote signature, so the attribute check is not run at all.
  Bytes debug = quote_;
  debug[48 + 120] |= 0x01;
  StatusOr<TdxQuote> parsed = ParseTdxQuote(debug);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->body.td_attributes & kTdAttributeDebug, kTdAttributeDebug);
  const TdxVerification v = Verify(debug, Options());
  EXPECT_EQ(CodeOf(v.report, "TDX_QUOTE_SIGNATURE"), "VERIFICATION_FAILED");
  EXPECT_EQ(CodeOf(v.report, "TDX_TD_ATTRIBUTES"), "NOT_RUN");
}

// ---- Quote layout rules -------------------------------------------------------------

Bytes WithU16(Bytes b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v);
  b[at + 1] = static_cast<uint8_t>(v >> 8);
  return b;
}

TEST_F(TdxTest, HeaderRules) {
  EXPECT_EQ(ParseTdxQuote(WithU16(quote_, 0, 3)).status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(ParseTdxQuote(WithU16(quote_, 0, 6)).status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(ParseTdxQuote(WithU16(quote_, 2, 3)).status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(ParseTdxQuote(WithU16(quote_, 4, 0)).status().code(), StatusCode::kUnsupported);
  Bytes vendor = quote_;
  vendor[12] ^= 0x01;
  EXPECT_EQ(ParseTdxQuote(vendor).status().code(), StatusCode::kUnsupported);
}

TEST_F(TdxTest, SignatureDataRules) {
  // Certification data type (offset 48+584+4+128) must be 6.
  const size_t cert_type_at = 48 + 584 + 4 + 128;
  EXPECT_EQ(ParseTdxQuote(WithU16(quote_, cert_type_at, 5)).status().code(),
            StatusCode::kUnsupported);
  // Inner type (after QE report, its signature, auth size and 32 auth bytes) must be 5.
  const size_t inner_type_at = cert_type_at + 6 + 384 + 64 + 2 + 32;
  EXPECT_EQ(ParseTdxQuote(WithU16(quote_, inner_type_at, 6)).status().code(),
            StatusCode::kUnsupported);
  // A signature data size one larger takes in a padding byte: the type-6
  // data no longer fills it.
  Bytes longer = quote_;
  longer[48 + 584] += 1;
  EXPECT_FALSE(ParseTdxQuote(longer).ok());
  // Non-zero padding, and too much padding.
  Bytes padded = quote_;
  padded.back() = 1;
  EXPECT_EQ(ParseTdxQuote(padded).status().code(), StatusCode::kInvalidArgument);
  padded = quote_;
  padded.resize(kSignatureDataEnd + kTdxMaxTrailingZeros + 1, 0);
  EXPECT_EQ(ParseTdxQuote(padded).status().code(), StatusCode::kLimitExceeded);
  padded.pop_back();
  EXPECT_TRUE(ParseTdxQuote(padded).ok());
  Bytes huge(kTdxMaxQuoteSize + 1, 0);
  EXPECT_EQ(ParseTdxQuote(huge).status().code(), StatusCode::kLimitExceeded);
}

// A v5 quote built from the v4 one: version 5, then the body descriptor
// (type u16, size u32) before the body; the rest unchanged. The signature
// cannot verify (Intel signed the v4 bytes): parsing and size rules only.
Bytes V5From(const Bytes& v4, uint16_t type, uint32_t size, const Bytes& extra_body = {}) {
  Bytes v5 = WithU16(Bytes(v4.begin(), v4.begin() + 48), 0, 5);
  ByteWriter w;
  w.PutBytes(v5);
  w.PutU8(static_cast<uint8_t>(type));
  w.PutU8(static_cast<uint8_t>(type >> 8));
  w.PutU32Le(size);
  w.PutBytes(ByteSpan(v4.data() + 48, 584));
  w.PutBytes(extra_body);
  w.PutBytes(ByteSpan(v4.data() + 48 + 584, v4.size() - 48 - 584));
  return w.Take();
}

TEST_F(TdxTest, V5Td10BodyParses) {
  const Bytes v5 = V5From(quote_, kTdxBodyTypeTd10, 584);
  StatusOr<TdxQuote> q = ParseTdxQuote(v5);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  StatusOr<TdxQuote> v4 = ParseTdxQuote(quote_);
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(q->header.version, 5);
  EXPECT_EQ(q->body_type, kTdxBodyTypeTd10);
  EXPECT_EQ(q->body.mr_td, v4->body.mr_td);
  EXPECT_EQ(q->body.rtmr, v4->body.rtmr);
  EXPECT_EQ(q->body.report_data, v4->body.report_data);
  EXPECT_FALSE(q->body.tee_tcb_svn_2.has_value());
  // What the attestation key signs: header, descriptor and body.
  EXPECT_EQ(q->signed_data, Bytes(v5.begin(), v5.begin() + 48 + 6 + 584));
  EXPECT_EQ(q->pck_chain_der, v4->pck_chain_der);
  EXPECT_EQ(q->trailing_zeros, 70u);
  const TdxVerification v = Verify(v5, Options());
  EXPECT_EQ(CodeOf(v.report, "TDX_QUOTE_FORMAT"), "OK");
  EXPECT_EQ(CodeOf(v.report, "TDX_QUOTE_SIGNATURE"), "VERIFICATION_FAILED");
  EXPECT_FALSE(v.verified());
}

TEST_F(TdxTest, V5Td15BodyParses) {
  Bytes extra(64);
  for (size_t i = 0; i < extra.size(); ++i) extra[i] = static_cast<uint8_t>(0xa0 + i);
  const Bytes v5 = V5From(quote_, kTdxBodyTypeTd15, 648, extra);
  StatusOr<TdxQuote> q = ParseTdxQuote(v5);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->body_type, kTdxBodyTypeTd15);
  ASSERT_TRUE(q->body.tee_tcb_svn_2.has_value());
  ASSERT_TRUE(q->body.mr_service_td.has_value());
  EXPECT_EQ(HexOf(*q->body.tee_tcb_svn_2), HexEncode(ByteSpan(extra).first(16)));
  EXPECT_EQ(HexOf(*q->body.mr_service_td), HexEncode(ByteSpan(extra).last(48)));
  EXPECT_EQ(q->signed_data.size(), 48u + 6 + 648);
}

TEST_F(TdxTest, V5BodyDescriptorRules) {
  EXPECT_EQ(ParseTdxQuote(V5From(quote_, kTdxBodyTypeTd10, 648)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseTdxQuote(V5From(quote_, kTdxBodyTypeTd15, 584)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseTdxQuote(V5From(quote_, 1, 384)).status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(ParseTdxQuote(V5From(quote_, 4, 584)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseTdxQuote(V5From(quote_, kTdxBodyTypeTd10, 0xffffffff)).status().code(),
            StatusCode::kInvalidArgument);
  const Bytes v5 = V5From(quote_, kTdxBodyTypeTd10, 584);
  for (size_t len = 0; len < kSignatureDataEnd + 6; ++len) {
    EXPECT_FALSE(ParseTdxQuote(ByteSpan(v5.data(), len)).ok()) << len;
  }
}

// ---- Collateral parsing -------------------------------------------------------------

TEST_F(TdxTest, CollateralParses) {
  const nlohmann::json j = nlohmann::json::parse(collateral_text_);
  EXPECT_EQ(collateral_.tcb_info_json, j["tcb_info"].get<std::string>());
  EXPECT_EQ(collateral_.qe_identity_json, j["qe_identity"].get<std::string>());
  EXPECT_EQ(HexOf(collateral_.tcb_info_signature), j["tcb_info_signature"].get<std::string>());
  EXPECT_EQ(HexEncode(collateral_.pck_crl_der), j["pck_crl"].get<std::string>());
  EXPECT_EQ(collateral_.pck_crl_issuer_chain_der.size(), 2u);
  EXPECT_EQ(collateral_.tcb_info_issuer_chain_der.size(), 2u);
  EXPECT_EQ(collateral_.qe_identity_issuer_chain_der.size(), 2u);
  EXPECT_EQ(collateral_.tcb_info_issuer_chain_der[1], root_);
}

TEST_F(TdxTest, CollateralJsonRules) {
  nlohmann::json j = nlohmann::json::parse(collateral_text_);
  for (const auto& item : j.items()) {
    nlohmann::json missing = j;
    missing.erase(item.key());
    EXPECT_FALSE(ParseTdxCollateralJson(missing.dump()).ok()) << item.key();
    nlohmann::json wrong_type = j;
    wrong_type[item.key()] = 7;
    EXPECT_FALSE(ParseTdxCollateralJson(wrong_type.dump()).ok()) << item.key();
  }
  // Duplicate key (the second would win in nlohmann): rejected.
  std::string dup = collateral_text_;
  dup.insert(dup.find('{') + 1, "\"tcb_info\":\"x\",");
  EXPECT_EQ(ParseTdxCollateralJson(dup).status().code(), StatusCode::kAlreadyExists);
  // Unknown keys are ignored.
  j["pck_certificate_chain"] = "ignored";
  EXPECT_TRUE(ParseTdxCollateralJson(j.dump()).ok());
  for (const char* bad : {"", "[]", "{", "null", "{\"a\":[[[[[[[[[[1]]]]]]]]]]}"}) {
    EXPECT_FALSE(ParseTdxCollateralJson(bad).ok()) << bad;
  }
  EXPECT_EQ(ParseTdxCollateralJson(std::string(kTdxMaxCollateralJsonSize + 1, ' ')).status().code(),
            StatusCode::kLimitExceeded);
  // Signatures are 64 bytes of hex; CRLs must be CRLs; PEM must be PEM.
  nlohmann::json bad = nlohmann::json::parse(collateral_text_);
  bad["tcb_info_signature"] = bad["tcb_info_signature"].get<std::string>() + "00";
  EXPECT_FALSE(ParseTdxCollateralJson(bad.dump()).ok());
  bad = nlohmann::json::parse(collateral_text_);
  bad["pck_crl"] = "3000";
  EXPECT_FALSE(ParseTdxCollateralJson(bad.dump()).ok());
  bad = nlohmann::json::parse(collateral_text_);
  bad["tcb_info_issuer_chain"] = bad["tcb_info_issuer_chain"].get<std::string>() + "junk";
  EXPECT_FALSE(ParseTdxCollateralJson(bad.dump()).ok());
}

TEST_F(TdxTest, TcbInfoParsesAsPublished) {
  StatusOr<TdxTcbInfo> info = ParseTdxTcbInfoJson(collateral_.tcb_info_json);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->version, 3);
  EXPECT_EQ(info->issue_date, 1750328163);  // 2025-06-19T10:16:03Z
  EXPECT_EQ(info->next_update, kTcbInfoNextUpdate);
  EXPECT_EQ(HexOf(info->fmspc), "b0c06f000000");
  EXPECT_EQ(HexOf(info->pce_id), "0000");
  EXPECT_EQ(info->tcb_evaluation_data_number, 17u);
  ASSERT_EQ(info->tdx_module_identities.size(), 2u);
  EXPECT_EQ(info->tdx_module_identities[1].id, "TDX_01");
  ASSERT_EQ(info->tdx_module_identities[1].tcb_levels.size(), 2u);
  EXPECT_EQ(info->tdx_module_identities[1].tcb_levels[1].status, TdxTcbStatus::kOutOfDate);
  ASSERT_EQ(info->tcb_levels.size(), 2u);
  EXPECT_EQ(HexOf(info->tcb_levels[0].sgx_components), "02020202030100050000000000000000");
  EXPECT_EQ(info->tcb_levels[0].pce_svn, 11);
  EXPECT_EQ(HexOf(info->tcb_levels[0].tdx_components), "05000200000000000000000000000000");
  EXPECT_EQ(info->tcb_levels[0].tcb_date, 1710288000);  // 2024-03-13T00:00:00Z
  EXPECT_EQ(info->tcb_levels[0].status, TdxTcbStatus::kUpToDate);
  EXPECT_EQ(info->tcb_levels[1].pce_svn, 5);
  EXPECT_EQ(info->tcb_levels[1].status, TdxTcbStatus::kOutOfDate);
  EXPECT_EQ(info->tcb_levels[1].advisory_ids.size(), 14u);
  EXPECT_EQ(info->tcb_levels[1].advisory_ids.front(), "INTEL-SA-00106");
}

TEST_F(TdxTest, TcbInfoJsonRules) {
  const nlohmann::json good = nlohmann::json::parse(collateral_.tcb_info_json);
  auto edited = [&](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json j = good;
    edit(j);
    return ParseTdxTcbInfoJson(j.dump()).status();
  };
  EXPECT_EQ(edited([](auto& j) { j["id"] = "SGX"; }).code(), StatusCode::kUnsupported);
  EXPECT_EQ(edited([](auto& j) { j["version"] = 2; }).code(), StatusCode::kUnsupported);
  EXPECT_EQ(edited([](auto& j) { j["tcbType"] = 1; }).code(), StatusCode::kUnsupported);
  EXPECT_FALSE(edited([](auto& j) { j["issueDate"] = "2025-06-19 10:16:03Z"; }).ok());
  EXPECT_FALSE(edited([](auto& j) { j["nextUpdate"] = "2025-02-30T00:00:00Z"; }).ok());
  EXPECT_FALSE(edited([](auto& j) { j["nextUpdate"] = j["issueDate"]; }).ok());
  EXPECT_FALSE(edited([](auto& j) { j["fmspc"] = "B0C06F0000"; }).ok());
  EXPECT_FALSE(edited([](auto& j) { j["tcbLevels"][0]["tcbStatus"] = "Great"; }).ok());
  EXPECT_FALSE(edited([](auto& j) { j["tcbLevels"][0]["tcb"]["pcesvn"] = -1; }).ok());
  EXPECT_FALSE(edited([](auto& j) { j["tcbLevels"][0]["tcb"]["pcesvn"] = 65536; }).ok());
  EXPECT_FALSE(edited([](auto& j) { j["tcbLevels"][0]["tcb"]["sgxtcbcomponents"][3]["svn"] = 256; }).ok());
  EXPECT_FALSE(edited([](auto& j) { j["tcbLevels"][0]["tcb"]["tdxtcbcomponents"].erase(15); }).ok());
  EXPECT_FALSE(edited([](auto& j) { j["tcbLevels"] = nlohmann::json::array(); }).ok());
  EXPECT_FALSE(edited([](auto& j) { j["tcbLevels"][1]["advisoryIDs"][0] = "bad id"; }).ok());
  EXPECT_FALSE(edited([](auto& j) {
    j["tdxModuleIdentities"][0]["tcbLevels"][0]["tcbStatus"] = "SWHardeningNeeded";
  }).ok());
  EXPECT_FALSE(edited([](auto& j) { j.erase("tdxModule"); }).ok());
  EXPECT_TRUE(edited([](auto& j) { j.erase("tdxModuleIdentities"); }).ok());
  EXPECT_TRUE(edited([](auto& j) { j["futureField"] = 1; }).ok());
}

TEST_F(TdxTest, QeIdentityParsesAsPublished) {
  StatusOr<TdxQeIdentity> qe = ParseTdxQeIdentityJson(collateral_.qe_identity_json);
  ASSERT_TRUE(qe.ok()) << qe.status().ToString();
  EXPECT_EQ(qe->version, 2);
  EXPECT_EQ(qe->issue_date, kWindowStart);
  EXPECT_EQ(qe->next_update, kQeIdNextUpdate);
  EXPECT_EQ(qe->misc_select, 0u);
  EXPECT_EQ(qe->misc_select_mask, 0xffffffffu);
  EXPECT_EQ(HexOf(qe->attributes), "11000000000000000000000000000000");
  EXPECT_EQ(HexOf(qe->attributes_mask), "fbffffffffffffff0000000000000000");
  EXPECT_EQ(HexOf(qe->mr_signer), "dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5");
  EXPECT_EQ(qe->isv_prod_id, 2);
  ASSERT_EQ(qe->tcb_levels.size(), 1u);
  EXPECT_EQ(qe->tcb_levels[0].isv_svn, 4);
  nlohmann::json j = nlohmann::json::parse(collateral_.qe_identity_json);
  j["id"] = "QE";
  EXPECT_EQ(ParseTdxQeIdentityJson(j.dump()).status().code(), StatusCode::kUnsupported);
}

// ---- TCB rules (Intel QVL's algorithm on the real collateral) --------------------------

class TdxTcbTest : public TdxTest {
 protected:
  void SetUp() override {
    TdxTest::SetUp();
    StatusOr<TdxQuote> q = ParseTdxQuote(quote_);
    ASSERT_TRUE(q.ok());
    quote_parsed_ = *std::move(q);
    StatusOr<TdxTcbInfo> info = ParseTdxTcbInfoJson(collateral_.tcb_info_json);
    ASSERT_TRUE(info.ok());
    info_ = *std::move(info);
    StatusOr<TdxQeIdentity> qe = ParseTdxQeIdentityJson(collateral_.qe_identity_json);
    ASSERT_TRUE(qe.ok());
    qe_identity_ = *std::move(qe);
    StatusOr<crypto::CertificateDetails> leaf =
        crypto::ParseCertificateDetails(quote_parsed_.pck_chain_der[0]);
    ASSERT_TRUE(leaf.ok());
    const crypto::CertificateExtension* ext = crypto::FindExtension(*leaf, "1.2.840.113741.1.13.1");
    ASSERT_NE(ext, nullptr);
    extension_ = ext->value;
    StatusOr<PckPlatformInfo> pck = ParsePckPlatformInfo(extension_);
    ASSERT_TRUE(pck.ok()) << pck.status().ToString();
    pck_ = *pck;
  }

  StatusOr<TdxTcbEvaluation> Evaluate(const TdReportBody& body, const PckPlatformInfo& pck,
                                      TdxTcbStatus module = TdxTcbStatus::kUpToDate,
                                      TdxTcbStatus qe = TdxTcbStatus::kUpToDate) {
    TdxIsvSvnLevel module_level{.isv_svn = 4, .status = module, .advisory_ids = {"INTEL-SA-M"}};
    TdxIsvSvnLevel qe_level{.isv_svn = 4, .status = qe, .advisory_ids = {"INTEL-SA-Q"}};
    return EvaluateTdxTcb(info_, pck, body, module_level, qe_level);
  }

  TdxQuote quote_parsed_;
  TdxTcbInfo info_;
  TdxQeIdentity qe_identity_;
  Bytes extension_;
  PckPlatformInfo pck_;
};

// Expected values from `openssl asn1parse` of the PCK leaf's extension.
TEST_F(TdxTcbTest, PckExtensionFields) {
  EXPECT_EQ(HexOf(pck_.fmspc), ReadJsonOrFail(SharedPath(kIndex))[0]["fmspc"]);
  EXPECT_EQ(HexOf(pck_.pce_id), "0000");
  EXPECT_EQ(pck_.pce_svn, 11);
  EXPECT_EQ(HexOf(pck_.sgx_components), "03030202040100050000000000000000");
  EXPECT_EQ(HexOf(pck_.cpu_svn), "03030202040100050000000000000000");
  for (size_t len = 0; len < extension_.size(); ++len) {
    EXPECT_FALSE(ParsePckPlatformInfo(ByteSpan(extension_.data(), len)).ok()) << len;
  }
  Bytes trailing = extension_;
  trailing.push_back(0);
  EXPECT_FALSE(ParsePckPlatformInfo(trailing).ok());
}

TEST_F(TdxTcbTest, RealInputsSelectLevelZeroUpToDate) {
  StatusOr<TdxTcbEvaluation> e = Evaluate(quote_parsed_.body, pck_);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->tcb_level_index, 0u);
  EXPECT_EQ(e->status, TdxTcbStatus::kUpToDate);
  EXPECT_EQ(e->advisory_ids, (std::vector<std::string>{"INTEL-SA-M", "INTEL-SA-Q"}));
}

TEST_F(TdxTcbTest, PceSvnSelectsTheLevel) {
  PckPlatformInfo pck = pck_;
  pck.pce_svn = 10;  // below level 0 (11), at least level 1 (5)
  StatusOr<TdxTcbEvaluation> e = Evaluate(quote_parsed_.body, pck);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->tcb_level_index, 1u);
  EXPECT_EQ(e->status, TdxTcbStatus::kOutOfDate);
  EXPECT_EQ(e->advisory_ids.size(), 14u + 2);
  EXPECT_EQ(e->advisory_ids.front(), "INTEL-SA-00106");
  pck.pce_svn = 4;  // below every level
  EXPECT_EQ(Evaluate(quote_parsed_.body, pck).status().code(), StatusCode::kVerificationFailed);
  pck = pck_;
  pck.sgx_components[7] = 4;  // SEAMLDR ACM below 5 in both levels
  EXPECT_EQ(Evaluate(quote_parsed_.body, pck).status().code(), StatusCode::kVerificationFailed);
}

TEST_F(TdxTcbTest, TeeTcbSvnComponents) {
  TdReportBody body = quote_parsed_.body;
  body.tee_tcb_svn[2] = 1;  // TDX late microcode below 2 in both levels
  EXPECT_EQ(Evaluate(body, pck_).status().code(), StatusCode::kVerificationFailed);
  // Module major 1: components 0 and 1 are the module identity's business.
  body = quote_parsed_.body;
  body.tee_tcb_svn[0] = 4;  // below the level's 5
  EXPECT_EQ(Evaluate(body, pck_)->status, TdxTcbStatus::kUpToDate);
  // Module major 0: every component counts, and 4 < 5 matches no level.
  body.tee_tcb_svn[1] = 0;
  EXPECT_EQ(Evaluate(body, pck_).status().code(), StatusCode::kVerificationFailed);
  body.tee_tcb_svn[0] = 5;
  EXPECT_EQ(Evaluate(body, pck_)->status, TdxTcbStatus::kUpToDate);
}

TEST_F(TdxTcbTest, StatusConvergence) {
  const TdReportBody& body = quote_parsed_.body;
  using S = TdxTcbStatus;
  EXPECT_EQ(Evaluate(body, pck_, S::kOutOfDate, S::kUpToDate)->status, S::kOutOfDate);
  EXPECT_EQ(Evaluate(body, pck_, S::kUpToDate, S::kOutOfDate)->status, S::kOutOfDate);
  EXPECT_EQ(Evaluate(body, pck_, S::kRevoked, S::kUpToDate)->status, S::kRevoked);
  EXPECT_EQ(Evaluate(body, pck_, S::kUpToDate, S::kRevoked)->status, S::kRevoked);
  const std::pair<S, S> config_cases[] = {
      {S::kConfigurationNeeded, S::kOutOfDateConfigurationNeeded},
      {S::kConfigurationAndSwHardeningNeeded, S::kOutOfDateConfigurationNeeded},
      {S::kSwHardeningNeeded, S::kOutOfDate},
      {S::kOutOfDateConfigurationNeeded, S::kOutOfDateConfigurationNeeded},
  };
  for (const auto& [level, converged] : config_cases) {
    info_.tcb_levels[0].status = level;
    EXPECT_EQ(Evaluate(body, pck_)->status, level);
    EXPECT_EQ(Evaluate(body, pck_, S::kUpToDate, S::kOutOfDate)->status, converged);
    EXPECT_EQ(Evaluate(body, pck_, S::kOutOfDate, S::kUpToDate)->status, converged);
  }
}

TEST_F(TdxTcbTest, PckPlatformMustMatchTheTcbInfo) {
  EXPECT_TRUE(MatchPckPlatform(info_, pck_).ok());
  PckPlatformInfo pck = pck_;
  pck.fmspc[5] = 1;
  EXPECT_EQ(MatchPckPlatform(info_, pck).code(), StatusCode::kVerificationFailed);
  pck = pck_;
  pck.pce_id[1] = 1;
  EXPECT_EQ(MatchPckPlatform(info_, pck).code(), StatusCode::kVerificationFailed);
}

TEST_F(TdxTcbTest, ModuleIdentity) {
  TdReportBody body = quote_parsed_.body;
  StatusOr<std::optional<TdxIsvSvnLevel>> m = MatchTdxModule(info_, body);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_TRUE(m->has_value());
  EXPECT_EQ((*m)->isv_svn, 4);  // TDX_01: SVN 6 meets level 4
  EXPECT_EQ((*m)->status, TdxTcbStatus::kUpToDate);
  body.tee_tcb_svn[0] = 3;  // meets only level 2
  EXPECT_EQ((*MatchTdxModule(info_, body))->status, TdxTcbStatus::kOutOfDate);
  body.tee_tcb_svn[0] = 1;  // below every level
  EXPECT_EQ(MatchTdxModule(info_, body).status().code(), StatusCode::kVerificationFailed);
  body = quote_parsed_.body;
  body.tee_tcb_svn[1] = 2;  // no TDX_02 identity
  EXPECT_EQ(MatchTdxModule(info_, body).status().code(), StatusCode::kVerificationFailed);
  body.tee_tcb_svn[1] = 3;  // TDX_03 exists (level 3 <= 6)
  EXPECT_TRUE(MatchTdxModule(info_, body).ok());
  body.tee_tcb_svn[1] = 0;  // the base tdxModule, no level
  m = MatchTdxModule(info_, body);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->has_value());
  body = quote_parsed_.body;
  body.mr_signer_seam[0] = 1;
  EXPECT_EQ(MatchTdxModule(info_, body).status().code(), StatusCode::kVerificationFailed);
  body = quote_parsed_.body;
  body.seam_attributes = 1;
  EXPECT_EQ(MatchTdxModule(info_, body).status().code(), StatusCode::kVerificationFailed);
}

TEST_F(TdxTcbTest, QeIdentity) {
  SgxReportBody qe = quote_parsed_.qe_report;
  StatusOr<TdxIsvSvnLevel> level = MatchQeIdentity(qe_identity_, qe);
  ASSERT_TRUE(level.ok()) << level.status().ToString();
  EXPECT_EQ(level->isv_svn, 4);
  EXPECT_EQ(level->status, TdxTcbStatus::kUpToDate);
  qe.isv_svn = 3;
  EXPECT_EQ(MatchQeIdentity(qe_identity_, qe).status().code(), StatusCode::kVerificationFailed);
  qe = quote_parsed_.qe_report;
  qe.mr_signer[31] ^= 1;
  EXPECT_EQ(MatchQeIdentity(qe_identity_, qe).status().code(), StatusCode::kVerificationFailed);
  qe = quote_parsed_.qe_report;
  qe.isv_prod_id = 1;
  EXPECT_EQ(MatchQeIdentity(qe_identity_, qe).status().code(), StatusCode::kVerificationFailed);
  qe = quote_parsed_.qe_report;
  qe.attributes[0] |= 0x02;  // DEBUG, inside the mask
  EXPECT_EQ(MatchQeIdentity(qe_identity_, qe).status().code(), StatusCode::kVerificationFailed);
  qe = quote_parsed_.qe_report;
  qe.attributes[0] |= 0x04;  // outside the mask (FB): ignored
  EXPECT_TRUE(MatchQeIdentity(qe_identity_, qe).ok());
  qe = quote_parsed_.qe_report;
  qe.misc_select = 1;
  EXPECT_EQ(MatchQeIdentity(qe_identity_, qe).status().code(), StatusCode::kVerificationFailed);
}

// ---- CRLs (crypto/x509_crl.h) ------------------------------------------------------

std::string Fixture(const std::string& name) {
  return eml::testing::SourceDir() + "/src/attest/testdata/tdx/" + name;
}

constexpr int64_t kCrlFixtureTime = 1736899200;  // 2025-01-15, inside 2025-01-01..2025-02-01

TEST(TdxCrlTest, RevokedCertificateIsRefused) {
  const Bytes ca = ReadFileOrFail(Fixture("crl_ca.der"));
  const Bytes revoked = ReadFileOrFail(Fixture("crl_leaf_1001.der"));
  const Bytes good = ReadFileOrFail(Fixture("crl_leaf_1002.der"));
  const Bytes crl = ReadFileOrFail(Fixture("crl_revokes_1001.der"));
  const Bytes empty = ReadFileOrFail(Fixture("crl_empty.der"));
  StatusOr<crypto::CrlInfo> r = crypto::CheckNotRevoked(crl, ca, revoked, kCrlFixtureTime);
  EXPECT_EQ(r.status().code(), StatusCode::kVerificationFailed);
  EXPECT_NE(r.status().message().find("revoked"), std::string::npos);
  r = crypto::CheckNotRevoked(crl, ca, good, kCrlFixtureTime);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->revoked_count, 1u);
  EXPECT_EQ(r->this_update, 1735689600);
  EXPECT_EQ(r->next_update, 1738368000);
  EXPECT_TRUE(crypto::CheckNotRevoked(empty, ca, revoked, kCrlFixtureTime).ok());
  // Outside thisUpdate..nextUpdate.
  EXPECT_FALSE(crypto::CheckNotRevoked(crl, ca, good, 1735689600 - 1).ok());
  EXPECT_FALSE(crypto::CheckNotRevoked(crl, ca, good, 1738368000).ok());
  EXPECT_TRUE(crypto::CheckNotRevoked(crl, ca, good, 1738368000 - 1).ok());
}

TEST(TdxCrlTest, CrlMustComeFromTheIssuer) {
  const Bytes ca = ReadFileOrFail(Fixture("crl_ca.der"));
  const Bytes other = ReadFileOrFail(Fixture("crl_other_ca.der"));
  const Bytes good = ReadFileOrFail(Fixture("crl_leaf_1002.der"));
  const Bytes crl = ReadFileOrFail(Fixture("crl_revokes_1001.der"));
  const Bytes by_other = ReadFileOrFail(Fixture("crl_by_other_ca.der"));
  // A CRL by another CA, judged against the leaf's CA or its own.
  EXPECT_EQ(crypto::CheckNotRevoked(by_other, ca, good, kCrlFixtureTime).status().code(),
            StatusCode::kVerificationFailed);
  EXPECT_EQ(crypto::CheckNotRevoked(by_other, other, good, kCrlFixtureTime).status().code(),
            StatusCode::kVerificationFailed);
  EXPECT_EQ(crypto::CheckNotRevoked(crl, other, good, kCrlFixtureTime).status().code(),
            StatusCode::kVerificationFailed);
  // Any byte of the signed CRL changed: rejected (parse or signature).
  Bytes mutated = crl;
  for (size_t i = 0; i < mutated.size(); ++i) {
    mutated[i] ^= 0x01;
    EXPECT_FALSE(crypto::CheckNotRevoked(mutated, ca, good, kCrlFixtureTime).ok()) << i;
    mutated[i] ^= 0x01;
  }
  EXPECT_EQ(crypto::ParseCrl(Bytes{0x30, 0x00}).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(TdxTest, RealCrlsJudgeTheRealChain) {
  StatusOr<TdxQuote> q = ParseTdxQuote(quote_);
  ASSERT_TRUE(q.ok());
  const std::vector<Bytes>& chain = q->pck_chain_der;
  // `openssl crl -text` lists 44 serials on the PCK CRL and none on the root CA CRL.
  StatusOr<crypto::CrlInfo> pck = crypto::CheckNotRevoked(collateral_.pck_crl_der, chain[1],
                                                          chain[0], kInWindow);
  ASSERT_TRUE(pck.ok()) << pck.status().ToString();
  EXPECT_EQ(pck->revoked_count, 44u);
  EXPECT_EQ(pck->next_update, kPckCrlNextUpdate);
  StatusOr<crypto::CrlInfo> root = crypto::CheckNotRevoked(collateral_.root_ca_crl_der, chain[2],
                                                           chain[1], kInWindow);
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  EXPECT_EQ(root->revoked_count, 0u);
  // The PCK CRL does not speak for certificates the root issued.
  EXPECT_FALSE(crypto::CheckNotRevoked(collateral_.pck_crl_der, chain[2], chain[1], kInWindow).ok());
}

}  // namespace
}  // namespace eml::attest

// The configfs-tsm auxblob certificate table (snp.h, "The auxblob
// certificate table") and ReadSnpLeafExtensions: the layout against the GHCB
// spelling of each GUID and a hand-written vector, every malformation
// refused, and the VCEK extensions of synthetic and real certificates.
#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "attest/snp.h"
#include "core/encoding.h"
#include "tests/testing.h"

namespace eml::attest {
namespace {

using eml::testing::Hex;
using eml::testing::ReadFileOrFail;
using eml::testing::ReadJsonOrFail;
using eml::testing::SharedPath;

std::string TestdataPath(const std::string& relative) {
  return eml::testing::SourceDir() + "/src/attest/testdata/snp/" + relative;
}

// GUIDs as the GHCB specification writes them; stored with the dashes removed.
constexpr char kVcekGuid[] = "63da758d-e664-4564-adc5-f4b93be8accd";
constexpr char kVlekGuid[] = "a8074bc2-a25a-483e-aae6-39c045a0b8a1";
constexpr char kAskGuid[] = "4ab7b379-bbac-4fe4-a02f-05aef327c782";
constexpr char kArkGuid[] = "c0b406a4-a803-4952-9743-3fb6014cd0ae";
constexpr char kOtherGuid[] = "92f81bc3-5811-4d3d-97ff-d19f88dc67ea";  // not one we name

std::array<uint8_t, 16> Guid(std::string text) {
  text.erase(std::remove(text.begin(), text.end(), '-'), text.end());
  const Bytes b = Hex(text);
  std::array<uint8_t, 16> out = {};
  if (b.size() == out.size()) std::copy(b.begin(), b.end(), out.begin());
  return out;
}

// A raw table row, written by hand so that malformed tables can be built.
struct Row {
  std::string guid;  // GHCB spelling; "" = zero
  uint32_t offset;
  uint32_t length;
};

void PutU32Le(Bytes& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// `rows` as given (no terminator added), then `tail`.
Bytes RawTable(const std::vector<Row>& rows, const Bytes& tail) {
  Bytes out;
  for (const Row& r : rows) {
    const std::array<uint8_t, 16> g = r.guid.empty() ? std::array<uint8_t, 16>{} : Guid(r.guid);
    out.insert(out.end(), g.begin(), g.end());
    PutU32Le(out, r.offset);
    PutU32Le(out, r.length);
  }
  out.insert(out.end(), tail.begin(), tail.end());
  return out;
}

StatusCode CodeOf(ByteSpan blob) { return ParseSnpCertTable(blob).status().code(); }

// ---- The certificate table ----------------------------------------------------------

TEST(SnpCertTableTest, GuidsAreStoredInTheSpecificationsByteOrder) {
  const std::vector<std::pair<std::string_view, const char*>> kinds = {
      {kSnpCertKindVcek, kVcekGuid}, {kSnpCertKindVlek, kVlekGuid},
      {kSnpCertKindAsk, kAskGuid}, {kSnpCertKindArk, kArkGuid}};
  for (const auto& [kind, text] : kinds) {
    StatusOr<std::array<uint8_t, 16>> guid = SnpCertGuid(kind);
    ASSERT_TRUE(guid.ok()) << kind;
    EXPECT_EQ(*guid, Guid(text)) << kind;
  }
  EXPECT_FALSE(SnpCertGuid("asvk").ok());  // the GHCB names no ASVK GUID
  EXPECT_FALSE(SnpCertGuid(kSnpCertKindUnknown).ok());
}

TEST(SnpCertTableTest, EncodesTheDocumentedVector) {
  // docs/attestation-snp.md, "The auxblob certificate table": VCEK 01 02 03
  // and ARK aa -> two entries and the terminator (72 bytes), then the bytes.
  StatusOr<Bytes> blob = EncodeSnpCertTable({{.kind = "vcek", .der = {1, 2, 3}},
                                             {.kind = "ark", .der = {0xAA}}});
  ASSERT_TRUE(blob.ok()) << blob.status().ToString();
  EXPECT_EQ(HexEncode(*blob),
            "63da758de6644564adc5f4b93be8accd" "48000000" "03000000"
            "c0b406a4a80349529743" "3fb6014cd0ae" "4b000000" "01000000"
            "000000000000000000000000000000000000000000000000"
            "010203aa");
  StatusOr<std::vector<SnpCertTableEntry>> parsed = ParseSnpCertTable(*blob);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].kind, "vcek");
  EXPECT_EQ((*parsed)[0].guid, Guid(kVcekGuid));
  EXPECT_EQ((*parsed)[0].der, (Bytes{1, 2, 3}));
  EXPECT_EQ((*parsed)[1].kind, "ark");
  EXPECT_EQ((*parsed)[1].der, (Bytes{0xAA}));
}

TEST(SnpCertTableTest, RoundTripsEveryKindInTableOrder) {
  const std::vector<SnpCertTableEntry> entries = {
      {.kind = "ark", .guid = Guid(kArkGuid), .der = ReadFileOrFail(TestdataPath("turin/ark.der"))},
      {.kind = "unknown", .guid = Guid(kOtherGuid), .der = Bytes(100, 0x5A)},
      {.kind = "vlek", .guid = Guid(kVlekGuid), .der = {7}},
      {.kind = "ask", .guid = Guid(kAskGuid), .der = ReadFileOrFail(TestdataPath("turin/ask.der"))},
      {.kind = "vcek", .guid = Guid(kVcekGuid), .der = ReadFileOrFail(TestdataPath("turin/vcek.der"))},
  };
  StatusOr<Bytes> blob = EncodeSnpCertTable(entries);
  ASSERT_TRUE(blob.ok()) << blob.status().ToString();
  StatusOr<std::vector<SnpCertTableEntry>> parsed = ParseSnpCertTable(*blob);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, entries);
  // A known kind given without its GUID gets it.
  StatusOr<Bytes> filled = EncodeSnpCertTable({{.kind = "ask", .der = {1}}});
  ASSERT_TRUE(filled.ok());
  EXPECT_EQ((*ParseSnpCertTable(*filled))[0].guid, Guid(kAskGuid));
}

TEST(SnpCertTableTest, EmptyTableIsOnlyTheTerminator) {
  StatusOr<Bytes> blob = EncodeSnpCertTable({});
  ASSERT_TRUE(blob.ok());
  EXPECT_EQ(*blob, Bytes(kSnpCertTableEntrySize, 0));
  StatusOr<std::vector<SnpCertTableEntry>> parsed = ParseSnpCertTable(*blob);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->empty());
}

TEST(SnpCertTableTest, MalformedTablesAreRejected) {
  const Bytes cert(10, 0x30);
  const Row end = {"", 0, 0};
  struct Case {
    const char* what;
    Bytes blob;
    const char* message;  // part of the error message naming the rule
  };
  const std::vector<Case> cases = {
      {"empty", {}, "no terminator"},
      {"short terminator", Bytes(23, 0), "no terminator"},
      {"no terminator", RawTable({{kVcekGuid, 24, 10}}, cert), "no terminator"},
      {"terminator with offset", RawTable({{kVcekGuid, 48, 10}, {"", 48, 0}}, cert), "zero GUID"},
      {"terminator with length", RawTable({{kVcekGuid, 48, 10}, {"", 0, 10}}, cert), "zero GUID"},
      {"zero length", RawTable({{kVcekGuid, 48, 0}, end}, cert), "empty certificate"},
      {"offset inside the table", RawTable({{kVcekGuid, 40, 10}, end}, cert), "inside the table"},
      {"offset zero", RawTable({{kVcekGuid, 0, 10}, end}, cert), "inside the table"},
      {"past the end", RawTable({{kVcekGuid, 48, 11}, end}, cert), "past the blob"},
      {"u32 overflow", RawTable({{kVcekGuid, 0xFFFFFFFF, 0xFFFFFFFF}, end}, cert), "past the blob"},
      {"u32 wrap to a small end", RawTable({{kVcekGuid, 0xFFFFFFF0, 0x20}, end}, cert), "past the blob"},
      {"overlap", RawTable({{kVcekGuid, 72, 6}, {kAskGuid, 77, 5}, end}, cert), "overlap"},
      {"same bytes twice", RawTable({{kVcekGuid, 72, 10}, {kAskGuid, 72, 10}, end}, cert), "overlap"},
      {"repeated kind", RawTable({{kVcekGuid, 72, 5}, {kVcekGuid, 77, 5}, end}, cert), "repeated"},
      {"repeated unknown GUID", RawTable({{kOtherGuid, 72, 5}, {kOtherGuid, 77, 5}, end}, cert),
       "repeated"},
      {"non-zero gap", RawTable({{kVcekGuid, 49, 9}, end}, cert), "padding"},
      {"non-zero trailing byte", RawTable({{kVcekGuid, 48, 9}, end}, cert), "after the last"},
  };
  for (const Case& c : cases) {
    const Status status = ParseSnpCertTable(c.blob).status();
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << c.what;
    EXPECT_NE(status.message().find(c.message), std::string::npos) << c.what << ": " << status.ToString();
  }
  EXPECT_EQ(CodeOf(Bytes(kSnpMaxCertTableSize + 1, 0)), StatusCode::kLimitExceeded);
}

TEST(SnpCertTableTest, ZeroPaddingIsAcceptedAndIgnored) {
  Bytes tail = {0, 0, 0, 1, 2, 3, 0, 0, 4, 0, 0};  // gap, cert, gap, cert, trailing zeros
  StatusOr<std::vector<SnpCertTableEntry>> parsed =
      ParseSnpCertTable(RawTable({{kAskGuid, 80, 1}, {kVcekGuid, 75, 3}, {"", 0, 0}}, tail));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].der, Bytes{4});
  EXPECT_EQ((*parsed)[1].der, (Bytes{1, 2, 3}));
}

TEST(SnpCertTableTest, EntryAndSizeLimits) {
  std::vector<SnpCertTableEntry> entries;
  for (int i = 0; i < 8; ++i) {
    std::array<uint8_t, 16> g = Guid(kOtherGuid);
    g[15] = static_cast<uint8_t>(i);
    entries.push_back({.kind = "unknown", .guid = g, .der = {static_cast<uint8_t>(i)}});
  }
  StatusOr<Bytes> eight = EncodeSnpCertTable(entries);
  ASSERT_TRUE(eight.ok());
  EXPECT_TRUE(ParseSnpCertTable(*eight).ok());
  // A ninth entry: refused by both, the parser reading a hand-made table.
  entries.push_back({.kind = "vcek", .der = {9}});
  EXPECT_EQ(EncodeSnpCertTable(entries).status().code(), StatusCode::kLimitExceeded);
  std::vector<Row> rows;
  for (uint32_t i = 0; i < 9; ++i) {
    std::string g = kOtherGuid;
    g[g.size() - 1] = static_cast<char>('0' + i);
    rows.push_back({g, 240 + i, 1});
  }
  rows.push_back({"", 0, 0});
  EXPECT_EQ(CodeOf(RawTable(rows, Bytes(9, 1))), StatusCode::kLimitExceeded);

  // Exactly 28 KiB is accepted; one byte more is not.
  const size_t fill = kSnpMaxCertTableSize - 2 * kSnpCertTableEntrySize;
  StatusOr<Bytes> full = EncodeSnpCertTable({{.kind = "vcek", .der = Bytes(fill, 1)}});
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->size(), kSnpMaxCertTableSize);
  EXPECT_TRUE(ParseSnpCertTable(*full).ok());
  EXPECT_EQ(EncodeSnpCertTable({{.kind = "vcek", .der = Bytes(fill + 1, 1)}}).status().code(),
            StatusCode::kLimitExceeded);
}

TEST(SnpCertTableTest, EveryTruncationAndEveryByteChangeIsNoticed) {
  StatusOr<Bytes> blob = EncodeSnpCertTable(
      {{.kind = "vcek", .der = ReadFileOrFail(TestdataPath("milan/vcek.der"))},
       {.kind = "ask", .der = ReadFileOrFail(TestdataPath("milan/ask.der"))},
       {.kind = "ark", .der = ReadFileOrFail(TestdataPath("milan/ark.der"))}});
  ASSERT_TRUE(blob.ok());
  const std::vector<SnpCertTableEntry> want = *ParseSnpCertTable(*blob);
  for (size_t n = 0; n < blob->size(); ++n) {
    ASSERT_FALSE(ParseSnpCertTable(ByteSpan(*blob).first(n)).ok()) << "truncated to " << n;
  }
  // A changed byte is refused or changes what is returned: no byte is ignored.
  for (size_t i = 0; i < blob->size(); ++i) {
    Bytes changed = *blob;
    changed[i] ^= (i % 2 == 0) ? 0x01 : 0x80;
    StatusOr<std::vector<SnpCertTableEntry>> got = ParseSnpCertTable(changed);
    ASSERT_TRUE(!got.ok() || *got != want) << "byte " << i;
  }
}

TEST(SnpCertTableTest, EncodeRefusesWhatParseWouldRefuse) {
  const Bytes der = {1};
  const std::vector<std::pair<const char*, std::vector<SnpCertTableEntry>>> cases = {
      {"asvk (no GUID)", {{.kind = "asvk", .der = der}}},
      {"unnamed kind", {{.kind = "crl", .der = der}}},
      {"empty certificate", {{.kind = "vcek", .der = {}}}},
      {"another kind's GUID", {{.kind = "vcek", .guid = Guid(kAskGuid), .der = der}}},
      {"unknown without GUID", {{.kind = "unknown", .der = der}}},
      {"unknown with a known GUID", {{.kind = "unknown", .guid = Guid(kArkGuid), .der = der}}},
      {"repeated kind", {{.kind = "ask", .der = der}, {.kind = "ask", .der = der}}},
      {"repeated unknown GUID",
       {{.kind = "unknown", .guid = Guid(kOtherGuid), .der = der},
        {.kind = "unknown", .guid = Guid(kOtherGuid), .der = der}}},
  };
  for (const auto& [what, entries] : cases) {
    EXPECT_EQ(EncodeSnpCertTable(entries).status().code(), StatusCode::kInvalidArgument) << what;
  }
}

// ---- The VCEK's extensions --------------------------------------------------------------

TEST(SnpLeafExtensionsTest, ReadsSyntheticAndRealCertificates) {
  const nlohmann::json index = ReadJsonOrFail(TestdataPath("index.json"));
  for (const char* product : {"Milan", "Turin"}) {
    SCOPED_TRACE(product);
    std::string dir = product;
    std::transform(dir.begin(), dir.end(), dir.begin(), ::tolower);
    StatusOr<SnpLeafExtensions> ext = ReadSnpLeafExtensions(ReadFileOrFail(TestdataPath(dir + "/vcek.der")));
    ASSERT_TRUE(ext.ok()) << ext.status().ToString();
    const nlohmann::json& want = index[product];
    EXPECT_EQ(ext->product_name, want["product_name"].get<std::string>());
    EXPECT_EQ(HexEncode(ext->hwid), want["hwid"].get<std::string>());
    EXPECT_EQ(ext->tcb.bootloader, want["tcb"]["bl"].get<int>());
    EXPECT_EQ(ext->tcb.snp, want["tcb"]["snp"].get<int>());
    EXPECT_EQ(ext->tcb.microcode, want["tcb"]["ucode"].get<int>());
  }
  // The real Turin VCEK (../shared/vectors/sev-snp/SOURCES.md: hwID
  // 3b42092f69c656d3, fmcSPL=0 blSPL=1 teeSPL=0 snpSPL=2 ucodeSPL=71).
  StatusOr<SnpLeafExtensions> turin =
      ReadSnpLeafExtensions(ReadFileOrFail(SharedPath("vectors/sev-snp/reports/turin-v5-oak/vcek.der")));
  ASSERT_TRUE(turin.ok()) << turin.status().ToString();
  EXPECT_EQ(turin->product, SnpProduct::kTurin);
  EXPECT_EQ(HexEncode(turin->hwid), "3b42092f69c656d3");
  EXPECT_EQ(turin->tcb, (SnpTcb{.fmc = 0, .bootloader = 1, .tee = 0, .snp = 2, .microcode = 71}));
  // A VLEK has no hwID.
  StatusOr<SnpLeafExtensions> vlek =
      ReadSnpLeafExtensions(ReadFileOrFail(SharedPath("vectors/sev-snp/reports/milan-v3-vlek-trustee/vlek.der")));
  ASSERT_TRUE(vlek.ok()) << vlek.status().ToString();
  EXPECT_TRUE(vlek->hwid.empty());
  // An ASK has no productName.
  EXPECT_FALSE(ReadSnpLeafExtensions(ReadFileOrFail(TestdataPath("milan/ask.der"))).ok());
  EXPECT_EQ(ReadSnpLeafExtensions(Bytes{0x30, 0x00}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace eml::attest

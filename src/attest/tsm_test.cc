// The configfs-tsm provider (attest/tsm.h) over a simulated configfs
// directory that behaves like the kernel's (Documentation/ABI/testing/
// configfs-tsm-report): entries are made with mkdir and refused twice,
// writing inblob (<= 64 bytes) or privlevel bumps generation, outblob is
// generated from inblob, auxblob exists for sev_guest only. Expected
// REPORTDATA and envelope bytes were computed with Python (hashlib and a
// hand-written CBOR encoder).
#include "attest/tsm.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "attest/tee_select.h"
#include "core/encoding.h"
#include "tests/testing.h"

namespace eml::attest {
namespace {

using eml::testing::Hex;

constexpr char kRoot[] = "/sys/kernel/config/tsm/report";
constexpr char kQuoteMagic[] = "FAKEQUOTE";  // the fake outblob: magic || inblob || privlevel
constexpr size_t kMagicSize = 9;

// REPORTDATA and envelope for public_key "pk", user_data "ud", nonce "n",
// SNP, report "RRR", aux 01 02 (Python).
constexpr char kReportDataPkUdN[] =
    "8660e132a2a909debce479bf8dcf1bc031ab5c2c4c369c15f50a99eecb1d44b54fb404af30c4008791f8a79197dec995"
    "96b21cdcbd9dd1fb8e719206f20b6032";
constexpr char kReportDataEmpty[] =
    "405107d9abb9ee18bf11050e23d1e105457d55099cf3e16a04d159a02754533bf91a4622f1098e026742d6bc50318d09"
    "2f3c964289085cfc434423bb2bfd65f7";
constexpr char kEnvelope[] =
    "a763617578420102656e6f6e6365416e667265706f7274435252526776657273696f6e0168706c6174666f726d6373"
    "6e7069757365725f646174614275646a7075626c69635f6b657942706b";

class FakeConfigFs final : public TsmFs {
 public:
  struct Entry {
    uint64_t generation = 0;
    Bytes inblob;
    uint32_t privlevel = 0;
  };

  explicit FakeConfigFs(std::string provider) : provider_(std::move(provider)) {}

  Status MakeDir(const std::string& path) override {
    ++mkdirs;
    const std::string name = EntryName(path);
    if (!present || name.empty()) return NotFoundError("fake: no such directory");
    if (entries.count(name)) return AlreadyExistsError("fake: exists");
    entries[name] = Entry{};
    return OkStatus();
  }
  Status RemoveDir(const std::string& path) override {
    ++rmdirs;
    if (entries.erase(EntryName(path)) == 0) return NotFoundError("fake: no such entry");
    return OkStatus();
  }
  StatusOr<Bytes> ReadFile(const std::string& path, size_t max_size) override {
    auto [entry, attribute] = Split(path);
    if (entry == nullptr) return NotFoundError("fake: no such entry");
    Bytes out;
    if (attribute == "provider") {
      out = ToBytes(provider_ + "\n");
    } else if (attribute == "generation") {
      out = ToBytes(std::to_string(entry->generation) + "\n");
    } else if (attribute == "outblob") {
      if (race_reads > 0) {  // another process writes the entry meanwhile
        --race_reads;
        ++entry->generation;
      }
      out = ToBytes(kQuoteMagic);
      out.insert(out.end(), entry->inblob.begin(), entry->inblob.end());
      out.push_back(static_cast<uint8_t>(entry->privlevel));
      out.resize(out.size() + outblob_padding, 0);
    } else if (attribute == "auxblob" && snp()) {
      out = aux;
    } else if (attribute == "inblob" || attribute == "privlevel") {
      return IoError("fake: write-only attribute");
    } else {
      return NotFoundError("fake: no such attribute");
    }
    if (out.size() > max_size) return LimitExceededError("fake: too long");
    return out;
  }
  Status WriteFile(const std::string& path, ByteSpan data) override {
    auto [entry, attribute] = Split(path);
    if (entry == nullptr) return NotFoundError("fake: no such entry");
    if (fail_writes) return IoError("fake: write failed");
    if (attribute == "inblob") {
      if (data.size() > kTsmInblobSize) return InvalidArgumentError("fake: EINVAL");
      entry->inblob.assign(data.begin(), data.end());
    } else if (attribute == "privlevel" && snp()) {
      const std::string text(AsStringView(data));
      if (text.size() != 1 || text[0] < '0' || text[0] > '3') return InvalidArgumentError("fake: EINVAL");
      entry->privlevel = static_cast<uint32_t>(text[0] - '0');
    } else if (attribute == "privlevel") {
      return NotFoundError("fake: no privlevel for this provider");
    } else {
      return IoError("fake: read-only attribute");
    }
    ++entry->generation;
    return OkStatus();
  }
  bool Exists(const std::string& path) override {
    if (path == kRoot) return present;
    auto [entry, attribute] = Split(path);
    if (entry == nullptr) return false;
    return attribute != "auxblob" || snp();
  }

  bool present = true;
  bool fail_writes = false;
  int race_reads = 0;
  size_t outblob_padding = 0;
  Bytes aux = {0xce, 0x27};
  int mkdirs = 0;
  int rmdirs = 0;
  std::map<std::string, Entry> entries;

 private:
  bool snp() const { return provider_ == "sev_guest"; }
  static std::string EntryName(const std::string& path) {
    const std::string prefix = std::string(kRoot) + "/";
    if (path.rfind(prefix, 0) != 0) return "";
    const std::string rest = path.substr(prefix.size());
    return rest.find('/') == std::string::npos ? rest : "";
  }
  std::pair<Entry*, std::string> Split(const std::string& path) {
    const size_t slash = path.rfind('/');
    auto it = entries.find(EntryName(path.substr(0, slash)));
    if (it == entries.end()) return {nullptr, ""};
    return {&it->second, path.substr(slash + 1)};
  }
  std::string provider_;
};

ByteSpan ReportDataOf(const Bytes& fake_quote) { return ByteSpan(fake_quote).subspan(kMagicSize, 64); }

StatusOr<std::unique_ptr<EvidenceProvider>> MakeProvider(TeePlatform platform,
                                                         std::unique_ptr<FakeConfigFs> fs,
                                                         std::optional<uint32_t> privlevel = std::nullopt) {
  TsmProviderOptions options;
  options.platform = platform;
  options.fs = std::move(fs);
  options.root = kRoot;
  options.privlevel = privlevel;
  return CreateTsmProvider(std::move(options));
}

TEST(TeeReportDataTest, MatchesTheDocumentedFormula) {
  EXPECT_EQ(HexEncode(TeeReportData(AsBytes("pk"), AsBytes("ud"), AsBytes("n"))), kReportDataPkUdN);
  EXPECT_EQ(HexEncode(TeeReportData({}, {}, {})), kReportDataEmpty);
  // Length prefixes keep field boundaries apart.
  EXPECT_NE(TeeReportData(AsBytes("ab"), AsBytes("c"), {}), TeeReportData(AsBytes("a"), AsBytes("bc"), {}));
  EXPECT_EQ(TeeReportData(AsBytes("pk"), AsBytes("ud"), AsBytes("n")).size(), 64u);
}

TEST(TeeEnvelopeTest, DeterministicEncodingAndRoundTrip) {
  const TeeEnvelope e{.platform = TeePlatform::kSnp, .report = ToBytes("RRR"), .aux = {1, 2},
                      .public_key = ToBytes("pk"), .user_data = ToBytes("ud"), .nonce = ToBytes("n")};
  StatusOr<Bytes> bytes = EncodeTeeEnvelope(e);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(HexEncode(*bytes), kEnvelope);
  StatusOr<TeeEnvelope> back = ParseTeeEnvelope(*bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->platform, TeePlatform::kSnp);
  EXPECT_EQ(back->report, e.report);
  EXPECT_EQ(back->aux, e.aux);
  EXPECT_EQ(back->public_key, e.public_key);
  EXPECT_EQ(back->user_data, e.user_data);
  EXPECT_EQ(back->nonce, e.nonce);
  EXPECT_TRUE(CheckTeeReportData(*back, Hex(kReportDataPkUdN)).ok());
  // TDX without aux: six keys.
  StatusOr<Bytes> tdx = EncodeTeeEnvelope({.platform = TeePlatform::kTdx, .report = {9}});
  ASSERT_TRUE(tdx.ok());
  StatusOr<TeeEnvelope> tdx_back = ParseTeeEnvelope(*tdx);
  ASSERT_TRUE(tdx_back.ok()) << tdx_back.status().ToString();
  EXPECT_TRUE(tdx_back->aux.empty());
}

TEST(TeeEnvelopeTest, RejectsEverythingButTheExactShape) {
  const Bytes good = Hex(kEnvelope);
  // Every truncation, and a trailing byte.
  for (size_t len = 0; len < good.size(); ++len) {
    EXPECT_FALSE(ParseTeeEnvelope(ByteSpan(good).first(len)).ok()) << len;
  }
  Bytes longer = good;
  longer.push_back(0);
  EXPECT_FALSE(ParseTeeEnvelope(longer).ok());
  // Every byte flipped: no crash; what parses stays within limits.
  for (size_t i = 0; i < good.size(); ++i) {
    Bytes bad = good;
    bad[i] ^= 0xff;
    StatusOr<TeeEnvelope> e = ParseTeeEnvelope(bad);
    if (e.ok()) {
      EXPECT_FALSE(e->report.empty());
    }
  }
  // version 2 (the byte after "version"), platform "sgx", unknown key in place of "aux".
  std::string hex = kEnvelope;
  const std::string version_key = "6776657273696f6e";
  hex.replace(hex.find(version_key) + version_key.size(), 2, "02");
  EXPECT_EQ(ParseTeeEnvelope(Hex(hex)).status().code(), StatusCode::kUnsupported);
  hex = kEnvelope;
  hex.replace(hex.find("63736e70"), 8, "63736778");
  EXPECT_EQ(ParseTeeEnvelope(Hex(hex)).status().code(), StatusCode::kUnsupported);
  hex = kEnvelope;
  hex.replace(hex.find("63617578"), 8, "63617579");  // "auy": deterministic order still holds
  EXPECT_EQ(ParseTeeEnvelope(Hex(hex)).status().code(), StatusCode::kInvalidArgument);
  // Keys out of deterministic order (a map of "nonce" then "aux").
  EXPECT_FALSE(ParseTeeEnvelope(Hex("a2656e6f6e6365416e63617578420102")).ok());
  // aux on TDX; an empty aux; oversize fields; oversize envelope.
  EXPECT_FALSE(EncodeTeeEnvelope({.platform = TeePlatform::kTdx, .report = {1}, .aux = {1}}).ok());
  hex = kEnvelope;
  hex.replace(hex.find("63736e70"), 8, "63746478");  // platform "tdx" with aux
  EXPECT_EQ(ParseTeeEnvelope(Hex(hex)).status().code(), StatusCode::kInvalidArgument);
  hex = kEnvelope;
  hex.replace(hex.find("420102"), 6, "40");  // "aux": h''
  EXPECT_FALSE(ParseTeeEnvelope(Hex(hex)).ok());
  EXPECT_EQ(EncodeTeeEnvelope({.platform = TeePlatform::kSnp, .report = {1}, .nonce = Bytes(1025, 0)})
                .status().code(),
            StatusCode::kLimitExceeded);
  EXPECT_EQ(EncodeTeeEnvelope({.platform = TeePlatform::kSnp, .report = {}}).status().code(),
            StatusCode::kLimitExceeded);
  // Every field at its limit still fits the protocol's 64 KiB evidence limit.
  StatusOr<Bytes> largest = EncodeTeeEnvelope(
      {.platform = TeePlatform::kSnp, .report = Bytes(kTsmMaxOutblobSize, 1),
       .aux = Bytes(kTsmMaxAuxblobSize, 2), .public_key = Bytes(1024, 3),
       .user_data = Bytes(1024, 4), .nonce = Bytes(1024, 5)});
  ASSERT_TRUE(largest.ok()) << largest.status().ToString();
  EXPECT_LE(largest->size(), kTeeMaxEnvelopeSize);
  EXPECT_TRUE(ParseTeeEnvelope(*largest).ok());
  EXPECT_EQ(EncodeTeeEnvelope({.platform = TeePlatform::kSnp, .report = Bytes(kTsmMaxOutblobSize + 1, 1)})
                .status().code(),
            StatusCode::kLimitExceeded);
  EXPECT_EQ(ParseTeeEnvelope(Bytes(kTeeMaxEnvelopeSize + 1, 0)).status().code(), StatusCode::kLimitExceeded);
}

TEST(TeeEnvelopeTest, ReportDataMustBindEveryField) {
  const TeeEnvelope e{.platform = TeePlatform::kTdx, .report = {1}, .public_key = ToBytes("pk"),
                      .user_data = ToBytes("ud"), .nonce = ToBytes("n")};
  const Bytes good = Hex(kReportDataPkUdN);
  EXPECT_TRUE(CheckTeeReportData(e, good).ok());
  for (Bytes TeeEnvelope::*field : {&TeeEnvelope::public_key, &TeeEnvelope::user_data, &TeeEnvelope::nonce}) {
    TeeEnvelope changed = e;
    (changed.*field).push_back(0);
    EXPECT_EQ(CheckTeeReportData(changed, good).code(), StatusCode::kVerificationFailed);
  }
  Bytes flipped = good;
  flipped[63] ^= 1;
  EXPECT_EQ(CheckTeeReportData(e, flipped).code(), StatusCode::kVerificationFailed);
  EXPECT_EQ(CheckTeeReportData(e, ByteSpan(good).first(32)).code(), StatusCode::kInvalidArgument);
}

TEST(TsmProviderTest, TdxReportThroughConfigfs) {
  auto fs = std::make_unique<FakeConfigFs>("tdx_guest");
  FakeConfigFs* raw = fs.get();
  StatusOr<std::unique_ptr<EvidenceProvider>> provider = MakeProvider(TeePlatform::kTdx, std::move(fs));
  ASSERT_TRUE(provider.ok()) << provider.status().ToString();
  EXPECT_EQ((*provider)->platform(), "tdx");
  EXPECT_FALSE((*provider)->evaluation());
  StatusOr<Bytes> evidence = (*provider)->Attest(AsBytes("pk"), AsBytes("ud"), AsBytes("n"));
  ASSERT_TRUE(evidence.ok()) << evidence.status().ToString();
  StatusOr<TeeEnvelope> e = ParseTeeEnvelope(*evidence);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->platform, TeePlatform::kTdx);
  EXPECT_TRUE(e->aux.empty());
  EXPECT_EQ(e->user_data, ToBytes("ud"));
  // The quote carries the documented REPORTDATA, and the verifier's check agrees.
  EXPECT_EQ(HexEncode(ReportDataOf(e->report)), kReportDataPkUdN);
  EXPECT_TRUE(CheckTeeReportData(*e, ReportDataOf(e->report)).ok());
  EXPECT_TRUE(raw->entries.empty());  // every entry removed (probe and report)
  EXPECT_EQ(raw->mkdirs, 2);
  EXPECT_EQ(raw->rmdirs, 2);
}

TEST(TsmProviderTest, SnpReportWithPrivlevelAndCertificates) {
  auto fs = std::make_unique<FakeConfigFs>("sev_guest");
  fs->aux = Bytes(300, 0xce);
  StatusOr<std::unique_ptr<EvidenceProvider>> provider = MakeProvider(TeePlatform::kSnp, std::move(fs), 2);
  ASSERT_TRUE(provider.ok()) << provider.status().ToString();
  EXPECT_EQ((*provider)->platform(), "snp");
  StatusOr<Bytes> evidence = (*provider)->Attest(Bytes(32, 1), Bytes(100, 2), Bytes(32, 3));
  ASSERT_TRUE(evidence.ok()) << evidence.status().ToString();
  StatusOr<TeeEnvelope> e = ParseTeeEnvelope(*evidence);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->aux, Bytes(300, 0xce));
  EXPECT_EQ(e->report.back(), 2);  // privlevel reached the report
  EXPECT_TRUE(CheckTeeReportData(*e, ReportDataOf(e->report)).ok());
  // privlevel is SNP-only and 0..3.
  EXPECT_EQ(MakeProvider(TeePlatform::kTdx, std::make_unique<FakeConfigFs>("tdx_guest"), 0).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeProvider(TeePlatform::kSnp, std::make_unique<FakeConfigFs>("sev_guest"), 4).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(TsmProviderTest, RefusesAnotherProviderOrNoConfigfs) {
  auto fs = std::make_unique<FakeConfigFs>("sev_guest");
  StatusOr<std::unique_ptr<EvidenceProvider>> p = MakeProvider(TeePlatform::kTdx, std::move(fs));
  EXPECT_EQ(p.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(p.status().message().find("sev_guest"), std::string::npos);
  auto absent = std::make_unique<FakeConfigFs>("tdx_guest");
  absent->present = false;
  EXPECT_EQ(MakeProvider(TeePlatform::kTdx, std::move(absent)).status().code(), StatusCode::kNotFound);
  auto odd = std::make_unique<FakeConfigFs>("arm_cca_guest");
  EXPECT_EQ(MakeProvider(TeePlatform::kSnp, std::move(odd)).status().code(), StatusCode::kFailedPrecondition);
}

TEST(TsmReportTest, RetriesWhenTheGenerationMoves) {
  FakeConfigFs fs("tdx_guest");
  const Bytes inblob(64, 0x42);
  fs.race_reads = 1;
  StatusOr<TsmReport> report = GetTsmReport(fs, kRoot, inblob);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->attempts, 2);
  EXPECT_EQ(report->provider, "tdx_guest");
  EXPECT_EQ(Bytes(ReportDataOf(report->outblob).begin(), ReportDataOf(report->outblob).end()), inblob);
  EXPECT_TRUE(fs.entries.empty());
  // A writer that never stops: give up after kTsmMaxAttempts, entries removed.
  fs.race_reads = 100;
  StatusOr<TsmReport> busy = GetTsmReport(fs, kRoot, inblob);
  EXPECT_EQ(busy.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(fs.entries.empty());
  EXPECT_EQ(fs.mkdirs, fs.rmdirs);
  // Without a race, one attempt.
  fs.race_reads = 0;
  report = GetTsmReport(fs, kRoot, inblob);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->attempts, 1);
}

TEST(TsmReportTest, ErrorsLeaveNoEntryBehind) {
  FakeConfigFs fs("sev_guest");
  fs.fail_writes = true;
  EXPECT_EQ(GetTsmReport(fs, kRoot, Bytes(64, 1)).status().code(), StatusCode::kIo);
  EXPECT_TRUE(fs.entries.empty());
  fs.fail_writes = false;
  fs.outblob_padding = kTsmMaxOutblobSize;
  EXPECT_EQ(GetTsmReport(fs, kRoot, Bytes(64, 1)).status().code(), StatusCode::kLimitExceeded);
  EXPECT_TRUE(fs.entries.empty());
  EXPECT_EQ(GetTsmReport(fs, kRoot, Bytes(63, 1)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(GetTsmReport(fs, kRoot, Bytes(64, 1), 4).status().code(), StatusCode::kInvalidArgument);
  // The fake refuses a second mkdir of one entry, as configfs does.
  EXPECT_TRUE(fs.MakeDir(std::string(kRoot) + "/x").ok());
  EXPECT_EQ(fs.MakeDir(std::string(kRoot) + "/x").code(), StatusCode::kAlreadyExists);
}

TEST(TsmReportTest, ProbeReadsTheProvider) {
  FakeConfigFs fs("tdx_guest");
  StatusOr<std::string> name = ProbeTsmProvider(fs, kRoot);
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(*name, "tdx_guest");
  EXPECT_TRUE(fs.entries.empty());
}

TEST(RealTsmFsTest, FileOperationsOverATemporaryDirectory) {
  const std::string dir = std::filesystem::temp_directory_path() / ("eml-tsm-test-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::unique_ptr<TsmFs> fs = RealTsmFs();
  EXPECT_FALSE(fs->Exists(dir));
  ASSERT_TRUE(fs->MakeDir(dir).ok());
  EXPECT_EQ(fs->MakeDir(dir).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(fs->MakeDir(dir + "/missing/child").code(), StatusCode::kNotFound);
  EXPECT_EQ(fs->ReadFile(dir + "/absent", 10).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(fs->WriteFile(dir + "/absent", Bytes{1}).code(), StatusCode::kNotFound);  // no O_CREAT
  std::ofstream(dir + "/attr") << "12345";
  ASSERT_TRUE(fs->WriteFile(dir + "/attr", AsBytes("678")).ok());
  StatusOr<Bytes> read = fs->ReadFile(dir + "/attr", 5);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(AsStringView(*read), "67845");  // overwritten in place, as configfs stores
  EXPECT_EQ(fs->ReadFile(dir + "/attr", 4).status().code(), StatusCode::kLimitExceeded);
  std::filesystem::remove(dir + "/attr");
  EXPECT_TRUE(fs->RemoveDir(dir).ok());
  EXPECT_EQ(fs->RemoveDir(dir).code(), StatusCode::kNotFound);
}

// --tee auto never falls back to development evidence.
TEST(TeeSelectTest, AutoFailsClearlyWithoutATee) {
  TeeSelection s;
  s.tee = "auto";
  s.nsm_device_path = "/nonexistent/nsm";
  s.tsm_root = "/nonexistent/tsm/report";
  StatusOr<SelectedTee> selected = SelectTee(s);
  ASSERT_FALSE(selected.ok());
  EXPECT_EQ(selected.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(selected.status().message().find("no TEE found"), std::string::npos);
  s.tee = "nitro";
  EXPECT_EQ(SelectTee(s).status().code(), StatusCode::kNotFound);
  s.tee = "tdx";
  EXPECT_EQ(SelectTee(s).status().code(), StatusCode::kNotFound);
  s.tee = "snp";
  EXPECT_EQ(SelectTee(s).status().code(), StatusCode::kNotFound);
  s.tee = "dev";
  s.nsm_simulator_dir = "/tmp/x";
  EXPECT_EQ(SelectTee(s).status().code(), StatusCode::kInvalidArgument);
  s.tee = "sgx";
  s.nsm_simulator_dir.clear();
  EXPECT_EQ(SelectTee(s).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace eml::attest

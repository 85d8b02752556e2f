// Development evidence: dev PCRs against values computed with Python's
// hashlib, the dev CA state directory (creation, reuse, renewal, damage), and
// dev documents through the same verifier as the real AWS document.
#include "attest/dev_provider.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "attest/dev_ca.h"
#include "attest/nitro.h"
#include "cbor/decode.h"
#include "cbor/encode.h"
#include "core/clock.h"
#include "core/encoding.h"
#include "cose/sign1.h"
#include "crypto/x509_issue.h"
#include "tests/testing.h"

namespace eml::attest {
namespace {

using eml::testing::Hex;
using eml::testing::ReadFileOrFail;
using eml::testing::SharedPath;

constexpr int64_t kT0Ms = 1795219200000;  // 2026-11-21T00:00:00Z
constexpr int64_t kDayMs = 86'400'000;
constexpr char kAwsRoot[] = "vectors/nitro/aws_nitro_root_ca.der";
constexpr char kAwsDoc[] = "vectors/nitro/blocky-nitrite_nitro_attestation_2024-09-07.cbor";

// python3 -c 'import hashlib,struct
// def p(l,c): e=hashlib.sha384(b"EphemeralML dev PCR v1"+struct.pack(">I",len(l))+l+hashlib.sha384(c).digest()).digest(); return hashlib.sha384(bytes(48)+e).hexdigest()
// print(p(b"enclave-image",b"\x7fELF fake enclave binary")); print(p(b"enclave-config",b"{\"model\":\"minilm-l6\"}")); print(p(b"model-identity",b""))'
constexpr char kExecutable[] = "\x7f" "ELF fake enclave binary";
constexpr char kConfig[] = R"({"model":"minilm-l6"})";
constexpr char kPcr0[] =
    "300b933aa7aad31423afff556e2f630f4d4bd38af20b2ad88b8e909e3ce5be8510cc16677b52a50e0b397eb84f415a05";
constexpr char kPcr1[] =
    "b5b6568ef558394035f2f99fb973a5ce073f5a56bb85adaa43da3206cd731bff327f22b8b08bc6c94967d1f3e8b42574";
constexpr char kPcr2Empty[] =
    "c4741a525da6232359cdc66283cf72dd235d04b2aa5c1fa4041d083e5ca17bcd26691ff2e31a6cd7d9226c99fea224a9";

std::string MakeTempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "eml-dev-ca-XXXXXX").string();
  const char* dir = ::mkdtemp(tmpl.data());
  EXPECT_NE(dir, nullptr);
  return tmpl;
}

void WriteFile(const std::string& path, ByteSpan data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

mode_t ModeOf(const std::string& path) {
  struct stat st = {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

class DevProviderTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir() + "/state"; }  // the provider creates it
  void TearDown() override { std::filesystem::remove_all(std::filesystem::path(dir_).parent_path()); }

  DevProviderOptions Options(const Clock* clock) const {
    return {.state_dir = dir_,
            .measurements = ComputeDevMeasurements(AsBytes(kExecutable), AsBytes(kConfig), {}),
            .module_id = "eml-dev-test",
            .clock = clock};
  }
  std::unique_ptr<EvidenceProvider> Create(const Clock* clock) {
    StatusOr<std::unique_ptr<EvidenceProvider>> p = CreateDevNitroProvider(Options(clock));
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? *std::move(p) : nullptr;
  }
  std::string Path(const char* name) const { return dir_ + "/" + name; }
  Bytes DevRoot() const { return ReadFileOrFail(Path(kDevRootFile)); }
  NitroVerification Verify(ByteSpan doc, std::vector<ByteSpan> roots) {
    StatusOr<NitroVerification> v = VerifyNitroEvidence(doc, {.pinned_roots = std::move(roots)});
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *std::move(v) : NitroVerification{};
  }
  // Signs `payload` as a Nitro document with the stored dev leaf key, built
  // here with the generic CBOR encoder (not the provider's hand encoder).
  Bytes SignWithDevLeaf(ByteSpan payload) {
    const Bytes key_der = ReadFileOrFail(Path(kDevLeafKeyFile));
    StatusOr<crypto::P384PrivateKey> key = crypto::P384PrivateKey::FromPkcs8Der(key_der);
    EXPECT_TRUE(key.ok());
    const Bytes protected_bytes = {0xa1, 0x01, 0x38, 0x22};  // {1: -35}
    StatusOr<Bytes> tbs = cose::Sign1ToBeSigned(protected_bytes, {}, payload);
    StatusOr<Bytes> sig = key->Sign(*tbs, crypto::EcdsaSignatureFormat::kRawRS);
    EXPECT_TRUE(tbs.ok() && sig.ok());
    StatusOr<Bytes> doc = cbor::Encode(cbor::Value::FromArray(
        {cbor::Value::ByteString(protected_bytes), cbor::Value::FromMap({}),
         cbor::Value::ByteString(payload), cbor::Value::ByteString(*sig)}));
    EXPECT_TRUE(doc.ok());
    return *doc;
  }

  std::string dir_;
};

cbor::Value DecodePayload(ByteSpan doc) {
  StatusOr<cose::Sign1Message> msg = cose::ParseSign1(doc, {.allow_indefinite = true});
  EXPECT_TRUE(msg.ok()) << msg.status().ToString();
  StatusOr<cbor::Value> payload = cbor::Decode(*msg->payload, {.allow_indefinite = true});
  EXPECT_TRUE(payload.ok()) << payload.status().ToString();
  return *payload;
}

std::vector<std::string> KeyOrder(const cbor::Value& map) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : map.map()) keys.push_back(key.is_text() ? key.text() : "?");
  return keys;
}

TEST(DevPcrTest, MatchesIndependentlyComputedValues) {
  EXPECT_EQ(HexEncode(DevPcr(kDevPcrImageLabel, AsBytes(kExecutable))), kPcr0);
  EXPECT_EQ(HexEncode(DevPcr(kDevPcrConfigLabel, AsBytes(kConfig))), kPcr1);
  EXPECT_EQ(HexEncode(DevPcr(kDevPcrModelLabel, {})), kPcr2Empty);
  // The label is part of the measurement.
  EXPECT_NE(DevPcr(kDevPcrConfigLabel, AsBytes(kExecutable)), DevPcr(kDevPcrImageLabel, AsBytes(kExecutable)));
}

TEST(DevPcrTest, ChangedBinaryChangesPcr0Only) {
  const std::string dir = MakeTempDir();
  const std::string exe = dir + "/eml-enclave";
  WriteFile(exe, AsBytes(kExecutable));
  StatusOr<DevMeasurements> before = MeasureDevEnclave(exe, AsBytes(kConfig), AsBytes("model"));
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_EQ(HexEncode(before->pcr0), kPcr0);
  EXPECT_EQ(HexEncode(before->pcr1), kPcr1);
  Bytes patched = ToBytes(kExecutable);
  patched.back() ^= 0x01;
  WriteFile(exe, patched);
  StatusOr<DevMeasurements> after = MeasureDevEnclave(exe, AsBytes(kConfig), AsBytes("model"));
  ASSERT_TRUE(after.ok());
  EXPECT_NE(after->pcr0, before->pcr0);
  EXPECT_EQ(after->pcr0, DevPcr(kDevPcrImageLabel, patched));
  EXPECT_EQ(after->pcr1, before->pcr1);
  EXPECT_EQ(after->pcr2, before->pcr2);
  EXPECT_EQ(MeasureDevEnclave(dir + "/missing", {}, {}).status().code(), StatusCode::kNotFound);
  std::filesystem::remove_all(dir);
}

TEST_F(DevProviderTest, DocumentVerifiesWithTheDevRootOnly) {
  FakeClock clock(kT0Ms);
  std::unique_ptr<EvidenceProvider> provider = Create(&clock);
  ASSERT_NE(provider, nullptr);
  EXPECT_EQ(provider->platform(), "nitro");
  EXPECT_TRUE(provider->evaluation());
  const Bytes pk(32, 0xaa), user_data = ToBytes("binding"), nonce(32, 0x5c);
  StatusOr<Bytes> doc = provider->Attest(pk, user_data, nonce);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();

  const Bytes dev_root = DevRoot();
  const Bytes aws_root = ReadFileOrFail(SharedPath(kAwsRoot));
  const NitroVerification v = Verify(*doc, {dev_root});
  ASSERT_TRUE(v.verified()) << v.report.ToStatus().ToString();
  const NitroDocument& d = *v.document;
  EXPECT_EQ(d.module_id, "eml-dev-test");
  EXPECT_EQ(d.timestamp_ms, kT0Ms);
  EXPECT_EQ(*d.public_key, pk);
  EXPECT_EQ(*d.user_data, user_data);
  EXPECT_EQ(*d.nonce, nonce);
  ASSERT_EQ(d.pcrs.size(), 16u);
  EXPECT_EQ(HexEncode(d.pcrs.at(0)), kPcr0);
  EXPECT_EQ(HexEncode(d.pcrs.at(1)), kPcr1);
  EXPECT_EQ(HexEncode(d.pcrs.at(2)), kPcr2Empty);
  for (uint32_t i = 3; i < 16; ++i) EXPECT_EQ(d.pcrs.at(i), Bytes(48, 0)) << i;
  ASSERT_EQ(d.cabundle_der.size(), 2u);
  EXPECT_EQ(d.cabundle_der[0], dev_root);
  EXPECT_EQ(d.cabundle_der[1], ReadFileOrFail(Path(kDevIntermediateFile)));
  EXPECT_EQ(d.certificate_der, ReadFileOrFail(Path(kDevLeafFile)));

  // Pinning only the AWS root rejects it; with both pinned, the dev root matches.
  const NitroVerification aws_only = Verify(*doc, {aws_root});
  EXPECT_FALSE(aws_only.verified());
  EXPECT_FALSE(aws_only.report.checks[2].passed);  // ROOT_PINNED
  const NitroVerification both = Verify(*doc, {aws_root, dev_root});
  EXPECT_TRUE(both.verified());
  EXPECT_EQ(both.matched_root, 1u);
  // And the real AWS document fails with the dev root, passes with both.
  const Bytes aws_doc = ReadFileOrFail(SharedPath(kAwsDoc));
  EXPECT_FALSE(Verify(aws_doc, {dev_root}).verified());
  const NitroVerification real = Verify(aws_doc, {aws_root, dev_root});
  EXPECT_TRUE(real.verified());
  EXPECT_EQ(real.matched_root, 0u);
}

TEST_F(DevProviderTest, DocumentHasTheRealDocumentsShape) {
  FakeClock clock(kT0Ms);
  std::unique_ptr<EvidenceProvider> provider = Create(&clock);
  StatusOr<Bytes> dev = provider->Attest({}, AsBytes("u"), {});
  ASSERT_TRUE(dev.ok());
  const Bytes real = ReadFileOrFail(SharedPath(kAwsDoc));
  StatusOr<cose::Sign1Message> a = cose::ParseSign1(*dev);
  StatusOr<cose::Sign1Message> b = cose::ParseSign1(real);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->tagged, b->tagged);  // untagged (index.json: cose_tagged false)
  EXPECT_FALSE(a->tagged);
  EXPECT_EQ(a->protected_bytes, b->protected_bytes);  // {1: -35}
  EXPECT_EQ(HexEncode(a->protected_bytes), "a1013822");
  EXPECT_TRUE(a->unprotected_headers.map().empty());
  EXPECT_EQ(a->signature.size(), 96u);
  EXPECT_EQ(KeyOrder(DecodePayload(*dev)), KeyOrder(DecodePayload(real)));
  // Empty fields are null, as NSM writes them.
  const cbor::Value payload = DecodePayload(*dev);
  EXPECT_TRUE(payload.FindText("public_key")->is_null());
  EXPECT_TRUE(payload.FindText("nonce")->is_null());
  EXPECT_TRUE(payload.FindText("user_data")->is_bytes());
}

TEST_F(DevProviderTest, EverySingleByteChangeIsRejected) {
  FakeClock clock(kT0Ms);
  std::unique_ptr<EvidenceProvider> provider = Create(&clock);
  StatusOr<Bytes> doc = provider->Attest(Bytes(32, 1), Bytes(64, 2), Bytes(32, 3));
  ASSERT_TRUE(doc.ok());
  const Bytes root = DevRoot();
  ASSERT_TRUE(Verify(*doc, {root}).verified());
  for (size_t i = 0; i < doc->size(); ++i) {
    Bytes bad = *doc;
    bad[i] ^= 0xff;
    StatusOr<NitroVerification> v = VerifyNitroEvidence(bad, {.pinned_roots = {root}});
    ASSERT_TRUE(v.ok());
    ASSERT_FALSE(v->verified()) << "byte " << i;
  }
}

TEST_F(DevProviderTest, StateDirectoryIsReused) {
  FakeClock clock(kT0Ms);
  ASSERT_NE(Create(&clock), nullptr);
  const Bytes root = DevRoot();
  const Bytes leaf = ReadFileOrFail(Path(kDevLeafFile));
  EXPECT_EQ(ModeOf(dir_), 0700u);
  for (const char* key : {kDevRootKeyFile, kDevIntermediateKeyFile, kDevLeafKeyFile}) {
    EXPECT_EQ(ModeOf(Path(key)), 0600u) << key;
  }
  clock.AdvanceMillis(10 * kDayMs);
  std::unique_ptr<EvidenceProvider> again = Create(&clock);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(DevRoot(), root);
  EXPECT_EQ(ReadFileOrFail(Path(kDevLeafFile)), leaf);
  StatusOr<Bytes> doc = again->Attest({}, {}, AsBytes("n"));
  ASSERT_TRUE(doc.ok());
  EXPECT_TRUE(Verify(*doc, {root}).verified());
}

TEST_F(DevProviderTest, LeafIsRenewedUnderTheSameRoot) {
  FakeClock clock(kT0Ms);
  ASSERT_NE(Create(&clock), nullptr);
  const Bytes root = DevRoot();
  const Bytes leaf = ReadFileOrFail(Path(kDevLeafFile));
  clock.AdvanceMillis(340 * kDayMs);  // less than 30 days of the 1-year leaf left
  std::unique_ptr<EvidenceProvider> renewed = Create(&clock);
  ASSERT_NE(renewed, nullptr);
  EXPECT_EQ(DevRoot(), root);
  EXPECT_NE(ReadFileOrFail(Path(kDevLeafFile)), leaf);
  clock.AdvanceMillis(100 * kDayMs);  // past the old leaf's end
  StatusOr<Bytes> doc = renewed->Attest({}, {}, {});
  ASSERT_TRUE(doc.ok());
  EXPECT_TRUE(Verify(*doc, {root}).verified());
}

TEST_F(DevProviderTest, AttestRefusesOnceTheLeafExpired) {
  FakeClock clock(kT0Ms);
  std::unique_ptr<EvidenceProvider> provider = Create(&clock);
  clock.AdvanceMillis(366 * kDayMs);
  EXPECT_EQ(provider->Attest({}, {}, {}).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(DevProviderTest, DamagedStateIsAnErrorNotANewRoot) {
  FakeClock clock(kT0Ms);
  ASSERT_NE(Create(&clock), nullptr);
  const Bytes root = DevRoot();
  auto expect_refused = [&](const char* what) {
    StatusOr<std::unique_ptr<EvidenceProvider>> p = CreateDevNitroProvider(Options(&clock));
    EXPECT_EQ(p.status().code(), StatusCode::kFailedPrecondition) << what;
    EXPECT_EQ(DevRoot(), root) << what;
    return p.status().message();
  };
  // A missing intermediate.
  const Bytes mid = ReadFileOrFail(Path(kDevIntermediateFile));
  std::filesystem::remove(Path(kDevIntermediateFile));
  EXPECT_NE(expect_refused("missing").find(kDevIntermediateFile), std::string::npos);
  WriteFile(Path(kDevIntermediateFile), mid);
  // A truncated intermediate certificate.
  WriteFile(Path(kDevIntermediateFile), ByteSpan(mid).first(mid.size() - 1));
  EXPECT_NE(expect_refused("truncated").find(kDevIntermediateFile), std::string::npos);
  WriteFile(Path(kDevIntermediateFile), mid);
  // A key readable by others.
  ASSERT_EQ(::chmod(Path(kDevRootKeyFile).c_str(), 0640), 0);  // group-readable is enough
  EXPECT_NE(expect_refused("mode").find("chmod 600"), std::string::npos);
  ASSERT_EQ(::chmod(Path(kDevRootKeyFile).c_str(), 0600), 0);
  // Keys swapped between files.
  const Bytes mid_key = ReadFileOrFail(Path(kDevIntermediateKeyFile));
  const Bytes leaf_key = ReadFileOrFail(Path(kDevLeafKeyFile));
  WriteFile(Path(kDevLeafKeyFile), mid_key);
  EXPECT_NE(expect_refused("mismatch").find("does not match"), std::string::npos);
  WriteFile(Path(kDevLeafKeyFile), leaf_key);
  // Garbage in a key file; messages never echo the file's bytes.
  WriteFile(Path(kDevIntermediateKeyFile), AsBytes("SECRETSECRET"));
  EXPECT_EQ(expect_refused("garbage key").find("SECRET"), std::string::npos);
  WriteFile(Path(kDevIntermediateKeyFile), mid_key);
  // Only one of the leaf pair.
  std::filesystem::remove(Path(kDevLeafFile));
  expect_refused("half a leaf");
  // Both leaf files gone: a new leaf under the same root.
  std::filesystem::remove(Path(kDevLeafKeyFile));
  std::unique_ptr<EvidenceProvider> p = Create(&clock);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(DevRoot(), root);
  // Still usable after all that.
  StatusOr<Bytes> doc = p->Attest({}, {}, {});
  ASSERT_TRUE(doc.ok());
  EXPECT_TRUE(Verify(*doc, {root}).verified());
}

TEST_F(DevProviderTest, ARootWithoutItsFilesIsNotReplaced) {
  FakeClock clock(kT0Ms);
  ASSERT_NE(Create(&clock), nullptr);
  std::filesystem::remove(Path(kDevRootFile));
  StatusOr<std::unique_ptr<EvidenceProvider>> p = CreateDevNitroProvider(Options(&clock));
  EXPECT_EQ(p.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(std::filesystem::exists(Path(kDevRootFile)));
}

TEST_F(DevProviderTest, IndefiniteLengthPayloadVerifies) {
  FakeClock clock(kT0Ms);
  std::unique_ptr<EvidenceProvider> provider = Create(&clock);
  StatusOr<Bytes> doc = provider->Attest(Bytes(16, 7), {}, Bytes(8, 9));
  ASSERT_TRUE(doc.ok());
  // Re-encode the payload map with an indefinite length (0xbf ... 0xff).
  const cbor::Value payload = DecodePayload(*doc);
  Bytes indefinite = {0xbf};
  for (const auto& [key, value] : payload.map()) {
    ASSERT_TRUE(cbor::EncodeTo(key, &indefinite).ok());
    ASSERT_TRUE(cbor::EncodeTo(value, &indefinite).ok());
  }
  indefinite.push_back(0xff);
  const Bytes resigned = SignWithDevLeaf(indefinite);
  const NitroVerification v = Verify(resigned, {DevRoot()});
  ASSERT_TRUE(v.verified()) << v.report.ToStatus().ToString();
  EXPECT_EQ(*v.document->public_key, Bytes(16, 7));
  EXPECT_EQ(*v.document->nonce, Bytes(8, 9));
  EXPECT_FALSE(v.document->user_data.has_value());
  // The definite re-encoding signed the same way also verifies (control).
  StatusOr<Bytes> definite = cbor::Encode(payload);
  ASSERT_TRUE(definite.ok());
  EXPECT_TRUE(Verify(SignWithDevLeaf(*definite), {DevRoot()}).verified());
  // Tagged (18) COSE_Sign1 is accepted too.
  const Bytes tagged = Concat({Bytes{0xd2}, *doc});
  EXPECT_TRUE(Verify(tagged, {DevRoot()}).verified());
}

TEST_F(DevProviderTest, OversizeFieldsAreRejected) {
  FakeClock clock(kT0Ms);
  std::unique_ptr<EvidenceProvider> provider = Create(&clock);
  const Bytes max(1024, 0x11), over(1025, 0x11);
  EXPECT_TRUE(provider->Attest(max, max, max).ok());
  EXPECT_EQ(provider->Attest(over, {}, {}).status().code(), StatusCode::kLimitExceeded);
  EXPECT_EQ(provider->Attest({}, over, {}).status().code(), StatusCode::kLimitExceeded);
  EXPECT_EQ(provider->Attest({}, {}, over).status().code(), StatusCode::kLimitExceeded);
  // A correctly signed document with a 1025-byte field fails PAYLOAD_FIELDS.
  StatusOr<Bytes> doc = provider->Attest({}, {}, {});
  ASSERT_TRUE(doc.ok());
  for (const char* field : {"public_key", "user_data", "nonce"}) {
    cbor::Value payload = DecodePayload(*doc);
    for (auto& [key, value] : payload.mutable_map()) {
      if (key.text() == field) value = cbor::Value::ByteString(over);
    }
    StatusOr<Bytes> encoded = cbor::Encode(payload);
    ASSERT_TRUE(encoded.ok());
    const NitroVerification v = Verify(SignWithDevLeaf(*encoded), {DevRoot()});
    EXPECT_FALSE(v.verified()) << field;
    EXPECT_EQ(v.report.checks[1].id, "PAYLOAD_FIELDS");
    EXPECT_EQ(v.report.checks[1].code, "LIMIT_EXCEEDED") << field;
  }
}

TEST_F(DevProviderTest, RejectsBadOptions) {
  FakeClock clock(kT0Ms);
  DevProviderOptions options = Options(&clock);
  options.measurements.pcr1.pop_back();
  EXPECT_EQ(CreateDevNitroProvider(options).status().code(), StatusCode::kInvalidArgument);
  options = Options(&clock);
  options.module_id = "";
  EXPECT_EQ(CreateDevNitroProvider(options).status().code(), StatusCode::kInvalidArgument);
  options.module_id = "\xc3";  // truncated UTF-8
  EXPECT_EQ(CreateDevNitroProvider(options).status().code(), StatusCode::kInvalidArgument);
  options = Options(&clock);
  options.state_dir = "";
  EXPECT_EQ(CreateDevNitroProvider(options).status().code(), StatusCode::kInvalidArgument);
  options.state_dir = dir_ + "/no/such/parent";
  EXPECT_EQ(CreateDevNitroProvider(options).status().code(), StatusCode::kIo);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/" + kDevRootFile));  // nothing was created
}

TEST_F(DevProviderTest, ConcurrentAttestationsAllVerify) {
  std::unique_ptr<EvidenceProvider> provider = Create(nullptr);  // system clock
  ASSERT_NE(provider, nullptr);
  const Bytes root = DevRoot();
  std::atomic<int> verified{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 8; ++i) {
        const Bytes nonce = {static_cast<uint8_t>(t), static_cast<uint8_t>(i)};
        StatusOr<Bytes> doc = provider->Attest({}, {}, nonce);
        if (!doc.ok()) continue;
        StatusOr<NitroVerification> v = VerifyNitroEvidence(*doc, {.pinned_roots = {root}});
        if (v.ok() && v->verified() && v->document->nonce == nonce) ++verified;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(verified.load(), 32);
}

double ThreadCpuMs() {
  timespec t = {};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

// A measurement, not an assertion (timings belong in bench/): the handshake
// budget is 5 ms for generation plus verification. CPU time is printed too
// because wall time on a shared build machine includes waiting for a core.
TEST_F(DevProviderTest, LogsGenerationAndVerificationTime) {
  std::unique_ptr<EvidenceProvider> provider = Create(nullptr);
  ASSERT_NE(provider, nullptr);
  const Bytes root = DevRoot();
  const Bytes pk(32, 1), user_data(101, 2), nonce(32, 3);
  constexpr int kRounds = 40;
  double attest_ms = 0, verify_ms = 0, attest_cpu = 0, verify_cpu = 0;
  for (int i = 0; i < kRounds; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = ThreadCpuMs();
    StatusOr<Bytes> doc = provider->Attest(pk, user_data, nonce);
    const auto t1 = std::chrono::steady_clock::now();
    const double c1 = ThreadCpuMs();
    ASSERT_TRUE(doc.ok());
    StatusOr<NitroVerification> v = VerifyNitroEvidence(*doc, {.pinned_roots = {root}});
    const auto t2 = std::chrono::steady_clock::now();
    const double c2 = ThreadCpuMs();
    ASSERT_TRUE(v.ok() && v->verified());
    attest_ms += std::chrono::duration<double, std::milli>(t1 - t0).count();
    verify_ms += std::chrono::duration<double, std::milli>(t2 - t1).count();
    attest_cpu += c1 - c0;
    verify_cpu += c2 - c1;
  }
  std::printf("[ timing ] dev Nitro evidence, mean of %d: attest %.3f ms + verify %.3f ms = %.3f ms "
              "wall; CPU %.3f + %.3f = %.3f ms\n",
              kRounds, attest_ms / kRounds, verify_ms / kRounds, (attest_ms + verify_ms) / kRounds,
              attest_cpu / kRounds, verify_cpu / kRounds, (attest_cpu + verify_cpu) / kRounds);
}

}  // namespace
}  // namespace eml::attest

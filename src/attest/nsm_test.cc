// The NSM client (attest/nsm.h) against the example encodings in
// ../shared/vectors/nsm/cbor_examples.tsv (derived from the nsm-api rules
// and checked against the Linux driver's GetRandom bytes, FACTS.md), and
// against the simulated device (attest/nsm_sim.h) through bytes only.
// Expected PCR values were computed with Python's hashlib.
#include "attest/nsm.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "attest/dev_provider.h"
#include "attest/nitro.h"
#include "attest/nsm_sim.h"
#include "cbor/decode.h"
#include "core/clock.h"
#include "core/encoding.h"
#include "cose/sign1.h"
#include "tests/testing.h"

namespace eml::attest {
namespace {

using eml::testing::Hex;
using eml::testing::ReadFileOrFail;
using eml::testing::SharedPath;

// SHA-384(48 zero bytes || 01 02 03), then SHA-384(that || "second") (hashlib).
constexpr char kExtend010203[] =
    "cb178fcd3f328244c05c6248723fd068b3a1dda878e1ab8be911098f199958add55d0c27f04826d27b44d949a650694e";
constexpr char kExtendSecond[] =
    "f6a78c2253ca422e0b5b02d8274af50b031d435dbe707e8cc3eaf42e03195740148f1a5e664fe28b8f88970a0d5ea35f";
constexpr size_t kExampleCount = 20;  // lines in cbor_examples.tsv

std::map<std::string, Bytes> LoadExamples() {
  std::map<std::string, Bytes> out;
  std::istringstream lines(eml::testing::ReadTextOrFail(SharedPath("vectors/nsm/cbor_examples.tsv")));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    const size_t tab = line.find('\t');
    EXPECT_NE(tab, std::string::npos) << line;
    if (tab == std::string::npos) continue;
    out[line.substr(0, tab)] = Hex(line.substr(tab + 1));
  }
  return out;
}

class NsmExamplesTest : public ::testing::Test {
 protected:
  const Bytes& Example(const std::string& label) {
    auto it = examples_.find(label);
    if (it == examples_.end()) {
      ADD_FAILURE() << "missing example " << label;  // a skipped vector fails
      static const Bytes empty;
      return empty;
    }
    used_.insert(label);
    return it->second;
  }
  void TearDown() override {
    if (HasFailure()) return;
    EXPECT_EQ(examples_.size(), kExampleCount);
  }
  const std::map<std::string, Bytes> examples_ = LoadExamples();
  std::set<std::string> used_;
};

TEST_F(NsmExamplesTest, EncodersReproduceEveryRequest) {
  EXPECT_EQ(EncodeNsmDescribeRequest(), Example("Request DescribeNSM"));
  EXPECT_EQ(EncodeNsmGetRandomRequest(), Example("Request GetRandom"));
  EXPECT_EQ(EncodeNsmDescribePcrRequest(0), Example("Request DescribePCR{index:0}"));
  EXPECT_EQ(EncodeNsmDescribePcrRequest(16), Example("Request DescribePCR{index:16}"));
  EXPECT_EQ(EncodeNsmExtendPcrRequest(16, Bytes{1, 2, 3}),
            Example("Request ExtendPCR{index:16, data:010203}"));
  EXPECT_EQ(EncodeNsmLockPcrRequest(16), Example("Request LockPCR{index:16}"));
  EXPECT_EQ(EncodeNsmLockPcrsRequest(16), Example("Request LockPCRs{range:16}"));
  EXPECT_EQ(EncodeNsmAttestationRequest({}, {}, {}), Example("Request Attestation{all None}"));
  EXPECT_EQ(EncodeNsmAttestationRequest(AsBytes("hello"), Hex("aaaaaaaa"), Hex("302a")),
            Example("Request Attestation{user_data:'hello', nonce:aaaaaaaa, public_key:302a}"));
}

TEST_F(NsmExamplesTest, ParsersReadEveryResponse) {
  StatusOr<NsmPcrState> pcr = ParseNsmDescribePcrResponse(Example("Response DescribePCR{lock:true, data:11*48}"));
  ASSERT_TRUE(pcr.ok()) << pcr.status().ToString();
  EXPECT_TRUE(pcr->locked);
  EXPECT_EQ(pcr->value, Bytes(48, 0x11));
  StatusOr<Bytes> extended = ParseNsmExtendPcrResponse(Example("Response ExtendPCR{data:22*48}"));
  ASSERT_TRUE(extended.ok()) << extended.status().ToString();
  EXPECT_EQ(*extended, Bytes(48, 0x22));
  EXPECT_TRUE(ParseNsmLockPcrResponse(Example("Response LockPCR")).ok());
  EXPECT_TRUE(ParseNsmLockPcrsResponse(Example("Response LockPCRs")).ok());
  StatusOr<NsmDescription> d =
      ParseNsmDescribeResponse(Example("Response DescribeNSM{1,0,0,'i-0123-enc0123',32,[0,1,2],SHA384}"));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->version_major, 1);
  EXPECT_EQ(d->version_minor, 0);
  EXPECT_EQ(d->version_patch, 0);
  EXPECT_EQ(d->module_id, "i-0123-enc0123");
  EXPECT_EQ(d->max_pcrs, 32);
  EXPECT_EQ(d->locked_pcrs, (std::vector<uint16_t>{0, 1, 2}));
  EXPECT_EQ(d->digest, "SHA384");
  StatusOr<Bytes> doc = ParseNsmAttestationResponse(Example("Response Attestation{document:8444}"));
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(*doc, Hex("8444"));
  StatusOr<Bytes> random = ParseNsmGetRandomResponse(Example("Response GetRandom{random:5a5a5a5a}"));
  ASSERT_TRUE(random.ok()) << random.status().ToString();
  EXPECT_EQ(*random, Hex("5a5a5a5a"));
}

TEST_F(NsmExamplesTest, ErrorResponsesBecomeStatusCodes) {
  const struct {
    const char* label;
    StatusCode code;
    const char* name;
  } cases[] = {
      {"Response Error(InvalidArgument)", StatusCode::kInvalidArgument, "InvalidArgument"},
      {"Response Error(InvalidIndex)", StatusCode::kOutOfRange, "InvalidIndex"},
      {"Response Error(ReadOnlyIndex)", StatusCode::kFailedPrecondition, "ReadOnlyIndex"},
      {"Response Error(InputTooLarge)", StatusCode::kLimitExceeded, "InputTooLarge"},
  };
  for (const auto& c : cases) {
    const Bytes& response = Example(c.label);
    // Every typed parser maps the error the same way.
    const Status statuses[] = {
        ParseNsmDescribePcrResponse(response).status(), ParseNsmExtendPcrResponse(response).status(),
        ParseNsmLockPcrResponse(response),              ParseNsmLockPcrsResponse(response),
        ParseNsmDescribeResponse(response).status(),    ParseNsmAttestationResponse(response).status(),
        ParseNsmGetRandomResponse(response).status()};
    for (const Status& s : statuses) {
      EXPECT_EQ(s.code(), c.code) << c.label << ": " << s.ToString();
      EXPECT_NE(s.message().find(c.name), std::string::npos) << s.ToString();
    }
  }
}

TEST_F(NsmExamplesTest, ResponsesAreNotAcceptedForAnotherRequest) {
  EXPECT_EQ(ParseNsmExtendPcrResponse(Example("Response DescribePCR{lock:true, data:11*48}")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseNsmLockPcrResponse(Example("Response LockPCRs")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseNsmLockPcrsResponse(Example("Response LockPCR")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseNsmGetRandomResponse(Example("Response Attestation{document:8444}")).status().code(),
            StatusCode::kInvalidArgument);
  // A request is not a response.
  EXPECT_FALSE(ParseNsmDescribeResponse(Example("Request DescribeNSM")).ok());
}

TEST_F(NsmExamplesTest, EveryTruncationAndFlipIsHandled) {
  for (const auto& [label, bytes] : examples_) {
    if (label.rfind("Response", 0) != 0) continue;
    for (size_t len = 0; len < bytes.size(); ++len) {
      const ByteSpan cut = ByteSpan(bytes).first(len);
      EXPECT_FALSE(ParseNsmDescribePcrResponse(cut).ok()) << label << " " << len;
      EXPECT_FALSE(ParseNsmExtendPcrResponse(cut).ok()) << label << " " << len;
      EXPECT_FALSE(ParseNsmDescribeResponse(cut).ok()) << label << " " << len;
      EXPECT_FALSE(ParseNsmGetRandomResponse(cut).ok()) << label << " " << len;
      EXPECT_FALSE(ParseNsmAttestationResponse(cut).ok()) << label << " " << len;
      // The unit answers are prefixes of nothing shorter that parses.
      EXPECT_FALSE(ParseNsmLockPcrResponse(cut).ok() && len < bytes.size()) << label << " " << len;
    }
    for (size_t i = 0; i < bytes.size(); ++i) {
      Bytes flipped = bytes;
      flipped[i] ^= 0xff;
      // No crash; whatever parses must be within limits.
      StatusOr<NsmPcrState> pcr = ParseNsmDescribePcrResponse(flipped);
      if (pcr.ok()) {
        EXPECT_EQ(pcr->value.size(), kNsmPcrSize);
      }
      (void)ParseNsmDescribeResponse(flipped);
      (void)ParseNsmAttestationResponse(flipped);
    }
  }
}

TEST(NsmParseTest, RejectsMalformedResponses) {
  Bytes big(kNsmMaxResponseSize + 1, 0x00);
  EXPECT_EQ(ParseNsmGetRandomResponse(big).status().code(), StatusCode::kLimitExceeded);
  // A well-formed Attestation response one byte over the response limit.
  const std::string attestation_head = "a16b4174746573746174696f6ea168646f63756d656e74";  // ..."document"
  const size_t doc_size = kNsmMaxResponseSize + 1 - attestation_head.size() / 2 - 3;
  Bytes over = Hex(attestation_head + "59" + HexEncode(Bytes{uint8_t(doc_size >> 8), uint8_t(doc_size)}));
  over.resize(kNsmMaxResponseSize + 1, 0x84);
  EXPECT_EQ(ParseNsmAttestationResponse(over).status().code(), StatusCode::kLimitExceeded);
  over.resize(kNsmMaxResponseSize);  // one byte short of its own length now
  EXPECT_EQ(ParseNsmAttestationResponse(over).status().code(), StatusCode::kOutOfRange);
  // The variant name must match, even when the fields would.
  const std::string ones(96, '1');
  EXPECT_EQ(ParseNsmExtendPcrResponse(Hex("a16b4465736372696265504352a164646174615830" + ones)).status().code(),
            StatusCode::kInvalidArgument);  // {"DescribePCR": {"data": ...}}
  EXPECT_EQ(ParseNsmGetRandomResponse(Hex("a163466f6fa16672616e646f6d415a")).status().code(),
            StatusCode::kInvalidArgument);  // {"Foo": {"random": h'5a'}}
  EXPECT_TRUE(ParseNsmGetRandomResponse(Hex("a16947657452616e646f6da16672616e646f6d415a")).ok());
  // Trailing byte after a valid response.
  EXPECT_FALSE(ParseNsmLockPcrResponse(Hex("674c6f636b50435200")).ok());
  // DescribePCR with a 47-byte value; with an extra field {"ext": 0}.
  const std::string head = "a16b4465736372696265504352";
  EXPECT_TRUE(ParseNsmDescribePcrResponse(Hex(head + "a2646c6f636bf564646174615830" + ones)).ok());
  EXPECT_FALSE(ParseNsmDescribePcrResponse(Hex(head + "a2646c6f636bf56464617461582f" + ones.substr(2))).ok());
  EXPECT_FALSE(ParseNsmDescribePcrResponse(Hex(head + "a3646c6f636bf564646174615830" + ones + "6365787400")).ok());
  // lock is not a bool.
  EXPECT_FALSE(ParseNsmDescribePcrResponse(
                   Hex("a16b4465736372696265504352a2646c6f636b0164646174615830" + std::string(96, '1')))
                   .ok());
  // DescribeNSM with locked_pcrs out of order ([2, 1]).
  EXPECT_EQ(ParseNsmDescribeResponse(
                Hex("a16b44657363726962654e534da76d76657273696f6e5f6d616a6f72016d76657273696f6e5f6d696e"
                    "6f72006d76657273696f6e5f706174636800696d6f64756c655f69646e692d303132332d656e633031"
                    "3233686d61785f7063727318206b6c6f636b65645f70637273820201666469676573746653484133"
                    "3834"))
                .status().code(),
            StatusCode::kInvalidArgument);
  // An unknown error name.
  EXPECT_EQ(ParseNsmLockPcrResponse(Hex("a1654572726f7263466f6f")).code(), StatusCode::kInternal);
  // The error value must be text.
  EXPECT_EQ(ParseNsmLockPcrResponse(Hex("a1654572726f7201")).code(), StatusCode::kInvalidArgument);
}

TEST(NsmErrorTest, EveryErrorHasANameAndACode) {
  const std::pair<NsmError, StatusCode> table[] = {
      {NsmError::kInvalidArgument, StatusCode::kInvalidArgument},
      {NsmError::kInvalidIndex, StatusCode::kOutOfRange},
      {NsmError::kInvalidResponse, StatusCode::kInternal},
      {NsmError::kReadOnlyIndex, StatusCode::kFailedPrecondition},
      {NsmError::kInvalidOperation, StatusCode::kUnsupported},
      {NsmError::kBufferTooSmall, StatusCode::kLimitExceeded},
      {NsmError::kInputTooLarge, StatusCode::kLimitExceeded},
      {NsmError::kInternalError, StatusCode::kInternal},
  };
  for (const auto& [error, code] : table) {
    const std::string_view name = NsmErrorName(error);
    EXPECT_EQ(NsmErrorFromName(name), error) << name;
    EXPECT_EQ(NsmErrorStatus(error, "LockPCR").code(), code) << name;
    EXPECT_EQ(NsmErrorStatus(error, "LockPCR").message(),
              "nsm: LockPCR: device error " + std::string(name));
  }
  EXPECT_EQ(NsmErrorFromName("Success"), std::nullopt);
}

// ---- Against the simulator ---------------------------------------------------

// Forwards bytes to the simulator and remembers them, so the tests see that
// the client speaks only through Transact.
class RecordingDevice final : public NsmDevice {
 public:
  explicit RecordingDevice(NsmDevice* inner) : inner_(inner) {}
  StatusOr<Bytes> Transact(ByteSpan request) override {
    requests.emplace_back(request.begin(), request.end());
    return inner_->Transact(request);
  }
  bool simulated() const override { return inner_->simulated(); }
  std::vector<Bytes> requests;

 private:
  NsmDevice* inner_;
};

// A device that answers one canned response.
class CannedDevice final : public NsmDevice {
 public:
  CannedDevice(std::vector<Bytes> responses, bool simulated)
      : responses_(std::move(responses)), simulated_(simulated) {}
  StatusOr<Bytes> Transact(ByteSpan) override {
    if (next_ >= responses_.size()) return InternalError("no more canned responses");
    return responses_[next_++];
  }
  bool simulated() const override { return simulated_; }

 private:
  std::vector<Bytes> responses_;
  size_t next_ = 0;
  bool simulated_;
};

class NsmSimTest : public NsmExamplesTest {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("eml-nsm-test-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    SimulatedNsmOptions options;
    options.state_dir = (dir_ / "ca").string();
    options.boot_pcrs = {{0, Bytes(48, 0x11)}, {1, Bytes(48, 0xa1)}, {2, Bytes(48, 0xa2)}};
    options.clock = &clock_;
    StatusOr<std::unique_ptr<SimulatedNsmDevice>> sim = SimulatedNsmDevice::Create(options);
    ASSERT_TRUE(sim.ok()) << sim.status().ToString();
    sim_ = std::move(*sim);
    device_ = std::make_unique<RecordingDevice>(sim_.get());
    root_ = ReadFileOrFail(options.state_dir + "/dev-root.der");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Bytes Raw(const Bytes& request) {
    StatusOr<Bytes> r = sim_->Transact(request);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : Bytes{};
  }

  FakeClock clock_{SystemClock::Get().NowUnixMillis()};
  std::filesystem::path dir_;
  std::unique_ptr<SimulatedNsmDevice> sim_;
  std::unique_ptr<RecordingDevice> device_;
  Bytes root_;
};

TEST_F(NsmSimTest, SimulatorReadsTheExampleRequestsAndWritesTheExampleResponses) {
  // PCR0 holds 0x11 * 48 and is read-only: exactly the DescribePCR example.
  EXPECT_EQ(Raw(Example("Request DescribePCR{index:0}")),
            Example("Response DescribePCR{lock:true, data:11*48}"));
  EXPECT_EQ(Raw(Example("Request LockPCR{index:16}")), Example("Response LockPCR"));
  EXPECT_EQ(Raw(Example("Request LockPCRs{range:16}")), Example("Response LockPCRs"));
  // PCR16 is locked now: extending it is refused as on hardware.
  EXPECT_EQ(Raw(Example("Request ExtendPCR{index:16, data:010203}")), Example("Response Error(ReadOnlyIndex)"));
  EXPECT_EQ(Raw(EncodeNsmDescribePcrRequest(32)), Example("Response Error(InvalidIndex)"));
  EXPECT_EQ(Raw(Hex("ff")), Example("Response Error(InvalidArgument)"));
  EXPECT_EQ(Raw(Hex("6b4465736372696265504352")), Example("Response Error(InvalidArgument)"));  // unit DescribePCR
  EXPECT_EQ(Raw(Bytes(kNsmMaxRequestSize + 1, 0x40)), Example("Response Error(InputTooLarge)"));
  EXPECT_EQ(Raw(EncodeNsmAttestationRequest(Bytes(1025, 1), {}, {})), Example("Response Error(InputTooLarge)"));
  StatusOr<NsmDescription> d = ParseNsmDescribeResponse(Raw(Example("Request DescribeNSM")));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  StatusOr<Bytes> random = ParseNsmGetRandomResponse(Raw(Example("Request GetRandom")));
  ASSERT_TRUE(random.ok());
  EXPECT_EQ(random->size(), kNsmSimRandomSize);
  StatusOr<Bytes> doc = ParseNsmAttestationResponse(
      Raw(Example("Request Attestation{user_data:'hello', nonce:aaaaaaaa, public_key:302a}")));
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  StatusOr<NitroDocument> parsed = VerifyNitroDocument(*doc, root_);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed->user_data, ToBytes("hello"));
  EXPECT_EQ(*parsed->nonce, Hex("aaaaaaaa"));
  EXPECT_EQ(*parsed->public_key, Hex("302a"));
}

TEST_F(NsmSimTest, PcrBankExtendLockAndReadOnlyIndexes) {
  NsmDevice& dev = *device_;
  StatusOr<NsmDescription> d = NsmDescribe(dev);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->max_pcrs, 32);
  EXPECT_EQ(d->digest, "SHA384");
  EXPECT_EQ(d->locked_pcrs, (std::vector<uint16_t>{0, 1, 2, 3, 4, 8}));
  for (uint16_t ro : {0, 1, 2, 3, 4, 8}) {
    EXPECT_EQ(NsmExtendPcr(dev, ro, Bytes{1}).status().code(), StatusCode::kFailedPrecondition) << ro;
  }
  StatusOr<NsmPcrState> pcr0 = NsmDescribePcr(dev, 0);
  ASSERT_TRUE(pcr0.ok());
  EXPECT_TRUE(pcr0->locked);
  EXPECT_EQ(pcr0->value, Bytes(48, 0x11));
  StatusOr<Bytes> v = NsmExtendPcr(dev, 16, Bytes{1, 2, 3});
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(HexEncode(*v), kExtend010203);
  v = NsmExtendPcr(dev, 16, AsBytes("second"));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(HexEncode(*v), kExtendSecond);
  StatusOr<NsmPcrState> pcr16 = NsmDescribePcr(dev, 16);
  ASSERT_TRUE(pcr16.ok());
  EXPECT_FALSE(pcr16->locked);
  EXPECT_EQ(HexEncode(pcr16->value), kExtendSecond);
  ASSERT_TRUE(NsmLockPcr(dev, 16).ok());
  EXPECT_EQ(NsmExtendPcr(dev, 16, Bytes{1}).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(NsmDescribePcr(dev, 16)->locked);
  EXPECT_TRUE(NsmLockPcr(dev, 16).ok());  // locking twice is fine
  EXPECT_EQ(NsmDescribePcr(dev, 32).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(NsmExtendPcr(dev, 32, Bytes{1}).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(NsmLockPcr(dev, 32).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(NsmLockPcrs(dev, 33).code(), StatusCode::kOutOfRange);
  ASSERT_TRUE(NsmLockPcrs(dev, 20).ok());
  EXPECT_EQ(NsmExtendPcr(dev, 19, Bytes{1}).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(NsmExtendPcr(dev, 20, Bytes{1}).ok());
  d = NsmDescribe(dev);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->locked_pcrs.size(), 20u);
  // The client refuses an ExtendPCR request over 4096 bytes without sending it.
  const size_t sent = device_->requests.size();
  EXPECT_EQ(NsmExtendPcr(dev, 20, Bytes(kNsmMaxRequestSize, 1)).status().code(), StatusCode::kLimitExceeded);
  EXPECT_EQ(device_->requests.size(), sent);
}

TEST_F(NsmSimTest, GetRandomIsFresh) {
  StatusOr<Bytes> a = NsmGetRandom(*device_);
  StatusOr<Bytes> b = NsmGetRandom(*device_);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), kNsmSimRandomSize);
  EXPECT_NE(*a, *b);
}

TEST_F(NsmSimTest, AttestationIsAVerifiedNitroDocumentOfTheCurrentPcrs) {
  ASSERT_TRUE(NsmExtendPcr(*device_, 5, Bytes{1, 2, 3}).ok());
  StatusOr<Bytes> doc = NsmAttestation(*device_, Bytes(1024, 0x01), Bytes(32, 0x02), Bytes(32, 0x03));
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  StatusOr<NitroVerification> v =
      VerifyNitroEvidence(*doc, {.pinned_roots = {root_}, .clock = &clock_, .max_age_millis = 60'000});
  ASSERT_TRUE(v.ok());
  ASSERT_TRUE(v->verified()) << v->report.ToStatus().ToString();
  const NitroDocument& d = *v->document;
  EXPECT_EQ(d.pcrs.size(), kNsmSimDocumentPcrs);
  EXPECT_EQ(d.pcrs.at(0), Bytes(48, 0x11));
  EXPECT_EQ(d.pcrs.at(2), Bytes(48, 0xa2));
  EXPECT_EQ(HexEncode(d.pcrs.at(5)), kExtend010203);
  EXPECT_EQ(d.pcrs.at(3), Bytes(48, 0));
  EXPECT_EQ(d.timestamp_ms, clock_.NowUnixMillis());
  EXPECT_EQ(*d.user_data, Bytes(1024, 0x01));
  // Empty fields are null, as NSM writes them; too large is refused locally.
  doc = NsmAttestation(*device_, {}, {}, {});
  ASSERT_TRUE(doc.ok());
  StatusOr<NitroDocument> empty = VerifyNitroDocument(*doc, root_);
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->user_data || empty->nonce || empty->public_key);
  const size_t sent = device_->requests.size();
  EXPECT_EQ(NsmAttestation(*device_, {}, Bytes(1025, 1), {}).status().code(), StatusCode::kLimitExceeded);
  EXPECT_EQ(device_->requests.size(), sent);
}

// The simulator's document has the dev provider's (and the real document's)
// shape: the same nine keys in the same order, 16 PCRs, a two-entry cabundle.
TEST_F(NsmSimTest, DocumentShapeMatchesDevProviderAndRealDocument) {
  auto keys = [](ByteSpan document) {
    std::vector<std::string> out;
    StatusOr<cose::Sign1Message> m = cose::ParseSign1(document, {.max_size = 65536, .allow_indefinite = true});
    EXPECT_TRUE(m.ok());
    if (!m.ok()) return out;
    StatusOr<cbor::Value> payload = cbor::Decode(*m->payload);
    EXPECT_TRUE(payload.ok());
    if (!payload.ok()) return out;
    for (const auto& [k, v] : payload->map()) out.push_back(k.text());
    return out;
  };
  StatusOr<Bytes> sim_doc = NsmAttestation(*device_, Bytes{1}, Bytes{2}, Bytes{3});
  ASSERT_TRUE(sim_doc.ok());
  DevProviderOptions dev;
  dev.state_dir = (dir_ / "ca").string();
  dev.measurements = {Bytes(48, 1), Bytes(48, 2), Bytes(48, 3)};
  dev.clock = &clock_;
  StatusOr<std::unique_ptr<EvidenceProvider>> provider = CreateDevNitroProvider(dev);
  ASSERT_TRUE(provider.ok());
  StatusOr<Bytes> dev_doc = (*provider)->Attest(Bytes{3}, Bytes{1}, Bytes{2});
  ASSERT_TRUE(dev_doc.ok());
  const Bytes real = ReadFileOrFail(SharedPath("vectors/nitro/blocky-nitrite_nitro_attestation_2024-09-07.cbor"));
  EXPECT_EQ(keys(*sim_doc), keys(*dev_doc));
  EXPECT_EQ(keys(*sim_doc), keys(real));
  EXPECT_EQ(keys(*sim_doc).size(), 9u);
  // Same protected header and COSE layout bytes up to the payload length.
  EXPECT_EQ(Bytes(sim_doc->begin(), sim_doc->begin() + 7), Bytes(dev_doc->begin(), dev_doc->begin() + 7));
  StatusOr<NitroDocument> a = ParseNitroDocument(*sim_doc);
  StatusOr<NitroDocument> b = ParseNitroDocument(*dev_doc);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->cabundle_der, b->cabundle_der);
  EXPECT_EQ(a->certificate_der, b->certificate_der);
  EXPECT_EQ(a->pcrs.size(), b->pcrs.size());
}

TEST_F(NsmSimTest, ProviderOverTheSimulator) {
  auto forward = std::make_unique<RecordingDevice>(sim_.get());
  RecordingDevice* recorder = forward.get();
  StatusOr<std::unique_ptr<EvidenceProvider>> provider = CreateNsmProvider(std::move(forward));
  ASSERT_TRUE(provider.ok()) << provider.status().ToString();
  EXPECT_EQ((*provider)->platform(), "nitro");
  EXPECT_TRUE((*provider)->evaluation());
  ASSERT_EQ(recorder->requests.size(), 1u);  // DescribeNSM at creation
  EXPECT_EQ(recorder->requests[0], Example("Request DescribeNSM"));
  StatusOr<Bytes> doc = (*provider)->Attest(Bytes(32, 7), AsBytes("binding"), Bytes(32, 9));
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(recorder->requests.back(), EncodeNsmAttestationRequest(AsBytes("binding"), Bytes(32, 9), Bytes(32, 7)));
  StatusOr<NitroDocument> parsed = VerifyNitroDocument(*doc, root_);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed->public_key, Bytes(32, 7));
  EXPECT_EQ((*provider)->Attest(Bytes(1025, 1), {}, {}).status().code(), StatusCode::kLimitExceeded);
}

TEST_F(NsmSimTest, ProviderRefusesADocumentForOtherFields) {
  StatusOr<Bytes> describe = sim_->Transact(EncodeNsmDescribeRequest());
  StatusOr<Bytes> answer = sim_->Transact(EncodeNsmAttestationRequest(AsBytes("other"), {}, {}));
  ASSERT_TRUE(describe.ok() && answer.ok());
  StatusOr<std::unique_ptr<EvidenceProvider>> provider =
      CreateNsmProvider(std::make_unique<CannedDevice>(std::vector<Bytes>{*describe, *answer}, false));
  ASSERT_TRUE(provider.ok());
  EXPECT_FALSE((*provider)->evaluation());  // a real (non-simulated) device
  EXPECT_EQ((*provider)->Attest({}, AsBytes("mine"), {}).status().code(), StatusCode::kInternal);
}

TEST_F(NsmExamplesTest, ProviderRefusesADeviceThatIsNotSha384) {
  // The DescribeNSM example with its digest "SHA384" changed to "SHA256".
  Bytes describe = Example("Response DescribeNSM{1,0,0,'i-0123-enc0123',32,[0,1,2],SHA384}");
  ASSERT_EQ(AsStringView(ByteSpan(describe).last(6)), "SHA384");
  std::copy_n("SHA256", 6, describe.end() - 6);
  StatusOr<std::unique_ptr<EvidenceProvider>> p =
      CreateNsmProvider(std::make_unique<CannedDevice>(std::vector<Bytes>{describe}, false));
  EXPECT_EQ(p.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(CreateNsmProvider(nullptr).status().code(), StatusCode::kInvalidArgument);
}

TEST(NsmDeviceTest, RealDeviceErrors) {
  EXPECT_EQ(OpenNsmDevice("/nonexistent/nsm").status().code(), StatusCode::kNotFound);
  // /dev/null is not an NSM: the ioctl itself fails, as a Status.
  StatusOr<std::unique_ptr<NsmDevice>> null_device = OpenNsmDevice("/dev/null");
  ASSERT_TRUE(null_device.ok()) << null_device.status().ToString();
  EXPECT_FALSE((*null_device)->simulated());
  EXPECT_EQ((*null_device)->Transact(EncodeNsmDescribeRequest()).status().code(), StatusCode::kIo);
  EXPECT_EQ((*null_device)->Transact(Bytes(kNsmMaxRequestSize + 1)).status().code(), StatusCode::kLimitExceeded);
  EXPECT_EQ(NsmDescribe(**null_device).status().code(), StatusCode::kIo);
}

TEST(NsmSimOptionsTest, RejectsBadOptions) {
  const std::string dir = std::filesystem::temp_directory_path() / ("eml-nsm-opt-" + std::to_string(getpid()));
  EXPECT_EQ(SimulatedNsmDevice::Create({.state_dir = dir, .boot_pcrs = {{5, Bytes(48, 0)}}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SimulatedNsmDevice::Create({.state_dir = dir, .boot_pcrs = {{0, Bytes(47, 0)}}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SimulatedNsmDevice::Create({.state_dir = dir, .module_id = ""}).status().code(),
            StatusCode::kInvalidArgument);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace eml::attest

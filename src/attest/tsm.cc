#include "attest/tsm.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "cbor/decode.h"
#include "cbor/encode.h"
#include "cbor/value.h"
#include "core/encoding.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace eml::attest {
namespace {

constexpr size_t kMaxSmallAttribute = 64;  // provider, generation
constexpr uint64_t kEnvelopeVersion = 1;

Status Errno(const char* what, const std::string& path, int err) {
  const std::string message = std::string("tsm: ") + what + " " + path + ": " + std::strerror(err);
  if (err == ENOENT) return NotFoundError(message);
  if (err == EEXIST) return AlreadyExistsError(message);
  if (err == EFBIG) return LimitExceededError(message);
  return IoError(message);
}

class RealFs final : public TsmFs {
 public:
  Status MakeDir(const std::string& path) override {
    if (mkdir(path.c_str(), 0700) != 0) return Errno("mkdir", path, errno);
    return OkStatus();
  }
  Status RemoveDir(const std::string& path) override {
    if (rmdir(path.c_str()) != 0) return Errno("rmdir", path, errno);
    return OkStatus();
  }
  StatusOr<Bytes> ReadFile(const std::string& path, size_t max_size) override {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Errno("open", path, errno);
    Bytes out(max_size + 1);
    size_t used = 0;
    Status status = OkStatus();
    while (used < out.size()) {
      const ssize_t n = read(fd, out.data() + used, out.size() - used);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status = Errno("read", path, errno);
        break;
      }
      if (n == 0) break;
      used += static_cast<size_t>(n);
    }
    close(fd);
    RETURN_IF_ERROR(status);
    if (used > max_size) {
      return LimitExceededError("tsm: " + path + " exceeds " + std::to_string(max_size) + " bytes");
    }
    out.resize(used);
    return out;
  }
  // configfs commits a binary attribute when the file is closed, so close's
  // result is the write's result.
  Status WriteFile(const std::string& path, ByteSpan data) override {
    const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return Errno("open", path, errno);
    size_t done = 0;
    Status status = OkStatus();
    while (done < data.size()) {
      const ssize_t n = write(fd, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        status = Errno("write", path, n < 0 ? errno : EIO);
        break;
      }
      done += static_cast<size_t>(n);
    }
    if (close(fd) != 0 && status.ok()) status = Errno("write", path, errno);
    return status;
  }
  bool Exists(const std::string& path) override {
    struct stat st;
    return stat(path.c_str(), &st) == 0;
  }
};

// Removes the entry on every path out of a report.
class EntryGuard {
 public:
  EntryGuard(TsmFs& fs, std::string path) : fs_(fs), path_(std::move(path)) {}
  ~EntryGuard() { fs_.RemoveDir(path_).IgnoreError(); }
  EntryGuard(const EntryGuard&) = delete;
  EntryGuard& operator=(const EntryGuard&) = delete;

 private:
  TsmFs& fs_;
  const std::string path_;
};

StatusOr<std::string> NewEntryPath(const std::string& root) {
  Bytes random(8);
  RETURN_IF_ERROR(crypto::RandomBytes(random));
  return root + "/eml-" + std::to_string(getpid()) + "-" + HexEncode(random);
}

// An attribute's text without one trailing newline.
StatusOr<std::string> ReadText(TsmFs& fs, const std::string& path) {
  ASSIGN_OR_RETURN(Bytes raw, fs.ReadFile(path, kMaxSmallAttribute));
  std::string text(raw.begin(), raw.end());
  if (!text.empty() && text.back() == '\n') text.pop_back();
  for (char c : text) {
    if (c < 0x21 || c > 0x7e) return InvalidArgumentError("tsm: " + path + " is not printable text");
  }
  return text;
}

StatusOr<uint64_t> ReadGeneration(TsmFs& fs, const std::string& entry) {
  ASSIGN_OR_RETURN(std::string text, ReadText(fs, entry + "/generation"));
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos) {
    return InvalidArgumentError("tsm: generation is not a decimal number");
  }
  return std::stoull(text);
}

// One attempt in a fresh entry; `raced` is set when the generation moved.
StatusOr<TsmReport> Attempt(TsmFs& fs, const std::string& root, ByteSpan inblob,
                            std::optional<uint32_t> privlevel, bool* raced) {
  ASSIGN_OR_RETURN(const std::string entry, NewEntryPath(root));
  RETURN_IF_ERROR(fs.MakeDir(entry));
  EntryGuard guard(fs, entry);
  ASSIGN_OR_RETURN(const uint64_t before, ReadGeneration(fs, entry));
  uint64_t writes = 0;
  if (privlevel) {
    RETURN_IF_ERROR(fs.WriteFile(entry + "/privlevel", AsBytes(std::to_string(*privlevel))));
    ++writes;
  }
  RETURN_IF_ERROR(fs.WriteFile(entry + "/inblob", inblob));
  ++writes;
  TsmReport report;
  ASSIGN_OR_RETURN(report.outblob, fs.ReadFile(entry + "/outblob", kTsmMaxOutblobSize));
  if (report.outblob.empty()) return InvalidArgumentError("tsm: outblob is empty");
  if (fs.Exists(entry + "/auxblob")) {
    ASSIGN_OR_RETURN(report.auxblob, fs.ReadFile(entry + "/auxblob", kTsmMaxAuxblobSize));
  }
  ASSIGN_OR_RETURN(report.provider, ReadText(fs, entry + "/provider"));
  ASSIGN_OR_RETURN(const uint64_t after, ReadGeneration(fs, entry));
  *raced = after != before + writes;
  return report;
}

void AppendField(std::string_view key, cbor::Value value, cbor::MapEntries* map) {
  map->emplace_back(cbor::Value::Text(key), std::move(value));
}

StatusOr<Bytes> EnvelopeBytes(const cbor::Value& map, std::string_view key, size_t min_size,
                              size_t max_size) {
  const cbor::Value* v = map.FindText(key);
  if (v == nullptr || !v->is_bytes()) {
    return InvalidArgumentError("tee envelope: " + std::string(key) + " is not a byte string");
  }
  if (v->bytes().size() < min_size || v->bytes().size() > max_size) {
    return LimitExceededError("tee envelope: " + std::string(key) + " size outside " +
                              std::to_string(min_size) + ".." + std::to_string(max_size));
  }
  return v->bytes();
}

Status CheckEnvelopeLimits(const TeeEnvelope& e) {
  if (e.report.empty() || e.report.size() > kTsmMaxOutblobSize) {
    return LimitExceededError("tee envelope: report must be 1.." + std::to_string(kTsmMaxOutblobSize) + " bytes");
  }
  if (e.aux.size() > kTsmMaxAuxblobSize) {
    return LimitExceededError("tee envelope: aux exceeds " + std::to_string(kTsmMaxAuxblobSize) + " bytes");
  }
  if (e.platform == TeePlatform::kTdx && !e.aux.empty()) {
    return InvalidArgumentError("tee envelope: tdx carries no aux certificates");
  }
  for (const Bytes* field : {&e.public_key, &e.user_data, &e.nonce}) {
    if (field->size() > kMaxAttestFieldSize) {
      return LimitExceededError("tee envelope: public_key, user_data and nonce are at most 1024 bytes");
    }
  }
  return OkStatus();
}

class TsmProvider final : public EvidenceProvider {
 public:
  explicit TsmProvider(TsmProviderOptions options) : options_(std::move(options)) {}

  std::string_view platform() const override { return TeePlatformName(options_.platform); }
  bool evaluation() const override { return options_.evaluation; }

  StatusOr<Bytes> Attest(ByteSpan public_key, ByteSpan user_data, ByteSpan nonce) override {
    // A one-byte placeholder report so the limits check covers the caller's fields.
    TeeEnvelope envelope{.platform = options_.platform,
                         .report = {0},
                         .public_key = Bytes(public_key.begin(), public_key.end()),
                         .user_data = Bytes(user_data.begin(), user_data.end()),
                         .nonce = Bytes(nonce.begin(), nonce.end())};
    RETURN_IF_ERROR(CheckEnvelopeLimits(envelope));
    const Bytes report_data = TeeReportData(public_key, user_data, nonce);
    ASSIGN_OR_RETURN(TsmReport report,
                     GetTsmReport(*options_.fs, options_.root, report_data, options_.privlevel));
    if (report.provider != TsmProviderName(options_.platform)) {
      return FailedPreconditionError("tsm: provider changed to " + report.provider);
    }
    envelope.report = std::move(report.outblob);
    envelope.aux = std::move(report.auxblob);
    return EncodeTeeEnvelope(envelope);
  }

 private:
  const TsmProviderOptions options_;
};

}  // namespace

std::unique_ptr<TsmFs> RealTsmFs() { return std::make_unique<RealFs>(); }

std::string_view TeePlatformName(TeePlatform platform) {
  return platform == TeePlatform::kTdx ? "tdx" : "snp";
}

std::string_view TsmProviderName(TeePlatform platform) {
  return platform == TeePlatform::kTdx ? "tdx_guest" : "sev_guest";
}

StatusOr<TsmReport> GetTsmReport(TsmFs& fs, const std::string& root, ByteSpan inblob,
                                 std::optional<uint32_t> privlevel) {
  if (inblob.size() != kTsmInblobSize) return InvalidArgumentError("tsm: inblob must be 64 bytes");
  if (privlevel && *privlevel > kTsmMaxPrivlevel) return InvalidArgumentError("tsm: privlevel must be 0..3");
  if (!fs.Exists(root)) return NotFoundError("tsm: " + root + " does not exist (no configfs-tsm)");
  for (int attempt = 1; attempt <= kTsmMaxAttempts; ++attempt) {
    bool raced = false;
    ASSIGN_OR_RETURN(TsmReport report, Attempt(fs, root, inblob, privlevel, &raced));
    if (!raced) {
      report.attempts = attempt;
      return report;
    }
  }
  return FailedPreconditionError("tsm: the report entry was written concurrently on all " +
                                 std::to_string(kTsmMaxAttempts) + " attempts");
}

StatusOr<std::string> ProbeTsmProvider(TsmFs& fs, const std::string& root) {
  if (!fs.Exists(root)) return NotFoundError("tsm: " + root + " does not exist (no configfs-tsm)");
  ASSIGN_OR_RETURN(const std::string entry, NewEntryPath(root));
  RETURN_IF_ERROR(fs.MakeDir(entry));
  EntryGuard guard(fs, entry);
  return ReadText(fs, entry + "/provider");
}

StatusOr<std::unique_ptr<EvidenceProvider>> CreateTsmProvider(TsmProviderOptions options) {
  if (options.privlevel && options.platform != TeePlatform::kSnp) {
    return InvalidArgumentError("tsm: privlevel applies to SEV-SNP only");
  }
  if (options.privlevel && *options.privlevel > kTsmMaxPrivlevel) {
    return InvalidArgumentError("tsm: privlevel must be 0..3");
  }
  if (options.fs == nullptr) options.fs = RealTsmFs();
  ASSIGN_OR_RETURN(const std::string provider, ProbeTsmProvider(*options.fs, options.root));
  if (provider != TsmProviderName(options.platform)) {
    return FailedPreconditionError("tsm: configfs-tsm provider is \"" + provider + "\", not " +
                                   std::string(TsmProviderName(options.platform)));
  }
  return std::unique_ptr<EvidenceProvider>(std::make_unique<TsmProvider>(std::move(options)));
}

Bytes TeeReportData(ByteSpan public_key, ByteSpan user_data, ByteSpan nonce) {
  ByteWriter w;
  w.PutBytes(AsBytes(kTeeReportDataDomain));
  for (ByteSpan field : {public_key, user_data, nonce}) {
    w.PutU32Be(static_cast<uint32_t>(field.size()));
    w.PutBytes(field);
  }
  return crypto::Sha512(w.bytes());
}

StatusOr<Bytes> EncodeTeeEnvelope(const TeeEnvelope& e) {
  RETURN_IF_ERROR(CheckEnvelopeLimits(e));
  cbor::MapEntries map;
  AppendField("version", cbor::Value::Unsigned(kEnvelopeVersion), &map);
  AppendField("platform", cbor::Value::Text(TeePlatformName(e.platform)), &map);
  AppendField("report", cbor::Value::ByteString(e.report), &map);
  if (!e.aux.empty()) AppendField("aux", cbor::Value::ByteString(e.aux), &map);
  AppendField("public_key", cbor::Value::ByteString(e.public_key), &map);
  AppendField("user_data", cbor::Value::ByteString(e.user_data), &map);
  AppendField("nonce", cbor::Value::ByteString(e.nonce), &map);
  ASSIGN_OR_RETURN(Bytes out, cbor::Encode(cbor::Value::FromMap(std::move(map))));
  if (out.size() > kTeeMaxEnvelopeSize) {
    return LimitExceededError("tee envelope: exceeds " + std::to_string(kTeeMaxEnvelopeSize) + " bytes");
  }
  return out;
}

StatusOr<TeeEnvelope> ParseTeeEnvelope(ByteSpan bytes) {
  if (bytes.size() > kTeeMaxEnvelopeSize) {
    return LimitExceededError("tee envelope: exceeds " + std::to_string(kTeeMaxEnvelopeSize) + " bytes");
  }
  ASSIGN_OR_RETURN(cbor::Value map, cbor::Decode(bytes, {.max_depth = 2, .max_items = 32,
                                                         .max_size = kTeeMaxEnvelopeSize,
                                                         .require_deterministic = true}));
  if (!map.is_map()) return InvalidArgumentError("tee envelope: not a map");
  const bool has_aux = map.FindText("aux") != nullptr;
  if (map.map().size() != (has_aux ? 7u : 6u)) {
    return InvalidArgumentError("tee envelope: unexpected or missing keys");
  }
  const cbor::Value* version = map.FindText("version");
  if (version == nullptr || !version->is_unsigned() || version->unsigned_value() != kEnvelopeVersion) {
    return UnsupportedError("tee envelope: version must be 1");
  }
  const cbor::Value* platform = map.FindText("platform");
  if (platform == nullptr || !platform->is_text() ||
      (platform->text() != "tdx" && platform->text() != "snp")) {
    return UnsupportedError("tee envelope: platform must be \"tdx\" or \"snp\"");
  }
  TeeEnvelope e;
  e.platform = platform->text() == "tdx" ? TeePlatform::kTdx : TeePlatform::kSnp;
  ASSIGN_OR_RETURN(e.report, EnvelopeBytes(map, "report", 1, kTsmMaxOutblobSize));
  if (has_aux) {
    ASSIGN_OR_RETURN(e.aux, EnvelopeBytes(map, "aux", 1, kTsmMaxAuxblobSize));
  }
  ASSIGN_OR_RETURN(e.public_key, EnvelopeBytes(map, "public_key", 0, kMaxAttestFieldSize));
  ASSIGN_OR_RETURN(e.user_data, EnvelopeBytes(map, "user_data", 0, kMaxAttestFieldSize));
  ASSIGN_OR_RETURN(e.nonce, EnvelopeBytes(map, "nonce", 0, kMaxAttestFieldSize));
  RETURN_IF_ERROR(CheckEnvelopeLimits(e));
  return e;
}

Status CheckTeeReportData(const TeeEnvelope& envelope, ByteSpan report_data_from_quote) {
  if (report_data_from_quote.size() != kTsmInblobSize) {
    return InvalidArgumentError("tee envelope: REPORTDATA must be 64 bytes");
  }
  const Bytes want = TeeReportData(envelope.public_key, envelope.user_data, envelope.nonce);
  if (!std::equal(want.begin(), want.end(), report_data_from_quote.begin(),
                  report_data_from_quote.end())) {
    return VerificationFailedError("tee envelope: REPORTDATA does not bind the envelope's "
                                   "public_key, user_data and nonce");
  }
  return OkStatus();
}

}  // namespace eml::attest

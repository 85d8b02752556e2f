#include "attest/tsm_sim.h"

#include <functional>
#include <mutex>
#include <optional>
#include <utility>

#include "attest/snp_sim.h"
#include "attest/tdx_sim.h"

namespace eml::attest {
namespace {

// Makes the quote/report for a 64-byte REPORTDATA.
using TsmQuoteFunction = std::function<StatusOr<Bytes>(ByteSpan report_data)>;

class SimulatedFs final : public TsmFs {
 public:
  SimulatedFs(std::string root, TeePlatform platform, TsmQuoteFunction quote, Bytes aux)
      : root_(std::move(root)), platform_(platform), quote_(std::move(quote)), aux_(std::move(aux)) {}

  Status MakeDir(const std::string& path) override {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string name = EntryName(path);
    if (name.empty()) return NotFoundError("tsm-sim: no such directory: " + path);
    if (!entries_.emplace(name, Entry{}).second) return AlreadyExistsError("tsm-sim: exists: " + path);
    return OkStatus();
  }

  Status RemoveDir(const std::string& path) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (entries_.erase(EntryName(path)) == 0) return NotFoundError("tsm-sim: no such entry: " + path);
    return OkStatus();
  }

  StatusOr<Bytes> ReadFile(const std::string& path, size_t max_size) override {
    Bytes out;
    std::optional<Bytes> inblob;  // set for outblob: quoted outside the lock
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto [entry, attribute] = Split(path);
      if (entry == nullptr) return NotFoundError("tsm-sim: no such entry: " + path);
      if (attribute == "provider") {
        out = ToBytes(std::string(TsmProviderName(platform_)) + "\n");
      } else if (attribute == "generation") {
        out = ToBytes(std::to_string(entry->generation) + "\n");
      } else if (attribute == "auxblob" && snp()) {
        out = aux_;
      } else if (attribute == "outblob") {
        inblob = entry->inblob;
      } else if (attribute == "inblob" || attribute == "privlevel") {
        return IoError("tsm-sim: " + attribute + " is write-only");
      } else {
        return NotFoundError("tsm-sim: no such attribute: " + path);
      }
    }
    if (inblob) {
      inblob->resize(kTsmInblobSize, 0);  // the kernel zero-pads a short inblob
      ASSIGN_OR_RETURN(out, quote_(*inblob));
    }
    if (out.size() > max_size) return LimitExceededError("tsm-sim: attribute longer than asked");
    return out;
  }

  Status WriteFile(const std::string& path, ByteSpan data) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto [entry, attribute] = Split(path);
    if (entry == nullptr) return NotFoundError("tsm-sim: no such entry: " + path);
    if (attribute == "inblob") {
      if (data.size() > kTsmInblobSize) return InvalidArgumentError("tsm-sim: inblob over 64 bytes");
      entry->inblob.assign(data.begin(), data.end());
    } else if (attribute == "privlevel" && snp()) {
      if (data.size() != 1 || data[0] < '0' || data[0] > '0' + kTsmMaxPrivlevel) {
        return InvalidArgumentError("tsm-sim: privlevel must be 0..3");
      }
    } else if (attribute == "privlevel") {
      return NotFoundError("tsm-sim: no privlevel for " + std::string(TsmProviderName(platform_)));
    } else {
      return IoError("tsm-sim: " + attribute + " is read-only");
    }
    ++entry->generation;
    return OkStatus();
  }

  bool Exists(const std::string& path) override {
    if (path == root_) return true;
    std::lock_guard<std::mutex> lock(mu_);
    auto [entry, attribute] = Split(path);
    return entry != nullptr && (attribute != "auxblob" || snp());
  }

 private:
  struct Entry {
    uint64_t generation = 0;
    Bytes inblob;
  };

  bool snp() const { return platform_ == TeePlatform::kSnp; }

  static Bytes ToBytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

  // "<root>/<name>" -> name; "" for anything else.
  std::string EntryName(const std::string& path) const {
    const std::string prefix = root_ + "/";
    if (!path.starts_with(prefix)) return "";
    std::string name = path.substr(prefix.size());
    return name.find('/') == std::string::npos ? name : "";
  }

  // "<root>/<name>/<attribute>" -> (entry or null, attribute). Needs mu_.
  std::pair<Entry*, std::string> Split(const std::string& path) {
    const size_t slash = path.rfind('/');
    if (slash == std::string::npos) return {nullptr, ""};
    auto it = entries_.find(EntryName(path.substr(0, slash)));
    if (it == entries_.end()) return {nullptr, ""};
    return {&it->second, path.substr(slash + 1)};
  }

  const std::string root_;
  const TeePlatform platform_;
  const TsmQuoteFunction quote_;
  const Bytes aux_;
  std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

constexpr char kSimulatedRoot[] = "/simulated/sys/kernel/config/tsm/report";

}  // namespace

StatusOr<std::unique_ptr<EvidenceProvider>> CreateSimulatedTsmProvider(
    TeePlatform platform, const std::string& dir, std::map<uint32_t, Bytes> measurements) {
  TsmQuoteFunction quote;
  Bytes aux;
  if (platform == TeePlatform::kTdx) {
    ASSIGN_OR_RETURN(TdxQuoteSimulator simulator, TdxQuoteSimulator::Load(dir));
    auto shared = std::make_shared<const TdxQuoteSimulator>(std::move(simulator));
    quote = [shared, measurements](ByteSpan report_data) {
      return shared->Quote(report_data, measurements);
    };
  } else {
    ASSIGN_OR_RETURN(SnpReportSimulator simulator, SnpReportSimulator::Load(dir));
    auto shared = std::make_shared<const SnpReportSimulator>(std::move(simulator));
    aux = shared->CertTable();
    quote = [shared, measurements](ByteSpan report_data) {
      return shared->Report(report_data, measurements);
    };
  }
  TsmProviderOptions options;
  options.platform = platform;
  options.root = kSimulatedRoot;
  options.fs = std::make_unique<SimulatedFs>(kSimulatedRoot, platform, std::move(quote), std::move(aux));
  options.evaluation = true;
  return CreateTsmProvider(std::move(options));
}

}  // namespace eml::attest

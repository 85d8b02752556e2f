#include "host/host.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include "host/admin.h"
#include "host/kms_proxy.h"
#include "host/log.h"
#include "host/recorder.h"
#include "host/relay.h"

namespace eml::host {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int kClientBacklog = 512;
constexpr int kAdminBacklog = 16;

// Counts bytes into the metrics and copies them to the recording, if any.
class ConnectionObserver final : public RelayObserver {
 public:
  ConnectionObserver(HostMetrics& metrics, ConnectionRecorder* recorder)
      : metrics_(metrics), recorder_(recorder) {}

  Status OnRelayed(Direction direction, ByteSpan data) override {
    auto& counter = direction == Direction::kClientToEnclave ? metrics_.bytes_client_to_enclave
                                                             : metrics_.bytes_enclave_to_client;
    counter.fetch_add(data.size(), std::memory_order_relaxed);
    return recorder_ ? recorder_->Append(direction, data) : OkStatus();
  }

 private:
  HostMetrics& metrics_;
  ConnectionRecorder* recorder_;  // null when not recording
};

long long MillisSince(SteadyClock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start).count();
}

}  // namespace

Status WriteReadyFile(const std::string& path, uint32_t listen_port, uint32_t admin_port,
                      uint32_t kms_proxy_port, uint32_t storage_proxy_port) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  std::string json = "{\"listen\":" + std::to_string(listen_port) +
                     ",\"admin\":" + std::to_string(admin_port);
  if (kms_proxy_port != 0) json += ",\"kms_proxy\":" + std::to_string(kms_proxy_port);
  if (storage_proxy_port != 0) json += ",\"storage_proxy\":" + std::to_string(storage_proxy_port);
  json += "}\n";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("ready file: open " + tmp + ": " + std::strerror(errno));
  const ssize_t n = write(fd, json.data(), json.size());
  const bool ok = n == static_cast<ssize_t>(json.size()) && close(fd) == 0;
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    if (n != static_cast<ssize_t>(json.size())) close(fd);
    unlink(tmp.c_str());
    return IoError("ready file: cannot write " + path);
  }
  return OkStatus();
}

StatusOr<std::unique_ptr<Host>> Host::Start(HostOptions options) {
  if (!options.record_dir.empty()) RETURN_IF_ERROR(CheckRecordDir(options.record_dir));
  ASSIGN_OR_RETURN(net::Listener listener, net::Listen(options.listen, kClientBacklog));
  ASSIGN_OR_RETURN(net::Listener admin, net::Listen(options.admin, kAdminBacklog));
  ASSIGN_OR_RETURN(auto sessions, net::SessionGroup::Create(options.max_connections));
  std::unique_ptr<Host> host(
      new Host(std::move(options), std::move(listener), std::move(admin), std::move(sessions)));
  host->admin_thread_ = std::thread([h = host.get()] {
    ServeAdmin(h->admin_listener_,
               [h] { return RenderMetrics(h->metrics_, h->sessions_->active()); });
  });
  LogLine("listening on %s (admin %s), enclave %s, max %zu connections, idle %d s",
          host->listener_.endpoint().ToString().c_str(),
          host->admin_listener_.endpoint().ToString().c_str(),
          host->options_.enclave.ToString().c_str(), host->options_.max_connections,
          host->options_.idle_timeout_s);
  // On failure the destructor stops and joins the admin thread and proxies.
  RETURN_IF_ERROR(host->StartProxies());
  if (!host->options_.ready_file.empty()) {
    RETURN_IF_ERROR(WriteReadyFile(host->options_.ready_file, host->listen_port(),
                                   host->admin_port(), host->kms_proxy_port(),
                                   host->storage_proxy_port()));
  }
  return host;
}

Host::Host(HostOptions options, net::Listener listener, net::Listener admin_listener,
           std::unique_ptr<net::SessionGroup> sessions)
    : options_(std::move(options)),
      listener_(std::move(listener)),
      admin_listener_(std::move(admin_listener)),
      sessions_(std::move(sessions)) {}

Status Host::StartProxies() {
  const bool kms = options_.kms_proxy.has_value();
  const bool storage = options_.storage_proxy.has_value();
  if (!kms && !storage) return OkStatus();
  RETURN_IF_ERROR(InitUpstreamLibrary());
  StatusOr<CredentialSource> creds = CredentialSource::FromFileOrEnvironment(options_.credentials_file);
  if (creds.ok()) {
    credentials_ = std::move(*creds);
  } else if (!options_.storage_s3.empty() || !options_.credentials_file.empty()) {
    return creds.status();  // S3 cannot work without them; a named file must load
  } else {
    LogLine("no AWS credentials in the environment: %s answers 503",
            std::string(kCredentialsPath).c_str());
  }
  const CredentialSource* source = credentials_ ? &*credentials_ : nullptr;
  const UpstreamOptions upstream{
      .connect_timeout = std::chrono::milliseconds(options_.connect_timeout_ms),
      .total_timeout = std::chrono::milliseconds(options_.upstream_timeout_ms),
      .max_response_body = size_t{1} << 20,
      .aws_sigv4 = {},
      .aws_user_password = {}};
  const auto server_options = [this](std::string name, size_t max_body) {
    return ProxyServerOptions{.name = std::move(name),
                              .max_connections = options_.proxy_max_connections,
                              .request_timeout = std::chrono::milliseconds(options_.upstream_timeout_ms),
                              .max_request_body = max_body,
                              .record_dir = options_.record_dir};
  };
  if (kms) {
    ASSIGN_OR_RETURN(const UpstreamUrl url, ParseUpstreamUrl(options_.kms_upstream));
    if (!url.path.empty()) return InvalidArgumentError("--kms-upstream: URL must have no path");
    ProxyHandler handler = MakeKmsHandler(
        KmsProxyConfig{.upstream_base = url.base, .upstream = upstream, .credentials = source});
    ASSIGN_OR_RETURN(kms_proxy_, ProxyServer::Start(*options_.kms_proxy,
                                                    server_options("kms", size_t{1} << 20),
                                                    std::move(handler)));
  }
  if (storage) {
    if (!options_.storage_dir.empty()) {
      ASSIGN_OR_RETURN(storage_backend_, OpenDirectoryBackend(options_.storage_dir));
    } else {
      ASSIGN_OR_RETURN(storage_backend_,
                       OpenS3Backend(S3BackendOptions{.url = options_.storage_s3,
                                                      .region = options_.s3_region,
                                                      .credentials = source,
                                                      .upstream = upstream}));
    }
    // Storage requests are GET/HEAD: no body.
    ASSIGN_OR_RETURN(storage_proxy_, ProxyServer::Start(*options_.storage_proxy,
                                                        server_options("storage", 0),
                                                        MakeStorageHandler(*storage_backend_)));
  }
  return OkStatus();
}

void Host::StopProxies() {
  if (kms_proxy_) kms_proxy_->Stop();
  if (storage_proxy_) storage_proxy_->Stop();
}

Host::~Host() {
  Stop();
  sessions_->ShutdownAndJoin();
  if (admin_thread_.joinable()) admin_thread_.join();
  StopProxies();
}

void Host::Stop() {
  listener_.Shutdown();
  admin_listener_.Shutdown();
}

void Host::Run() {
  while (!listener_.is_shut_down()) AcceptOne();
  sessions_->ShutdownAndJoin();
  if (admin_thread_.joinable()) admin_thread_.join();
  StopProxies();
  LogLine("stopped");
}

void Host::AcceptOne() {
  StatusOr<net::Socket> client = net::Accept(listener_, net::Deadline::Never());
  if (!client.ok()) {
    if (listener_.is_shut_down()) return;
    // Descriptor exhaustion or a kernel error: back off instead of spinning.
    LogLine("accept failed: %s", client.status().ToString().c_str());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return;
  }
  const uint64_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
  metrics_.connections_total.fetch_add(1, std::memory_order_relaxed);
  const std::string peer = net::PeerAddress(*client);
  const Status started = sessions_->Start(
      std::move(*client),
      [this, id](net::Socket& c, const net::Waker& stop) { ServeConnection(id, c, stop); });
  if (!started.ok()) {
    metrics_.connections_rejected_total.fetch_add(1, std::memory_order_relaxed);
    LogLine("conn %llu rejected peer=%s: %s", static_cast<unsigned long long>(id), peer.c_str(),
            started.message().c_str());
  }
}

RelayResult Host::RelayToEnclave(uint64_t id, net::Socket& client, const net::Waker& stop) {
  StatusOr<net::Socket> enclave = net::Connect(
      options_.enclave, net::Deadline::In(std::chrono::milliseconds(options_.connect_timeout_ms)));
  if (!enclave.ok()) {
    metrics_.upstream_errors_total.fetch_add(1, std::memory_order_relaxed);
    return RelayResult{.end = RelayEnd::kEnclaveError, .detail = enclave.status().ToString()};
  }
  std::unique_ptr<ConnectionRecorder> recorder;
  if (!options_.record_dir.empty()) {
    StatusOr<std::unique_ptr<ConnectionRecorder>> r =
        ConnectionRecorder::Open(options_.record_dir, id);
    if (!r.ok()) return RelayResult{.end = RelayEnd::kObserverError, .detail = r.status().ToString()};
    recorder = std::move(*r);
  }
  ConnectionObserver observer(metrics_, recorder.get());
  const RelayOptions relay_options{.idle_timeout = std::chrono::seconds(options_.idle_timeout_s)};
  RelayResult result = Relay(client, *enclave, relay_options, stop, observer);
  if (result.end == RelayEnd::kIdleTimeout) {
    metrics_.idle_timeouts_total.fetch_add(1, std::memory_order_relaxed);
  } else if (result.end == RelayEnd::kEnclaveError) {
    metrics_.upstream_errors_total.fetch_add(1, std::memory_order_relaxed);
  }
  return result;
}

void Host::ServeConnection(uint64_t id, net::Socket& client, const net::Waker& stop) {
  const auto start = SteadyClock::now();
  const auto n = static_cast<unsigned long long>(id);
  LogLine("conn %llu open peer=%s", n, net::PeerAddress(client).c_str());
  const RelayResult result = RelayToEnclave(id, client, stop);
  LogLine("conn %llu close reason=%s c2e=%llu e2c=%llu ms=%lld%s%s", n,
          std::string(RelayEndName(result.end)).c_str(),
          static_cast<unsigned long long>(result.client_to_enclave),
          static_cast<unsigned long long>(result.enclave_to_client), MillisSince(start),
          result.detail.empty() ? "" : " detail=", result.detail.c_str());
}

}  // namespace eml::host

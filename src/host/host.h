// Host: the eml-host relay process minus main(): listeners, the accept loop,
// one relay thread per client connection, and the admin thread.
//
// What it never does: parse, decrypt, log or keep relayed bytes (except the
// --record copy, a testing aid). It links only eml_core and eml_net, so no key
// handling code can reach it (the host_links_no_crypto test checks the binary).
//
// With --kms-proxy / --storage-proxy it also runs the proxies for the
// enclave (docs/proxy.md): each a ProxyServer with its own listener and
// threads, started by Start() and stopped by Run()'s end or the destructor.
//
// Lifecycle: Start() binds all listeners, writes the ready file and starts
// the admin thread; Run() serves clients on the calling thread until Stop();
// then it stops every relay (waking blocked ones) and joins all threads
// before returning. A relay still connecting to the enclave finishes that
// attempt first (bounded by --connect-timeout-ms).
//
// Thread-safety: Stop() may be called from any thread, any number of times.
// Run() is called once.
#ifndef EML_HOST_HOST_H_
#define EML_HOST_HOST_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>

#include "core/status.h"
#include "host/credentials.h"
#include "host/metrics.h"
#include "host/options.h"
#include "host/proxy_server.h"
#include "host/relay.h"
#include "host/storage_proxy.h"
#include "net/session_group.h"
#include "net/socket.h"

namespace eml::host {

class Host {
 public:
  static StatusOr<std::unique_ptr<Host>> Start(HostOptions options);
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;
  ~Host();

  void Run();
  void Stop();

  uint32_t listen_port() const { return listener_.port(); }
  uint32_t admin_port() const { return admin_listener_.port(); }
  // 0 when that proxy is off.
  uint32_t kms_proxy_port() const { return kms_proxy_ ? kms_proxy_->port() : 0; }
  uint32_t storage_proxy_port() const { return storage_proxy_ ? storage_proxy_->port() : 0; }

 private:
  Host(HostOptions options, net::Listener listener, net::Listener admin_listener,
       std::unique_ptr<net::SessionGroup> sessions);
  Status StartProxies();
  void StopProxies();
  void AcceptOne();
  void ServeConnection(uint64_t id, net::Socket& client, const net::Waker& stop);
  RelayResult RelayToEnclave(uint64_t id, net::Socket& client, const net::Waker& stop);

  const HostOptions options_;
  net::Listener listener_;
  net::Listener admin_listener_;
  std::unique_ptr<net::SessionGroup> sessions_;
  HostMetrics metrics_;
  std::atomic<uint64_t> next_id_{1};
  std::thread admin_thread_;
  // Declared before the proxies, which borrow them, so they are destroyed after.
  std::optional<CredentialSource> credentials_;
  std::unique_ptr<StorageBackend> storage_backend_;
  std::unique_ptr<ProxyServer> kms_proxy_;
  std::unique_ptr<ProxyServer> storage_proxy_;
};

// Writes {"listen":P,"admin":Q[,"kms_proxy":K][,"storage_proxy":S]} to `path`
// atomically (temporary file + rename); a port of 0 in the optional ones is
// left out.
Status WriteReadyFile(const std::string& path, uint32_t listen_port, uint32_t admin_port,
                      uint32_t kms_proxy_port = 0, uint32_t storage_proxy_port = 0);

}  // namespace eml::host

#endif  // EML_HOST_HOST_H_

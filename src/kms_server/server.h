// The socket side of eml-kms: HTTP/1.1 (net/http.h) on a loopback TCP
// listener, one thread per connection (net/session_group.h), keep-alive,
// each request handed to KmsService::Handle.
//
// A request that cannot be read (malformed, over kMaxKmsRequestBody, idle
// past the timeout) ends its connection; a malformed or oversized one first
// gets a SerializationException answer with "Connection: close".
//
// Thread-safety: Shutdown() may be called from any thread (a signal
// waiter) while Run() blocks; everything else from one thread.
#ifndef EML_KMS_SERVER_SERVER_H_
#define EML_KMS_SERVER_SERVER_H_

#include <chrono>
#include <cstddef>
#include <memory>

#include "core/status.h"
#include "kms_server/service.h"
#include "net/endpoint.h"
#include "net/session_group.h"
#include "net/socket.h"

namespace eml::kms_server {

struct KmsServerOptions {
  net::Endpoint listen;
  size_t max_connections = 64;
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(30);
};

class KmsServer {
 public:
  // Binds (port 0: the kernel picks one). `service` must outlive the server.
  static StatusOr<std::unique_ptr<KmsServer>> Listen(KmsService* service, KmsServerOptions options);
  ~KmsServer();

  const net::Endpoint& endpoint() const { return listener_.endpoint(); }
  // Accepts until Shutdown(), then joins every connection thread.
  void Run();
  void Shutdown() { listener_.Shutdown(); }

 private:
  KmsServer(KmsService* service, KmsServerOptions options, net::Listener listener,
            std::unique_ptr<net::SessionGroup> sessions);
  void Serve(net::Socket& socket) const;

  KmsService* service_;
  KmsServerOptions options_;
  net::Listener listener_;
  std::unique_ptr<net::SessionGroup> sessions_;
};

}  // namespace eml::kms_server

#endif  // EML_KMS_SERVER_SERVER_H_

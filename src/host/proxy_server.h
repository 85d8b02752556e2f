// ProxyServer: the bounded HTTP/1.1 server both eml-host proxies run
// (docs/proxy.md): a listener (TCP or vsock), an accept thread, and at most
// `max_connections` connection threads (net::SessionGroup). Each connection
// reads keep-alive requests (net/http.h) and answers each with the handler's
// response, until the peer closes, asks for "Connection: close", sends a
// malformed request (answered 400/413/431/501, then closed) or is idle for
// `request_timeout`.
//
// Logging: one line per request with the proxy name, connection number,
// method, status and byte counts; never a header value, a target's query or
// a body byte. --record: connection n of proxy P appends every request it read
// (as re-serialised: header values trimmed of surrounding space, otherwise
// the same bytes) to DIR/P-n.in and every response it wrote to DIR/P-n.out.
//
// Lifecycle: Start() binds and starts the accept thread; Stop() (any thread,
// idempotent; also the destructor) stops accepting, wakes every connection
// and joins all threads.
#ifndef EML_HOST_PROXY_SERVER_H_
#define EML_HOST_PROXY_SERVER_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "core/status.h"
#include "net/endpoint.h"
#include "net/http.h"
#include "net/session_group.h"
#include "net/socket.h"

namespace eml::host {

struct ProxyServerOptions {
  std::string name;  // "kms", "storage": log prefix and recording file prefix
  size_t max_connections = 16;
  std::chrono::milliseconds request_timeout{30000};  // to read one whole request
  size_t max_request_body = 1 << 20;
  std::string record_dir;  // empty: no recording
};

// Called on a connection thread, possibly several at once. A response to a
// HEAD request carries no body; its Content-Length header (if any) is sent as
// the size a GET would return.
using ProxyHandler = std::function<net::HttpResponse(const net::HttpRequest&)>;

class ProxyServer {
 public:
  static StatusOr<std::unique_ptr<ProxyServer>> Start(const net::Endpoint& listen,
                                                      ProxyServerOptions options,
                                                      ProxyHandler handler);
  ProxyServer(const ProxyServer&) = delete;
  ProxyServer& operator=(const ProxyServer&) = delete;
  ~ProxyServer();

  void Stop();
  uint32_t port() const { return listener_.port(); }
  const net::Endpoint& endpoint() const { return listener_.endpoint(); }

 private:
  ProxyServer(ProxyServerOptions options, ProxyHandler handler, net::Listener listener,
              std::unique_ptr<net::SessionGroup> sessions);
  void AcceptLoop();
  void Serve(uint64_t id, net::Socket& socket);

  const ProxyServerOptions options_;
  const ProxyHandler handler_;
  net::Listener listener_;
  std::unique_ptr<net::SessionGroup> sessions_;
  std::atomic<uint64_t> next_id_{1};
  std::thread accept_thread_;
};

// A fixed-text response ("text/plain"); the text never carries request data.
net::HttpResponse TextResponse(int status, std::string_view reason, std::string_view text);

}  // namespace eml::host

#endif  // EML_HOST_PROXY_SERVER_H_

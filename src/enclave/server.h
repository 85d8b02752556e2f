// The enclave's accept loop: a bounded group of session threads over one
// listener. Over the session limit a connection gets a BUSY alert and is
// closed; accept errors (descriptor exhaustion, resets) back off and go on,
// so no number of hostile connections stops the server.
//
// Thread-safety: Run() on one thread; Shutdown() from any thread.
#ifndef EML_ENCLAVE_SERVER_H_
#define EML_ENCLAVE_SERVER_H_

#include <atomic>
#include <memory>

#include "core/status.h"
#include "enclave/enclave.h"
#include "net/endpoint.h"
#include "net/session_group.h"
#include "net/socket.h"

namespace eml::enclave {

class Server {
 public:
  static StatusOr<std::unique_ptr<Server>> Listen(Enclave* enclave, const net::Endpoint& endpoint,
                                                  size_t max_sessions);

  uint32_t port() const { return listener_.port(); }

  // Serves until Shutdown(); then stops every session and returns.
  void Run();
  void Shutdown() { listener_.Shutdown(); }

  uint64_t rejected_busy() const { return rejected_busy_.load(); }

 private:
  Server(Enclave* enclave, net::Listener listener, std::unique_ptr<net::SessionGroup> sessions,
         size_t max_sessions)
      : enclave_(enclave),
        listener_(std::move(listener)),
        sessions_(std::move(sessions)),
        max_sessions_(max_sessions) {}

  Enclave* enclave_;
  net::Listener listener_;
  std::unique_ptr<net::SessionGroup> sessions_;
  const size_t max_sessions_;
  std::atomic<uint64_t> rejected_busy_{0};
};

}  // namespace eml::enclave

#endif  // EML_ENCLAVE_SERVER_H_

#include "enclave/server.h"

#include <thread>

#include "protocol/handshake.h"
#include "protocol/io.h"

namespace eml::enclave {

StatusOr<std::unique_ptr<Server>> Server::Listen(Enclave* enclave, const net::Endpoint& endpoint,
                                                 size_t max_sessions) {
  ASSIGN_OR_RETURN(net::Listener listener, net::Listen(endpoint, 1024));
  ASSIGN_OR_RETURN(auto sessions, net::SessionGroup::Create(max_sessions));
  return std::unique_ptr<Server>(
      new Server(enclave, std::move(listener), std::move(sessions), max_sessions));
}

void Server::Run() {
  for (;;) {
    StatusOr<net::Socket> socket = net::Accept(listener_, net::Deadline::Never());
    if (!socket.ok()) {
      if (listener_.is_shut_down()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // e.g. out of descriptors
      continue;
    }
    if (sessions_->active() >= max_sessions_) {
      rejected_busy_.fetch_add(1);
      (void)protocol::WriteFrame(*socket, protocol::FrameType::kAlert,
                                 protocol::EncodeAlert(protocol::AlertCode::kBusy),
                                 net::Deadline::In(std::chrono::milliseconds(100)));
      continue;  // the socket closes here
    }
    Enclave* enclave = enclave_;
    Status started = sessions_->Start(std::move(socket).value(),
                                      [enclave](net::Socket& s, const net::Waker& stop) {
                                        enclave->ServeConnection(s, stop);
                                      });
    if (!started.ok()) rejected_busy_.fetch_add(1);
  }
  sessions_->ShutdownAndJoin();
}

}  // namespace eml::enclave

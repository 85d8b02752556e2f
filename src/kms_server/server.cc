// KmsServer: accept loop and keep-alive HTTP/1.1 sessions (server.h).
#include "kms_server/server.h"

#include <thread>

#include "kms/kms_json.h"
#include "net/http.h"

namespace eml::kms_server {

StatusOr<std::unique_ptr<KmsServer>> KmsServer::Listen(KmsService* service, KmsServerOptions options) {
  ASSIGN_OR_RETURN(net::Listener listener, net::Listen(options.listen, 64));
  ASSIGN_OR_RETURN(std::unique_ptr<net::SessionGroup> sessions,
                   net::SessionGroup::Create(options.max_connections));
  return std::unique_ptr<KmsServer>(
      new KmsServer(service, std::move(options), std::move(listener), std::move(sessions)));
}

KmsServer::KmsServer(KmsService* service, KmsServerOptions options, net::Listener listener,
                     std::unique_ptr<net::SessionGroup> sessions)
    : service_(service),
      options_(std::move(options)),
      listener_(std::move(listener)),
      sessions_(std::move(sessions)) {}

KmsServer::~KmsServer() {
  Shutdown();
  sessions_->ShutdownAndJoin();
}

void KmsServer::Run() {
  while (!listener_.is_shut_down()) {
    StatusOr<net::Socket> socket = net::Accept(listener_, net::Deadline::Never());
    if (!socket.ok()) {
      if (listener_.is_shut_down()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // fd limit: back off
      continue;
    }
    sessions_->Start(std::move(*socket), [this](net::Socket& s, const net::Waker&) { Serve(s); })
        .IgnoreError();  // over the limit: the socket is already closed
  }
  sessions_->ShutdownAndJoin();
}

void KmsServer::Serve(net::Socket& socket) const {
  for (;;) {
    StatusOr<net::HttpRequest> request = net::ReadHttpRequest(
        socket, kMaxKmsRequestBody, net::Deadline::In(options_.idle_timeout));
    if (!request.ok()) {
      const StatusCode code = request.status().code();
      if (code == StatusCode::kInvalidArgument || code == StatusCode::kLimitExceeded ||
          code == StatusCode::kUnsupported) {
        net::HttpResponse error;
        error.status = 400;
        error.reason = "Bad Request";
        error.headers = {{"Content-Type", "application/x-amz-json-1.1"}, {"Connection", "close"}};
        error.body = ToBytes(kms::AwsErrorBody(kms::kSerialization, request.status().message()));
        net::WriteHttpResponse(socket, error, net::Deadline::In(options_.idle_timeout)).IgnoreError();
      }
      return;  // end of stream, timeout or I/O error
    }
    net::HttpResponse response = service_->Handle(*request);
    const bool close = net::HttpConnectionClose(request->headers);
    if (close) response.headers.emplace_back("Connection", "close");
    if (!net::WriteHttpResponse(socket, response, net::Deadline::In(options_.idle_timeout)).ok() ||
        close) {
      return;
    }
  }
}

}  // namespace eml::kms_server

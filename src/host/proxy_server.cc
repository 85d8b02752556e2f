#include "host/proxy_server.h"

#include "host/log.h"
#include "host/recorder.h"

namespace eml::host {
namespace {

constexpr int kBacklog = 64;
constexpr std::chrono::seconds kWriteTimeout{30};

// The status a malformed request is answered with before closing.
net::HttpResponse ErrorFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kLimitExceeded:
      return s.message().find("body") != std::string::npos
                 ? TextResponse(413, "Content Too Large", "request body too large\n")
                 : TextResponse(431, "Request Header Fields Too Large", "request head too large\n");
    case StatusCode::kUnsupported:
      return TextResponse(501, "Not Implemented", "unsupported HTTP feature\n");
    default:
      return TextResponse(400, "Bad Request", "malformed request\n");
  }
}

// Length to announce for a HEAD response: its Content-Length header, if valid.
uint64_t HeadLength(const net::HttpResponse& r) {
  const std::optional<std::string_view> v = net::FindHeader(r.headers, "Content-Length");
  if (!v || v->empty() || v->size() > 18) return 0;
  uint64_t n = 0;
  for (char c : *v) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

// Appends to DIR/<name>-<n>.in and .out when recording.
class ExchangeRecorder {
 public:
  static StatusOr<std::unique_ptr<ExchangeRecorder>> Open(const std::string& dir,
                                                         const std::string& name, uint64_t id) {
    const std::string base = dir + "/" + name + "-" + std::to_string(id);
    ASSIGN_OR_RETURN(AppendFile in, AppendFile::Open(base + ".in"));
    ASSIGN_OR_RETURN(AppendFile out, AppendFile::Open(base + ".out"));
    return std::unique_ptr<ExchangeRecorder>(new ExchangeRecorder(std::move(in), std::move(out)));
  }
  Status In(ByteSpan b) { return in_.Append(b); }
  Status Out(ByteSpan b) { return out_.Append(b); }

 private:
  ExchangeRecorder(AppendFile in, AppendFile out) : in_(std::move(in)), out_(std::move(out)) {}
  AppendFile in_;
  AppendFile out_;
};

}  // namespace

net::HttpResponse TextResponse(int status, std::string_view reason, std::string_view text) {
  return net::HttpResponse{.status = status,
                           .reason = std::string(reason),
                           .headers = {{"Content-Type", "text/plain"}},
                           .body = ToBytes(text)};
}

StatusOr<std::unique_ptr<ProxyServer>> ProxyServer::Start(const net::Endpoint& listen,
                                                          ProxyServerOptions options,
                                                          ProxyHandler handler) {
  if (!options.record_dir.empty()) RETURN_IF_ERROR(CheckRecordDir(options.record_dir));
  ASSIGN_OR_RETURN(net::Listener listener, net::Listen(listen, kBacklog));
  ASSIGN_OR_RETURN(auto sessions, net::SessionGroup::Create(options.max_connections));
  std::unique_ptr<ProxyServer> server(new ProxyServer(std::move(options), std::move(handler),
                                                      std::move(listener), std::move(sessions)));
  server->accept_thread_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  LogLine("%s proxy listening on %s, max %zu connections", server->options_.name.c_str(),
          server->listener_.endpoint().ToString().c_str(), server->options_.max_connections);
  return server;
}

ProxyServer::ProxyServer(ProxyServerOptions options, ProxyHandler handler,
                         net::Listener listener, std::unique_ptr<net::SessionGroup> sessions)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      listener_(std::move(listener)),
      sessions_(std::move(sessions)) {}

ProxyServer::~ProxyServer() { Stop(); }

void ProxyServer::Stop() {
  listener_.Shutdown();
  if (accept_thread_.joinable() && accept_thread_.get_id() != std::this_thread::get_id()) {
    accept_thread_.join();
  }
  sessions_->ShutdownAndJoin();
}

void ProxyServer::AcceptLoop() {
  while (!listener_.is_shut_down()) {
    StatusOr<net::Socket> s = net::Accept(listener_, net::Deadline::Never());
    if (!s.ok()) {
      if (listener_.is_shut_down()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    const uint64_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
    const Status started = sessions_->Start(
        std::move(*s), [this, id](net::Socket& c, const net::Waker&) { Serve(id, c); });
    if (!started.ok()) {
      LogLine("%s %llu rejected: %s", options_.name.c_str(), static_cast<unsigned long long>(id),
              started.message().c_str());
    }
  }
}

void ProxyServer::Serve(uint64_t id, net::Socket& socket) {
  const auto n = static_cast<unsigned long long>(id);
  const char* name = options_.name.c_str();
  std::unique_ptr<ExchangeRecorder> recorder;
  if (!options_.record_dir.empty()) {
    StatusOr<std::unique_ptr<ExchangeRecorder>> r =
        ExchangeRecorder::Open(options_.record_dir, options_.name, id);
    if (!r.ok()) {
      LogLine("%s %llu record error: %s", name, n, r.status().ToString().c_str());
      return;
    }
    recorder = std::move(*r);
  }
  for (;;) {
    StatusOr<net::HttpRequest> request = net::ReadHttpRequest(
        socket, options_.max_request_body, net::Deadline::In(options_.request_timeout));
    if (!request.ok()) {
      if (net::IsEndOfStream(request.status())) return;
      LogLine("%s %llu bad request: %s", name, n, request.status().ToString().c_str());
      const bool answerable = request.status().code() != StatusCode::kIo &&
                              request.status().code() != StatusCode::kFailedPrecondition;
      if (answerable) {
        const Bytes wire = net::SerializeHttpResponse(ErrorFor(request.status()));
        if (!recorder || recorder->Out(wire).ok()) {
          (void)net::WriteAll(socket, wire, net::Deadline::In(kWriteTimeout)).IgnoreError();
        }
      }
      return;
    }
    if (recorder && !recorder->In(net::SerializeHttpRequest(*request)).ok()) return;
    const net::HttpResponse response = handler_(*request);
    Bytes wire = request->method == "HEAD"
                     ? net::SerializeHttpResponseToHead(response, HeadLength(response))
                     : net::SerializeHttpResponse(response);
    if (wire.empty()) {  // the handler built something unserialisable: never send it
      wire = net::SerializeHttpResponse(TextResponse(502, "Bad Gateway", "bad upstream response\n"));
    }
    LogLine("%s %llu %s -> %d in=%zu out=%zu", name, n, request->method.c_str(), response.status,
            request->body.size(), wire.size());
    if (recorder && !recorder->Out(wire).ok()) return;
    if (!net::WriteAll(socket, wire, net::Deadline::In(kWriteTimeout)).ok()) return;
    if (net::HttpConnectionClose(request->headers)) return;
  }
}

}  // namespace eml::host

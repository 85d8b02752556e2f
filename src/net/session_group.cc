#include "net/session_group.h"

#include <string>
#include <system_error>
#include <utility>

namespace eml::net {

StatusOr<std::unique_ptr<SessionGroup>> SessionGroup::Create(size_t max_sessions) {
  if (max_sessions == 0) return InvalidArgumentError("net: max_sessions must be at least 1");
  ASSIGN_OR_RETURN(Waker stop, Waker::Create());
  return std::unique_ptr<SessionGroup>(new SessionGroup(max_sessions, std::move(stop)));
}

SessionGroup::SessionGroup(size_t max_sessions, Waker stop)
    : max_sessions_(max_sessions), stop_(std::move(stop)) {}

SessionGroup::~SessionGroup() { ShutdownAndJoin(); }

void SessionGroup::RunSession(Session* session, const Handler& handler) {
  handler(session->socket, stop_);
  std::lock_guard<std::mutex> lock(mu_);
  session->socket.Close();
  session->done = true;
}

void SessionGroup::ReapLocked() {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if ((*it)->done) {
      // The thread has released mu_ for the last time; join waits only for
      // it to unwind.
      (*it)->thread.join();
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
}

Status SessionGroup::Start(Socket socket, Handler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  ReapLocked();
  if (stopping_) return FailedPreconditionError("net: session group is stopping");
  if (sessions_.size() >= max_sessions_) {
    return LimitExceededError("net: " + std::to_string(max_sessions_) + " sessions already running");
  }
  auto session = std::make_unique<Session>();
  session->socket = std::move(socket);
  Session* raw = session.get();
  try {
    // The thread cannot observe `done`/`socket` changes before we release
    // mu_, and it never touches `thread`.
    raw->thread = std::thread([this, raw, h = std::move(handler)] { RunSession(raw, h); });
  } catch (const std::system_error&) {
    return LimitExceededError("net: cannot start a session thread");
  }
  sessions_.push_back(std::move(session));
  return OkStatus();
}

size_t SessionGroup::active() {
  std::lock_guard<std::mutex> lock(mu_);
  ReapLocked();
  return sessions_.size();
}

void SessionGroup::ShutdownAndJoin() {
  std::list<std::unique_ptr<Session>> sessions;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    stop_.Wake();
    for (auto& s : sessions_) ShutdownBoth(s->socket);  // closed sockets are skipped
    sessions.swap(sessions_);
  }
  for (auto& s : sessions) s->thread.join();
}

}  // namespace eml::net

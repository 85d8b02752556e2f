// SessionGroup: a bounded set of threads, one per accepted connection.
//
// Start() hands a connected Socket to a new thread running the handler; if
// `max_sessions` handlers are already running the socket is closed at once
// and Start() says so (the caller counts the rejection). The group owns each
// session's Socket for the whole life of its thread and closes it right after
// the handler returns, which is what lets ShutdownAndJoin() safely call
// shutdown(2) on sockets of handlers that are still blocked.
//
// Handler contract: `socket` is borrowed for the call; do not Close(),
// Release() or move it. `stop` becomes readable (stop.woken(), poll its fd())
// once ShutdownAndJoin() begins: handlers that wait on other descriptors (a
// relay's second socket) put stop.fd() in their poll set; handlers that only
// read and write `socket` are woken anyway by the shutdown(2).
// Handlers must not throw.
//
// Thread-safety: all methods are safe from any thread, except that the
// destructor must not race with other calls. Finished threads are joined
// lazily by the next Start()/active() and by ShutdownAndJoin().
#ifndef EML_NET_SESSION_GROUP_H_
#define EML_NET_SESSION_GROUP_H_

#include <atomic>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

#include "core/status.h"
#include "net/socket.h"
#include "net/waker.h"

namespace eml::net {

class SessionGroup {
 public:
  using Handler = std::function<void(Socket& socket, const Waker& stop)>;

  // `max_sessions` >= 1. kIo if no eventfd can be made.
  static StatusOr<std::unique_ptr<SessionGroup>> Create(size_t max_sessions);

  SessionGroup(const SessionGroup&) = delete;
  SessionGroup& operator=(const SessionGroup&) = delete;
  ~SessionGroup();  // ShutdownAndJoin()

  // kLimitExceeded when full (or no thread can be started), kFailedPrecondition
  // once stopping; in both cases `socket` is closed before returning.
  Status Start(Socket socket, Handler handler);

  // Handlers still running.
  size_t active();

  // Wakes `stop`, shuts down every running session's socket (SHUT_RDWR),
  // refuses later Start() calls, and joins every thread. Idempotent.
  void ShutdownAndJoin();

 private:
  struct Session {
    Socket socket;  // closed under mu_ when the handler returns
    std::thread thread;
    bool done = false;  // guarded by mu_
  };

  SessionGroup(size_t max_sessions, Waker stop);
  void RunSession(Session* session, const Handler& handler);
  void ReapLocked();  // joins finished threads; requires mu_

  const size_t max_sessions_;
  const Waker stop_;
  std::mutex mu_;  // guards sessions_ (the list and each Session's socket/done) and stopping_
  std::list<std::unique_ptr<Session>> sessions_;
  bool stopping_ = false;
};

}  // namespace eml::net

#endif  // EML_NET_SESSION_GROUP_H_

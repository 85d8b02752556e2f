#include "core/process.h"

#include <pthread.h>
#include <signal.h>

#include <cstdio>

namespace eml {
namespace {

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void BlockStopSignals() {
  signal(SIGPIPE, SIG_IGN);
  const sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

std::thread StopSignalWaiter(std::function<void(int)> on_stop) {
  return std::thread([on_stop = std::move(on_stop)] {
    const sigset_t set = StopSignals();
    int sig = 0;
    while (sigwait(&set, &sig) != 0) {
    }
    on_stop(sig);
  });
}

Status WriteFileAtomically(const std::string& path, std::string_view contents) {
  const std::string tmp = path + ".tmp";
  FILE* file = std::fopen(tmp.c_str(), "w");
  if (file == nullptr) return Status(StatusCode::kIo, "cannot write " + tmp);
  const bool ok = std::fwrite(contents.data(), 1, contents.size(), file) == contents.size();
  if (std::fclose(file) != 0 || !ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status(StatusCode::kIo, "cannot write " + path);
  }
  return OkStatus();
}

}  // namespace eml

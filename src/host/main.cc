// eml-host: the untrusted blind relay. See docs/host.md.
//
// Exit status: 0 after a clean stop (SIGINT/SIGTERM), 2 for usage errors and
// for I/O errors at start-up (cannot bind, no record directory), 1 otherwise.
#include <cstdio>
#include <string_view>
#include <thread>
#include <vector>

#include "core/process.h"
#include "core/status.h"
#include "host/host.h"
#include "host/log.h"
#include "host/options.h"

namespace {

int ExitCodeFor(const eml::Status& s) {
  if (s.ok()) return 0;
  if (s.code() == eml::StatusCode::kIo || s.code() == eml::StatusCode::kNotFound) return 2;
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  eml::StatusOr<eml::host::HostOptions> options = eml::host::ParseHostArgs(args);
  if (!options.ok()) {
    std::fprintf(stderr, "%s\n%s", options.status().message().c_str(),
                 eml::host::Usage().c_str());
    return 2;
  }
  if (options->help) {
    std::fputs(eml::host::Usage().c_str(), stdout);
    return 0;
  }
  // Stop signals go to one waiting thread; SIGPIPE is ignored (sockets use
  // MSG_NOSIGNAL; this also covers a closed stderr pipe).
  eml::BlockStopSignals();

  eml::StatusOr<std::unique_ptr<eml::host::Host>> host = eml::host::Host::Start(*options);
  if (!host.ok()) {
    eml::host::LogLine("cannot start: %s", host.status().ToString().c_str());
    return ExitCodeFor(host.status());
  }
  eml::host::Host* h = host->get();
  std::thread signal_waiter = eml::StopSignalWaiter([h](int sig) {
    eml::host::LogLine("stopping on signal %d", sig);
    h->Stop();
  });
  h->Run();  // returns only after Stop()
  signal_waiter.join();
  host->reset();
  return 0;
}

// host_relay_latency: how much latency eml-host adds to a 1 KiB round trip.
//
// Starts an echo server on loopback, then eml-host in front of it, and times
// N sequential 1 KiB write+read round trips directly and through the relay
// (one connection each, after a warm-up). Prints median/p90/p99 and the
// difference of medians. Usage: host_relay_latency [N] [PATH/TO/eml-host]
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "net/session_group.h"
#include "net/socket.h"

extern char** environ;

namespace {

using namespace std::chrono_literals;
using eml::net::Deadline;
using SteadyClock = std::chrono::steady_clock;

eml::net::Endpoint Loopback(uint32_t port) {
  return eml::net::Endpoint{.family = eml::net::Endpoint::Family::kIpv4, .host = "127.0.0.1",
                            .cid = 0, .port = port};
}

void Echo(eml::net::Socket& s, const eml::net::Waker&) {
  uint8_t buf[4096];
  for (;;) {
    auto n = eml::net::ReadSome(s, eml::net::MutableByteSpan(buf, sizeof(buf)), Deadline::In(60s));
    if (!n.ok() || !eml::net::WriteAll(s, eml::ByteSpan(buf, *n), Deadline::In(60s)).ok()) return;
  }
}

// Microseconds per round trip, sorted.
std::vector<double> Time(uint32_t port, int n) {
  auto s = eml::net::Connect(Loopback(port), Deadline::In(5s));
  if (!s.ok()) {
    std::fprintf(stderr, "connect: %s\n", s.status().ToString().c_str());
    std::exit(1);
  }
  eml::Bytes out(1024, 0x61), in(1024);
  std::vector<double> us;
  for (int i = 0; i < n + 200; ++i) {
    const auto t0 = SteadyClock::now();
    if (!eml::net::WriteAll(*s, out, Deadline::In(5s)).ok() ||
        !eml::net::ReadFull(*s, in, Deadline::In(5s)).ok()) {
      std::fprintf(stderr, "round trip failed\n");
      std::exit(1);
    }
    const auto dt = std::chrono::duration<double, std::micro>(SteadyClock::now() - t0).count();
    if (i >= 200) us.push_back(dt);  // first 200 are warm-up
  }
  std::sort(us.begin(), us.end());
  return us;
}

double Pct(const std::vector<double>& v, double p) {
  return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 5000;
  const std::string host_bin = argc > 2 ? argv[2] : EML_HOST_BINARY;
  auto listener = eml::net::Listen(Loopback(0), 16);
  auto group = eml::net::SessionGroup::Create(16);
  if (!listener.ok() || !group.ok() || n < 1) return 1;
  std::thread acceptor([&] {
    for (;;) {
      auto s = eml::net::Accept(*listener, Deadline::Never());
      if (!s.ok()) return;
      (*group)->Start(std::move(*s), Echo).IgnoreError();
    }
  });
  char ready[] = "/tmp/eml-host-latency-XXXXXX";
  const int fd = mkstemp(ready);
  close(fd);
  unlink(ready);
  const std::string enclave = "127.0.0.1:" + std::to_string(listener->port());
  std::vector<std::string> args = {host_bin, "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                                   "--enclave", enclave, "--ready-file", ready};
  std::vector<char*> argv_c;
  for (auto& a : args) argv_c.push_back(a.data());
  argv_c.push_back(nullptr);
  pid_t pid;
  if (posix_spawn(&pid, argv_c[0], nullptr, nullptr, argv_c.data(), environ) != 0) return 1;
  uint32_t port = 0;
  for (int i = 0; i < 500 && port == 0; ++i) {
    std::this_thread::sleep_for(10ms);
    std::ifstream in(ready);
    std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t p = json.find("\"listen\":");
    if (p != std::string::npos) port = static_cast<uint32_t>(std::atoi(json.c_str() + p + 9));
  }
  if (port == 0) return 1;
  const auto direct = Time(listener->port(), n);
  const auto relayed = Time(port, n);
  std::printf("1 KiB round trips, n=%d (microseconds)\n", n);
  std::printf("%-8s median %7.1f  p90 %7.1f  p99 %7.1f\n", "direct", Pct(direct, 0.5),
              Pct(direct, 0.9), Pct(direct, 0.99));
  std::printf("%-8s median %7.1f  p90 %7.1f  p99 %7.1f\n", "relayed", Pct(relayed, 0.5),
              Pct(relayed, 0.9), Pct(relayed, 0.99));
  std::printf("added by eml-host: median %.1f us, p99 %.1f us\n", Pct(relayed, 0.5) - Pct(direct, 0.5),
              Pct(relayed, 0.99) - Pct(direct, 0.99));
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  unlink(ready);
  listener->Shutdown();
  acceptor.join();
  (*group)->ShutdownAndJoin();
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

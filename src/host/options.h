// Command-line options of eml-host (flags are documented in docs/host.md).
//
// Accepted forms: "--flag VALUE" and "--flag=VALUE"; every flag at most once;
// unknown flags, missing values and out-of-range numbers are errors. Numbers
// are plain decimal. Thread-safety: pure functions.
#ifndef EML_HOST_OPTIONS_H_
#define EML_HOST_OPTIONS_H_

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "net/endpoint.h"

namespace eml::host {

struct HostOptions {
  net::Endpoint listen;   // --listen: where clients connect
  net::Endpoint enclave;  // --enclave: where the enclave listens (TCP or vsock)
  net::Endpoint admin;    // --admin: /metrics and /healthz
  size_t max_connections = 256;  // --max-connections, 1..65536
  int idle_timeout_s = 300;      // --idle-timeout-s, 1..86400
  int connect_timeout_ms = 5000; // --connect-timeout-ms, 1..600000
  std::string record_dir;        // --record: empty = no recording
  std::string ready_file;        // --ready-file: empty = none
  bool help = false;             // --help / -h: print Usage() and exit 0
};

// `args` excludes argv[0]. InvalidArgument names the offending flag.
StatusOr<HostOptions> ParseHostArgs(std::span<const std::string_view> args);

std::string Usage();

}  // namespace eml::host

#endif  // EML_HOST_OPTIONS_H_

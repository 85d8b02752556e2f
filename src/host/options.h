// Command-line options of eml-host (flags are documented in docs/host.md).
//
// Accepted forms: "--flag VALUE" and "--flag=VALUE"; every flag at most once;
// unknown flags, missing values and out-of-range numbers are errors. Numbers
// are plain decimal. Thread-safety: pure functions.
#ifndef EML_HOST_OPTIONS_H_
#define EML_HOST_OPTIONS_H_

#include <cstddef>
#include <optional>
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

  // Proxies for the enclave (docs/proxy.md); each is off unless its listen
  // endpoint is given. --record applies to them too.
  std::optional<net::Endpoint> kms_proxy;      // --kms-proxy
  std::string kms_upstream;                    // --kms-upstream URL (required with --kms-proxy)
  std::optional<net::Endpoint> storage_proxy;  // --storage-proxy
  std::string storage_dir;                     // --storage-dir DIR, or
  std::string storage_s3;                      // --storage-s3 http(s)://ENDPOINT/BUCKET[/PREFIX]
  std::string s3_region;                       // --s3-region (required with --storage-s3)
  std::string credentials_file;                // --credentials-file: else the environment
  size_t proxy_max_connections = 16;           // --proxy-max-connections, 1..1024, per proxy
  int upstream_timeout_ms = 30000;             // --upstream-timeout-ms, 1..600000
};

// `args` excludes argv[0]. InvalidArgument names the offending flag.
StatusOr<HostOptions> ParseHostArgs(std::span<const std::string_view> args);

std::string Usage();

}  // namespace eml::host

#endif  // EML_HOST_OPTIONS_H_

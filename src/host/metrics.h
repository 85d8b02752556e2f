// Counters the relay exposes on its admin port (GET /metrics), rendered in
// the Prometheus text exposition format 0.0.4. docs/host.md lists each one.
//
// Thread-safety: every field is an atomic updated with relaxed ordering by
// connection threads; a scrape reads each independently (a scrape taken
// mid-connection may see bytes of a connection whose close it does not yet
// see, as with any Prometheus exporter).
#ifndef EML_HOST_METRICS_H_
#define EML_HOST_METRICS_H_

#include <atomic>
#include <cstdint>
#include <string>

namespace eml::host {

struct HostMetrics {
  std::atomic<uint64_t> connections_total{0};     // accepted client connections, rejected ones included
  std::atomic<uint64_t> connections_rejected_total{0};  // over --max-connections, closed at once
  std::atomic<uint64_t> bytes_client_to_enclave{0};     // bytes written to the enclave side
  std::atomic<uint64_t> bytes_enclave_to_client{0};     // bytes written to the client side
  std::atomic<uint64_t> upstream_errors_total{0};  // enclave connect failures and enclave-side I/O errors
  std::atomic<uint64_t> idle_timeouts_total{0};    // connections closed by --idle-timeout-s
};

// `active_connections` comes from the session group, the same count that
// decides whether a new connection fits under --max-connections.
std::string RenderMetrics(const HostMetrics& metrics, uint64_t active_connections);

}  // namespace eml::host

#endif  // EML_HOST_METRICS_H_

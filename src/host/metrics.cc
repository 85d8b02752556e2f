#include "host/metrics.h"

#include <string_view>

namespace eml::host {
namespace {

void Family(std::string* out, std::string_view name, std::string_view type,
            std::string_view help) {
  out->append("# HELP ").append(name).append(" ").append(help).append("\n");
  out->append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void Sample(std::string* out, std::string_view name_and_labels, uint64_t value) {
  out->append(name_and_labels).append(" ").append(std::to_string(value)).append("\n");
}

void Sample(std::string* out, std::string_view name_and_labels,
            const std::atomic<uint64_t>& value) {
  Sample(out, name_and_labels, value.load(std::memory_order_relaxed));
}

}  // namespace

std::string RenderMetrics(const HostMetrics& m, uint64_t active_connections) {
  std::string out;
  Family(&out, "eml_host_connections_total", "counter",
         "Client connections accepted, including rejected ones.");
  Sample(&out, "eml_host_connections_total", m.connections_total);
  Family(&out, "eml_host_connections_active", "gauge", "Client connections being served now.");
  Sample(&out, "eml_host_connections_active", active_connections);
  Family(&out, "eml_host_connections_rejected_total", "counter",
         "Client connections closed at once because --max-connections were active.");
  Sample(&out, "eml_host_connections_rejected_total", m.connections_rejected_total);
  Family(&out, "eml_host_bytes_total", "counter", "Bytes relayed, by direction.");
  Sample(&out, "eml_host_bytes_total{direction=\"client_to_enclave\"}", m.bytes_client_to_enclave);
  Sample(&out, "eml_host_bytes_total{direction=\"enclave_to_client\"}", m.bytes_enclave_to_client);
  Family(&out, "eml_host_upstream_errors_total", "counter",
         "Enclave connections that failed to open or failed mid-relay.");
  Sample(&out, "eml_host_upstream_errors_total", m.upstream_errors_total);
  Family(&out, "eml_host_idle_timeouts_total", "counter",
         "Connections closed after --idle-timeout-s without traffic.");
  Sample(&out, "eml_host_idle_timeouts_total", m.idle_timeouts_total);
  return out;
}

}  // namespace eml::host

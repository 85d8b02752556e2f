// The byte pump at the heart of eml-host: copies bytes between a client
// socket and an enclave socket, in both directions, without looking at them.
//
// One thread drives both directions with poll(2). Each direction holds at
// most one buffer (64 KiB) of data read but not yet written, so a side that
// stops reading throttles the other (TCP backpressure) instead of growing
// memory. When a side sends FIN, the relay forwards it (shutdown(SHUT_WR) on
// the other side) once the buffered bytes are written: half-close is
// preserved, and the relay ends when both directions have closed.
// It also ends when no byte moves for `idle_timeout`, when `stop` is woken,
// or on any socket error; the caller then closes both sockets.
//
// Thread-safety: Relay() uses only its arguments; the observer is called from
// the relaying thread.
#ifndef EML_HOST_RELAY_H_
#define EML_HOST_RELAY_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"
#include "net/socket.h"
#include "net/waker.h"

namespace eml::host {

enum class Direction { kClientToEnclave, kEnclaveToClient };

class RelayObserver {
 public:
  virtual ~RelayObserver() = default;
  // Called with bytes just written to the destination, in order. A non-OK
  // status ends the relay (RelayEnd::kObserverError).
  virtual Status OnRelayed(Direction direction, ByteSpan data) = 0;
};

enum class RelayEnd {
  kClosed,         // both sides closed their sending half; everything was delivered
  kIdleTimeout,    // nothing moved for idle_timeout
  kStopped,        // `stop` was woken
  kClientError,    // read/write error on the client socket (reset, EPIPE)
  kEnclaveError,   // read/write error on the enclave socket
  kObserverError,  // the observer refused (recording failed)
};

std::string_view RelayEndName(RelayEnd end);

struct RelayOptions {
  std::chrono::milliseconds idle_timeout{300000};
  size_t buffer_size = 64 * 1024;  // per direction
};

struct RelayResult {
  RelayEnd end = RelayEnd::kClosed;
  uint64_t client_to_enclave = 0;  // bytes written to the enclave
  uint64_t enclave_to_client = 0;  // bytes written to the client
  std::string detail;              // errno text or observer status; never payload
};

RelayResult Relay(net::Socket& client, net::Socket& enclave, const RelayOptions& options,
                  const net::Waker& stop, RelayObserver& observer);

}  // namespace eml::host

#endif  // EML_HOST_RELAY_H_

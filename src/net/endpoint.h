// Endpoint: where to listen or connect, parsed from a command-line string.
//
// Grammar (nothing else is accepted, and no name resolution is ever done):
//   tcp   = ipv4 ":" port | "[" ipv6 "]" ":" port | "localhost" ":" port
//   vsock = "vsock:" cid ":" vport
//   ipv4  = dotted quad as inet_pton(AF_INET) reads it ("127.0.0.1")
//   ipv6  = inet_pton(AF_INET6) text without a zone ("::1", "fe80::1"); the
//           brackets are required so the port cannot be confused with a group
//   port  = decimal 0..65535, no sign, no leading zeros ("0" means "any" for
//           Listen: the kernel picks an ephemeral port, read it back with
//           Listener::port())
//   cid   = decimal 0..4294967294 or "any" (VMADDR_CID_ANY, for Listen)
//   vport = decimal 0..4294967294 (0 means "any" for Listen)
// "localhost" is always 127.0.0.1: a relay that resolved names through
// /etc/hosts or DNS would let whoever controls those pick its peer.
// Input longer than 256 bytes is rejected.
//
// Thread-safety: a value type.
#ifndef EML_NET_ENDPOINT_H_
#define EML_NET_ENDPOINT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace eml::net {

struct Endpoint {
  enum class Family { kIpv4, kIpv6, kVsock };

  static constexpr uint32_t kVsockCidAny = 0xFFFFFFFFu;

  Family family = Family::kIpv4;
  std::string host;  // IP literal for kIpv4/kIpv6 ("127.0.0.1", "::1"); empty for vsock
  uint32_t cid = 0;  // vsock only
  uint32_t port = 0;

  // InvalidArgument naming what is wrong (the text itself is not secret and
  // is quoted in the message).
  static StatusOr<Endpoint> Parse(std::string_view text);
  // Text that Parse() reads back to an equal Endpoint.
  std::string ToString() const;

  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

}  // namespace eml::net

#endif  // EML_NET_ENDPOINT_H_

#include "net/endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

namespace eml::net {
namespace {

constexpr size_t kMaxEndpointText = 256;

Status Bad(std::string_view text, std::string_view why) {
  return InvalidArgumentError("endpoint '" + std::string(text) + "': " + std::string(why));
}

// Strict decimal: 1..10 digits, no sign, no leading zero unless the value is 0.
bool ParseDecimal(std::string_view s, uint64_t max, uint64_t* out) {
  if (s.empty() || s.size() > 10) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) return false;
  *out = v;
  return true;
}

StatusOr<Endpoint> ParseVsock(std::string_view text, std::string_view rest) {
  const size_t colon = rest.find(':');
  if (colon == std::string_view::npos) return Bad(text, "expected vsock:CID:PORT");
  const std::string_view cid_text = rest.substr(0, colon);
  const std::string_view port_text = rest.substr(colon + 1);
  Endpoint ep;
  ep.family = Endpoint::Family::kVsock;
  uint64_t v = 0;
  if (cid_text == "any") {
    ep.cid = Endpoint::kVsockCidAny;
  } else if (ParseDecimal(cid_text, 0xFFFFFFFEu, &v)) {
    ep.cid = static_cast<uint32_t>(v);
  } else {
    return Bad(text, "vsock CID must be a decimal number below 4294967295 or 'any'");
  }
  if (!ParseDecimal(port_text, 0xFFFFFFFEu, &v)) {
    return Bad(text, "vsock port must be a decimal number below 4294967295");
  }
  ep.port = static_cast<uint32_t>(v);
  return ep;
}

StatusOr<uint32_t> ParseTcpPort(std::string_view text, std::string_view port_text) {
  uint64_t v = 0;
  if (!ParseDecimal(port_text, 65535, &v)) return Bad(text, "port must be decimal 0..65535");
  return static_cast<uint32_t>(v);
}

StatusOr<Endpoint> ParseIpv6(std::string_view text) {
  const size_t close = text.find("]:");
  if (close == std::string_view::npos) return Bad(text, "expected [IPV6]:PORT");
  const std::string host(text.substr(1, close - 1));
  in6_addr addr{};
  if (host.find('%') != std::string::npos || inet_pton(AF_INET6, host.c_str(), &addr) != 1) {
    return Bad(text, "not an IPv6 literal (zones are not supported)");
  }
  ASSIGN_OR_RETURN(const uint32_t port, ParseTcpPort(text, text.substr(close + 2)));
  return Endpoint{.family = Endpoint::Family::kIpv6, .host = host, .cid = 0, .port = port};
}

StatusOr<Endpoint> ParseIpv4(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return Bad(text, "expected HOST:PORT");
  if (text.find(':', colon + 1) != std::string_view::npos) {
    return Bad(text, "IPv6 addresses need brackets: [ADDR]:PORT");
  }
  std::string host(text.substr(0, colon));
  if (host == "localhost") host = "127.0.0.1";
  in_addr addr{};
  if (inet_pton(AF_INET, host.c_str(), &addr) != 1) {
    return Bad(text, "host must be an IP literal or 'localhost' (no name resolution)");
  }
  ASSIGN_OR_RETURN(const uint32_t port, ParseTcpPort(text, text.substr(colon + 1)));
  return Endpoint{.family = Endpoint::Family::kIpv4, .host = host, .cid = 0, .port = port};
}

}  // namespace

StatusOr<Endpoint> Endpoint::Parse(std::string_view text) {
  if (text.size() > kMaxEndpointText) {
    return InvalidArgumentError("endpoint: longer than 256 bytes");
  }
  for (char c : text) {
    if (c <= ' ' || c > '~') return InvalidArgumentError("endpoint: non-printable or space character");
  }
  constexpr std::string_view kVsockPrefix = "vsock:";
  if (text.starts_with(kVsockPrefix)) return ParseVsock(text, text.substr(kVsockPrefix.size()));
  if (text.starts_with("[")) return ParseIpv6(text);
  return ParseIpv4(text);
}

std::string Endpoint::ToString() const {
  switch (family) {
    case Family::kIpv4:
      return host + ":" + std::to_string(port);
    case Family::kIpv6:
      return "[" + host + "]:" + std::to_string(port);
    case Family::kVsock:
      return "vsock:" + (cid == kVsockCidAny ? std::string("any") : std::to_string(cid)) + ":" +
             std::to_string(port);
  }
  return "?";
}

}  // namespace eml::net

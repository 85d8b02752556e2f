#include "host/options.h"

#include <set>
#include <string>

namespace eml::host {
namespace {

Status FlagError(std::string_view flag, std::string_view why) {
  return InvalidArgumentError("eml-host: " + std::string(flag) + ": " + std::string(why));
}

StatusOr<long long> ParseInt(std::string_view flag, std::string_view text, long long min,
                             long long max) {
  if (text.empty() || text.size() > 12) return FlagError(flag, "expected a decimal number");
  long long v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return FlagError(flag, "expected a decimal number");
    v = v * 10 + (c - '0');
  }
  if (v < min || v > max) {
    return FlagError(flag, "must be " + std::to_string(min) + ".." + std::to_string(max));
  }
  return v;
}

StatusOr<net::Endpoint> ParseEndpointFlag(std::string_view flag, std::string_view text) {
  StatusOr<net::Endpoint> ep = net::Endpoint::Parse(text);
  if (!ep.ok()) return FlagError(flag, ep.status().message());
  return ep;
}

Status Apply(std::string_view flag, std::string_view value, HostOptions* o) {
  if (flag == "--listen") {
    ASSIGN_OR_RETURN(o->listen, ParseEndpointFlag(flag, value));
  } else if (flag == "--enclave") {
    ASSIGN_OR_RETURN(o->enclave, ParseEndpointFlag(flag, value));
    if (o->enclave.port == 0) return FlagError(flag, "port 0 cannot be connected to");
    if (o->enclave.cid == net::Endpoint::kVsockCidAny &&
        o->enclave.family == net::Endpoint::Family::kVsock) {
      return FlagError(flag, "CID 'any' cannot be connected to");
    }
  } else if (flag == "--admin") {
    ASSIGN_OR_RETURN(o->admin, ParseEndpointFlag(flag, value));
  } else if (flag == "--max-connections") {
    ASSIGN_OR_RETURN(const long long v, ParseInt(flag, value, 1, 65536));
    o->max_connections = static_cast<size_t>(v);
  } else if (flag == "--idle-timeout-s") {
    ASSIGN_OR_RETURN(const long long v, ParseInt(flag, value, 1, 86400));
    o->idle_timeout_s = static_cast<int>(v);
  } else if (flag == "--connect-timeout-ms") {
    ASSIGN_OR_RETURN(const long long v, ParseInt(flag, value, 1, 600000));
    o->connect_timeout_ms = static_cast<int>(v);
  } else if (flag == "--record") {
    if (value.empty()) return FlagError(flag, "needs a directory");
    o->record_dir = std::string(value);
  } else if (flag == "--ready-file") {
    if (value.empty()) return FlagError(flag, "needs a file name");
    o->ready_file = std::string(value);
  } else if (flag == "--kms-proxy") {
    ASSIGN_OR_RETURN(o->kms_proxy, ParseEndpointFlag(flag, value));
  } else if (flag == "--storage-proxy") {
    ASSIGN_OR_RETURN(o->storage_proxy, ParseEndpointFlag(flag, value));
  } else if (flag == "--kms-upstream" || flag == "--storage-dir" || flag == "--storage-s3" ||
             flag == "--s3-region" || flag == "--credentials-file") {
    if (value.empty()) return FlagError(flag, "needs a value");
    std::string* field = flag == "--kms-upstream"   ? &o->kms_upstream
                         : flag == "--storage-dir" ? &o->storage_dir
                         : flag == "--storage-s3"  ? &o->storage_s3
                         : flag == "--s3-region"   ? &o->s3_region
                                                   : &o->credentials_file;
    *field = std::string(value);
  } else if (flag == "--proxy-max-connections") {
    ASSIGN_OR_RETURN(const long long v, ParseInt(flag, value, 1, 1024));
    o->proxy_max_connections = static_cast<size_t>(v);
  } else if (flag == "--upstream-timeout-ms") {
    ASSIGN_OR_RETURN(const long long v, ParseInt(flag, value, 1, 600000));
    o->upstream_timeout_ms = static_cast<int>(v);
  } else {
    return FlagError(flag, "unknown flag (see --help)");
  }
  return OkStatus();
}

// Flags that only make sense together.
Status CheckProxyFlags(const HostOptions& o) {
  if (o.kms_proxy.has_value() != !o.kms_upstream.empty()) {
    return FlagError("--kms-proxy", "and --kms-upstream go together");
  }
  const bool dir = !o.storage_dir.empty();
  const bool s3 = !o.storage_s3.empty();
  if (o.storage_proxy.has_value() && dir == s3) {
    return FlagError("--storage-proxy", "needs exactly one of --storage-dir and --storage-s3");
  }
  if (!o.storage_proxy.has_value() && (dir || s3)) {
    return FlagError(dir ? "--storage-dir" : "--storage-s3", "needs --storage-proxy");
  }
  if (s3 != !o.s3_region.empty()) return FlagError("--s3-region", "goes with --storage-s3");
  return OkStatus();
}

}  // namespace

StatusOr<HostOptions> ParseHostArgs(std::span<const std::string_view> args) {
  HostOptions o;
  std::set<std::string, std::less<>> seen;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      o.help = true;
      return o;
    }
    if (!arg.starts_with("--")) return FlagError(arg, "unexpected argument");
    std::string_view flag = arg;
    std::string_view value;
    if (const size_t eq = arg.find('='); eq != std::string_view::npos) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else {
      if (i + 1 >= args.size()) return FlagError(flag, "missing value");
      value = args[++i];
    }
    if (!seen.insert(std::string(flag)).second) return FlagError(flag, "given twice");
    RETURN_IF_ERROR(Apply(flag, value, &o));
  }
  for (std::string_view required : {"--listen", "--enclave", "--admin"}) {
    if (!seen.contains(required)) return FlagError(required, "is required");
  }
  RETURN_IF_ERROR(CheckProxyFlags(o));
  return o;
}

std::string Usage() {
  return "usage: eml-host --listen HOST:PORT --enclave HOST:PORT|vsock:CID:PORT --admin HOST:PORT\n"
         "                [--max-connections N] [--idle-timeout-s S] [--connect-timeout-ms MS]\n"
         "                [--record DIR] [--ready-file FILE]\n"
         "                [--kms-proxy ENDPOINT --kms-upstream URL]\n"
         "                [--storage-proxy ENDPOINT (--storage-dir DIR | --storage-s3 URL --s3-region R)]\n"
         "                [--credentials-file FILE] [--proxy-max-connections N] [--upstream-timeout-ms MS]\n"
         "\n"
         "Untrusted blind relay: copies bytes between each client connection and a new\n"
         "connection to the enclave, parsing none of them.\n"
         "  --listen HOST:PORT        where clients connect (port 0: any free port)\n"
         "  --enclave ENDPOINT        the enclave: IP:PORT, [IPV6]:PORT or vsock:CID:PORT\n"
         "  --admin HOST:PORT         HTTP GET /metrics (Prometheus) and /healthz\n"
         "  --max-connections N       concurrent client connections (default 256, 1..65536)\n"
         "  --idle-timeout-s S        close a connection after S s without traffic (default 300)\n"
         "  --connect-timeout-ms MS   enclave connect timeout (default 5000)\n"
         "  --record DIR              append relayed bytes to DIR/conn-<n>.c2e / .e2c (testing)\n"
         "  --ready-file FILE         once listening, write {\"listen\":P,\"admin\":P,...} to FILE\n"
         "Proxies for the enclave (docs/proxy.md):\n"
         "  --kms-proxy ENDPOINT      serve the enclave's KMS requests (TCP or vsock)\n"
         "  --kms-upstream URL        https://kms.REGION.amazonaws.com or http://127.0.0.1:PORT\n"
         "  --storage-proxy ENDPOINT  serve package objects (GET/HEAD /OBJECT, Range)\n"
         "  --storage-dir DIR         ... from this directory\n"
         "  --storage-s3 URL          ... from S3: http(s)://ENDPOINT/BUCKET[/PREFIX] (path style)\n"
         "  --s3-region R             the bucket's region (SigV4 scope)\n"
         "  --credentials-file FILE   AWS_ACCESS_KEY_ID=... lines (re-read per use); else environment\n"
         "  --proxy-max-connections N connections per proxy (default 16, 1..1024)\n"
         "  --upstream-timeout-ms MS  limit for one KMS or S3 exchange (default 30000)\n";
}

}  // namespace eml::host

#include "host/kms_proxy.h"

#include "host/log.h"

namespace eml::host {
namespace {

net::HttpResponse ServeCredentials(const net::HttpRequest& request,
                                   const CredentialSource* source) {
  if (request.method != "GET") {
    net::HttpResponse r = TextResponse(405, "Method Not Allowed", "method not allowed\n");
    r.headers.emplace_back("Allow", "GET");
    return r;
  }
  if (source == nullptr) {
    return TextResponse(503, "Service Unavailable", "credentials unavailable\n");
  }
  StatusOr<AwsCredentials> creds = source->Get();
  if (!creds.ok()) {
    LogLine("kms credentials: %s", creds.status().ToString().c_str());
    return TextResponse(503, "Service Unavailable", "credentials unavailable\n");
  }
  return net::HttpResponse{.status = 200,
                           .reason = "OK",
                           .headers = {{"Content-Type", "application/json"},
                                       {"Cache-Control", "no-store"}},
                           .body = ToBytes(CredentialsJson(*creds))};
}

}  // namespace

ProxyHandler MakeKmsHandler(KmsProxyConfig config) {
  return [config = std::move(config)](const net::HttpRequest& request) {
    const std::string_view target = request.target;
    if (target == kCredentialsPath) return ServeCredentials(request, config.credentials);
    if (target == "/eml" || target.starts_with("/eml/")) {
      return TextResponse(404, "Not Found", "not found\n");
    }
    StatusOr<net::HttpResponse> response =
        UpstreamExchange(config.upstream_base, request, config.upstream);
    if (!response.ok()) {
      LogLine("kms upstream: %s", response.status().ToString().c_str());
      return TextResponse(502, "Bad Gateway", "upstream failed\n");
    }
    return std::move(*response);
  };
}

}  // namespace eml::host

// One HTTP(S) exchange with an upstream service through libcurl: what the
// KMS proxy forwards and what the S3 storage backend fetches.
//
// libcurl does the TLS (with the system's CA store and hostname checks) and,
// for S3, the SigV4 signature (CURLOPT_AWS_SIGV4), so eml-host itself holds
// no cryptographic code (host_links_no_crypto).
//
// What is sent is exactly `request`: the method, the target appended to the
// base URL without normalisation (CURLOPT_PATH_AS_IS), every header in order
// and spelling, and the body. When forwarding (no aws_sigv4), libcurl's own
// default headers (Accept, Expect, Content-Type) are suppressed unless the
// request has them; when libcurl signs, its "Accept: */*" is sent and signed; libcurl writes
// Content-Length from the body and Host from the URL only when the request
// has none. HTTP/1.1 only, no redirects, no proxy (environment proxy
// variables are ignored), http and https only.
//
// The response comes back as a net::HttpResponse: status, the reason phrase,
// headers in order minus hop-by-hop fields (Connection, Keep-Alive,
// Transfer-Encoding, Upgrade, ...), and the body (bounded). Content-Length is
// kept (for a HEAD it is the only size there is); the serialiser replaces it
// with the body's length anyway. Failures are a Status whose message names
// the libcurl error, never header values or body bytes.
//
// Thread-safety: UpstreamExchange may run on many threads at once (one easy
// handle each) once InitUpstreamLibrary() has returned; call that before
// starting threads that use libcurl (it runs curl_global_init only once).
#ifndef EML_HOST_UPSTREAM_H_
#define EML_HOST_UPSTREAM_H_

#include <chrono>
#include <cstddef>
#include <string>

#include "core/status.h"
#include "net/http.h"

namespace eml::host {

struct UpstreamOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{30000};
  size_t max_response_body = 1 << 20;
  // Non-empty: sign with CURLOPT_AWS_SIGV4 ("aws:amz:<region>:s3") using
  // aws_user_password ("AKID:SECRET"). Empty: send as is.
  std::string aws_sigv4;
  std::string aws_user_password;  // never logged
};

// curl_global_init, once per process (later calls return the first result).
Status InitUpstreamLibrary();

// `base_url` is "http(s)://host[:port]" (from ParseUpstreamUrl); the request
// target is appended to it.
StatusOr<net::HttpResponse> UpstreamExchange(const std::string& base_url,
                                             const net::HttpRequest& request,
                                             const UpstreamOptions& options);

struct UpstreamUrl {
  std::string base;  // "https://kms.eu-west-1.amazonaws.com", "http://127.0.0.1:4566"
  std::string path;  // "" or "/bucket/prefix" (no trailing '/')
};

// "http(s)://authority[/path]": no user info, query or fragment; the
// authority is 1..255 bytes of [A-Za-z0-9.-:[]]; path segments hold
// [A-Za-z0-9._~-] only and are not "." or "..". InvalidArgument otherwise.
StatusOr<UpstreamUrl> ParseUpstreamUrl(std::string_view text);

}  // namespace eml::host

#endif  // EML_HOST_UPSTREAM_H_

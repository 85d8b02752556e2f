// The KMS proxy of eml-host (docs/proxy.md): the enclave's only way to
// reach AWS KMS (or the dev key service eml-kms).
//
// Every request except the credentials endpoint is forwarded unchanged to
// the upstream with libcurl (host/upstream.h): method, target, headers in
// order and spelling (Host included) and body. The enclave has already
// signed it (SigV4) and, for Decrypt/GenerateDataKey, attached its
// attestation document: KMS answers with the key wrapped to the enclave's
// ephemeral public key (CiphertextForRecipient), so what passes through here
// is signed requests and ciphertext only. The proxy never parses or logs a
// body; a failed exchange is answered 502 "upstream failed" (the cause goes
// to the host log, without payload).
//
// GET /eml/v1/credentials returns the host's AWS credentials as JSON
// (host/credentials.h); any other method on it is 405 and any other /eml/
// path 404. These credentials are the instance role's, as on Nitro: without
// valid attestation evidence they cannot decrypt anything (the key policy's
// kms:RecipientAttestation conditions).
//
// Thread-safety: the handler may run on many threads at once.
#ifndef EML_HOST_KMS_PROXY_H_
#define EML_HOST_KMS_PROXY_H_

#include <string>

#include "host/credentials.h"
#include "host/proxy_server.h"
#include "host/upstream.h"

namespace eml::host {

inline constexpr std::string_view kCredentialsPath = "/eml/v1/credentials";

struct KmsProxyConfig {
  std::string upstream_base;  // "https://kms.eu-west-1.amazonaws.com" (no path)
  UpstreamOptions upstream;   // timeouts and the response bound
  const CredentialSource* credentials = nullptr;  // borrowed; null: endpoint answers 503
};

ProxyHandler MakeKmsHandler(KmsProxyConfig config);

}  // namespace eml::host

#endif  // EML_HOST_KMS_PROXY_H_

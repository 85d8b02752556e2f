// Booting eml-enclave from an encrypted model package (issue 5, guarantee
// G2): the host never sees the weights or the data key.
//
//   1. OpenPackage: read manifest.cose from the source (a local directory,
//      or the host's storage proxy) and verify the owner's Ed25519
//      signature. The model hash (SHA-256 of the signed payload) is now
//      known, so the caller can build its evidence provider, whose
//      measurements name the model.
//   2. ReleaseDataKey: generate a fresh RSA-2048 key pair, attest with its
//      public key (DER SPKI) in the evidence's public_key, the model hash in
//      user_data and a fresh nonce, and call KMS Decrypt with that Recipient
//      through the host's KMS proxy. KMS answers CiphertextForRecipient (CMS
//      to the RSA key); the data key exists only in this process, as
//      SecretBytes. Signing credentials come from the proxy too (as on
//      Nitro, the parent's role credentials); they grant nothing without
//      evidence that satisfies the key policy.
//   3. LoadPackageModel: fetch, authenticate and decrypt every chunk into
//      locked memory, check every file hash, build the engine from memory.
//      The caller drops the data key right after (SecretBytes wipes it).
// Every failure is a Status naming the stage; no key or plaintext byte
// appears in a message.
//
// Thread-safety: free functions; nothing is shared between calls.
#ifndef EML_ENCLAVE_PACKAGE_BOOT_H_
#define EML_ENCLAVE_PACKAGE_BOOT_H_

#include <memory>
#include <optional>
#include <string>

#include "attest/evidence.h"
#include "core/bytes.h"
#include "core/secret.h"
#include "core/status.h"
#include "enclave/model_service.h"
#include "engine/bert.h"
#include "kms/sigv4.h"
#include "model/package.h"
#include "net/endpoint.h"

namespace eml::enclave {

// Milliseconds per cold-start stage (--report-startup).
struct StartupReport {
  double manifest_ms = 0;     // fetch + signature check of manifest.cose
  double evidence_ms = 0;     // RSA key generation + attestation
  double key_release_ms = 0;  // credentials + KMS Decrypt + CMS unwrap
  double fetch_ms = 0;
  double decrypt_ms = 0;
  double verify_ms = 0;
  double load_ms = 0;
  double total_ms = 0;
  uint64_t plaintext_bytes = 0;
  bool memory_locked = false;
};

// Where the package comes from: a directory path, or "storage:PREFIX" read
// through the host's storage proxy at `storage_proxy` (objects PREFIX/...).
struct PackageLocation {
  std::string uri;
  std::optional<net::Endpoint> storage_proxy;
};

StatusOr<std::unique_ptr<model::PackageSource>> OpenPackageSource(const PackageLocation& location);

// Step 1. `owner_public_key`: the raw 32-byte Ed25519 key.
StatusOr<model::VerifiedManifest> OpenPackage(model::PackageSource& source,
                                              ByteSpan owner_public_key, StartupReport* report);

struct KeyReleaseOptions {
  net::Endpoint kms_proxy;
  std::string region;        // e.g. "eu-west-1"
  std::string kms_host = {};  // Host header; empty: kms.<region>.amazonaws.com
  // Credentials; nullopt: GET /eml/v1/credentials from the KMS proxy.
  std::optional<kms::Credentials> credentials = std::nullopt;
};

// Step 2. `provider` must attest for the platform this enclave runs on.
StatusOr<SecretBytes> ReleaseDataKey(const model::VerifiedManifest& manifest,
                                     attest::EvidenceProvider& provider,
                                     const KeyReleaseOptions& options, StartupReport* report);

// Step 3.
StatusOr<std::unique_ptr<ModelService>> LoadPackageModel(model::PackageSource& source,
                                                         const model::VerifiedManifest& manifest,
                                                         const SecretBytes& data_key,
                                                         const engine::EngineOptions& options,
                                                         StartupReport* report);

// The credentials the KMS proxy hands out (docs/proxy.md).
StatusOr<kms::Credentials> FetchProxyCredentials(const net::Endpoint& kms_proxy);

// One line per stage, for people.
std::string FormatStartupReport(const StartupReport& report);

}  // namespace eml::enclave

#endif  // EML_ENCLAVE_PACKAGE_BOOT_H_

#include "enclave/package_boot.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "crypto/random.h"
#include "crypto/rsa.h"
#include "kms/kms_client.h"
#include "kms/kms_json.h"
#include "net/http.h"
#include "storage/storage_client.h"

namespace eml::enclave {
namespace {

using Clock = std::chrono::steady_clock;

double MillisSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Prefixes a stage name so the operator sees where a boot stopped.
Status InStage(std::string_view stage, const Status& s) {
  return Status(s.code(), std::string(stage) + ": " + std::string(s.message()));
}

constexpr auto kProxyTimeout = std::chrono::seconds(30);
constexpr size_t kMaxCredentialsResponse = 16 * 1024;

// Package objects PREFIX/<object> through the host's storage proxy. The
// client checks every answer against its request; DecryptPackage checks
// the rest (sizes, tags, hashes).
class StoragePackageSource final : public model::PackageSource {
 public:
  StoragePackageSource(net::Endpoint proxy, std::string prefix)
      : client_({.proxy = std::move(proxy)}), prefix_(std::move(prefix)) {}

  StatusOr<Bytes> ReadManifest(size_t max_size) override {
    return Retrying([&] {
      return client_.ReadObject(Name(model::kManifestObject),
                                std::min(max_size, storage::kMaxStorageRead));
    });
  }
  StatusOr<Bytes> ReadRange(std::string_view object, uint64_t offset, size_t length) override {
    Bytes out;
    // The proxy answers at most kMaxStorageRead per request.
    while (length > 0) {
      const size_t want = std::min(length, storage::kMaxStorageRead);
      ASSIGN_OR_RETURN(Bytes part,
                       Retrying([&] { return client_.ReadRange(Name(object), offset, want); }));
      const size_t got = part.size();
      out.insert(out.end(), part.begin(), part.end());
      if (got < want) break;  // the object ended
      offset += got;
      length -= got;
    }
    return out;
  }

 private:
  // A read whose connection the host refused or reset (kIo) is made at
  // most three times: reads are idempotent and everything read is
  // authenticated later, so a retry can cost time but never integrity.
  template <typename F>
  static StatusOr<Bytes> Retrying(F read) {
    StatusOr<Bytes> out = read();
    for (int attempt = 1; attempt < 3 && !out.ok() && out.status().code() == StatusCode::kIo;
         ++attempt) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50 * attempt));
      out = read();
    }
    return out;
  }

  std::string Name(std::string_view object) const {
    return prefix_.empty() ? std::string(object) : prefix_ + "/" + std::string(object);
  }
  storage::StorageClient client_;
  std::string prefix_;
};

}  // namespace

StatusOr<std::unique_ptr<model::PackageSource>> OpenPackageSource(const PackageLocation& location) {
  constexpr std::string_view kStorage = "storage:";
  if (location.uri.empty()) return InvalidArgumentError("--package: empty");
  if (std::string_view(location.uri).substr(0, kStorage.size()) == kStorage) {
    if (!location.storage_proxy.has_value()) {
      return InvalidArgumentError("--package storage:PREFIX needs --storage-proxy");
    }
    std::string prefix = location.uri.substr(kStorage.size());
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    if (!prefix.empty()) RETURN_IF_ERROR(storage::CheckObjectName(prefix + "/x"));
    return std::unique_ptr<model::PackageSource>(
        new StoragePackageSource(*location.storage_proxy, std::move(prefix)));
  }
  return std::unique_ptr<model::PackageSource>(new model::DirectoryPackageSource(location.uri));
}

StatusOr<model::VerifiedManifest> OpenPackage(model::PackageSource& source,
                                              ByteSpan owner_public_key, StartupReport* report) {
  const Clock::time_point t0 = Clock::now();
  StatusOr<Bytes> cose = source.ReadManifest(model::kMaxManifestSize);
  if (!cose.ok()) return InStage("package manifest", cose.status());
  StatusOr<model::VerifiedManifest> manifest = model::VerifyManifest(*cose, owner_public_key);
  if (!manifest.ok()) return InStage("package manifest", manifest.status());
  report->manifest_ms = MillisSince(t0);
  return manifest;
}

StatusOr<kms::Credentials> FetchProxyCredentials(const net::Endpoint& kms_proxy) {
  net::HttpRequest request{.method = "GET", .target = "/eml/v1/credentials", .headers = {},
                           .body = {}};
  request.headers.emplace_back("Host", "eml-host");
  ASSIGN_OR_RETURN(net::HttpResponse response,
                   net::HttpRoundTrip(kms_proxy, request, kMaxCredentialsResponse,
                                      net::Deadline::In(kProxyTimeout)));
  if (response.status != 200) {
    return Status(StatusCode::kFailedPrecondition,
                  "credentials: the KMS proxy answered HTTP " + std::to_string(response.status));
  }
  ASSIGN_OR_RETURN(nlohmann::json object,
                   kms::ParseJsonObject(AsStringView(response.body), kMaxCredentialsResponse));
  kms::Credentials credentials;
  ASSIGN_OR_RETURN(credentials.access_key_id,
                   kms::GetRequiredString(object, "AccessKeyId", 128));
  ASSIGN_OR_RETURN(std::string secret, kms::GetRequiredString(object, "SecretAccessKey", 256));
  credentials.secret_access_key = SecretBytes(AsBytes(secret));
  SecureWipe(secret.data(), secret.size());
  // The proxy sends "" for long-term credentials (docs/proxy.md).
  const auto token = object.find("SessionToken");
  if (token != object.end() && !(token->is_string() && token->get_ref<const std::string&>().empty())) {
    ASSIGN_OR_RETURN(std::optional<std::string> value,
                     kms::GetString(object, "SessionToken", 8192));
    credentials.session_token = value.value_or("");
  }
  return credentials;
}

StatusOr<SecretBytes> ReleaseDataKey(const model::VerifiedManifest& manifest,
                                     attest::EvidenceProvider& provider,
                                     const KeyReleaseOptions& options, StartupReport* report) {
  // AWS KMS (and eml-kms) accept only Nitro attestation documents as a
  // Recipient; TDX/SEV-SNP envelopes would be refused there after a network
  // round trip, so say so now.
  if (provider.platform() != "nitro") {
    return FailedPreconditionError(
        "key release: KMS RecipientAttestation takes Nitro attestation documents only; a " +
        std::string(provider.platform()) +
        " enclave cannot release a package key through it (docs/deployment.md)");
  }
  // A fresh RSA-2048 key for this release only: KMS encrypts the data key
  // to it, and it dies with this function.
  Clock::time_point t0 = Clock::now();
  StatusOr<crypto::RsaPrivateKey> rsa = crypto::RsaPrivateKey::Generate2048();
  if (!rsa.ok()) return InStage("key release", rsa.status());
  const Bytes spki = rsa->PublicKeySpkiDer();
  Bytes nonce(32);
  RETURN_IF_ERROR(crypto::RandomBytes(nonce));
  StatusOr<Bytes> evidence = provider.Attest(spki, manifest.model_hash, nonce);
  if (!evidence.ok()) return InStage("evidence for KMS", evidence.status());
  report->evidence_ms = MillisSince(t0);

  t0 = Clock::now();
  kms::Credentials credentials;
  if (options.credentials.has_value()) {
    credentials = kms::Credentials{options.credentials->access_key_id,
                                   options.credentials->secret_access_key.Clone(),
                                   options.credentials->session_token};
  } else {
    StatusOr<kms::Credentials> fetched = FetchProxyCredentials(options.kms_proxy);
    if (!fetched.ok()) return InStage("key release", fetched.status());
    credentials = std::move(fetched).value();
  }
  const net::Endpoint proxy = options.kms_proxy;
  kms::KmsClientOptions client_options{
      .region = options.region,
      .host = options.kms_host,
      .credentials = std::move(credentials),
      .transport = [proxy](const net::HttpRequest& r) {
        return net::HttpRoundTrip(proxy, r, kms::kMaxKmsResponseSize,
                                  net::Deadline::In(kProxyTimeout));
      },
      .clock = nullptr};
  StatusOr<kms::KmsClient> client = kms::KmsClient::Create(std::move(client_options));
  if (!client.ok()) return InStage("key release", client.status());
  const kms::KmsRecipient recipient{.attestation_document = *evidence, .private_key = &*rsa};
  StatusOr<kms::DecryptResult> released = client->Decrypt(
      {.ciphertext_blob = manifest.manifest.wrapped_data_key,
       .key_id = manifest.manifest.kms_key_id,
       .encryption_context = manifest.manifest.encryption_context,
       .recipient = &recipient});
  if (!released.ok()) return InStage("key release", released.status());
  if (released->plaintext.size() != model::kDataKeySize) {
    return InvalidArgumentError("key release: the data key is not " +
                                std::to_string(model::kDataKeySize) + " bytes");
  }
  report->key_release_ms = MillisSince(t0);
  return std::move(released->plaintext);
}

StatusOr<std::unique_ptr<ModelService>> LoadPackageModel(model::PackageSource& source,
                                                         const model::VerifiedManifest& manifest,
                                                         const SecretBytes& data_key,
                                                         const engine::EngineOptions& options,
                                                         StartupReport* report) {
  // The files' SHA-256 checks finish while the engine is built (every chunk
  // is already authenticated); nothing is served before WaitVerified is OK.
  model::DecryptOptions decrypt{.verify_in_background = true};
  if (options.num_threads > 0) decrypt.num_threads = std::min(options.num_threads, 64);
  StatusOr<std::shared_ptr<model::DecryptedPackage>> plain =
      model::DecryptPackage(source, manifest, data_key, decrypt);
  if (!plain.ok()) return plain.status();  // already "package: ..."
  const Clock::time_point t0 = Clock::now();
  std::shared_ptr<model::DecryptedPackage> files = std::move(plain).value();
  StatusOr<std::unique_ptr<engine::SentenceEmbedder>> embedder =
      engine::SentenceEmbedder::LoadFromMemory({files->FileMap(), files}, options);
  if (!embedder.ok()) {
    // A file that does not match its hash explains a failed load best.
    RETURN_IF_ERROR(files->WaitVerified());
    return InStage("model load", embedder.status());
  }
  report->load_ms = MillisSince(t0);
  RETURN_IF_ERROR(files->WaitVerified());  // "package: file ... does not match its SHA-256"
  const model::PackageTimings& t = files->timings();
  report->fetch_ms = t.fetch_ms;
  report->decrypt_ms = t.decrypt_ms;
  report->verify_ms = t.verify_ms;
  report->plaintext_bytes = t.plaintext_bytes;
  report->memory_locked = t.memory_locked;
  ModelIdentity identity{manifest.manifest.model_id, manifest.manifest.model_version,
                         manifest.payload, manifest.model_hash};
  return ModelService::FromEmbedder(std::move(identity), std::move(embedder).value());
}

std::string FormatStartupReport(const StartupReport& r) {
  char line[512];
  std::snprintf(line, sizeof(line),
                "startup: manifest %.1f ms, evidence %.1f ms, key release %.1f ms, fetch %.1f ms, "
                "decrypt %.1f ms, verify %.1f ms, load %.1f ms, total %.1f ms (%.1f MB, memory %s)",
                r.manifest_ms, r.evidence_ms, r.key_release_ms, r.fetch_ms, r.decrypt_ms,
                r.verify_ms, r.load_ms, r.total_ms, static_cast<double>(r.plaintext_bytes) / 1e6,
                r.memory_locked ? "locked" : "NOT locked");
  return line;
}

}  // namespace eml::enclave

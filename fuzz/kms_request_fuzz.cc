// libFuzzer target for eml-kms's parsers of untrusted input (docs/kms.md):
// the first byte picks one of
//   0  a KMS request: the rest is "<Operation>\n<JSON body>", SigV4-signed
//      with the test credential and handed to KmsService::Handle (so every
//      operation's field parsing, key policies, CiphertextBlobs and Recipient
//      attestation documents are reached behind authentication)
//   1  a raw HTTP request to AuthenticateRequest (SigV4 parsing)
//   2  a key policy (ParseKeyPolicy + EvaluateKeyPolicy)
//   3  a CiphertextBlob (CiphertextBlobKeyId + OpenCiphertextBlob)
//   4  a credentials file (ParseCredentialsJson)
// Invariants: no crash or sanitizer report; every non-200 answer is an AWS
// error body with a recognised type; a 200 answer is a JSON object.
#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "core/clock.h"
#include "kms/kms_json.h"
#include "kms/sigv4.h"
#include "kms_server/ciphertext_blob.h"
#include "kms_server/key_policy.h"
#include "kms_server/service.h"
#include "kms_server/sigv4_auth.h"
#include "net/http.h"

namespace {

using namespace eml;

constexpr int64_t kNowSeconds = 1795219200;  // 2026-11-21

void Require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

struct World {
  FakeClock clock{kNowSeconds * 1000};
  std::unique_ptr<kms_server::KmsService> service;
  std::vector<kms_server::ServerCredential> credentials;
  std::string key_id;
};

// The state directory, removed at exit (CreateKey writes key files).
std::string& StateRoot() {
  static std::string* root = new std::string;
  return *root;
}

World& GetWorld() {
  static World* world = [] {
    auto* w = new World;
    std::string dir = (std::filesystem::temp_directory_path() / "eml-kms-fuzz-XXXXXX").string();
    Require(::mkdtemp(dir.data()) != nullptr, "mkdtemp");
    StateRoot() = dir;
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(StateRoot(), ignored);
    });
    kms_server::KmsServiceOptions options;
    options.state_dir = dir + "/state";
    options.clock = &w->clock;
    options.single_use_attestation = true;
    options.single_use_capacity = 64;
    auto creds = kms_server::ParseCredentialsJson(
        R"([{"AccessKeyId":"AKIDFUZZ","SecretAccessKey":"fuzz-secret"}])");
    Require(creds.ok(), "credentials");
    options.credentials = std::move(*creds);
    // The AWS Nitro root, so Recipient documents reach the full verifier.
    if (const char* root = std::getenv("EML_KMS_FUZZ_ROOT")) {
      FILE* f = std::fopen(root, "rb");
      if (f != nullptr) {
        Bytes der(4096);
        der.resize(std::fread(der.data(), 1, der.size(), f));
        std::fclose(f);
        options.attestation_roots.push_back(der);
      }
    }
    auto service = kms_server::KmsService::Create(std::move(options));
    Require(service.ok(), "service");
    w->service = std::move(*service);
    return w;
  }();
  return *world;
}

void FuzzService(std::string_view input) {
  World& w = GetWorld();
  const size_t newline = input.find('\n');
  if (newline == std::string_view::npos || newline > 64) return;
  kms::HttpRequest to_sign{.method = "POST",
                           .path = "/",
                           .query = {},
                           .headers = {{"Host", "kms"},
                                       {"X-Amz-Target",
                                        "TrentService." + std::string(input.substr(0, newline))}},
                           .body = ToBytes(input.substr(newline + 1))};
  kms::Credentials creds{"AKIDFUZZ", SecretBytes(AsBytes("fuzz-secret")), ""};
  auto signed_request = kms::SignRequest(
      to_sign, creds, {.region = "us-east-1", .service = "kms", .unix_seconds = kNowSeconds,
                       .sign_body_hash_header = true});
  if (!signed_request.ok()) return;  // e.g. control bytes in the operation name
  net::HttpRequest request{.method = "POST", .target = "/", .headers = to_sign.headers,
                           .body = to_sign.body};
  for (auto& h : signed_request->headers_to_add) request.headers.push_back(h);
  const net::HttpResponse response = w.service->Handle(request);
  if (response.status == 200) {
    Require(kms::ParseJsonObject(AsStringView(response.body), 1 << 20).ok(), "200 body is JSON");
  } else {
    const Status s = kms::StatusFromAwsErrorResponse(response.status, response.body);
    Require(!kms::AwsErrorTypeOf(s).empty(), "error body has an AWS type");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ByteSpan rest(data + 1, size - 1);
  switch (data[0] % 5) {
    case 0:
      FuzzService(AsStringView(rest));
      break;
    case 1:
      if (auto request = net::ParseHttpRequest(rest, 1 << 16); request.ok()) {
        auto r = kms_server::AuthenticateRequest(*request, GetWorld().credentials,
                                                 {.region = "us-east-1", .clock = &GetWorld().clock});
        Require(!r.ok(), "no credentials: nothing authenticates");
        Require(!kms::AwsErrorTypeOf(r.status()).empty(), "auth errors are AWS errors");
      }
      break;
    case 2:
      if (auto policy = kms_server::ParseKeyPolicy(AsStringView(rest)); policy.ok()) {
        std::map<uint32_t, Bytes> pcrs = {{0, Bytes(48, 1)}, {3, Bytes(48, 2)}};
        for (const char* action : {"kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"}) {
          (void)kms_server::EvaluateKeyPolicy(
              *policy, {.action = action, .principal_arn = "arn:aws:iam::111122223333:role/r",
                        .attested_pcrs = &pcrs});
          (void)kms_server::EvaluateKeyPolicy(
              *policy, {.action = action, .principal_arn = "x", .attested_pcrs = nullptr});
        }
      }
      break;
    case 3: {
      (void)kms_server::CiphertextBlobKeyId(rest);
      const SecretBytes key(Bytes(32, 0x42));
      Require(!kms_server::OpenCiphertextBlob(rest, key, {{"a", "b"}}).ok() || size > 34,
              "nothing shorter than a header and tag opens");
      break;
    }
    case 4:
      (void)kms_server::ParseCredentialsJson(AsStringView(rest));
      break;
  }
  return 0;
}

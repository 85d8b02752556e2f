// `eml kms ...`: key administration on the AWS KMS wire protocol
// (kms/kms_client.h), for a development eml-kms on loopback or anything
// that speaks the same API over plain HTTP (a local TLS-terminating proxy
// in front of AWS KMS).
//   eml kms create-key --endpoint http://HOST:PORT [--region R] [--policy FILE]
//                      [--description TEXT]
// Prints {"KeyId": ..., "Arn": ...}. Credentials come from AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN; the region from --region,
// else $AWS_REGION, else us-east-1. Exit status: 0 done; 1 refused by the
// key service; 2 usage and I/O errors.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "core/file.h"
#include "net/endpoint.h"
#include "net/http.h"

namespace eml::cli {

StatusOr<kms::KmsClient> KmsClientForEndpoint(std::string_view url, std::string region) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return InvalidArgumentError("kms endpoint: only http://HOST:PORT is supported (put a TLS "
                                "proxy in front of an https endpoint)");
  }
  std::string_view rest = url.substr(kScheme.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  ASSIGN_OR_RETURN(net::Endpoint endpoint, net::Endpoint::Parse(rest));
  if (endpoint.family == net::Endpoint::Family::kVsock) {
    return InvalidArgumentError("kms endpoint: a TCP address is required");
  }
  ASSIGN_OR_RETURN(kms::Credentials credentials, kms::CredentialsFromEnvironment());
  if (region.empty()) {
    const char* env = std::getenv("AWS_REGION");
    region = env != nullptr && *env != '\0' ? env : "us-east-1";
  }
  return kms::KmsClient::Create(
      {.region = region,
       .host = std::string(rest),
       .credentials = std::move(credentials),
       .transport = [endpoint](const net::HttpRequest& request) {
         return net::HttpRoundTrip(endpoint, request, kms::kMaxKmsResponseSize,
                                   net::Deadline::In(std::chrono::seconds(30)));
       },
       .clock = nullptr});
}

namespace {

struct CreateKeyArgs {
  std::string endpoint;
  std::string region;
  std::string policy_file;
  std::string description;
};

constexpr size_t kMaxPolicyFile = 32 * 1024;  // AWS: key policies up to 32 KiB

Status RunCreateKey(const CreateKeyArgs& args) {
  ASSIGN_OR_RETURN(kms::KmsClient client, KmsClientForEndpoint(args.endpoint, args.region));
  kms::CreateKeyRequest request{.description = args.description, .policy = std::nullopt};
  if (!args.policy_file.empty()) {
    ASSIGN_OR_RETURN(std::string policy, ReadSmallFile(args.policy_file, kMaxPolicyFile));
    request.policy = std::move(policy);
  }
  ASSIGN_OR_RETURN(kms::KeyMetadata key, client.CreateKey(request));
  std::printf("%s\n", nlohmann::json({{"KeyId", key.key_id}, {"Arn", key.arn}}).dump().c_str());
  return OkStatus();
}

}  // namespace

void AddKmsCommands(CLI::App& app, CommandAction* action) {
  CLI::App* kms = app.add_subcommand("kms", "Key administration on the AWS KMS wire protocol");
  kms->require_subcommand(1);
  auto args = std::make_shared<CreateKeyArgs>();
  CLI::App* create = kms->add_subcommand("create-key", "Create a symmetric key, optionally with "
                                                       "a key policy (docs/kms.md)");
  create->add_option("--endpoint", args->endpoint, "key service, http://HOST:PORT")->required();
  create->add_option("--region", args->region, "SigV4 region (default: $AWS_REGION or us-east-1)");
  create->add_option("--policy", args->policy_file, "key policy JSON file");
  create->add_option("--description", args->description, "key description");
  create->callback([args, action] { *action = [args] { return RunCreateKey(*args); }; });
}

}  // namespace eml::cli

// The `eml` command-line tool: how command groups plug into main.
//
// Each command group (model, embed; crypto and receipt later) lives in its
// own file and exposes one Add*Commands function. It registers its CLI11
// subcommands on the app and, when one of them is selected, stores the work
// to do in `*action`; main runs that action after parsing and turns a
// non-OK Status into a message on stderr and an exit code: 2 for usage and
// I/O errors (CLI11 parse errors, kIo, kNotFound), 1 for everything else
// (for verify commands: "not verified"). CLI11 exceptions never leave main.
//
// Thread-safety: single-threaded setup; actions run once.
#ifndef EML_CLI_COMMAND_H_
#define EML_CLI_COMMAND_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "attest/tdx.h"
#include "core/bytes.h"
#include "core/status.h"
#include "kms/kms_client.h"

namespace CLI {
class App;
}  // namespace CLI

namespace eml::cli {

using CommandAction = std::function<Status()>;

void AddModelCommands(CLI::App& app, CommandAction* action);
void AddEmbedCommands(CLI::App& app, CommandAction* action);
void AddVerifyCommands(CLI::App& app, CommandAction* action);    // eml verify (receipts)
void AddEvidenceCommands(CLI::App& app, CommandAction* action);  // eml evidence verify
void AddPolicyCommands(CLI::App& app, CommandAction* action);    // eml policy ...
void AddInferCommands(CLI::App& app, CommandAction* action);     // eml infer
void AddKmsCommands(CLI::App& app, CommandAction* action);       // eml kms ...

// A KMS client for "http://HOST:PORT" (TCP; the Host header is HOST:PORT),
// credentials from the environment, `region` or $AWS_REGION or us-east-1.
StatusOr<kms::KmsClient> KmsClientForEndpoint(std::string_view url, std::string region);

// The policy owner's public key from a --owner-pubkey argument: HEX, @FILE,
// or "" for owner.pub in the directory of `policy_path`. kIo if unreadable.
StatusOr<Bytes> ReadOwnerKeyArg(const std::string& arg, const std::string& policy_path);

// What TDX quotes and SEV-SNP reports are judged with: --tdx-collateral FILE
// (QuoteCollateralV3 JSON; "" for none) and --snp-cert FILE... (VCEK/VLEK,
// ASK/ARK; DER or PEM). kNotFound if a file is unreadable or malformed.
struct TeeCollateral {
  std::optional<attest::TdxCollateral> tdx;
  std::vector<Bytes> snp_certificates;
};
StatusOr<TeeCollateral> LoadTeeCollateral(const std::string& tdx_path,
                                          const std::vector<std::string>& snp_paths);

}  // namespace eml::cli

#endif  // EML_CLI_COMMAND_H_

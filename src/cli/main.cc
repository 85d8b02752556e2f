// eml: the EphemeralML command-line tool. See command.h for the structure.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "cli/command.h"

int main(int argc, char** argv) {
  CLI::App app{"eml: EphemeralML command-line tool"};
  app.name("eml");
  app.require_subcommand(1);
  eml::cli::CommandAction action;
  try {
    eml::cli::AddModelCommands(app, &action);
    eml::cli::AddEmbedCommands(app, &action);
    eml::cli::AddVerifyCommands(app, &action);
    eml::cli::AddEvidenceCommands(app, &action);
    eml::cli::AddPolicyCommands(app, &action);
    eml::cli::AddInferCommands(app, &action);
    eml::cli::AddKmsCommands(app, &action);
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Prints the help (exit 0) or the usage error (exit 2).
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (!action) {
    std::fprintf(stderr, "eml: no command given; see eml --help\n");
    return 2;
  }
  try {
    const eml::Status status = action();
    if (!status.ok()) {
      std::fprintf(stderr, "eml: error: %s\n", status.ToString().c_str());
      const bool usage_or_io = status.code() == eml::StatusCode::kIo ||
                               status.code() == eml::StatusCode::kNotFound;
      return usage_or_io ? 2 : 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eml: internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}

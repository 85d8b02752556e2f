// `eml verify` commands: placeholder until its library lands.
#include "cli/command.h"

namespace eml::cli {

void AddVerifyCommands(CLI::App& /*app*/, CommandAction* /*action*/) {}

}  // namespace eml::cli

// `eml policy` commands: placeholder until its library lands.
#include "cli/command.h"

namespace eml::cli {

void AddPolicyCommands(CLI::App& /*app*/, CommandAction* /*action*/) {}

}  // namespace eml::cli

// `eml infer` commands: placeholder until its library lands.
#include "cli/command.h"

namespace eml::cli {

void AddInferCommands(CLI::App& /*app*/, CommandAction* /*action*/) {}

}  // namespace eml::cli

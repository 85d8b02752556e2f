// `eml evidence` commands: placeholder until its library lands.
#include "cli/command.h"

namespace eml::cli {

void AddEvidenceCommands(CLI::App& /*app*/, CommandAction* /*action*/) {}

}  // namespace eml::cli

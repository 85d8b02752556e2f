// `eml model ...`: model-file commands.
//   eml model synth --preset minilm-l6 --out DIR [--tokenizer-dir DIR] [--seed N]
#include <cstdio>
#include <memory>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "engine/synth.h"

namespace eml::cli {
namespace {

Status RunSynth(const engine::SynthOptions& options) {
  RETURN_IF_ERROR(engine::WriteSyntheticBert(options));
  std::printf("wrote synthetic %s model (seed %llu) to %s\n", options.preset.c_str(),
              static_cast<unsigned long long>(options.seed), options.out_dir.c_str());
  return OkStatus();
}

}  // namespace

void AddModelCommands(CLI::App& app, CommandAction* action) {
  CLI::App* model = app.add_subcommand("model", "Model files: create synthetic models");
  model->require_subcommand(1);

  auto options = std::make_shared<engine::SynthOptions>();
  CLI::App* synth = model->add_subcommand(
      "synth", "Write a deterministic synthetic BERT model directory (Hugging Face layout)");
  synth->add_option("--preset", options->preset, "minilm-l6 or tiny")
      ->capture_default_str();
  synth->add_option("--seed", options->seed, "PRNG seed")->capture_default_str();
  synth->add_option("--tokenizer-dir", options->tokenizer_dir,
                    "copy vocab.txt and tokenizer files from this directory");
  synth->add_option("--out", options->out_dir, "output directory")->required();
  synth->callback([options, action] { *action = [options] { return RunSynth(*options); }; });
}

}  // namespace eml::cli

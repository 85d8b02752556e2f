// `eml embed ...`: sentence embeddings with the in-process BERT engine.
//   eml embed --model-dir DIR --text "..." [--text ...] [--format text|json]
//             [--threads N] [--reference]
// Text output: per input its dimensions, L2 norm, tokens used, truncation
// flag and the first 8 values, then the cosine similarity of every pair.
// JSON output adds the full vector.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "engine/bert.h"

namespace eml::cli {
namespace {

struct EmbedArgs {
  std::string model_dir;
  std::vector<std::string> texts;
  std::string format = "text";
  int threads = 0;
  bool reference = false;
};

double L2Norm(const std::vector<float>& v) {
  double sum = 0;
  for (float x : v) sum += static_cast<double>(x) * x;
  return std::sqrt(sum);
}

double Cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) dot += static_cast<double>(a[i]) * b[i];
  const double norms = L2Norm(a) * L2Norm(b);
  return norms > 0 ? dot / norms : 0.0;
}

void PrintText(const std::vector<engine::Embedding>& embeddings) {
  for (size_t i = 0; i < embeddings.size(); ++i) {
    const engine::Embedding& e = embeddings[i];
    std::printf("[%zu] dims=%zu norm=%.6f tokens=%zu truncated=%s\n    first8:", i,
                e.values.size(), L2Norm(e.values), e.num_tokens,
                e.truncated ? "true" : "false");
    for (size_t j = 0; j < e.values.size() && j < 8; ++j) std::printf(" %.6f", e.values[j]);
    std::printf("\n");
  }
  for (size_t i = 0; i < embeddings.size(); ++i) {
    for (size_t j = i + 1; j < embeddings.size(); ++j) {
      std::printf("cosine[%zu,%zu]=%.4f\n", i, j,
                  Cosine(embeddings[i].values, embeddings[j].values));
    }
  }
}

void PrintJson(const std::vector<engine::Embedding>& embeddings) {
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < embeddings.size(); ++i) {
    const engine::Embedding& e = embeddings[i];
    out.push_back({{"index", i},
                   {"dims", e.values.size()},
                   {"norm", L2Norm(e.values)},
                   {"tokens", e.num_tokens},
                   {"truncated", e.truncated},
                   {"embedding", e.values}});
  }
  std::printf("%s\n", out.dump(1).c_str());
}

Status RunEmbed(const EmbedArgs& args) {
  std::error_code ec;
  if (!std::filesystem::is_directory(args.model_dir, ec)) {
    return NotFoundError("embed: model dir not found: " + args.model_dir);
  }
  if (args.threads < 0) return InvalidArgumentError("embed: --threads must be >= 0");
  const engine::EngineOptions options = {
      .num_threads = args.threads,
      .path = args.reference ? engine::KernelPath::kReference : engine::KernelPath::kFast};
  ASSIGN_OR_RETURN(auto embedder, engine::SentenceEmbedder::Load(args.model_dir, options));
  ASSIGN_OR_RETURN(const auto embeddings, embedder->Embed(args.texts));
  if (args.format == "json") {
    PrintJson(embeddings);
  } else {
    PrintText(embeddings);
  }
  return OkStatus();
}

}  // namespace

void AddEmbedCommands(CLI::App& app, CommandAction* action) {
  auto args = std::make_shared<EmbedArgs>();
  CLI::App* embed = app.add_subcommand("embed", "Embed texts with a BERT sentence model");
  embed->add_option("--model-dir", args->model_dir, "model directory")->required();
  embed->add_option("--text", args->texts, "text to embed (repeatable)")->required();
  embed->add_option("--format", args->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  embed->add_option("--threads", args->threads, "worker threads (0 = all cores)")
      ->capture_default_str();
  embed->add_flag("--reference", args->reference, "use the slow reference kernels");
  embed->callback([args, action] { *action = [args] { return RunEmbed(*args); }; });
}

}  // namespace eml::cli

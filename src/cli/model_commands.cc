// `eml model ...`: model-file commands.
//   eml model synth --preset minilm-l6 --out DIR [--tokenizer-dir DIR] [--seed N]
//   eml model package --model-dir DIR --model-id ID --version V --owner-key owner.key
//                     --kms-endpoint http://HOST:PORT --kms-key-id KEY --out PKG
//                     [--kms-region R] [--chunk-size BYTES]
//
// `package` asks the key service for a fresh data key (GenerateDataKey,
// AES_256, encryption context {model_id, version}; SigV4 credentials from
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN), encrypts
// the model's files with it and signs the manifest with the owner key
// (docs/model-package.md). The plaintext data key lives only in memory for
// the run. The endpoint is plain HTTP (a loopback eml-kms, or a local proxy
// to AWS KMS over TLS).
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "core/encoding.h"
#include "core/file.h"
#include "engine/bert_config.h"
#include "engine/synth.h"
#include "kms/kms_client.h"
#include "model/mapped_file.h"
#include "model/package.h"
#include "policy/owner_key.h"

namespace eml::cli {
namespace {

Status RunSynth(const engine::SynthOptions& options) {
  RETURN_IF_ERROR(engine::WriteSyntheticBert(options));
  std::printf("wrote synthetic %s model (seed %llu) to %s\n", options.preset.c_str(),
              static_cast<unsigned long long>(options.seed), options.out_dir.c_str());
  return OkStatus();
}

struct PackageFlags {
  std::string model_dir;
  std::string model_id;
  std::string version;
  std::string owner_key;
  std::string kms_endpoint;
  std::string kms_key_id;
  std::string kms_region;
  std::string out;
  uint64_t chunk_size = model::kDefaultChunkSize;
};

// The files of a model directory that the engine reads (docs/model-package.md
// "What is packaged"): config.json and model.safetensors, vocab.txt or
// tokenizer.json, and whichever optional files exist.
StatusOr<std::vector<std::string>> ModelFileNames(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  auto exists = [&](const std::string& name) { return fs::is_regular_file(dir + "/" + name, ec); };
  for (const char* required : {"config.json", "model.safetensors"}) {
    if (!exists(required)) return NotFoundError("model package: " + dir + " has no " + required);
  }
  if (!exists("vocab.txt") && !exists("tokenizer.json")) {
    return NotFoundError("model package: " + dir + " has neither vocab.txt nor tokenizer.json");
  }
  std::vector<std::string> names;
  for (const char* name : {"config.json", "model.safetensors", "vocab.txt", "tokenizer.json",
                           "tokenizer_config.json", "special_tokens_map.json", "modules.json",
                           "sentence_bert_config.json"}) {
    if (exists(name)) names.push_back(name);
  }
  if (exists("modules.json")) {
    ASSIGN_OR_RETURN(std::string modules, ReadSmallFile(dir + "/modules.json", engine::kMaxConfigFileSize));
    ASSIGN_OR_RETURN(std::string pooling_dir, engine::PoolingModuleDir(modules));
    if (exists(pooling_dir + "/config.json")) names.push_back(pooling_dir + "/config.json");
  }
  return names;
}

StatusOr<model::DataKey> GenerateDataKey(const PackageFlags& f) {
  ASSIGN_OR_RETURN(kms::KmsClient client, KmsClientForEndpoint(f.kms_endpoint, f.kms_region));
  ASSIGN_OR_RETURN(kms::GenerateDataKeyResult result,
                   client.GenerateDataKey(
                       {.key_id = f.kms_key_id,
                        .key_spec = "AES_256",
                        .encryption_context = model::PackageEncryptionContext(f.model_id, f.version)}));
  if (result.plaintext.size() != model::kDataKeySize) {
    return InternalError("model package: the key service returned a data key of the wrong size");
  }
  return model::DataKey{std::move(result.plaintext), std::move(result.ciphertext_blob),
                        result.key_id.empty() ? f.kms_key_id : result.key_id};
}

// A one-line progress bar on stderr, redrawn when the percentage changes.
std::function<void(uint64_t, uint64_t)> ProgressBar() {
  if (::isatty(STDERR_FILENO) != 1) return nullptr;
  auto last = std::make_shared<int>(-1);
  return [last](uint64_t done, uint64_t total) {
    const int percent = total == 0 ? 100 : static_cast<int>(done * 100 / total);
    if (percent == *last) return;
    *last = percent;
    const int filled = percent * 30 / 100;
    std::fprintf(stderr, "\rencrypting [%.*s%*s] %3d%%  %.1f / %.1f MB", filled,
                 "##############################", 30 - filled, "", percent, done / 1e6,
                 total / 1e6);
    if (done == total) std::fputc('\n', stderr);
    std::fflush(stderr);
  };
}

Status RunPackage(const PackageFlags& f) {
  // Everything that can be checked locally is checked before the key
  // service is asked for a key.
  RETURN_IF_ERROR(model::CheckModelId(f.model_id));
  RETURN_IF_ERROR(model::CheckModelVersion(f.version));
  ASSIGN_OR_RETURN(crypto::Ed25519PrivateKey owner, policy::ReadOwnerPrivateKey(f.owner_key));
  ASSIGN_OR_RETURN(std::vector<std::string> names, ModelFileNames(f.model_dir));
  std::vector<model::MappedFile> maps;
  std::vector<model::PackageInput> inputs;
  for (const std::string& name : names) {
    ASSIGN_OR_RETURN(model::MappedFile map, model::MappedFile::Open(f.model_dir + "/" + name));
    maps.push_back(std::move(map));
    inputs.push_back({name, maps.back().bytes()});
  }
  if (std::filesystem::exists(f.out)) {
    return AlreadyExistsError("model package: " + f.out + " already exists");
  }
  ASSIGN_OR_RETURN(model::DataKey key, GenerateDataKey(f));
  ASSIGN_OR_RETURN(auto sink, model::DirectoryPackageSink::Create(f.out));
  model::PackageParams params;
  params.model_id = f.model_id;
  params.model_version = f.version;
  params.chunk_size = f.chunk_size;
  params.created = static_cast<uint64_t>(std::time(nullptr));
  params.progress = ProgressBar();
  ASSIGN_OR_RETURN(model::PackageResult result,
                   model::WritePackage(inputs, params, key, owner, *sink));
  // Read back what was written, as the enclave will.
  ASSIGN_OR_RETURN(model::VerifiedManifest verified,
                   model::VerifyManifest(result.manifest_cose, owner.PublicKey()));
  uint64_t total = 0;
  for (const model::PackageFileEntry& e : verified.manifest.files) total += e.size;
  std::printf("packaged %zu files (%.1f MB) of %s version %s into %s\n",
              verified.manifest.files.size(), total / 1e6, f.model_id.c_str(), f.version.c_str(),
              f.out.c_str());
  std::printf("kms_key_id %s\n", verified.manifest.kms_key_id.c_str());
  std::printf("model_hash %s\n", HexEncode(verified.model_hash).c_str());
  return OkStatus();
}

void AddPackage(CLI::App* model, CommandAction* action) {
  auto f = std::make_shared<PackageFlags>();
  CLI::App* package = model->add_subcommand(
      "package", "Encrypt a model directory into a signed package (docs/model-package.md)");
  package->add_option("--model-dir", f->model_dir, "model directory (Hugging Face layout)")
      ->required();
  package->add_option("--model-id", f->model_id, "model id, [A-Za-z0-9._-]")->required();
  package->add_option("--version", f->version, "model version")->required();
  package->add_option("--owner-key", f->owner_key, "owner.key (eml policy keygen)")->required();
  package->add_option("--kms-endpoint", f->kms_endpoint, "key service, http://HOST:PORT")
      ->required();
  package->add_option("--kms-key-id", f->kms_key_id, "KMS key id or ARN")->required();
  package->add_option("--kms-region", f->kms_region, "SigV4 region (default: $AWS_REGION or us-east-1)");
  package->add_option("--chunk-size", f->chunk_size, "plaintext bytes per chunk")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{model::kMinChunkSize}, uint64_t{model::kMaxChunkSize}));
  package->add_option("--out", f->out, "package directory to create")->required();
  package->callback([f, action] { *action = [f] { return RunPackage(*f); }; });
}

}  // namespace

void AddModelCommands(CLI::App& app, CommandAction* action) {
  CLI::App* model = app.add_subcommand("model", "Model files: synthetic models, encrypted packages");
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

  AddPackage(model, action);
}

}  // namespace eml::cli

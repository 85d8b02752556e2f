#include "engine/bert.h"

#include <algorithm>
#include <new>
#include <utility>

#include "core/file.h"
#include "engine/bert_forward.h"
#include "engine/bert_weights.h"
#include "engine/kernels_fast.h"
#include "engine/thread_pool.h"
#include "engine/wordpiece.h"
#include "model/safetensors.h"

namespace eml::engine {

class SentenceEmbedderImpl {
 public:
  std::shared_ptr<const void> backing;  // LoadFromMemory: the bytes `weights` point into
  BertConfig config;
  PoolingConfig pooling;
  EngineOptions options;
  size_t max_length = 0;
  std::unique_ptr<WordPieceTokenizer> tokenizer;
  BertWeights weights;
  std::unique_ptr<ThreadPool> pool;  // Run() serialises concurrent callers

  Status Validate(std::span<const std::vector<int32_t>> batch) const;
  StatusOr<std::vector<std::vector<float>>> Run(std::span<const std::vector<int32_t>> batch,
                                                KernelPath path) const;
};

Status SentenceEmbedderImpl::Validate(std::span<const std::vector<int32_t>> batch) const {
  size_t total = 0;
  for (size_t s = 0; s < batch.size(); ++s) {
    const std::vector<int32_t>& ids = batch[s];
    const std::string where = "sequence " + std::to_string(s);
    if (ids.empty()) return InvalidArgumentError(where + " is empty");
    if (ids.size() > static_cast<size_t>(config.max_position_embeddings)) {
      return LimitExceededError(where + " has " + std::to_string(ids.size()) +
                                " tokens, more than max_position_embeddings " +
                                std::to_string(config.max_position_embeddings));
    }
    for (int32_t id : ids) {
      if (id < 0 || id >= config.vocab_size) {
        return InvalidArgumentError(where + " has token id " + std::to_string(id) +
                                    " outside [0, vocab_size " + std::to_string(config.vocab_size) + ")");
      }
    }
    total += ids.size();
  }
  if (total > options.max_batch_tokens) {
    return LimitExceededError("batch has " + std::to_string(total) +
                              " tokens, more than max_batch_tokens " +
                              std::to_string(options.max_batch_tokens));
  }
  return OkStatus();
}

StatusOr<std::vector<std::vector<float>>> SentenceEmbedderImpl::Run(
    std::span<const std::vector<int32_t>> batch, KernelPath path) const {
  RETURN_IF_ERROR(Validate(batch));
  if (batch.empty()) return std::vector<std::vector<float>>{};
  PackedBatch packed;
  packed.offsets.push_back(0);
  for (const std::vector<int32_t>& ids : batch) {
    packed.ids.insert(packed.ids.end(), ids.begin(), ids.end());
    packed.offsets.push_back(packed.ids.size());
  }
  // Activations are sized by the batch and the (bounded, but large) config
  // sizes; running out of memory is the caller's problem to report, not a
  // reason to terminate the enclave. Scratch is allocated on this thread
  // before any worker runs, so this is where std::bad_alloc surfaces.
  try {
    std::vector<float> hidden;
    if (path == KernelPath::kReference) {
      hidden = ForwardReference(weights, config, packed);
    } else {
      ASSIGN_OR_RETURN(hidden, ForwardFast(weights, config, packed, *pool));
    }
    return PoolSequences(hidden, config.hidden_size, packed, pooling);
  } catch (const std::bad_alloc&) {
    return LimitExceededError("engine: not enough memory for a batch of " +
                              std::to_string(packed.ids.size()) + " tokens");
  }
}

namespace {

Status CheckThreads(const EngineOptions& options) {
  if (options.num_threads < 0 || options.num_threads > kMaxThreads) {
    return InvalidArgumentError("engine options: num_threads must be in [0, " +
                                std::to_string(kMaxThreads) + "]");
  }
  return OkStatus();
}

// What Load and LoadFromMemory share once the files are parsed: the
// tokenizer and weights are checked against the config, and the pool starts.
Status Assemble(SentenceEmbedderImpl* impl, int max_seq_length, WordPieceTokenizer tokenizer,
                std::unique_ptr<model::SafetensorsFile> file) {
  impl->max_length = static_cast<size_t>(impl->config.max_position_embeddings);
  if (max_seq_length > 0) impl->max_length = std::min(impl->max_length, size_t(max_seq_length));
  if (impl->max_length < 2) return InvalidArgumentError("max_seq_length must be >= 2");
  if (tokenizer.vocab_size() > static_cast<size_t>(impl->config.vocab_size)) {
    return InvalidArgumentError("tokenizer vocabulary (" + std::to_string(tokenizer.vocab_size()) +
                                " tokens) is larger than the model's vocab_size (" +
                                std::to_string(impl->config.vocab_size) + ")");
  }
  impl->tokenizer = std::make_unique<WordPieceTokenizer>(std::move(tokenizer));
  ASSIGN_OR_RETURN(impl->weights, BindBertWeights(std::move(file), impl->config));
  impl->pool = std::make_unique<ThreadPool>(impl->options.num_threads,
                                            fast::UseSingleThreadedBlasOnThisThread);
  return OkStatus();
}

using FileMap = std::map<std::string, std::span<const uint8_t>>;

// The file's bytes as text, or "" when absent; `max_size` bounds it.
StatusOr<std::string_view> FindText(const FileMap& files, const std::string& name,
                                    size_t max_size) {
  auto it = files.find(name);
  if (it == files.end()) return std::string_view();
  if (it->second.size() > max_size) {
    return LimitExceededError(name + " exceeds " + std::to_string(max_size) + " bytes");
  }
  return std::string_view(reinterpret_cast<const char*>(it->second.data()), it->second.size());
}

StatusOr<PoolingConfig> PoolingFromMemory(const FileMap& files) {
  if (!files.contains("modules.json")) return PoolingConfig{};
  ASSIGN_OR_RETURN(std::string_view modules, FindText(files, "modules.json", kMaxConfigFileSize));
  ASSIGN_OR_RETURN(const std::string dir, PoolingModuleDir(modules));
  ASSIGN_OR_RETURN(std::string_view pooling,
                   FindText(files, dir + "/config.json", kMaxConfigFileSize));
  return ParsePoolingConfig(modules, pooling);
}

StatusOr<WordPieceTokenizer> TokenizerFromMemory(const FileMap& files) {
  constexpr size_t kMaxTokenizerText = size_t{64} << 20;  // the file loaders' bound too
  if (files.contains("tokenizer.json")) {
    ASSIGN_OR_RETURN(std::string_view text, FindText(files, "tokenizer.json", kMaxTokenizerText));
    return WordPieceTokenizer::FromTokenizerJsonText(text, "tokenizer.json");
  }
  if (!files.contains("vocab.txt")) return NotFoundError("model files: no tokenizer.json or vocab.txt");
  ASSIGN_OR_RETURN(std::string_view vocab, FindText(files, "vocab.txt", kMaxTokenizerText));
  ASSIGN_OR_RETURN(std::string_view config,
                   FindText(files, "tokenizer_config.json", kMaxTokenizerText));
  if (files.contains("tokenizer_config.json") && config.empty()) {
    return InvalidArgumentError("tokenizer: not a JSON object: tokenizer_config.json");
  }
  return WordPieceTokenizer::FromVocabTxtText(vocab, config);
}

}  // namespace

StatusOr<std::unique_ptr<SentenceEmbedder>> SentenceEmbedder::Load(const std::string& model_dir,
                                                                   const EngineOptions& options) {
  RETURN_IF_ERROR(CheckThreads(options));
  auto impl = std::make_unique<SentenceEmbedderImpl>();
  impl->options = options;
  ASSIGN_OR_RETURN(std::string config_json, ReadSmallFile(model_dir + "/config.json", kMaxConfigFileSize));
  ASSIGN_OR_RETURN(impl->config, ParseBertConfig(config_json));
  ASSIGN_OR_RETURN(impl->pooling, LoadPoolingConfig(model_dir));
  ASSIGN_OR_RETURN(int max_seq_length, LoadMaxSeqLength(model_dir));
  ASSIGN_OR_RETURN(WordPieceTokenizer tokenizer, WordPieceTokenizer::FromModelDir(model_dir));
  ASSIGN_OR_RETURN(std::unique_ptr<model::SafetensorsFile> file,
                   model::SafetensorsFile::Open(model_dir + "/model.safetensors"));
  RETURN_IF_ERROR(Assemble(impl.get(), max_seq_length, std::move(tokenizer), std::move(file)));
  return std::unique_ptr<SentenceEmbedder>(new SentenceEmbedder(std::move(impl)));
}

StatusOr<std::unique_ptr<SentenceEmbedder>> SentenceEmbedder::LoadFromMemory(
    InMemoryModelFiles model, const EngineOptions& options) {
  RETURN_IF_ERROR(CheckThreads(options));
  const FileMap& files = model.files;
  auto impl = std::make_unique<SentenceEmbedderImpl>();
  impl->options = options;
  if (!files.contains("config.json")) return NotFoundError("model files: no config.json");
  ASSIGN_OR_RETURN(std::string_view config_json, FindText(files, "config.json", kMaxConfigFileSize));
  ASSIGN_OR_RETURN(impl->config, ParseBertConfig(config_json));
  ASSIGN_OR_RETURN(impl->pooling, PoolingFromMemory(files));
  int max_seq_length = 0;
  if (files.contains("sentence_bert_config.json")) {
    ASSIGN_OR_RETURN(std::string_view text,
                     FindText(files, "sentence_bert_config.json", kMaxConfigFileSize));
    ASSIGN_OR_RETURN(max_seq_length, ParseMaxSeqLength(text));
  }
  ASSIGN_OR_RETURN(WordPieceTokenizer tokenizer, TokenizerFromMemory(files));
  auto weights = files.find("model.safetensors");
  if (weights == files.end()) return NotFoundError("model files: no model.safetensors");
  ASSIGN_OR_RETURN(std::unique_ptr<model::SafetensorsFile> file,
                   model::SafetensorsFile::FromBuffer(weights->second));
  impl->backing = std::move(model.owner);
  RETURN_IF_ERROR(Assemble(impl.get(), max_seq_length, std::move(tokenizer), std::move(file)));
  return std::unique_ptr<SentenceEmbedder>(new SentenceEmbedder(std::move(impl)));
}

SentenceEmbedder::SentenceEmbedder(std::unique_ptr<SentenceEmbedderImpl> impl)
    : impl_(std::move(impl)) {}
SentenceEmbedder::~SentenceEmbedder() = default;

StatusOr<std::vector<Embedding>> SentenceEmbedder::Embed(std::span<const std::string> texts) const {
  std::vector<std::vector<int32_t>> batch;
  std::vector<Embedding> out(texts.size());
  batch.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSIGN_OR_RETURN(TokenizerEncoding encoding, impl_->tokenizer->Encode(texts[i], impl_->max_length));
    out[i].num_tokens = encoding.ids.size();
    out[i].truncated = encoding.truncated;
    batch.push_back(std::move(encoding.ids));
  }
  ASSIGN_OR_RETURN(std::vector<std::vector<float>> pooled, impl_->Run(batch, impl_->options.path));
  for (size_t i = 0; i < out.size(); ++i) out[i].values = std::move(pooled[i]);
  return out;
}

StatusOr<std::vector<std::vector<float>>> SentenceEmbedder::EmbedTokenIds(
    std::span<const std::vector<int32_t>> batch, KernelPath path) const {
  return impl_->Run(batch, path);
}

const BertConfig& SentenceEmbedder::config() const { return impl_->config; }
const PoolingConfig& SentenceEmbedder::pooling() const { return impl_->pooling; }
size_t SentenceEmbedder::max_length() const { return impl_->max_length; }

}  // namespace eml::engine

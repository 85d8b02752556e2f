// SentenceEmbedder: a BERT encoder (sentence-transformers layout) that turns
// texts or token ids into pooled, optionally L2-normalised embeddings.
//
// Model directory: config.json, model.safetensors (F32, F16 or BF16; HF tensor
// names with or without a "bert." prefix), vocab.txt, and optionally the
// sentence-transformers files modules.json, 1_Pooling/config.json and
// sentence_bert_config.json. See docs/engine.md.
//
// Two kernel paths compute the same function: kReference (plain loops, one
// thread; the specification) and kFast (BLAS GEMMs + fused kernels + a thread
// pool). Tests compare them.
//
// Thread-safety: a SentenceEmbedder is immutable after Load. Embed and
// EmbedTokenIds may be called concurrently from any number of threads; each
// call allocates its own scratch, and concurrent fast-path calls take turns on
// the shared thread pool (one forward pass at a time uses the cores).
// Lifetime: F32 weights are used in place from the mmapped safetensors file,
// which the embedder owns (LoadFromMemory: from the caller's bytes, kept
// alive by InMemoryModelFiles::owner).
#ifndef EML_ENGINE_BERT_H_
#define EML_ENGINE_BERT_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/bert_config.h"

namespace eml::engine {

enum class KernelPath { kFast, kReference };

inline constexpr int kMaxThreads = 256;

struct EngineOptions {
  int num_threads = 0;  // 0 = hardware concurrency; at most kMaxThreads
  KernelPath path = KernelPath::kFast;
  // Upper bound on the tokens of one Embed / EmbedTokenIds call (sum of the
  // sequence lengths); bounds the per-call scratch.
  size_t max_batch_tokens = 1 << 16;
};

struct Embedding {
  std::vector<float> values;  // f32 [hidden_size]
  size_t num_tokens = 0;      // tokens fed to the model, incl. [CLS]/[SEP]
  bool truncated = false;     // the text was longer than max_length tokens
};

// A model directory's files held in memory (a decrypted model package),
// keyed by their path in the directory: "config.json", "model.safetensors",
// "vocab.txt" or "tokenizer.json", and optionally "tokenizer_config.json",
// "modules.json", "1_Pooling/config.json", "sentence_bert_config.json".
struct InMemoryModelFiles {
  std::map<std::string, std::span<const uint8_t>> files;
  // Keeps the bytes alive: the embedder holds it for its whole lifetime,
  // because F32 weights are used in place.
  std::shared_ptr<const void> owner;
};

class SentenceEmbedderImpl;

class SentenceEmbedder {
 public:
  static StatusOr<std::unique_ptr<SentenceEmbedder>> Load(
      const std::string& model_dir, const EngineOptions& options = {});
  // The same model built from files in memory, with the same validation;
  // nothing is read from or written to disk.
  static StatusOr<std::unique_ptr<SentenceEmbedder>> LoadFromMemory(
      InMemoryModelFiles model, const EngineOptions& options = {});
  ~SentenceEmbedder();

  SentenceEmbedder(const SentenceEmbedder&) = delete;
  SentenceEmbedder& operator=(const SentenceEmbedder&) = delete;

  // Tokenizes each text (max_length = min(max_seq_length from
  // sentence_bert_config.json, max_position_embeddings)) and runs the forward
  // pass on options.path.
  StatusOr<std::vector<Embedding>> Embed(std::span<const std::string> texts) const;

  // Pooled (and normalised, per PoolingConfig) embeddings of token-id
  // sequences. Each sequence must have 1..max_position_embeddings ids, each
  // in [0, vocab_size).
  StatusOr<std::vector<std::vector<float>>> EmbedTokenIds(
      std::span<const std::vector<int32_t>> batch, KernelPath path) const;

  const BertConfig& config() const;
  const PoolingConfig& pooling() const;
  size_t max_length() const;  // the tokenizer's max_length used by Embed

 private:
  explicit SentenceEmbedder(std::unique_ptr<SentenceEmbedderImpl> impl);
  std::unique_ptr<SentenceEmbedderImpl> impl_;
};

}  // namespace eml::engine

#endif  // EML_ENGINE_BERT_H_

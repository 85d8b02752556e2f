// The BERT encoder forward pass over a packed batch, in two implementations
// that compute the same function:
//
//   ForwardReference  kernels_ref.h, one thread, obvious loops.
//   ForwardFast       kernels_fast.h, BLAS GEMMs, all workers of a ThreadPool.
//
// Packing: sequences are laid back to back, total_tokens = sum of lengths.
// Every dense layer (Q/K/V, attention output, FFN) is one GEMM over the packed
// [total_tokens, hidden] matrix; attention runs per sequence and head over
// that sequence's own tokens only. No padding is ever computed.
//
// Layer (post-LN, as in BERT):
//   x = LayerNorm(word[id] + position[pos] + token_type[0])
//   per layer: a = LayerNorm(x + Attention(x) W_o^T + b_o)
//              x = LayerNorm(a + Gelu(a W_i^T + b_i) W_2^T + b_2)
// then Pool: mean over the sequence's tokens or its first ([CLS]) token,
// optionally L2-normalised.
//
// Preconditions (checked by the caller, SentenceEmbedder): weights bound for
// `config`, every id < vocab_size, every length in [1, max_positions].
// Thread-safety: pure functions of their inputs; ForwardFast uses the pool.
#ifndef EML_ENGINE_BERT_FORWARD_H_
#define EML_ENGINE_BERT_FORWARD_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/status.h"
#include "engine/bert_config.h"
#include "engine/bert_weights.h"
#include "engine/thread_pool.h"

namespace eml::engine {

struct PackedBatch {
  std::vector<int32_t> ids;     // i32 [total_tokens]
  std::vector<size_t> offsets;  // [num_sequences + 1]; sequence s is ids[offsets[s], offsets[s+1])

  size_t num_sequences() const { return offsets.empty() ? 0 : offsets.size() - 1; }
  size_t total_tokens() const { return ids.size(); }
};

// Both return the final hidden states, f32 [total_tokens, hidden].
std::vector<float> ForwardReference(const BertWeights& weights, const BertConfig& config,
                                    const PackedBatch& batch);
StatusOr<std::vector<float>> ForwardFast(const BertWeights& weights, const BertConfig& config,
                                         const PackedBatch& batch, ThreadPool& pool);

// Pools hidden f32 [total_tokens, hidden] into one f32 [hidden] vector per
// sequence; L2-normalises it if `normalize` (a zero vector stays zero).
std::vector<std::vector<float>> PoolSequences(const std::vector<float>& hidden, size_t hidden_size,
                                              const PackedBatch& batch, const PoolingConfig& pooling);

}  // namespace eml::engine

#endif  // EML_ENGINE_BERT_FORWARD_H_

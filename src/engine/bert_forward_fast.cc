// ForwardFast: the forward pass as one ThreadPool job. Workers split each
// step by columns (GEMMs: each worker multiplies by its own slice of weight
// rows, so weights are streamed once in total) or rows (LayerNorm, embedding)
// or (sequence, head) pairs (attention), and meet at a barrier between steps.
#include <atomic>
#include <cmath>

#include "engine/bert_forward.h"
#include "engine/kernels_fast.h"

namespace eml::engine {
namespace {

// Column slices start on 64-byte boundaries so workers never write the same
// cache line.
constexpr size_t kColumnAlign = 16;

// GEMMs split by token rows once every worker gets at least this many rows
// (measured: docs/engine.md); below, by output columns.
constexpr size_t kRowSplitMinTokens = 128;

// Per-call scratch, allocated once before the job starts.
struct Scratch {
  Scratch(size_t tokens, size_t hidden, size_t inter, size_t max_len, int workers)
      : x(tokens * hidden), q(tokens * hidden), k(tokens * hidden), v(tokens * hidden),
        ctx(tokens * hidden), y(tokens * hidden), ffn(tokens * inter),
        scores(static_cast<size_t>(workers), std::vector<float>(max_len * max_len)) {}
  std::vector<float> x;    // f32 [T, H] hidden state
  std::vector<float> q;    // f32 [T, H]
  std::vector<float> k;    // f32 [T, H]
  std::vector<float> v;    // f32 [T, H]
  std::vector<float> ctx;  // f32 [T, H] attention output
  std::vector<float> y;    // f32 [T, H] dense output before the residual
  std::vector<float> ffn;  // f32 [T, I]
  std::vector<std::vector<float>> scores;  // per worker f32 [max_len, max_len]
};

struct Job {
  const BertWeights& w;
  const BertConfig& config;
  const PackedBatch& batch;
  Scratch& s;
  std::atomic<bool>& failed;

  size_t tokens() const { return batch.total_tokens(); }
  bool RowSplit(const WorkerContext& ctx) const {
    return tokens() >= kRowSplitMinTokens * static_cast<size_t>(ctx.nth);
  }
  size_t hidden() const { return config.hidden_size; }

  // out = in * weight^T + bias (then GELU) for this worker's share: a slice of
  // output columns (= weight rows) when there are few tokens, so the weights
  // are streamed from memory once in total; a block of token rows when there
  // are many, so each BLAS call is large and packs its operands once.
  void Linear(const WorkerContext& ctx, const float* in, size_t in_features,
              const LinearWeights& lw, size_t out_features, float* out, bool gelu) const {
    Range rows{0, tokens()};
    Range cols{0, out_features};
    if (RowSplit(ctx)) {
      rows = SplitRange(tokens(), ctx.ith, ctx.nth);
    } else {
      cols = SplitRange(out_features, ctx.ith, ctx.nth, kColumnAlign);
    }
    const size_t num_rows = rows.end - rows.begin;
    if (num_rows == 0 || cols.begin == cols.end) return;
    float* out_block = out + rows.begin * out_features;
    if (!fast::MatMulWeightT(num_rows, cols.end - cols.begin, in_features,
                             in + rows.begin * in_features, in_features,
                             lw.weight + cols.begin * in_features, in_features,
                             out_block + cols.begin, out_features)) {
      failed.store(true, std::memory_order_relaxed);
      return;
    }
    if (gelu) {
      fast::BiasGelu(out_block, num_rows, out_features, cols.begin, cols.end, lw.bias);
    } else {
      fast::AddBias(out_block, num_rows, out_features, cols.begin, cols.end, lw.bias);
    }
  }

  // x[rows] = LayerNorm(x + y + bias) for this worker's rows.
  void ResidualNorm(const WorkerContext& ctx, const float* bias, const LayerNormWeights& norm) const {
    const Range rows = SplitRange(tokens(), ctx.ith, ctx.nth);
    const size_t h = hidden();
    fast::BiasResidualLayerNorm(s.x.data() + rows.begin * h, s.y.data() + rows.begin * h, bias,
                                rows.end - rows.begin, h, norm.gamma, norm.beta,
                                config.layer_norm_eps);
  }

  void Embed(const WorkerContext& ctx) const {
    const Range rows = SplitRange(tokens(), ctx.ith, ctx.nth);
    const size_t h = hidden();
    size_t seq = 0;
    for (size_t t = rows.begin; t < rows.end; ++t) {
      while (batch.offsets[seq + 1] <= t) ++seq;
      const size_t pos = t - batch.offsets[seq];
      const float* word = w.word_embeddings + static_cast<size_t>(batch.ids[t]) * h;
      const float* position = w.position_embeddings + pos * h;
      float* out = s.x.data() + t * h;
      for (size_t c = 0; c < h; ++c) out[c] = word[c] + position[c];
    }
    fast::BiasResidualLayerNorm(s.x.data() + rows.begin * h, nullptr, w.token_type_embeddings,
                                rows.end - rows.begin, h, w.embedding_norm.gamma,
                                w.embedding_norm.beta, config.layer_norm_eps);
  }

  void Attention(const WorkerContext& ctx) const {
    const size_t heads = config.num_attention_heads;
    const size_t head_dim = config.head_dim();
    const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
    const size_t items = batch.num_sequences() * heads;
    // Interleaved so that mixed lengths spread over workers.
    for (size_t item = ctx.ith; item < items; item += ctx.nth) {
      const size_t seq = item / heads;
      const size_t col = (item % heads) * head_dim;
      const size_t row = batch.offsets[seq] * hidden();
      const size_t len = batch.offsets[seq + 1] - batch.offsets[seq];
      if (!fast::AttentionHead(&s.q[row + col], &s.k[row + col], &s.v[row + col], len, hidden(),
                               head_dim, scale, s.scores[ctx.ith].data(), &s.ctx[row + col])) {
        failed.store(true, std::memory_order_relaxed);
      }
    }
  }

  // In row-split mode every step after attention reads only rows its own
  // worker wrote (GEMM rows, LayerNorm rows and embedding rows use the same
  // SplitRange), so only the two attention boundaries need a barrier.
  void SyncUnlessRowSplit(const WorkerContext& ctx) const {
    if (!RowSplit(ctx)) ctx.Sync();
  }

  void Layer(const WorkerContext& ctx, const EncoderLayerWeights& lw) const {
    const size_t h = hidden();
    const size_t inter = config.intermediate_size;
    Linear(ctx, s.x.data(), h, lw.query, h, s.q.data(), false);
    Linear(ctx, s.x.data(), h, lw.key, h, s.k.data(), false);
    Linear(ctx, s.x.data(), h, lw.value, h, s.v.data(), false);
    ctx.Sync();  // attention reads every row of the sequence
    Attention(ctx);
    ctx.Sync();  // the output GEMM reads every head of its rows
    Linear(ctx, s.ctx.data(), h, lw.attention_output, h, s.y.data(), false);
    SyncUnlessRowSplit(ctx);
    ResidualNorm(ctx, nullptr, lw.attention_norm);
    SyncUnlessRowSplit(ctx);
    Linear(ctx, s.x.data(), h, lw.intermediate, inter, s.ffn.data(), true);
    SyncUnlessRowSplit(ctx);
    Linear(ctx, s.ffn.data(), inter, lw.output, h, s.y.data(), false);
    SyncUnlessRowSplit(ctx);
    ResidualNorm(ctx, nullptr, lw.output_norm);
    SyncUnlessRowSplit(ctx);
  }

  void Run(const WorkerContext& ctx) const {
    Embed(ctx);
    SyncUnlessRowSplit(ctx);
    for (const EncoderLayerWeights& lw : w.layers) Layer(ctx, lw);
  }
};

}  // namespace

StatusOr<std::vector<float>> ForwardFast(const BertWeights& weights, const BertConfig& config,
                                         const PackedBatch& batch, ThreadPool& pool) {
  size_t max_len = 0;
  for (size_t s = 0; s < batch.num_sequences(); ++s) {
    max_len = std::max(max_len, batch.offsets[s + 1] - batch.offsets[s]);
  }
  Scratch scratch(batch.total_tokens(), config.hidden_size, config.intermediate_size, max_len,
                  pool.num_threads());
  std::atomic<bool> failed{false};
  const Job job{weights, config, batch, scratch, failed};
  pool.Run([&job](const WorkerContext& ctx) { job.Run(ctx); });
  if (failed.load()) return InternalError("bert forward: BLAS call failed");
  return std::move(scratch.x);
}

}  // namespace eml::engine

// ForwardReference and PoolSequences: the specification of the forward pass.
#include <cmath>

#include "engine/bert_forward.h"
#include "engine/kernels_ref.h"

namespace eml::engine {
namespace {

// x f32 [T, H] = LayerNorm(word[id] + position[pos in sequence] + token_type[0]).
std::vector<float> EmbedTokens(const BertWeights& w, const BertConfig& config,
                               const PackedBatch& batch) {
  const size_t h = config.hidden_size;
  std::vector<float> x(batch.total_tokens() * h);
  for (size_t s = 0; s < batch.num_sequences(); ++s) {
    for (size_t t = batch.offsets[s]; t < batch.offsets[s + 1]; ++t) {
      const size_t pos = t - batch.offsets[s];
      const float* word = w.word_embeddings + static_cast<size_t>(batch.ids[t]) * h;
      const float* position = w.position_embeddings + pos * h;
      for (size_t c = 0; c < h; ++c) x[t * h + c] = word[c] + position[c] + w.token_type_embeddings[c];
    }
  }
  ref::LayerNorm(x.data(), batch.total_tokens(), h, w.embedding_norm.gamma,
                 w.embedding_norm.beta, config.layer_norm_eps);
  return x;
}

void EncoderLayer(const EncoderLayerWeights& w, const BertConfig& config,
                  const PackedBatch& batch, std::vector<float>& x) {
  const size_t t = batch.total_tokens();
  const size_t h = config.hidden_size;
  const size_t inter = config.intermediate_size;
  std::vector<float> q(t * h), k(t * h), v(t * h), ctx(t * h), y(t * h), ffn(t * inter);
  ref::Linear(x.data(), t, h, w.query.weight, w.query.bias, h, q.data());
  ref::Linear(x.data(), t, h, w.key.weight, w.key.bias, h, k.data());
  ref::Linear(x.data(), t, h, w.value.weight, w.value.bias, h, v.data());
  for (size_t s = 0; s < batch.num_sequences(); ++s) {
    const size_t row = batch.offsets[s] * h;
    const size_t len = batch.offsets[s + 1] - batch.offsets[s];
    ref::Attention(&q[row], &k[row], &v[row], len, h, config.num_attention_heads, &ctx[row]);
  }
  ref::Linear(ctx.data(), t, h, w.attention_output.weight, w.attention_output.bias, h, y.data());
  for (size_t i = 0; i < t * h; ++i) x[i] += y[i];
  ref::LayerNorm(x.data(), t, h, w.attention_norm.gamma, w.attention_norm.beta,
                 config.layer_norm_eps);
  ref::Linear(x.data(), t, h, w.intermediate.weight, w.intermediate.bias, inter, ffn.data());
  for (float& f : ffn) f = ref::Gelu(f);
  ref::Linear(ffn.data(), t, inter, w.output.weight, w.output.bias, h, y.data());
  for (size_t i = 0; i < t * h; ++i) x[i] += y[i];
  ref::LayerNorm(x.data(), t, h, w.output_norm.gamma, w.output_norm.beta, config.layer_norm_eps);
}

}  // namespace

std::vector<float> ForwardReference(const BertWeights& weights, const BertConfig& config,
                                    const PackedBatch& batch) {
  std::vector<float> x = EmbedTokens(weights, config, batch);
  for (const EncoderLayerWeights& layer : weights.layers) EncoderLayer(layer, config, batch, x);
  return x;
}

std::vector<std::vector<float>> PoolSequences(const std::vector<float>& hidden, size_t hidden_size,
                                              const PackedBatch& batch,
                                              const PoolingConfig& pooling) {
  std::vector<std::vector<float>> out(batch.num_sequences());
  for (size_t s = 0; s < batch.num_sequences(); ++s) {
    const size_t begin = batch.offsets[s];
    const size_t end = pooling.pooling == Pooling::kCls ? begin + 1 : batch.offsets[s + 1];
    std::vector<double> sum(hidden_size, 0.0);
    for (size_t t = begin; t < end; ++t) {
      for (size_t c = 0; c < hidden_size; ++c) sum[c] += hidden[t * hidden_size + c];
    }
    double norm2 = 0;
    for (double& v : sum) {
      v /= static_cast<double>(end - begin);
      norm2 += v * v;
    }
    const double scale = (pooling.normalize && norm2 > 0) ? 1.0 / std::sqrt(norm2) : 1.0;
    out[s].resize(hidden_size);
    for (size_t c = 0; c < hidden_size; ++c) out[s][c] = static_cast<float>(sum[c] * scale);
  }
  return out;
}

}  // namespace eml::engine

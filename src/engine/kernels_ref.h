// Reference kernels for the BERT forward pass: the specification that the
// fast kernels (kernels_fast.h) are tested against.
//
// Plain loops, one thread, double accumulators where a sum is long, library
// std::erf / std::exp. No BLAS, no intrinsics. Written to be obviously
// correct, not fast. All matrices are row-major f32.
//
// Thread-safety: pure functions over caller-owned buffers.
#ifndef EML_ENGINE_KERNELS_REF_H_
#define EML_ENGINE_KERNELS_REF_H_

#include <cstddef>

namespace eml::engine::ref {

// out = x * w^T + b (a PyTorch nn.Linear).
// x f32 [rows, in], w f32 [out_features, in], b f32 [out_features],
// out f32 [rows, out_features].
void Linear(const float* x, size_t rows, size_t in, const float* w, const float* b,
            size_t out_features, float* out);

// Exact GELU: 0.5 x (1 + erf(x / sqrt(2))), computed in double.
float Gelu(float x);

// x = LayerNorm(x) per row, biased variance: (x - mean) / sqrt(var + eps) * gamma + beta.
// x f32 [rows, cols], gamma/beta f32 [cols].
void LayerNorm(float* x, size_t rows, size_t cols, const float* gamma, const float* beta,
               float eps);

// x = softmax(x * scale) over one row of n values (max-subtracted).
void Softmax(float* x, size_t n, float scale);

// Multi-head self-attention of one sequence over all of its tokens.
// q/k/v f32 [len, hidden] (head h = columns [h*head_dim, (h+1)*head_dim)),
// out f32 [len, hidden]. Scale 1/sqrt(head_dim).
void Attention(const float* q, const float* k, const float* v, size_t len, size_t hidden,
               size_t num_heads, float* out);

}  // namespace eml::engine::ref

#endif  // EML_ENGINE_KERNELS_REF_H_

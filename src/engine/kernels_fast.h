// Fast kernels for the BERT forward pass. Each has a reference twin in
// kernels_ref.h and a test comparing the two (kernels_test.cc).
//
// GEMMs go to oneDNN's dnnl_sgemm (chosen over OpenBLAS 0.3.21 by measurement,
// docs/engine.md). Element-wise kernels are plain C++ loops written so the
// compiler vectorises them (fixed-width lane accumulators, no branches), built
// with -O3 and, on x86-64, cloned for AVX-512 / AVX2 / baseline with
// target_clones: the loader picks the widest one the CPU supports, so the
// binary still runs on any x86-64.
//
// Numerics: Exp and Erf are polynomial approximations (no libm call, so they
// vectorise): Exp within ~2 ulp over the softmax range, Erf within 5e-7
// absolute (Abramowitz & Stegun 7.1.26, 1.5e-7, plus float rounding). Sums use float lane accumulators.
//
// Thread-safety: pure functions over caller-owned buffers; callers split
// work by rows or columns. Sgemm is single-threaded on threads that called
// UseSingleThreadedBlasOnThisThread().
#ifndef EML_ENGINE_KERNELS_FAST_H_
#define EML_ENGINE_KERNELS_FAST_H_

#include <cstddef>

namespace eml::engine::fast {

// Caps OpenMP (oneDNN's threading runtime) at one thread for the calling
// thread, so that BLAS calls from pool workers do not spawn more threads.
void UseSingleThreadedBlasOnThisThread();

// Row-major c = alpha * op(a) * op(b) + beta * c; op(x) = x^T if trans_x.
// Returns false if the BLAS rejected the call (a programming error).
[[nodiscard]] bool Sgemm(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, float alpha,
                         const float* a, size_t lda, const float* b, size_t ldb, float beta,
                         float* c, size_t ldc);

// Row-major c f32 [m, n] (stride ldc) = a f32 [m, k] (stride lda) * w^T, where
// w f32 [n, k] (stride ldw) is a PyTorch Linear weight used in place. For
// m <= 32 on AVX-512 CPUs a register-blocked kernel that streams each weight
// row once (no packing); otherwise Sgemm. Returns false if the BLAS failed.
[[nodiscard]] bool MatMulWeightT(size_t m, size_t n, size_t k, const float* a, size_t lda,
                                 const float* w, size_t ldw, float* c, size_t ldc);

// True if MatMulWeightT's AVX-512 kernel runs on this CPU.
bool HasSmallGemmKernel();

float Exp(float x);
float Erf(float x);
float Gelu(float x);  // 0.5 x (1 + Erf(x / sqrt(2)))

// x[r, c] += bias[c] for c in [col_begin, col_end). x f32 [rows, stride].
void AddBias(float* x, size_t rows, size_t stride, size_t col_begin, size_t col_end,
             const float* bias);

// x[r, c] = Gelu(x[r, c] + bias[c]) for c in [col_begin, col_end).
// x f32 [rows, stride], bias f32 [>= col_end].
void BiasGelu(float* x, size_t rows, size_t stride, size_t col_begin, size_t col_end,
              const float* bias);

// x[r, :] = LayerNorm(x[r, :] + y[r, :] + bias) (post-LN residual block).
// x, y f32 [rows, cols]; bias, gamma, beta f32 [cols]. bias/y may be null.
void BiasResidualLayerNorm(float* x, const float* y, const float* bias, size_t rows,
                           size_t cols, const float* gamma, const float* beta, float eps);

// x = softmax(x * scale) over one row of n values; scale must be > 0.
void Softmax(float* x, size_t n, float scale);

// One attention head of one sequence: out_h = softmax(q_h k_h^T * scale) v_h.
// q/k/v/out point at the head's first column of f32 [len, stride] matrices;
// scratch f32 [len * len]. Returns false if the BLAS failed.
[[nodiscard]] bool AttentionHead(const float* q, const float* k, const float* v, size_t len,
                                 size_t stride, size_t head_dim, float scale, float* scratch,
                                 float* out);

}  // namespace eml::engine::fast

#endif  // EML_ENGINE_KERNELS_FAST_H_

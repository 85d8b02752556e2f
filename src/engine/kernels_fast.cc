#include "engine/kernels_fast.h"

#include <dlfcn.h>
#include <dnnl.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define EML_HAVE_SMALL_GEMM 1
#else
#define EML_HAVE_SMALL_GEMM 0
#endif

#include <bit>
#include <cmath>
#include <cstdint>

// Multi-versioned hot loops (see header). Sanitizer builds keep one version.
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__) && \
    (!defined(__clang__) || __clang_major__ >= 14)
#define EML_MULTIVERSION __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define EML_MULTIVERSION
#endif

namespace eml::engine::fast {
namespace {

constexpr size_t kLanes = 16;  // one AVX-512 register of f32

// Sequences at least this long do attention through two small GEMMs; shorter
// ones through vectorised loops (a BLAS call costs more than the math).
constexpr size_t kAttentionGemmMinLen = 32;

inline float ExpInline(float x) {
  // exp(x) = 2^n * exp(r), n = round(x / ln2), |r| <= ln2 / 2; degree-7 Taylor
  // for exp(r) (truncation < 6e-9 relative). Clamped so 2^n stays normal.
  // Ternaries, not fmin/fmax/floor: those are libm calls unless the NaN
  // rules are relaxed, and they would stop vectorisation.
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  // Round to nearest by adding and subtracting 1.5 * 2^23.
  const float n = (x * 1.44269504f + 12582912.0f) - 12582912.0f;
  const float r = (x - n * 0.693145752f) - n * 1.42860677e-6f;
  float p = 1.0f / 5040;
  p = p * r + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const uint32_t bits = static_cast<uint32_t>(static_cast<int32_t>(n) + 127) << 23;
  return p * std::bit_cast<float>(bits);
}

inline float ErfInline(float x) {
  // Abramowitz & Stegun 7.1.26: |error| <= 1.5e-7 for x >= 0; odd symmetry.
  const float ax = std::fabs(x);
  const float t = 1.0f / (1.0f + 0.3275911f * ax);
  float p = 1.061405429f;
  p = p * t - 1.453152027f;
  p = p * t + 1.421413741f;
  p = p * t - 0.284496736f;
  p = p * t + 0.254829592f;
  const float y = 1.0f - p * t * ExpInline(-ax * ax);
  return std::copysign(y, x);
}

inline float GeluInline(float x) { return 0.5f * x * (1.0f + ErfInline(x * 0.707106781f)); }

// Sum of x[0, n) with kLanes partial sums (vectorisable without -ffast-math).
inline float SumInline(const float* x, size_t n) {
  float acc[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (size_t l = 0; l < kLanes; ++l) acc[l] += x[i + l];
  }
  float sum = 0;
  for (; i < n; ++i) sum += x[i];
  for (size_t l = 0; l < kLanes; ++l) sum += acc[l];
  return sum;
}

inline float DotInline(const float* a, const float* b, size_t n) {
  float acc[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (size_t l = 0; l < kLanes; ++l) acc[l] += a[i + l] * b[i + l];
  }
  float sum = 0;
  for (; i < n; ++i) sum += a[i] * b[i];
  for (size_t l = 0; l < kLanes; ++l) sum += acc[l];
  return sum;
}

// Attention for short sequences: loops over one query row at a time.
EML_MULTIVERSION
void AttentionHeadLoops(const float* q, const float* k, const float* v, size_t len,
                        size_t stride, size_t head_dim, float scale, float* scores,
                        float* out) {
  for (size_t i = 0; i < len; ++i) {
    for (size_t j = 0; j < len; ++j) scores[j] = DotInline(q + i * stride, k + j * stride, head_dim);
    Softmax(scores, len, scale);
    float* o = out + i * stride;
    for (size_t d = 0; d < head_dim; ++d) o[d] = 0;
    for (size_t j = 0; j < len; ++j) {
      const float p = scores[j];
      const float* vj = v + j * stride;
      for (size_t d = 0; d < head_dim; ++d) o[d] += p * vj[d];
    }
  }
}

// ---- AVX-512 small-m GEMM: c = a * w^T, w f32 [n, k] row-major ----
// Dot products along k: a 4 (rows of a) x 4 (rows of w) block of zmm
// accumulators, so each loaded vector feeds four FMAs, then one transpose-add
// turns the 16 accumulators into the 16 outputs. Compiled for AVX-512 only
// (target attribute) and called only after a run-time CPU check.
#if EML_HAVE_SMALL_GEMM
// GCC 12's own intrinsics (_mm512_undefined_ps: `__Y = __Y`) trip
// -Wmaybe-uninitialized once inlined here; the warning is about the header.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#define EML_AVX512 __attribute__((target("avx512f,avx512dq"), always_inline)) inline
#define EML_AVX512_FN __attribute__((target("avx512f,avx512dq")))

// Sums of 16 vectors in one: result[e] = sum of all lanes of v[e].
EML_AVX512 __m512 TransposeSum16(const __m512* v) {
  __m512 s[8];
  for (int i = 0; i < 8; ++i) {
    s[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]),
                         _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
  }
  __m512 u[4];
  for (int i = 0; i < 4; ++i) {
    const __m512d a = _mm512_castps_pd(s[2 * i]);
    const __m512d b = _mm512_castps_pd(s[2 * i + 1]);
    u[i] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)),
                         _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)));
  }
  // Each 128-bit lane of u[i] now holds partial sums of v[4i .. 4i+3].
  const __m512 w01 = _mm512_add_ps(_mm512_shuffle_f32x4(u[0], u[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                   _mm512_shuffle_f32x4(u[0], u[1], _MM_SHUFFLE(3, 1, 3, 1)));
  const __m512 w23 = _mm512_add_ps(_mm512_shuffle_f32x4(u[2], u[3], _MM_SHUFFLE(2, 0, 2, 0)),
                                   _mm512_shuffle_f32x4(u[2], u[3], _MM_SHUFFLE(3, 1, 3, 1)));
  return _mm512_add_ps(_mm512_shuffle_f32x4(w01, w23, _MM_SHUFFLE(2, 0, 2, 0)),
                       _mm512_shuffle_f32x4(w01, w23, _MM_SHUFFLE(3, 1, 3, 1)));
}

// One MB x NB tile of c: dot products of MB rows of a with NB rows of w along k.
// accumulate: c += instead of c =. prefetch (or null): the same columns of
// the next weight rows, touched while this block computes.
template <int MB, int NB>
EML_AVX512 void SmallGemmTile(const float* a, size_t lda, const float* w, size_t ldw, size_t k,
                              float* c, size_t ldc, bool accumulate, const float* prefetch) {
  __m512 acc[MB * NB];
  for (int i = 0; i < MB * NB; ++i) acc[i] = _mm512_setzero_ps();
  size_t p = 0;
  for (; p + 16 <= k; p += 16) {
    __m512 wv[NB];
    for (int j = 0; j < NB; ++j) wv[j] = _mm512_loadu_ps(w + j * ldw + p);
    if (prefetch != nullptr) {
      for (int j = 0; j < NB; ++j) {
        _mm_prefetch(reinterpret_cast<const char*>(prefetch + j * ldw + p), _MM_HINT_T0);
      }
    }
    for (int i = 0; i < MB; ++i) {
      const __m512 av = _mm512_loadu_ps(a + i * lda + p);
      for (int j = 0; j < NB; ++j) acc[i * NB + j] = _mm512_fmadd_ps(av, wv[j], acc[i * NB + j]);
    }
  }
  if (p < k) {
    const __mmask16 mask = static_cast<__mmask16>((1u << (k - p)) - 1);
    __m512 wv[NB];
    for (int j = 0; j < NB; ++j) wv[j] = _mm512_maskz_loadu_ps(mask, w + j * ldw + p);
    for (int i = 0; i < MB; ++i) {
      const __m512 av = _mm512_maskz_loadu_ps(mask, a + i * lda + p);
      for (int j = 0; j < NB; ++j) acc[i * NB + j] = _mm512_fmadd_ps(av, wv[j], acc[i * NB + j]);
    }
  }
  if constexpr (MB == 4 && NB == 4) {
    const __m512 sums = TransposeSum16(acc);  // element 4i + j = c[i, j]
    __m128 rows[4] = {_mm512_extractf32x4_ps(sums, 0), _mm512_extractf32x4_ps(sums, 1),
                      _mm512_extractf32x4_ps(sums, 2), _mm512_extractf32x4_ps(sums, 3)};
    for (int i = 0; i < 4; ++i) {
      if (accumulate) rows[i] = _mm_add_ps(rows[i], _mm_loadu_ps(c + i * ldc));
      _mm_storeu_ps(c + i * ldc, rows[i]);
    }
  } else {
    for (int i = 0; i < MB; ++i) {
      for (int j = 0; j < NB; ++j) {
        const float sum = _mm512_reduce_add_ps(acc[i * NB + j]);
        c[i * ldc + j] = accumulate ? c[i * ldc + j] + sum : sum;
      }
    }
  }
}

// Columns [n0, n0 + NB) for all m rows: the NB weight rows are read from
// memory once and stay in L1 while every block of 4 rows of a passes by.
template <int NB>
EML_AVX512 void SmallGemmColumns(size_t m, size_t k, const float* a, size_t lda, const float* w,
                                 size_t ldw, float* c, size_t ldc, bool accumulate,
                                 const float* prefetch) {
  size_t i = 0;
  for (; i + 4 <= m; i += 4) {
    SmallGemmTile<4, NB>(a + i * lda, lda, w, ldw, k, c + i * ldc, ldc, accumulate,
                         i == 0 ? prefetch : nullptr);
  }
  for (; i < m; ++i) {
    SmallGemmTile<1, NB>(a + i * lda, lda, w, ldw, k, c + i * ldc, ldc, accumulate,
                         i == 0 ? prefetch : nullptr);
  }
}

// k is cut into chunks so that the chunk of a (m rows, <= 24 KiB) stays in L1
// while the weight rows stream past (measured at m = 16: 384-float chunks
// beat 256 by ~10% for 16 x 384 x 1536).
constexpr size_t kSmallGemmChunkFloats = 6144;

EML_AVX512_FN void SmallGemmAvx512(size_t m, size_t n, size_t k, const float* a, size_t lda,
                                   const float* w, size_t ldw, float* c, size_t ldc) {
  size_t chunk = kSmallGemmChunkFloats / m / 16 * 16;
  chunk = chunk < 128 ? 128 : chunk;
  for (size_t p = 0; p < k; p += chunk) {
    const size_t kc = k - p < chunk ? k - p : chunk;
    const bool accumulate = p > 0;
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
      const float* next = j + 8 <= n ? w + (j + 4) * ldw + p : nullptr;
      SmallGemmColumns<4>(m, kc, a + p, lda, w + j * ldw + p, ldw, c + j, ldc, accumulate, next);
    }
    for (; j < n; ++j) {
      SmallGemmColumns<1>(m, kc, a + p, lda, w + j * ldw + p, ldw, c + j, ldc, accumulate,
                          nullptr);
    }
  }
}

// ---- AVX-512 attention for one head of a short sequence ----
// len <= 16 keys fit one zmm of scores; head_dim a multiple of 16, <= 64.
// Keys are transposed once (kt[d] = key column d), so a query's scores are
// head_dim broadcast FMAs; four queries are in flight at a time so the FMA
// chains overlap. Same Exp polynomial as ExpInline.
constexpr size_t kSmallAttentionMaxLen = 16;
constexpr size_t kSmallAttentionMaxHeadDim = 64;
constexpr size_t kBlockedAttentionMaxLen = 128;

EML_AVX512 __m512 ExpAvx512(__m512 x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
  x = _mm512_min_ps(x, _mm512_set1_ps(88.0f));
  const __m512 n = _mm512_sub_ps(
      _mm512_fmadd_ps(x, _mm512_set1_ps(1.44269504f), _mm512_set1_ps(12582912.0f)),
      _mm512_set1_ps(12582912.0f));
  const __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.42860677e-6f),
                                    _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145752f), x));
  __m512 p = _mm512_set1_ps(1.0f / 5040);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  const __m512i bits = _mm512_slli_epi32(
      _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_mul_ps(p, _mm512_castsi512_ps(bits));
}

// Queries [i0, i0 + QB) of the head; kt f32 [head_dim][16] transposed keys.
template <int QB>
EML_AVX512 void SmallAttentionQueries(const float* q, const float* v, size_t len, size_t stride,
                                      size_t head_dim, float scale, const __m512* kt, size_t i0,
                                      float* out) {
  const __mmask16 mask = static_cast<__mmask16>((1u << len) - 1);
  __m512 s[QB];
  for (int b = 0; b < QB; ++b) s[b] = _mm512_setzero_ps();
  for (size_t d = 0; d < head_dim; ++d) {
    for (int b = 0; b < QB; ++b) {
      s[b] = _mm512_fmadd_ps(_mm512_set1_ps(q[(i0 + b) * stride + d]), kt[d], s[b]);
    }
  }
  alignas(64) float p[QB][16];
  for (int b = 0; b < QB; ++b) {
    const __m512 x = _mm512_mul_ps(s[b], _mm512_set1_ps(scale));
    const float max = _mm512_mask_reduce_max_ps(mask, x);
    const __m512 e = _mm512_maskz_mov_ps(mask, ExpAvx512(_mm512_sub_ps(x, _mm512_set1_ps(max))));
    const float inv_sum = 1.0f / _mm512_reduce_add_ps(e);
    _mm512_store_ps(p[b], _mm512_mul_ps(e, _mm512_set1_ps(inv_sum)));
  }
  for (size_t c = 0; c < head_dim; c += 16) {
    __m512 o[QB];
    for (int b = 0; b < QB; ++b) o[b] = _mm512_setzero_ps();
    for (size_t j = 0; j < len; ++j) {
      const __m512 vj = _mm512_loadu_ps(v + j * stride + c);
      for (int b = 0; b < QB; ++b) o[b] = _mm512_fmadd_ps(_mm512_set1_ps(p[b][j]), vj, o[b]);
    }
    for (int b = 0; b < QB; ++b) _mm512_storeu_ps(out + (i0 + b) * stride + c, o[b]);
  }
}

EML_AVX512_FN void SmallAttentionAvx512(const float* q, const float* k, const float* v,
                                        size_t len, size_t stride, size_t head_dim, float scale,
                                        float* out) {
  alignas(64) float kt_mem[kSmallAttentionMaxHeadDim][16] = {};
  for (size_t j = 0; j < len; ++j) {
    for (size_t d = 0; d < head_dim; ++d) kt_mem[d][j] = k[j * stride + d];
  }
  __m512 kt[kSmallAttentionMaxHeadDim];
  for (size_t d = 0; d < head_dim; ++d) kt[d] = _mm512_load_ps(kt_mem[d]);
  size_t i = 0;
  for (; i + 4 <= len; i += 4) SmallAttentionQueries<4>(q, v, len, stride, head_dim, scale, kt, i, out);
  for (; i < len; ++i) SmallAttentionQueries<1>(q, v, len, stride, head_dim, scale, kt, i, out);
}

// Softmax (as Softmax above) of one row, 16 lanes at a time, tail masked.
EML_AVX512 void SoftmaxAvx512(float* x, size_t n, float scale) {
  __m512 vmax = _mm512_set1_ps(-INFINITY);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (n - i)) - 1);
    vmax = _mm512_mask_max_ps(vmax, m, vmax, _mm512_maskz_loadu_ps(m, x + i));
  }
  const __m512 max = _mm512_set1_ps(_mm512_reduce_max_ps(vmax) * scale);
  const __m512 vscale = _mm512_set1_ps(scale);
  __m512 vsum = _mm512_setzero_ps();
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 e = _mm512_maskz_mov_ps(
        m, ExpAvx512(_mm512_fmsub_ps(_mm512_maskz_loadu_ps(m, x + i), vscale, max)));
    _mm512_mask_storeu_ps(x + i, m, e);
    vsum = _mm512_add_ps(vsum, e);
  }
  const __m512 inv_sum = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(vsum));
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), inv_sum));
  }
}

// Longer heads, four queries at a time: scores against blocks of 16 keys
// (keys transposed once into kt f32 [head_dim, len16], len16 = len rounded up
// to 16, zero-padded), the usual Softmax on the first len scores, then P * V
// with broadcast FMAs. rows f32 [4, len16] holds the scores. head_dim is a
// multiple of 16.
template <int QB>
EML_AVX512 void AttentionQueryBlock(const float* q, const float* v, size_t len, size_t len16,
                                    size_t stride, size_t head_dim, float scale, const float* kt,
                                    float* rows, size_t i0, float* out) {
  const __m512 zero = _mm512_setzero_ps();
  for (size_t kb = 0; kb < len16; kb += 32) {
    const bool two = kb + 16 < len16;
    __m512 acc[QB][2];
    for (int b = 0; b < QB; ++b) acc[b][0] = acc[b][1] = zero;
    for (size_t d = 0; d < head_dim; ++d) {
      const __m512 k0 = _mm512_loadu_ps(kt + d * len16 + kb);
      const __m512 k1 = two ? _mm512_loadu_ps(kt + d * len16 + kb + 16) : zero;
      for (int b = 0; b < QB; ++b) {
        const __m512 qb = _mm512_set1_ps(q[(i0 + b) * stride + d]);
        acc[b][0] = _mm512_fmadd_ps(qb, k0, acc[b][0]);
        acc[b][1] = _mm512_fmadd_ps(qb, k1, acc[b][1]);
      }
    }
    for (int b = 0; b < QB; ++b) {
      _mm512_storeu_ps(rows + b * len16 + kb, acc[b][0]);
      if (two) _mm512_storeu_ps(rows + b * len16 + kb + 16, acc[b][1]);
    }
  }
  for (int b = 0; b < QB; ++b) SoftmaxAvx512(rows + b * len16, len, scale);
  for (size_t c = 0; c < head_dim; c += 32) {
    const bool two = c + 16 < head_dim;
    __m512 o[QB][2];
    for (int b = 0; b < QB; ++b) o[b][0] = o[b][1] = zero;
    for (size_t j = 0; j < len; ++j) {
      const __m512 v0 = _mm512_loadu_ps(v + j * stride + c);
      const __m512 v1 = two ? _mm512_loadu_ps(v + j * stride + c + 16) : zero;
      for (int b = 0; b < QB; ++b) {
        const __m512 p = _mm512_set1_ps(rows[b * len16 + j]);
        o[b][0] = _mm512_fmadd_ps(p, v0, o[b][0]);
        o[b][1] = _mm512_fmadd_ps(p, v1, o[b][1]);
      }
    }
    for (int b = 0; b < QB; ++b) {
      _mm512_storeu_ps(out + (i0 + b) * stride + c, o[b][0]);
      if (two) _mm512_storeu_ps(out + (i0 + b) * stride + c + 16, o[b][1]);
    }
  }
}

// Scratch floats AttentionBlocksAvx512 needs.
size_t AttentionBlocksScratch(size_t len, size_t head_dim) {
  const size_t len16 = (len + 15) / 16 * 16;
  return (head_dim + 4) * len16;
}

EML_AVX512_FN void AttentionBlocksAvx512(const float* q, const float* k, const float* v,
                                         size_t len, size_t stride, size_t head_dim, float scale,
                                         float* scratch, float* out) {
  const size_t len16 = (len + 15) / 16 * 16;
  float* kt = scratch;
  float* rows = scratch + head_dim * len16;
  for (size_t d = 0; d < head_dim; ++d) {
    for (size_t j = len; j < len16; ++j) kt[d * len16 + j] = 0;
  }
  for (size_t j = 0; j < len; ++j) {
    for (size_t d = 0; d < head_dim; ++d) kt[d * len16 + j] = k[j * stride + d];
  }
  size_t i = 0;
  for (; i + 4 <= len; i += 4) {
    AttentionQueryBlock<4>(q, v, len, len16, stride, head_dim, scale, kt, rows, i, out);
  }
  for (; i < len; ++i) {
    AttentionQueryBlock<1>(q, v, len, len16, stride, head_dim, scale, kt, rows, i, out);
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif  // EML_HAVE_SMALL_GEMM

// Up to this many rows of a the AVX-512 kernel beats dnnl_sgemm, which packs
// the weights on every call (measured: docs/engine.md, Performance).
constexpr size_t kSmallGemmMaxRows = 32;

}  // namespace

void UseSingleThreadedBlasOnThisThread() {
  // oneDNN from Debian runs on libgomp; the setting is per calling thread.
  // Looked up at run time so the engine links no OpenMP runtime itself.
  using SetThreads = void (*)(int);
  static const SetThreads set_threads =
      reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
  if (set_threads != nullptr) set_threads(1);
}

bool Sgemm(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, float alpha,
           const float* a, size_t lda, const float* b, size_t ldb, float beta, float* c,
           size_t ldc) {
  if (m == 0 || n == 0) return true;
  const dnnl_status_t status = dnnl_sgemm(
      trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', static_cast<dnnl_dim_t>(m),
      static_cast<dnnl_dim_t>(n), static_cast<dnnl_dim_t>(k), alpha, a,
      static_cast<dnnl_dim_t>(lda), b, static_cast<dnnl_dim_t>(ldb), beta, c,
      static_cast<dnnl_dim_t>(ldc));
  return status == dnnl_success;
}

bool HasSmallGemmKernel() {
#if EML_HAVE_SMALL_GEMM
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  return has;
#else
  return false;
#endif
}

bool MatMulWeightT(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* w,
                   size_t ldw, float* c, size_t ldc) {
#if EML_HAVE_SMALL_GEMM
  if (m <= kSmallGemmMaxRows && HasSmallGemmKernel()) {
    SmallGemmAvx512(m, n, k, a, lda, w, ldw, c, ldc);
    return true;
  }
#endif
  return Sgemm(false, true, m, n, k, 1.0f, a, lda, w, ldw, 0.0f, c, ldc);
}

float Exp(float x) { return ExpInline(x); }
float Erf(float x) { return ErfInline(x); }
float Gelu(float x) { return GeluInline(x); }

EML_MULTIVERSION
void AddBias(float* x, size_t rows, size_t stride, size_t col_begin, size_t col_end,
             const float* bias) {
  for (size_t r = 0; r < rows; ++r) {
    float* row = x + r * stride;
    for (size_t c = col_begin; c < col_end; ++c) row[c] += bias[c];
  }
}

EML_MULTIVERSION
void BiasGelu(float* x, size_t rows, size_t stride, size_t col_begin, size_t col_end,
              const float* bias) {
  for (size_t r = 0; r < rows; ++r) {
    float* row = x + r * stride;
    for (size_t c = col_begin; c < col_end; ++c) row[c] = GeluInline(row[c] + bias[c]);
  }
}

EML_MULTIVERSION
void BiasResidualLayerNorm(float* x, const float* y, const float* bias, size_t rows,
                           size_t cols, const float* gamma, const float* beta, float eps) {
  for (size_t r = 0; r < rows; ++r) {
    float* row = x + r * cols;
    if (y != nullptr) {
      const float* yr = y + r * cols;
      for (size_t c = 0; c < cols; ++c) row[c] += yr[c];
    }
    if (bias != nullptr) {
      for (size_t c = 0; c < cols; ++c) row[c] += bias[c];
    }
    const float mean = SumInline(row, cols) / static_cast<float>(cols);
    float acc[kLanes] = {};
    size_t c = 0;
    for (; c + kLanes <= cols; c += kLanes) {
      for (size_t l = 0; l < kLanes; ++l) acc[l] += (row[c + l] - mean) * (row[c + l] - mean);
    }
    float var = 0;
    for (; c < cols; ++c) var += (row[c] - mean) * (row[c] - mean);
    for (size_t l = 0; l < kLanes; ++l) var += acc[l];
    var /= static_cast<float>(cols);
    const float inv_std = 1.0f / std::sqrt(var + eps);
    for (size_t i = 0; i < cols; ++i) row[i] = (row[i] - mean) * inv_std * gamma[i] + beta[i];
  }
}

EML_MULTIVERSION
void Softmax(float* x, size_t n, float scale) {
  // Lane-wise maxima: a single running max is a serial dependency chain.
  float lane_max[kLanes];
  for (size_t l = 0; l < kLanes; ++l) lane_max[l] = -INFINITY;
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (size_t l = 0; l < kLanes; ++l) {
      lane_max[l] = x[i + l] > lane_max[l] ? x[i + l] : lane_max[l];
    }
  }
  float max = -INFINITY;
  for (; i < n; ++i) max = x[i] > max ? x[i] : max;
  for (size_t l = 0; l < kLanes; ++l) max = lane_max[l] > max ? lane_max[l] : max;
  // scale > 0, so max(x * scale) = max(x) * scale.
  max *= scale;
  for (size_t j = 0; j < n; ++j) x[j] = ExpInline(x[j] * scale - max);
  const float inv_sum = 1.0f / SumInline(x, n);
  for (size_t j = 0; j < n; ++j) x[j] *= inv_sum;
}

bool AttentionHead(const float* q, const float* k, const float* v, size_t len, size_t stride,
                   size_t head_dim, float scale, float* scratch, float* out) {
#if EML_HAVE_SMALL_GEMM
  if (len <= kSmallAttentionMaxLen && head_dim % 16 == 0 &&
      head_dim <= kSmallAttentionMaxHeadDim && HasSmallGemmKernel()) {
    SmallAttentionAvx512(q, k, v, len, stride, head_dim, scale, out);
    return true;
  }
  // Up to 128 tokens: the blocked kernel, when its scratch fits in len * len
  // (measured, len 128, head_dim 32: 29 vs 40 us through two sgemm calls; at
  // 256 tokens the sgemm path wins, 97 vs 119 us).
  if (len <= kBlockedAttentionMaxLen && head_dim % 16 == 0 &&
      head_dim <= kSmallAttentionMaxHeadDim &&
      AttentionBlocksScratch(len, head_dim) <= len * len && HasSmallGemmKernel()) {
    AttentionBlocksAvx512(q, k, v, len, stride, head_dim, scale, scratch, out);
    return true;
  }
#endif
  if (len < kAttentionGemmMinLen) {
    AttentionHeadLoops(q, k, v, len, stride, head_dim, scale, scratch, out);
    return true;
  }
  // scores f32 [len, len] = q k^T * scale; softmax rows; out = scores v.
  if (!Sgemm(false, true, len, len, head_dim, scale, q, stride, k, stride, 0.0f, scratch, len)) {
    return false;
  }
  for (size_t i = 0; i < len; ++i) Softmax(scratch + i * len, len, 1.0f);
  return Sgemm(false, false, len, head_dim, len, 1.0f, scratch, len, v, stride, 0.0f, out, stride);
}

}  // namespace eml::engine::fast

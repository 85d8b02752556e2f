// Each fast kernel against its reference twin, with the tolerance stated.
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "engine/kernels_fast.h"
#include "engine/kernels_ref.h"

namespace eml::engine {
namespace {

std::vector<float> RandomVector(size_t n, float lo, float hi, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

TEST(KernelsTest, ExpMatchesLibm) {
  // Relative error <= 4e-7 (a few ulp) over the range softmax uses.
  for (float x = -87.0f; x <= 10.0f; x += 0.0137f) {
    const double expected = std::exp(double{x});
    EXPECT_NEAR(fast::Exp(x) / expected, 1.0, 4e-7) << x;
  }
  EXPECT_EQ(fast::Exp(0.0f), 1.0f);
  EXPECT_LT(fast::Exp(-1000.0f), 1e-37f);  // clamped, no NaN / garbage
}

TEST(KernelsTest, ErfMatchesLibm) {
  // Abramowitz & Stegun 7.1.26 bound is 1.5e-7; evaluating it in float adds a
  // few ulp (measured worst 4.7e-7 near |x| ~ 1).
  double worst = 0;
  for (float x = -6.0f; x <= 6.0f; x += 0.001f) {
    const double err = std::fabs(fast::Erf(x) - std::erf(double{x}));
    worst = std::fmax(worst, err);
  }
  EXPECT_LE(worst, 5e-7);
  EXPECT_GT(worst, 0.0);  // it is an approximation: a zero here means we tested libm
}

TEST(KernelsTest, GeluMatchesErfFormula) {
  // |fast - exact| <= 3e-7 * max(1, |x|): the erf error scaled by 0.5 |x|.
  for (float x = -12.0f; x <= 12.0f; x += 0.00731f) {
    EXPECT_NEAR(fast::Gelu(x), ref::Gelu(x), 3e-7 * std::fmax(1.0f, std::fabs(x))) << x;
  }
  EXPECT_NEAR(ref::Gelu(1.0f), 0.8413447f, 1e-7);  // 0.5 (1 + erf(1/sqrt 2)) = Phi(1)
  EXPECT_NEAR(ref::Gelu(-1.0f), -0.1586553f, 1e-7);
}

TEST(KernelsTest, BiasGeluAndAddBiasTouchOnlyTheirColumns) {
  const size_t rows = 5, stride = 70, begin = 16, end = 48;
  const std::vector<float> x0 = RandomVector(rows * stride, -4, 4, 1);
  const std::vector<float> bias = RandomVector(stride, -1, 1, 2);
  std::vector<float> gelu = x0, add = x0;
  fast::BiasGelu(gelu.data(), rows, stride, begin, end, bias.data());
  fast::AddBias(add.data(), rows, stride, begin, end, bias.data());
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < stride; ++c) {
      const size_t i = r * stride + c;
      if (c < begin || c >= end) {
        EXPECT_EQ(gelu[i], x0[i]);
        EXPECT_EQ(add[i], x0[i]);
      } else {
        EXPECT_NEAR(gelu[i], ref::Gelu(x0[i] + bias[c]), 2e-6);
        EXPECT_EQ(add[i], x0[i] + bias[c]);
      }
    }
  }
}

TEST(KernelsTest, ResidualLayerNormMatchesReference) {
  // Max abs diff <= 2e-5 on unit-scale outputs, incl. rows with a large mean.
  for (size_t cols : {1u, 7u, 32u, 384u, 1000u}) {
    const size_t rows = 6;
    std::vector<float> x = RandomVector(rows * cols, -2, 2, cols);
    for (size_t c = 0; c < cols; ++c) x[c] += 100.0f;  // row 0: mean ~100
    const std::vector<float> y = RandomVector(rows * cols, -1, 1, cols + 1);
    const std::vector<float> bias = RandomVector(cols, -1, 1, cols + 2);
    const std::vector<float> gamma = RandomVector(cols, 0.5, 1.5, cols + 3);
    const std::vector<float> beta = RandomVector(cols, -0.5, 0.5, cols + 4);
    std::vector<float> expected = x;
    for (size_t i = 0; i < expected.size(); ++i) expected[i] += y[i] + bias[i % cols];
    ref::LayerNorm(expected.data(), rows, cols, gamma.data(), beta.data(), 1e-12f);
    std::vector<float> got = x;
    fast::BiasResidualLayerNorm(got.data(), y.data(), bias.data(), rows, cols, gamma.data(),
                                beta.data(), 1e-12f);
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_NEAR(got[i], expected[i], cols == 1 ? 1e-6 : 2e-5) << cols << " " << i;
    }
  }
}

TEST(KernelsTest, SoftmaxMatchesReference) {
  for (size_t n : {1u, 2u, 17u, 128u, 333u}) {
    const std::vector<float> x = RandomVector(n, -30, 30, n);
    for (float scale : {1.0f, 0.125f}) {
      std::vector<float> expected = x, got = x;
      ref::Softmax(expected.data(), n, scale);
      fast::Softmax(got.data(), n, scale);
      float sum = 0;
      for (size_t i = 0; i < n; ++i) {
        EXPECT_NEAR(got[i], expected[i], 1e-6) << n << " " << i;
        sum += got[i];
      }
      EXPECT_NEAR(sum, 1.0f, 1e-5);
    }
  }
}

TEST(KernelsTest, SgemmMatchesReferenceLinear) {
  const size_t m = 37, k = 70, n = 50;
  const std::vector<float> x = RandomVector(m * k, -1, 1, 7);
  const std::vector<float> w = RandomVector(n * k, -1, 1, 8);
  const std::vector<float> zero(n, 0.0f);
  std::vector<float> expected(m * n), got(m * n, 123.0f);
  ref::Linear(x.data(), m, k, w.data(), zero.data(), n, expected.data());
  ASSERT_TRUE(fast::Sgemm(false, true, m, n, k, 1.0f, x.data(), k, w.data(), k, 0.0f,
                          got.data(), n));
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-4) << i;
}

TEST(KernelsTest, MatMulWeightTMatchesReferenceLinear) {
  // Awkward shapes for the AVX-512 small-m kernel (m <= 32: 4x4 blocks plus
  // row / column tails, k not a multiple of 16 or of its k chunk), strided
  // operands as the column split uses them, and m above the kernel's range
  // (the Sgemm path). Same 1e-4 bound as Sgemm (float sums of k products in
  // [-1, 1]).
  const size_t shapes[][3] = {{1, 384, 384}, {3, 70, 50}, {16, 384, 1536}, {17, 1536, 37},
                              {32, 300, 9},  {64, 33, 66}, {5, 1, 3},      {31, 529, 130}};
  for (const auto& [m, k, n] : shapes) {
    const size_t lda = k + 3, ldw = k + 5, ldc = n + 7;
    const std::vector<float> a = RandomVector(m * lda, -1, 1, m * 31 + k);
    const std::vector<float> w = RandomVector(n * ldw, -1, 1, n * 17 + k);
    std::vector<float> a_dense(m * k), w_dense(n * k);
    for (size_t i = 0; i < m; ++i) {
      for (size_t p = 0; p < k; ++p) a_dense[i * k + p] = a[i * lda + p];
    }
    for (size_t j = 0; j < n; ++j) {
      for (size_t p = 0; p < k; ++p) w_dense[j * k + p] = w[j * ldw + p];
    }
    const std::vector<float> zero(n, 0.0f);
    std::vector<float> expected(m * n), got(m * ldc, 123.0f);
    ref::Linear(a_dense.data(), m, k, w_dense.data(), zero.data(), n, expected.data());
    ASSERT_TRUE(fast::MatMulWeightT(m, n, k, a.data(), lda, w.data(), ldw, got.data(), ldc));
    for (size_t i = 0; i < m; ++i) {
      for (size_t j = 0; j < ldc; ++j) {
        if (j >= n) {
          ASSERT_EQ(got[i * ldc + j], 123.0f) << "wrote outside c: " << m << "x" << k << "x" << n;
        } else {
          ASSERT_NEAR(got[i * ldc + j], expected[i * n + j], 1e-4)
              << m << "x" << k << "x" << n << " at " << i << "," << j;
        }
      }
    }
  }
}

TEST(KernelsTest, ShortAttentionHeadMatchesReference) {
  // The AVX-512 paths (<= 16 tokens; blocked, 45-128 tokens) for head_dim
  // 16 / 32 / 64, and the loop / GEMM paths beside them (17 and 129 tokens,
  // head_dim 40). Max abs 2e-5, as below.
  for (size_t head_dim : {16u, 32u, 40u, 64u}) {
    const size_t heads = 2, hidden = heads * head_dim;
    for (size_t len : {1u, 2u, 3u, 4u, 5u, 15u, 16u, 17u, 45u, 64u, 127u, 128u, 129u}) {
      const std::vector<float> q = RandomVector(len * hidden, -2, 2, len + head_dim);
      const std::vector<float> k = RandomVector(len * hidden, -2, 2, len + 100 + head_dim);
      const std::vector<float> v = RandomVector(len * hidden, -2, 2, len + 200 + head_dim);
      std::vector<float> expected(len * hidden), got(len * hidden, -7.0f), scratch(len * len);
      ref::Attention(q.data(), k.data(), v.data(), len, hidden, heads, expected.data());
      const float scale = 1.0f / std::sqrt(float(head_dim));
      for (size_t h = 0; h < heads; ++h) {
        const size_t col = h * head_dim;
        ASSERT_TRUE(fast::AttentionHead(&q[col], &k[col], &v[col], len, hidden, head_dim, scale,
                                        scratch.data(), &got[col]));
      }
      for (size_t i = 0; i < got.size(); ++i) {
        ASSERT_NEAR(got[i], expected[i], 2e-5) << head_dim << " " << len << " " << i;
      }
    }
  }
}

TEST(KernelsTest, AttentionHeadMatchesReference) {
  // Both code paths (loops below 32 tokens, GEMMs from 32). Max abs 2e-5.
  const size_t heads = 3, head_dim = 24, hidden = heads * head_dim;
  for (size_t len : {1u, 2u, 9u, 31u, 32u, 77u, 128u}) {
    const std::vector<float> q = RandomVector(len * hidden, -2, 2, len);
    const std::vector<float> k = RandomVector(len * hidden, -2, 2, len + 100);
    const std::vector<float> v = RandomVector(len * hidden, -2, 2, len + 200);
    std::vector<float> expected(len * hidden), got(len * hidden, -7.0f), scratch(len * len);
    ref::Attention(q.data(), k.data(), v.data(), len, hidden, heads, expected.data());
    const float scale = 1.0f / std::sqrt(float(head_dim));
    for (size_t h = 0; h < heads; ++h) {
      const size_t col = h * head_dim;
      ASSERT_TRUE(fast::AttentionHead(&q[col], &k[col], &v[col], len, hidden, head_dim, scale,
                                      scratch.data(), &got[col]));
    }
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 2e-5) << len << " " << i;
  }
}

}  // namespace
}  // namespace eml::engine

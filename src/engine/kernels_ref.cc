#include "engine/kernels_ref.h"

#include <cmath>
#include <vector>

namespace eml::engine::ref {

void Linear(const float* x, size_t rows, size_t in, const float* w, const float* b,
            size_t out_features, float* out) {
  for (size_t r = 0; r < rows; ++r) {
    for (size_t o = 0; o < out_features; ++o) {
      double sum = b[o];
      for (size_t i = 0; i < in; ++i) sum += double{x[r * in + i]} * w[o * in + i];
      out[r * out_features + o] = static_cast<float>(sum);
    }
  }
}

float Gelu(float x) {
  const double xd = x;
  return static_cast<float>(0.5 * xd * (1.0 + std::erf(xd / std::sqrt(2.0))));
}

void LayerNorm(float* x, size_t rows, size_t cols, const float* gamma, const float* beta,
               float eps) {
  for (size_t r = 0; r < rows; ++r) {
    float* row = x + r * cols;
    double mean = 0;
    for (size_t c = 0; c < cols; ++c) mean += row[c];
    mean /= static_cast<double>(cols);
    double var = 0;
    for (size_t c = 0; c < cols; ++c) var += (row[c] - mean) * (row[c] - mean);
    var /= static_cast<double>(cols);
    const double inv_std = 1.0 / std::sqrt(var + eps);
    for (size_t c = 0; c < cols; ++c) {
      row[c] = static_cast<float>((row[c] - mean) * inv_std * gamma[c] + beta[c]);
    }
  }
}

void Softmax(float* x, size_t n, float scale) {
  double max = -INFINITY;
  for (size_t i = 0; i < n; ++i) max = std::fmax(max, double{x[i]} * scale);
  double sum = 0;
  std::vector<double> e(n);
  for (size_t i = 0; i < n; ++i) {
    e[i] = std::exp(double{x[i]} * scale - max);
    sum += e[i];
  }
  for (size_t i = 0; i < n; ++i) x[i] = static_cast<float>(e[i] / sum);
}

void Attention(const float* q, const float* k, const float* v, size_t len, size_t hidden,
               size_t num_heads, float* out) {
  const size_t head_dim = hidden / num_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  std::vector<float> scores(len);
  for (size_t h = 0; h < num_heads; ++h) {
    const size_t col = h * head_dim;
    for (size_t i = 0; i < len; ++i) {
      for (size_t j = 0; j < len; ++j) {
        double dot = 0;
        for (size_t d = 0; d < head_dim; ++d) {
          dot += double{q[i * hidden + col + d]} * k[j * hidden + col + d];
        }
        scores[j] = static_cast<float>(dot);
      }
      Softmax(scores.data(), len, scale);
      for (size_t d = 0; d < head_dim; ++d) {
        double sum = 0;
        for (size_t j = 0; j < len; ++j) sum += double{scores[j]} * v[j * hidden + col + d];
        out[i * hidden + col + d] = static_cast<float>(sum);
      }
    }
  }
}

}  // namespace eml::engine::ref

// Engine benchmark for bench/engine_compare.sh (not a test).
//
// Times SentenceEmbedder::EmbedTokenIds on the fast path for every
// (batch, seq) of bench/bench_inputs.py with the same token-id formula, then
// reports the peak RSS of the process (model loaded and run) and the
// practical GEMM peak: a square sgemm through the engine's own BLAS call
// (fast::Sgemm), split over the same number of threads the engine uses, each
// with single-threaded BLAS, exactly as the engine's pool workers call it.
//
// Usage: engine_bench --model-dir DIR [--threads 2] [--runs 7] [--warmup 2]
//                     [--peak-n 2048]
// Output: one JSON line per measurement.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "engine/bert.h"
#include "engine/kernels_fast.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string model_dir;
  int threads = 2;
  int runs = 7;
  int warmup = 2;
  size_t peak_n = 2048;
};

bool ParseArgs(int argc, char** argv, Args* args) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const char* value = argv[i + 1];
    if (key == "--model-dir") {
      args->model_dir = value;
    } else if (key == "--threads") {
      args->threads = std::atoi(value);
    } else if (key == "--runs") {
      args->runs = std::atoi(value);
    } else if (key == "--warmup") {
      args->warmup = std::atoi(value);
    } else if (key == "--peak-n") {
      args->peak_n = static_cast<size_t>(std::atol(value));
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && !args->model_dir.empty() && args->threads > 0 && args->runs > 0 &&
         args->warmup >= 0 && args->peak_n >= 64;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

double MsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Same formula as bench_inputs.py token_ids().
std::vector<std::vector<int32_t>> TokenIds(int batch, int seq) {
  std::vector<std::vector<int32_t>> rows(batch);
  for (int i = 0; i < batch; ++i) {
    rows[i].push_back(101);
    for (int j = 1; j < seq - 1; ++j) {
      rows[i].push_back(1000 + static_cast<int32_t>((int64_t{j} * 7919 + int64_t{i} * 104729 +
                                                     int64_t{seq} * 13) % 29000));
    }
    rows[i].push_back(102);
  }
  return rows;
}

bool TimeEngine(const eml::engine::SentenceEmbedder& embedder, const Args& args) {
  const int configs[][2] = {{1, 16}, {8, 16}, {1, 128}, {8, 128}, {1, 256}, {8, 256}};
  for (const auto& [batch, seq] : configs) {
    const auto ids = TokenIds(batch, seq);
    std::vector<double> times;
    double checksum = 0;
    for (int r = 0; r < args.warmup + args.runs; ++r) {
      const auto t0 = Clock::now();
      auto out = embedder.EmbedTokenIds(ids, eml::engine::KernelPath::kFast);
      const double ms = MsSince(t0);
      if (!out.ok()) {
        std::fprintf(stderr, "engine_bench: %s\n", out.status().ToString().c_str());
        return false;
      }
      if (r >= args.warmup) times.push_back(ms);
      checksum = 0;
      for (int k = 0; k < 8; ++k) checksum += (*out)[0][k];
    }
    std::printf("{\"engine\": \"ours\", \"batch\": %d, \"seq\": %d, \"median_ms\": %.4f, "
                "\"threads\": %d, \"runs\": %d, \"checksum\": %.8f}\n",
                batch, seq, Median(times), args.threads, args.runs, checksum);
    std::fflush(stdout);
  }
  return true;
}

// n x n x n sgemm, columns split over `threads` workers.
bool TimePeakGemm(const Args& args) {
  const size_t n = args.peak_n;
  std::vector<float> a(n * n), b(n * n), c(n * n);
  for (size_t i = 0; i < n * n; ++i) {
    a[i] = static_cast<float>(i % 7) * 0.125f;
    b[i] = static_cast<float>(i % 5) * 0.25f;
  }
  const size_t t = static_cast<size_t>(args.threads);
  std::vector<double> times;
  bool ok = true;
  for (int r = 0; r < 1 + 3; ++r) {
    const auto t0 = Clock::now();
    std::vector<std::thread> workers;
    std::vector<char> worker_ok(t, 0);
    for (size_t w = 0; w < t; ++w) {
      workers.emplace_back([&, w] {
        eml::engine::fast::UseSingleThreadedBlasOnThisThread();
        const size_t begin = n * w / t, end = n * (w + 1) / t;
        worker_ok[w] = eml::engine::fast::Sgemm(false, false, n, end - begin, n, 1.0f, a.data(),
                                                n, b.data() + begin, n, 0.0f, c.data() + begin,
                                                n);
      });
    }
    for (auto& worker : workers) worker.join();
    for (char w : worker_ok) ok = ok && w;
    if (r >= 1) times.push_back(MsSince(t0));
  }
  const double ms = Median(times);
  std::printf("{\"kind\": \"peak\", \"n\": %zu, \"threads\": %zu, \"median_ms\": %.3f, "
              "\"gflops\": %.2f}\n",
              n, t, ms, 2.0 * n * n * n / (ms * 1e6));
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, &args)) {
    std::fprintf(stderr,
                 "usage: engine_bench --model-dir DIR [--threads 2] [--runs 7] [--warmup 2] "
                 "[--peak-n 2048]\n");
    return 2;
  }
  eml::engine::EngineOptions options;
  options.num_threads = args.threads;
  options.path = eml::engine::KernelPath::kFast;
  auto embedder = eml::engine::SentenceEmbedder::Load(args.model_dir, options);
  if (!embedder.ok()) {
    std::fprintf(stderr, "engine_bench: %s\n", embedder.status().ToString().c_str());
    return 1;
  }
  if (!TimeEngine(**embedder, args)) return 1;
  // Peak RSS before the GEMM buffers exist: model + activations only.
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::error_code ec;
  const auto weights = std::filesystem::file_size(args.model_dir + "/model.safetensors", ec);
  std::printf("{\"kind\": \"rss\", \"peak_rss_bytes\": %lld, \"weights_bytes\": %lld}\n",
              static_cast<long long>(usage.ru_maxrss) * 1024,
              ec ? -1LL : static_cast<long long>(weights));
  embedder->reset();
  return TimePeakGemm(args) ? 0 : 1;
}

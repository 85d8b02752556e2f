#include "engine/thread_pool.h"

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define EML_CPU_RELAX() _mm_pause()
#else
#define EML_CPU_RELAX() ((void)0)
#endif

namespace eml::engine {
namespace {

// SpinBarrier spins this many rounds before yielding.
constexpr int kSpinRounds = 1 << 12;

}  // namespace

void SpinBarrier::Wait() {
  if (num_threads_ == 1) return;
  const unsigned phase = phase_.load(std::memory_order_acquire);
  if (arrived_.fetch_add(1, std::memory_order_acq_rel) == num_threads_ - 1) {
    arrived_.store(0, std::memory_order_relaxed);
    phase_.fetch_add(1, std::memory_order_acq_rel);
    return;
  }
  for (int i = 0; phase_.load(std::memory_order_acquire) == phase; ++i) {
    if (i < kSpinRounds) {
      EML_CPU_RELAX();
    } else {
      std::this_thread::yield();  // another process may own our core
    }
  }
}

Range SplitRange(size_t count, int ith, int nth, size_t align) {
  const size_t units = (count + align - 1) / align;
  const size_t per = (units + nth - 1) / nth;
  const size_t begin = std::min(count, per * ith * align);
  const size_t end = std::min(count, per * (ith + 1) * align);
  return {begin, end};
}

int ResolveThreadCount(int num_threads) {
  if (num_threads > 0) return num_threads;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

ThreadPool::ThreadPool(int num_threads, std::function<void()> worker_init)
    : num_threads_(ResolveThreadCount(num_threads)), barrier_(num_threads_) {
  workers_.reserve(num_threads_);
  for (int i = 0; i < num_threads_; ++i) {
    workers_.emplace_back([this, i, worker_init] { WorkerLoop(i, worker_init); });
  }
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void ThreadPool::Run(const std::function<void(const WorkerContext&)>& job) {
  std::lock_guard<std::mutex> lock(submit_mutex_);
  job_ = &job;
  remaining_.store(num_threads(), std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  // No spinning here or between jobs: a job is a whole forward pass (a
  // millisecond or more), so a futex wake-up is noise, while a spinning
  // submitter or idle worker would take a core from the workers or from
  // whatever the caller does next (signing, sending).
  for (int left = remaining_.load(std::memory_order_acquire); left != 0;
       left = remaining_.load(std::memory_order_acquire)) {
    remaining_.wait(left, std::memory_order_acquire);
  }
  job_ = nullptr;
}

void ThreadPool::WorkerLoop(int ith, const std::function<void()>& worker_init) {
  if (worker_init) worker_init();
  unsigned seen = 0;
  for (;;) {
    const unsigned now = generation_.load(std::memory_order_acquire);
    if (now == seen) {
      generation_.wait(seen, std::memory_order_acquire);
      continue;
    }
    seen = now;
    if (stop_.load(std::memory_order_acquire)) return;
    const WorkerContext ctx{.ith = ith, .nth = num_threads(), .barrier = &barrier_};
    (*job_)(ctx);
    if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) remaining_.notify_one();
  }
}

}  // namespace eml::engine

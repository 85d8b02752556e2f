// A fixed-size pool of worker threads that run one job at a time, ggml-style:
// every worker runs the same function with its index `ith` of `nth`, splits
// the work by row (or column) ranges itself, and meets the others at
// SpinBarrier::Wait() between dependent steps. Kernels take no locks.
//
// Why one job per whole forward pass instead of one job per operation: a job
// hand-off costs a futex wake-up (several microseconds), a barrier between
// two running workers costs well under one. A BERT forward pass has ~10
// dependent steps per layer.
//
// Thread-safety: Run may be called from any number of threads at once;
// submitters take turns on `submit_mutex_` (one job owns all workers while it
// runs). The submitting thread does not run the job itself: it sleeps until
// the workers are done, so the machine's cores are not oversubscribed; idle
// workers sleep too (only the barrier inside a job spins).
// `worker_init` runs once on each worker thread before any job; the engine
// uses it to make the BLAS single-threaded on that worker (see kernels_fast.h).
// Lifetime: the destructor joins the workers; no job may be running.
#ifndef EML_ENGINE_THREAD_POOL_H_
#define EML_ENGINE_THREAD_POOL_H_

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace eml::engine {

// A reusable barrier for `num_threads` threads that spins (then yields): the
// waits it serves are short and all participants are running.
class SpinBarrier {
 public:
  explicit SpinBarrier(int num_threads) : num_threads_(num_threads) {}
  void Wait();

 private:
  const int num_threads_;
  alignas(64) std::atomic<int> arrived_{0};
  alignas(64) std::atomic<unsigned> phase_{0};
};

// What a job sees: its index, the worker count and the shared barrier.
struct WorkerContext {
  int ith = 0;
  int nth = 1;
  SpinBarrier* barrier = nullptr;
  void Sync() const { barrier->Wait(); }
};

// Half-open range [begin, end) of `count` items owned by worker ith of nth,
// with range starts rounded to multiples of `align` (to keep workers' output
// on separate cache lines). Empty ranges are possible.
struct Range {
  size_t begin = 0;
  size_t end = 0;
};
Range SplitRange(size_t count, int ith, int nth, size_t align = 1);

// num_threads <= 0 means std::thread::hardware_concurrency() (at least 1).
int ResolveThreadCount(int num_threads);

class ThreadPool {
 public:
  // num_threads <= 0 means std::thread::hardware_concurrency().
  explicit ThreadPool(int num_threads, std::function<void()> worker_init = nullptr);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }

  // Runs job(ctx) on every worker and returns when all have finished.
  void Run(const std::function<void(const WorkerContext&)>& job);

 private:
  void WorkerLoop(int ith, const std::function<void()>& worker_init);

  const int num_threads_;
  std::mutex submit_mutex_;  // held for the whole of Run: one job at a time
  std::vector<std::thread> workers_;
  SpinBarrier barrier_;
  // Published before `generation_` is bumped (release) and read after it is
  // observed (acquire).
  const std::function<void(const WorkerContext&)>* job_ = nullptr;
  alignas(64) std::atomic<unsigned> generation_{0};
  alignas(64) std::atomic<int> remaining_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace eml::engine

#endif  // EML_ENGINE_THREAD_POOL_H_

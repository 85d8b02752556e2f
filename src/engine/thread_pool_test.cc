#include "engine/thread_pool.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace eml::engine {
namespace {

TEST(SplitRangeTest, CoversEverythingOnceAligned) {
  for (size_t count : {0u, 1u, 15u, 16u, 17u, 384u, 1536u, 1000u}) {
    for (int nth : {1, 2, 3, 8}) {
      for (size_t align : {1u, 16u}) {
        size_t expected_begin = 0;
        for (int ith = 0; ith < nth; ++ith) {
          Range r = SplitRange(count, ith, nth, align);
          EXPECT_EQ(r.begin, expected_begin);
          EXPECT_LE(r.begin, r.end);
          if (r.begin < count) {
            EXPECT_EQ(r.begin % align, 0u);
          }
          expected_begin = r.end;
        }
        EXPECT_EQ(expected_begin, count) << count << " " << nth << " " << align;
      }
    }
  }
}

TEST(ThreadPoolTest, EveryWorkerRunsOncePerJobWithBarrier) {
  ThreadPool pool(3);
  ASSERT_EQ(pool.num_threads(), 3);
  for (int round = 0; round < 200; ++round) {
    std::vector<int> stage1(3, 0);
    std::vector<int> seen(3, 0);
    pool.Run([&](const WorkerContext& ctx) {
      stage1[ctx.ith] = round + ctx.ith;
      ctx.Sync();
      // After the barrier every worker sees every other's stage-1 write.
      int sum = 0;
      for (int v : stage1) sum += v;
      seen[ctx.ith] = sum;
    });
    for (int v : seen) EXPECT_EQ(v, 3 * round + 3);
  }
}

TEST(ThreadPoolTest, ConcurrentSubmittersTakeTurns) {
  ThreadPool pool(2);
  std::atomic<int> running{0};
  std::atomic<int> max_running{0};
  std::atomic<int> jobs_done{0};
  std::vector<std::thread> submitters;
  for (int t = 0; t < 6; ++t) {
    submitters.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        pool.Run([&](const WorkerContext& ctx) {
          if (ctx.ith == 0) {
            const int now = running.fetch_add(1) + 1;
            int prev = max_running.load();
            while (now > prev && !max_running.compare_exchange_weak(prev, now)) {
            }
          }
          ctx.Sync();
          if (ctx.ith == 0) {
            running.fetch_sub(1);
            jobs_done.fetch_add(1);
          }
        });
      }
    });
  }
  for (std::thread& t : submitters) t.join();
  EXPECT_EQ(jobs_done.load(), 300);
  EXPECT_EQ(max_running.load(), 1);
}

TEST(ThreadPoolTest, DefaultSizeIsHardware) {
  ThreadPool pool(0);
  EXPECT_GE(pool.num_threads(), 1);
}

}  // namespace
}  // namespace eml::engine

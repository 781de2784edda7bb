// Tests of the thread pool: every index covered exactly once for many ranges,
// grains and pool sizes; exceptions reaching the caller; nested calls running
// inline; resizing; concurrent callers; the C entry point; and many small
// back-to-back jobs with pauses in between (both the spinning and the
// sleeping hand-over of work).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "runtime/thread_pool.h"
#include "support/error.h"

namespace wick::rt {
namespace {

struct Chunk {
  int64_t begin, end;
};

// Runs one parallel_for and returns its chunks sorted by start.
std::vector<Chunk> chunks_of(ThreadPool& pool, int64_t begin, int64_t end, int64_t grain) {
  std::mutex m;
  std::vector<Chunk> chunks;
  pool.parallel_for(begin, end, grain, [&](int64_t b, int64_t e) {
    std::lock_guard<std::mutex> lock(m);
    chunks.push_back({b, e});
  });
  std::sort(chunks.begin(), chunks.end(), [](auto& x, auto& y) { return x.begin < y.begin; });
  return chunks;
}

TEST(ThreadPool, CoversEveryIndexExactlyOnce) {
  const std::vector<std::pair<int64_t, int64_t>> ranges = {
      {0, 0}, {5, 4}, {0, 1}, {0, 2}, {0, 7}, {3, 100}, {-50, 50}, {0, 1000}, {7, 4103}};
  for (int threads : {1, 2, 3, 4, 7}) {
    ThreadPool pool(threads);
    for (auto [begin, end] : ranges) {
      for (int64_t grain : {-3, 0, 1, 3, 16, 1000}) {
        SCOPED_TRACE("threads " + std::to_string(threads) + " range [" + std::to_string(begin) +
                     ", " + std::to_string(end) + ") grain " + std::to_string(grain));
        const int64_t n = std::max<int64_t>(end - begin, 0);
        std::vector<std::atomic<int>> hits(n);
        pool.parallel_for(begin, end, grain, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) hits[i - begin].fetch_add(1);
        });
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "index " << begin + i;

        auto chunks = chunks_of(pool, begin, end, grain);
        if (n == 0) {
          EXPECT_TRUE(chunks.empty());
          continue;
        }
        ASSERT_FALSE(chunks.empty());
        EXPECT_LE(chunks.size(), static_cast<size_t>(threads));
        EXPECT_EQ(chunks.front().begin, begin);
        EXPECT_EQ(chunks.back().end, end);
        for (size_t i = 0; i < chunks.size(); ++i) {
          EXPECT_LT(chunks[i].begin, chunks[i].end);
          if (i > 0) {
            EXPECT_EQ(chunks[i - 1].end, chunks[i].begin);
          }
          if (chunks.size() > 1) {
            EXPECT_GE(chunks[i].end - chunks[i].begin, std::max<int64_t>(grain, 1));
          }
        }
      }
    }
  }
}

TEST(ThreadPool, HugeRangeNearInt64Limits) {
  ThreadPool pool(4);
  const int64_t end = std::numeric_limits<int64_t>::max();
  const int64_t begin = end - 1'000'003;
  auto chunks = chunks_of(pool, begin, end, 1);
  ASSERT_EQ(chunks.size(), 4u);
  EXPECT_EQ(chunks.front().begin, begin);
  EXPECT_EQ(chunks.back().end, end);
  for (size_t i = 1; i < chunks.size(); ++i) EXPECT_EQ(chunks[i - 1].end, chunks[i].begin);

  // A grain so large that twice it overflows still runs the range inline.
  auto one = chunks_of(pool, 0, 100, std::numeric_limits<int64_t>::max());
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].end, 100);
}

TEST(ThreadPool, RunsChunksConcurrently) {
  ThreadPool pool(3);
  std::atomic<int> arrived{0};
  std::atomic<bool> all_met{true};
  std::mutex m;
  std::vector<std::thread::id> ids;
  pool.parallel_for(0, 3, 1, [&](int64_t, int64_t) {
    {
      std::lock_guard<std::mutex> lock(m);
      ids.push_back(std::this_thread::get_id());
    }
    arrived.fetch_add(1);
    // Each chunk waits for the other two: only possible if all three run at
    // once. The deadline only keeps a broken pool from hanging the test.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (arrived.load() < 3)
      if (std::chrono::steady_clock::now() > deadline) {
        all_met = false;
        return;
      }
  });
  EXPECT_TRUE(all_met.load());
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::unique(ids.begin(), ids.end()) - ids.begin(), 3);
}

TEST(ThreadPool, ExceptionsReachTheCaller) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    for (int64_t bad : {0, 50, 99}) {  // the caller's chunk, a middle one, the last one
      std::atomic<int> ran{0};
      try {
        pool.parallel_for(0, 100, 1, [&](int64_t b, int64_t e) {
          ran.fetch_add(1);
          if (b <= bad && bad < e)
            throw std::runtime_error("chunk failed at " + std::to_string(bad));
        });
        ADD_FAILURE() << "no exception, threads " << threads;
      } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "chunk failed at " + std::to_string(bad));
      }
      EXPECT_GE(ran.load(), 1);
      // The pool stays usable.
      std::atomic<int64_t> sum{0};
      pool.parallel_for(0, 100, 1, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) sum += i;
      });
      EXPECT_EQ(sum.load(), 4950);
    }
  }
}

TEST(ThreadPool, NestedCallsRunInline) {
  ThreadPool pool(4);
  std::atomic<int64_t> sum{0};
  std::atomic<int> inner_chunks{0}, outer_chunks{0};
  std::atomic<bool> flagged{true};
  EXPECT_FALSE(ThreadPool::in_parallel_region());
  pool.parallel_for(0, 8, 1, [&](int64_t b, int64_t e) {
    outer_chunks.fetch_add(1);
    flagged = flagged && ThreadPool::in_parallel_region();
    for (int64_t i = b; i < e; ++i)
      pool.parallel_for(0, 100, 1, [&](int64_t ib, int64_t ie) {
        inner_chunks.fetch_add(1);
        for (int64_t j = ib; j < ie; ++j) sum += j;
      });
    // Another pool, nested too, also runs inline.
    default_thread_pool().parallel_for(0, 10, 1,
                                       [&](int64_t, int64_t) { inner_chunks.fetch_add(0); });
  });
  EXPECT_FALSE(ThreadPool::in_parallel_region());
  EXPECT_TRUE(flagged.load());
  EXPECT_EQ(sum.load(), 8 * 4950);
  EXPECT_EQ(inner_chunks.load(), 8);  // one inline chunk per inner call
  EXPECT_EQ(outer_chunks.load(), 4);
}

TEST(ThreadPool, Resizing) {
  ThreadPool pool(2);
  EXPECT_EQ(pool.num_threads(), 2);
  for (int threads : {1, 5, 3, 3, 8, 1, 2}) {
    pool.set_num_threads(threads);
    EXPECT_EQ(pool.num_threads(), threads);
    auto chunks = chunks_of(pool, 0, 64, 1);
    EXPECT_EQ(chunks.size(), static_cast<size_t>(threads));
  }
  EXPECT_THROW(pool.set_num_threads(0), Error);
  EXPECT_THROW(ThreadPool(-1), Error);
  EXPECT_EQ(pool.num_threads(), 2);
}

TEST(ThreadPool, ConcurrentCallersShareOnePool) {
  ThreadPool pool(3);
  std::atomic<bool> ok{true};
  auto caller = [&](int64_t scale) {
    for (int rep = 0; rep < 300; ++rep) {
      std::atomic<int64_t> sum{0};
      pool.parallel_for(0, 1000, 10, [&](int64_t b, int64_t e) {
        int64_t local = 0;
        for (int64_t i = b; i < e; ++i) local += i * scale;
        sum += local;
      });
      if (sum.load() != 499500 * scale) ok = false;
    }
  };
  std::thread t1(caller, 1), t2(caller, 3);
  caller(7);
  t1.join();
  t2.join();
  EXPECT_TRUE(ok.load());
}

TEST(ThreadPool, ManySmallJobsWithPauses) {
  ThreadPool pool(4);
  std::vector<int> data(64);
  for (int rep = 0; rep < 20000; ++rep) {
    pool.parallel_for(0, 64, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) data[i] += 1;
    });
    // Now and then let the workers fall asleep so that waking is exercised.
    if (rep % 2000 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (int v : data) ASSERT_EQ(v, 20000);
}

void add_range(void* ctx, int64_t b, int64_t e) {
  auto* sum = static_cast<std::atomic<int64_t>*>(ctx);
  for (int64_t i = b; i < e; ++i) *sum += i;
}

TEST(ThreadPool, CEntryPointUsesTheDefaultPool) {
  EXPECT_GE(default_thread_pool().num_threads(), 1);
  std::atomic<int64_t> sum{0};
  wick_parallel_for(10, 1010, add_range, &sum);
  EXPECT_EQ(sum.load(), (10 + 1009) * 1000 / 2);
  sum = 0;
  wick_parallel_for(5, 5, add_range, &sum);
  EXPECT_EQ(sum.load(), 0);
}

}  // namespace
}  // namespace wick::rt

// The fork-join pool: publication of one job at a time, chunks claimed by an
// atomic counter, spin-then-sleep waiting on both sides (see thread_pool.h).
#include "runtime/thread_pool.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <string>

#include "support/error.h"

namespace wick::rt {
namespace {

// How long an idle worker (or a caller waiting for its workers) spins before
// it blocks. Long enough to bridge the gap between back-to-back kernels, short
// enough that an idle pool quickly stops using CPU.
constexpr auto kSpinTime = std::chrono::microseconds(50);

thread_local bool tls_in_region = false;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// Spins until pred() holds or the spin time is over; returns pred().
template <typename Pred>
bool spin_until(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + kSpinTime;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (pred()) return true;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return pred();
  }
}

void check_thread_count(int threads) {
  if (threads < 1)
    throw Error("thread pool: number of threads must be at least 1, got " +
                std::to_string(threads));
}

}  // namespace

struct ThreadPool::Job {
  void (*fn)(void*, int64_t, int64_t);
  void* ctx;
  int64_t begin;
  int64_t base;  // chunk i covers base elements, plus one when i < rem
  int64_t rem;
  int num_chunks;
  std::atomic<int> next{0};
  std::atomic<int> done{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;  // written once, by whoever sets `failed`

  int64_t chunk_start(int64_t i) const { return begin + i * base + std::min(i, rem); }
};

ThreadPool::ThreadPool(int threads) {
  check_thread_count(threads);
  start_workers(threads - 1);
  num_threads_.store(threads, std::memory_order_relaxed);
}

ThreadPool::~ThreadPool() { stop_workers(); }

void ThreadPool::set_num_threads(int threads) {
  check_thread_count(threads);
  std::lock_guard<std::mutex> lock(submit_mutex_);
  if (threads == num_threads()) return;
  stop_workers();
  start_workers(threads - 1);
  num_threads_.store(threads, std::memory_order_relaxed);
}

bool ThreadPool::in_parallel_region() { return tls_in_region; }

void ThreadPool::start_workers(int count) {
  // Workers start while no job is in flight (under submit_mutex_ or in the
  // constructor), so the current generation is one they need not run.
  const uint64_t seen = generation_.load(std::memory_order_seq_cst);
  workers_.reserve(count);
  for (int i = 0; i < count; ++i) workers_.emplace_back([this, seen] { worker_loop(seen); });
}

void ThreadPool::stop_workers() {
  stop_.store(true, std::memory_order_seq_cst);
  generation_.fetch_add(1, std::memory_order_seq_cst);
  { std::lock_guard<std::mutex> lock(sleep_mutex_); }
  sleep_cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
  stop_.store(false, std::memory_order_seq_cst);
}

void ThreadPool::worker_loop(uint64_t seen) {
  for (;;) {
    auto fresh = [&] {
      return generation_.load(std::memory_order_seq_cst) != seen ||
             stop_.load(std::memory_order_seq_cst);
    };
    if (!spin_until(fresh)) {
      std::unique_lock<std::mutex> lock(sleep_mutex_);
      sleepers_.fetch_add(1, std::memory_order_seq_cst);
      sleep_cv_.wait(lock, fresh);
      sleepers_.fetch_sub(1, std::memory_order_relaxed);
    }
    seen = generation_.load(std::memory_order_seq_cst);
    if (stop_.load(std::memory_order_seq_cst)) return;
    active_.fetch_add(1, std::memory_order_seq_cst);
    if (Job* job = job_.load(std::memory_order_seq_cst)) run_chunks(*job);
    active_.fetch_sub(1, std::memory_order_release);
  }
}

void ThreadPool::run_chunks(Job& job) {
  bool outer = tls_in_region;
  tls_in_region = true;
  for (;;) {
    int i = job.next.fetch_add(1, std::memory_order_relaxed);
    if (i >= job.num_chunks) break;
    if (!job.failed.load(std::memory_order_relaxed)) {
      try {
        job.fn(job.ctx, job.chunk_start(i), job.chunk_start(i + 1));
      } catch (...) {
        if (!job.failed.exchange(true)) job.error = std::current_exception();
      }
    }
    if (job.done.fetch_add(1, std::memory_order_acq_rel) + 1 == job.num_chunks)
      job.done.notify_all();
  }
  tls_in_region = outer;
}

void ThreadPool::run(int64_t begin, int64_t end, int64_t grain, void (*fn)(void*, int64_t, int64_t),
                     void* ctx) {
  if (end <= begin) return;
  const int64_t n = end - begin;
  grain = std::max<int64_t>(grain, 1);
  if (num_threads() == 1 || n / grain < 2 || tls_in_region) {
    fn(ctx, begin, end);
    return;
  }

  std::lock_guard<std::mutex> lock(submit_mutex_);
  const int64_t threads = static_cast<int64_t>(workers_.size()) + 1;
  const int chunks = static_cast<int>(std::min(threads, n / grain));
  if (chunks <= 1) {
    fn(ctx, begin, end);
    return;
  }
  Job job;
  job.fn = fn;
  job.ctx = ctx;
  job.begin = begin;
  job.base = n / chunks;
  job.rem = n % chunks;
  job.num_chunks = chunks;

  job_.store(&job, std::memory_order_seq_cst);
  generation_.fetch_add(1, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) {
    // Taking the mutex orders this notify after any worker that counted
    // itself a sleeper has started waiting.
    { std::lock_guard<std::mutex> sleep_lock(sleep_mutex_); }
    sleep_cv_.notify_all();
  }

  run_chunks(job);

  auto finished = [&] { return job.done.load(std::memory_order_acquire) == chunks; };
  if (!spin_until(finished)) {
    for (int d; (d = job.done.load(std::memory_order_acquire)) != chunks;)
      job.done.wait(d, std::memory_order_acquire);
  }
  // Late workers may still hold a pointer to `job`; retract it and wait
  // until none is inside.
  job_.store(nullptr, std::memory_order_seq_cst);
  while (active_.load(std::memory_order_seq_cst) != 0) cpu_relax();

  if (job.error) std::rethrow_exception(job.error);
}

ThreadPool& default_thread_pool() {
  static ThreadPool pool([] {
    if (const char* env = std::getenv("WICK_NUM_THREADS")) {
      char* tail = nullptr;
      long v = std::strtol(env, &tail, 10);
      if (tail != env && *tail == '\0' && v > 0 && v <= 1024) return static_cast<int>(v);
    }
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }());
  return pool;
}

}  // namespace wick::rt

extern "C" void wick_parallel_for(int64_t begin, int64_t end,
                                  void (*fn)(void* ctx, int64_t b, int64_t e), void* ctx) {
  wick::rt::default_thread_pool().run(begin, end, 1, fn, ctx);
}

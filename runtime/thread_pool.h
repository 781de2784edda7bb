// A small fork-join thread pool that splits a kernel's outer loop into
// contiguous chunks. Compiled kernels call it once per launch, often many
// times in a row on small tensors, so the fast path matters: the calling
// thread takes part, one thread runs inline without any synchronization, and
// idle workers spin for a short while before they sleep, so back-to-back
// launches do not pay an OS wake-up each, while an idle pool costs no CPU.
//
// A parallel_for issued from inside a chunk runs inline on its thread (nested
// parallelism never deadlocks and never oversubscribes). Calls from different
// outside threads onto one pool are serialized. An exception thrown by a chunk
// stops the chunks not yet started and is rethrown in the caller.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace wick::rt {

class ThreadPool {
 public:
  // `threads` counts the calling thread: a pool of 4 owns 3 workers.
  // Throws wick::Error when threads < 1.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Stops the workers and starts `threads - 1` new ones. Waits for a running
  // parallel_for to finish first, so it must not be called from a chunk.
  // Throws wick::Error when threads < 1.
  void set_num_threads(int threads);
  int num_threads() const { return num_threads_.load(std::memory_order_relaxed); }

  // Calls fn(b, e) on disjoint contiguous chunks covering [begin, end), each
  // at least `grain` long (except when the whole range is shorter), using at
  // most num_threads() chunks. Nothing runs when end <= begin.
  template <typename F>
  void parallel_for(int64_t begin, int64_t end, int64_t grain, F&& fn) {
    using Fn = std::remove_reference_t<F>;
    run(
        begin, end, grain, [](void* ctx, int64_t b, int64_t e) { (*static_cast<Fn*>(ctx))(b, e); },
        const_cast<void*>(static_cast<const void*>(&fn)));
  }

  // The same with a plain function pointer and context, the form generated
  // code uses.
  void run(int64_t begin, int64_t end, int64_t grain, void (*fn)(void*, int64_t, int64_t),
           void* ctx);

  // True on a thread that is currently running a chunk of some pool.
  static bool in_parallel_region();

 private:
  struct Job;

  void start_workers(int count);
  void stop_workers();
  void worker_loop(uint64_t seen);
  static void run_chunks(Job& job);

  std::atomic<int> num_threads_{1};
  std::mutex submit_mutex_;  // one parallel_for (or resize) at a time
  std::vector<std::thread> workers_;

  // Publication of a job: job_ is set, then generation_ is bumped. Workers
  // that see a new generation register in active_ before reading job_, and
  // the caller waits for active_ to drain before its job goes out of scope.
  std::atomic<Job*> job_{nullptr};
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> active_{0};
  std::atomic<bool> stop_{false};

  // Sleeping workers wait here; callers only lock it when someone sleeps.
  std::mutex sleep_mutex_;
  std::condition_variable sleep_cv_;
  std::atomic<int> sleepers_{0};
};

// The process-wide pool that kernels use. Its size is the WICK_NUM_THREADS
// environment variable when set to a positive number, else the number of
// hardware threads.
ThreadPool& default_thread_pool();

}  // namespace wick::rt

// For generated code: runs fn over [begin, end) on the default pool, grain 1.
// `fn` must not throw.
extern "C" void wick_parallel_for(int64_t begin, int64_t end,
                                  void (*fn)(void* ctx, int64_t b, int64_t e), void* ctx);

// wait_for_quiet_threads: it returns once the process's other threads stop
// running (a spinning thread that then blocks), gives up at its limit while
// one keeps running, and returns at once when all others sleep.
#include "tools/quiet_threads.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace wick::tools {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A thread that spins until `spin_until`, then blocks until released.
class Spinner {
 public:
  explicit Spinner(Clock::time_point spin_until)
      : thread_([this, spin_until] {
          while (Clock::now() < spin_until && !stop_.load()) {
          }
          std::unique_lock<std::mutex> lock(mutex_);
          cv_.wait(lock, [this] { return released_; });
        }) {}
  ~Spinner() {
    stop_.store(true);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      released_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  bool released_ = false;
  std::thread thread_;
};

TEST(QuietThreads, WaitsForASpinningThreadToBlock) {
  const auto start = Clock::now();
  Spinner spinner(start + milliseconds(40));
  EXPECT_TRUE(wait_for_quiet_threads(milliseconds(5000)));
  EXPECT_GE(Clock::now() - start, milliseconds(40));
}

TEST(QuietThreads, GivesUpAtTheLimit) {
  const auto start = Clock::now();
  Spinner spinner(start + std::chrono::hours(1));
  EXPECT_FALSE(wait_for_quiet_threads(milliseconds(30)));
  EXPECT_GE(Clock::now() - start, milliseconds(30));
}

TEST(QuietThreads, SleepingThreadsAreQuiet) {
  Spinner spinner(Clock::now());
  std::this_thread::sleep_for(milliseconds(20));  // it blocks meanwhile
  const auto start = Clock::now();
  EXPECT_TRUE(wait_for_quiet_threads(milliseconds(5000)));
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
}

}  // namespace
}  // namespace wick::tools

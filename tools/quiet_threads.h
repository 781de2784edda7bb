// Waiting for this process's other threads to stop running. `wick bench`
// runs wick and LibTorch in one process, and LibTorch's OpenMP workers spin
// for milliseconds after each parallel region, on the cores wick's threads
// then need: each timed block of wick's calls starts once they have gone to
// sleep.
#pragma once

#include <chrono>

namespace wick::tools {

// Waits until no thread of this process but the caller is running or ready
// to run (Linux: a task state other than 'R' in /proc/self/task/*/stat), or
// until `limit` has passed; returns whether they went quiet. Returns true at
// once where /proc cannot tell.
bool wait_for_quiet_threads(std::chrono::milliseconds limit);

}  // namespace wick::tools

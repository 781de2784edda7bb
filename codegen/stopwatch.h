// Milliseconds since construction, for the per-stage times in CompileStats.
#pragma once

#include <chrono>

namespace wick::codegen {

class Stopwatch {
 public:
  double elapsed_ms() const {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_)
        .count();
  }
  // Returns the elapsed time and starts counting again.
  double lap_ms() {
    double ms = elapsed_ms();
    start_ = std::chrono::steady_clock::now();
    return ms;
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace wick::codegen

// A float64 matrix product for the CPU, which oneDNN does not compute:
// C = A B or C += A B, each operand read through its own row and column
// strides (transposed and sliced views in place). Blocked as BLIS blocks
// it: panels of B and A packed so that a register-resident micro-tile of C
// accumulates from unit-stride reads; the micro-kernel is compiled for
// AVX-512, AVX2 with FMA, and plain SSE2, and picked from the CPU at run
// time. Large products split across default_thread_pool().
#pragma once

#include <cstdint>

namespace wick::rt {

struct GemmF64 {
  int64_t m = 0, n = 0, k = 0;
  const double* a = nullptr;  // [m, k]
  int64_t a_row = 0, a_col = 0;
  const double* b = nullptr;  // [k, n]
  int64_t b_row = 0, b_col = 0;
  double* c = nullptr;  // [m, n]; must not overlap a or b
  int64_t c_row = 0, c_col = 0;
  bool accumulate = false;  // C += A B instead of C = A B
};

void gemm_f64(const GemmF64& g);

// The micro-kernel's instruction set on this CPU: "avx512f", "avx2" or "sse2".
const char* gemm_f64_isa();

// gemm_f64 on the micro-kernel of a named instruction set (one that
// gemm_f64_isa() gives), which this CPU must have: a wick::Error otherwise.
void gemm_f64(const GemmF64& g, const char* isa);

}  // namespace wick::rt

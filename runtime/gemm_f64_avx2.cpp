// gemm_f64 for CPUs with AVX2 and FMA: micro-tiles of 6 x 8 (two ymm per row).
#include "runtime/gemm_f64_kernel.h"

namespace wick::rt {

void gemm_f64_avx2(const GemmF64& g) { Gemm<4, 6, 2>::run(g); }

}  // namespace wick::rt

// gemm_f64 for CPUs with AVX-512: micro-tiles of 8 x 16 (two zmm per row).
#include "runtime/gemm_f64_kernel.h"

namespace wick::rt {

void gemm_f64_avx512(const GemmF64& g) { Gemm<8, 8, 2>::run(g); }

}  // namespace wick::rt

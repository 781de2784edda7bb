// Sizes OpenBLAS's own thread pool. LibTorch sets OpenMP's and MKL's thread
// counts but not OpenBLAS's, whose pthread build keeps a pool of one thread
// per core for GEMM: without this, LibTorch "on one thread" multiplies on
// every core. Used by every program that times LibTorch beside wick.
#pragma once

namespace wick::torch_side {

// Sets the thread count of the OpenBLAS that LibTorch loaded, if any (it is
// found among the loaded libraries, never loaded here).
void set_blas_threads(int threads);

}  // namespace wick::torch_side

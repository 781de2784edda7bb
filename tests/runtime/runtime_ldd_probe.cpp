// A program that links only wick_runtime and uses its kernels, so that
// test_runtime_deps can check with ldd what a deployed runtime pulls in.
#include <cstdio>

#include "runtime/extern_kernels.h"
#include "runtime/thread_pool.h"

int main() {
  wick::Tensor a = wick::Tensor::zeros(wick::DType::f32, {2, 3});
  wick::Tensor b = wick::Tensor::zeros(wick::DType::f32, {3, 4});
  wick::Tensor c = wick::Tensor::zeros(wick::DType::f32, {2, 4});
  wick::rt::matmul(a, b, c);
  int64_t sum = 0;
  wick::rt::default_thread_pool().parallel_for(0, 4, 1, [&](int64_t, int64_t) { sum += 1; });
  std::printf("ok %g\n", static_cast<double>(c.data_as<float>()[0]));
  return 0;
}

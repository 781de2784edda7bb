// Test helpers for files run through jit_load: the module compiled without
// the on-disk kernel cache, and an output compared with LibTorch's.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "api/jit_module.h"
#include "frontend/loader.h"

namespace wick::test {

inline JitModule load_uncached(const std::string& path) {
  JitOptions o;
  o.cache_dir = "off";
  return JitModule(load_torchscript(path), o, path);
}

// `got` has `want`'s sizes and each f32 element within tol * max(1, max|want|).
inline void expect_close(const Tensor& got, const Tensor& want, double tol, const std::string& what = "output") {
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  double scale = 1;
  for (int64_t i = 0; i < want.numel(); ++i) scale = std::max(scale, std::abs(double(want.data_as<float>()[i])));
  for (int64_t i = 0; i < want.numel(); ++i)
    ASSERT_NEAR(got.data_as<float>()[i], want.data_as<float>()[i], tol * scale) << what << ", element " << i;
}

}  // namespace wick::test

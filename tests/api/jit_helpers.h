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

inline double element_value(const Tensor& t, int64_t i) {
  if (t.dtype() == DType::i64) return static_cast<double>(t.data_as<int64_t>()[i]);
  return t.dtype() == DType::f64 ? t.data_as<double>()[i] : static_cast<double>(t.data_as<float>()[i]);
}

// max|got - want| / max|want| over f32, f64 or i64 tensors of one dtype and
// shape; NaN and infinities must sit where they do in `want`.
inline double relative_error(const Tensor& got, const Tensor& want, const std::string& what) {
  EXPECT_EQ(got.sizes(), want.sizes()) << what;
  EXPECT_EQ(got.dtype(), want.dtype()) << what;
  if (got.sizes() != want.sizes() || got.dtype() != want.dtype()) return INFINITY;
  const Tensor g = got.contiguous();
  double diff = 0, scale = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double x = element_value(g, i), y = element_value(want, i);
    if (!std::isfinite(y)) {
      EXPECT_TRUE(std::isnan(y) ? std::isnan(x) : x == y) << what << ", element " << i << ": " << x << " for " << y;
      continue;
    }
    diff = std::max(diff, std::abs(x - y));
    scale = std::max(scale, std::abs(y));
  }
  return diff / std::max(scale, 1e-30);
}

}  // namespace wick::test

// sin and cos on f32 reduced in f64 (codegen/sin_cos_approximation.cpp),
// against the correctly rounded result (the C library's double sin and cos
// rounded to float): within 2 ulp, or 2 ulp of the float next to zero where
// the result is below it in magnitude, for |x| up to 2^40, in the scalar
// form (loops over elements) and the vector form; NaN for infinities and
// NaN, -0 for sin(-0).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "codegen/jit_engine.h"
#include "kernels.h"

namespace wick::codegen {
namespace {

using test::vector_memref;

const std::string kSinCos = R"mlir(
#id = affine_map<(i) -> (i)>
func.func @scalar(%x: memref<?xf32>, %sin: memref<?xf32>, %cos: memref<?xf32>) {
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<?xf32>) outs(%sin, %cos : memref<?xf32>, memref<?xf32>) {
  ^bb0(%v: f32, %o0: f32, %o1: f32):
    %s = math.sin %v : f32
    %c = math.cos %v : f32
    linalg.yield %s, %c : f32, f32
  }
  return
}
func.func @vector(%x: memref<?xf32>, %sin: memref<?xf32>, %cos: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %n = memref.dim %x, %c0 : memref<?xf32>
  scf.for %i = %c0 to %n step %c8 {
    %v = vector.load %x[%i] : memref<?xf32>, vector<8xf32>
    %s = math.sin %v : vector<8xf32>
    vector.store %s, %sin[%i] : memref<?xf32>, vector<8xf32>
    %c = math.cos %v : vector<8xf32>
    vector.store %c, %cos[%i] : memref<?xf32>, vector<8xf32>
  }
  return
}
)mlir";

// sin and cos of `x` (padded to a multiple of 8) through kernel `name`.
std::vector<std::vector<float>> evaluate(const std::string& name, std::vector<float> x) {
  CompileOptions options;
  options.cache_dir = "off";
  CompiledModule module = JitEngine::global().compile(kSinCos, {}, options);
  while (x.size() % 8) x.push_back(0.0f);
  std::vector<std::vector<float>> y(2, std::vector<float>(x.size()));
  auto xd = vector_memref(x), sd = vector_memref(y[0]), cd = vector_memref(y[1]);
  void* args[] = {xd.data(), sd.data(), cd.data()};
  module.packed(name)(args);
  return y;
}

// |got - want| in ulp of the float nearest `want` (of the smallest normal
// float where that is smaller).
double ulps(float got, double want) {
  const float rounded = std::max(std::abs(static_cast<float>(want)), std::numeric_limits<float>::min());
  const double ulp = std::nextafter(rounded, INFINITY) - rounded;
  return std::abs(static_cast<double>(got) - want) / ulp;
}

std::vector<float> probes() {
  std::vector<float> x;
  for (int i = 0; i <= 200000; ++i) x.push_back(-10.0f + 20.0f * static_cast<float>(i) / 200000);
  for (int i = 0; i <= 200000; ++i) x.push_back(-5000.0f + 10000.0f * static_cast<float>(i) / 200000);
  // Every 997th float from 1 to 2^40, both signs.
  uint32_t lo, hi;
  const float one = 1.0f, top = std::ldexp(1.0f, 40);
  std::memcpy(&lo, &one, 4);
  std::memcpy(&hi, &top, 4);
  for (uint32_t b = lo; b <= hi; b += 997) {
    float f;
    std::memcpy(&f, &b, 4);
    x.push_back(f);
    x.push_back(-f);
  }
  // Next to the multiples of pi / 2, where the reduced argument cancels.
  for (int k = 1; k < 20000; k += 7) {
    const float near = static_cast<float>(k * 1.5707963267948966);
    x.push_back(near);
    x.push_back(std::nextafter(near, 0.0f));
    x.push_back(std::nextafter(near, INFINITY));
  }
  return x;
}

void check_against_libm(const std::string& kernel) {
  const std::vector<float> x = probes();
  const std::vector<std::vector<float>> y = evaluate(kernel, x);
  const char* names[] = {"sin", "cos"};
  for (int fn = 0; fn < 2; ++fn) {
    double worst = 0;
    float worst_x = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double want = fn == 0 ? std::sin(static_cast<double>(x[i])) : std::cos(static_cast<double>(x[i]));
      const double err = ulps(y[fn][i], want);
      if (!(err <= worst)) worst = err, worst_x = x[i];
    }
    EXPECT_LE(worst, 2.0) << names[fn] << " at x = " << worst_x << " (" << kernel << ")";
    std::printf("%s %s: at most %.2f ulp (at x = %.9g) over %zu points\n", kernel.c_str(), names[fn], worst,
                static_cast<double>(worst_x), x.size());
  }
}

TEST(SinCosApproximation, ScalarFormIsWithinTwoUlps) { check_against_libm("scalar"); }

TEST(SinCosApproximation, VectorFormIsWithinTwoUlps) { check_against_libm("vector"); }

TEST(SinCosApproximation, Edges) {
  const float inf = INFINITY;
  std::vector<std::vector<float>> y = evaluate("vector", {0.0f, -0.0f, inf, -inf, NAN, 1e30f, -1e30f, 1.0f});
  uint32_t bits;
  std::memcpy(&bits, &y[0][1], 4);
  EXPECT_EQ(bits, 0x80000000u) << "sin(-0) is -0";
  EXPECT_EQ(y[0][0], 0.0f);
  EXPECT_EQ(y[1][0], 1.0f);
  EXPECT_EQ(y[1][1], 1.0f);
  for (int i = 2; i < 5; ++i) {
    EXPECT_TRUE(std::isnan(y[0][i])) << "sin #" << i;
    EXPECT_TRUE(std::isnan(y[1][i])) << "cos #" << i;
  }
  // Far beyond 2^40 the result is not accurate, but it is a sine.
  for (int i = 5; i < 7; ++i) {
    EXPECT_LE(std::abs(y[0][i]), 1.0f);
    EXPECT_LE(std::abs(y[1][i]), 1.0f);
  }
}

}  // namespace
}  // namespace wick::codegen

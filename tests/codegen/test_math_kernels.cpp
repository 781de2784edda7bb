// Transcendental functions: the polynomial approximations (on by default)
// and the libm calls used when they are off must both match the C library.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "codegen/jit_engine.h"
#include "kernels.h"

namespace wick::codegen {
namespace {

using test::vector_memref;

// The largest relative error of exp(x) over [-20, 20] against std::exp.
double max_exp_error(bool approximate) {
  CompileOptions options;
  options.cache_dir = "off";
  options.approximate_math = approximate;
  CompiledModule module = JitEngine::global().compile(test::kExp, {}, options);
  std::vector<float> x(40001), y(x.size());
  for (size_t i = 0; i < x.size(); ++i) x[i] = -20.f + 40.f * static_cast<float>(i) / (x.size() - 1);
  auto xd = vector_memref(x), yd = vector_memref(y);
  void* args[] = {xd.data(), yd.data()};
  module.packed("exp")(args);
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    double expect = std::exp(static_cast<double>(x[i]));
    worst = std::max(worst, std::abs(y[i] - expect) / expect);
  }
  return worst;
}

TEST(MathKernels, ExpApproximationMatchesStdExp) {
  EXPECT_LT(max_exp_error(true), 1e-6);
}

TEST(MathKernels, ExpThroughLibmMatchesStdExp) {
  EXPECT_LT(max_exp_error(false), 1e-6);
}

// exp(x) for each of `x` through the approximation.
std::vector<float> approximate_exp(std::vector<float> x) {
  CompileOptions options;
  options.cache_dir = "off";
  CompiledModule module = JitEngine::global().compile(test::kExp, {}, options);
  std::vector<float> y(x.size());
  auto xd = vector_memref(x), yd = vector_memref(y);
  void* args[] = {xd.data(), yd.data()};
  module.packed("exp")(args);
  return y;
}

float from_bits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

uint32_t to_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

// In units in the last place of the float result, over every 1009th float
// from -86.9 (below, the result is under 2e-38 and flushed to zero) to the
// overflow at 88.72: two million points.
TEST(MathKernels, ExpApproximationIsWithinTwoUlpsOverTheFloatRange) {
  std::vector<float> x;
  for (uint32_t b = 0; b <= to_bits(88.72f); b += 1009) x.push_back(from_bits(b));
  for (uint32_t b = to_bits(-0.0f) + 1; b <= to_bits(-86.9f); b += 1009) x.push_back(from_bits(b));
  ASSERT_GT(x.size(), 2000000u);
  std::vector<float> y = approximate_exp(x);
  double worst = 0;
  float worst_x = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = std::exp(static_cast<double>(x[i]));
    const float rounded = static_cast<float>(want);
    const double ulp = std::nextafter(rounded, INFINITY) - rounded;
    const double err = std::abs(y[i] - want) / ulp;
    if (err > worst) worst = err, worst_x = x[i];
  }
  EXPECT_LE(worst, 2.0) << "at x = " << worst_x;
  std::printf("exp: at most %.2f ulp (at x = %g)\n", worst, worst_x);
}

TEST(MathKernels, ExpApproximationEdges) {
  const float inf = INFINITY;
  std::vector<float> y = approximate_exp({0.f, inf, -inf, NAN, 88.8f, 1000.f, -104.f, -1000.f, 1.f, -1.f});
  EXPECT_EQ(y[0], 1.f);
  EXPECT_EQ(y[1], inf);
  EXPECT_EQ(y[2], 0.f);
  EXPECT_TRUE(std::isnan(y[3]));
  EXPECT_EQ(y[4], inf);
  EXPECT_EQ(y[5], inf);
  EXPECT_EQ(y[6], 0.f);
  EXPECT_EQ(y[7], 0.f);
  EXPECT_NEAR(y[8], std::exp(1.0), 2e-7);
  EXPECT_NEAR(y[9], std::exp(-1.0), 1e-7);
}

// erf, tanh, pow and fmod, each into its own output.
const std::string kMixedMath = R"mlir(
#id = affine_map<(i) -> (i)>
func.func @mixed(%x: memref<?xf32>, %erf: memref<?xf32>, %tanh: memref<?xf32>,
                 %pow: memref<?xf32>, %fmod: memref<?xf32>) {
  linalg.generic {indexing_maps = [#id, #id, #id, #id, #id],
                  iterator_types = ["parallel"]}
      ins(%x : memref<?xf32>) outs(%erf, %tanh, %pow, %fmod : memref<?xf32>, memref<?xf32>, memref<?xf32>, memref<?xf32>) {
  ^bb0(%v: f32, %o0: f32, %o1: f32, %o2: f32, %o3: f32):
    %e = math.erf %v : f32
    %t = math.tanh %v : f32
    %a = math.absf %v : f32
    %exponent = arith.constant 2.5 : f32
    %p = math.powf %a, %exponent : f32
    %divisor = arith.constant 1.75 : f32
    %m = arith.remf %v, %divisor : f32
    linalg.yield %e, %t, %p, %m : f32, f32, f32, f32
  }
  return
}
)mlir";

void check_mixed_math(bool approximate) {
  CompileOptions options;
  options.cache_dir = "off";
  options.approximate_math = approximate;
  CompiledModule module = JitEngine::global().compile(kMixedMath, {}, options);
  const size_t n = 517;
  std::vector<float> x(n), erf(n), tanh(n), pow(n), fmod(n);
  for (size_t i = 0; i < n; ++i) x[i] = -6.f + 12.f * static_cast<float>(i) / (n - 1);
  auto xd = vector_memref(x), d0 = vector_memref(erf), d1 = vector_memref(tanh),
       d2 = vector_memref(pow), d3 = vector_memref(fmod);
  void* args[] = {xd.data(), d0.data(), d1.data(), d2.data(), d3.data()};
  module.packed("mixed")(args);
  for (size_t i = 0; i < n; ++i) {
    double v = x[i];
    ASSERT_NEAR(erf[i], std::erf(v), 2e-6) << "erf " << v;
    ASSERT_NEAR(tanh[i], std::tanh(v), 2e-6) << "tanh " << v;
    double p = std::pow(std::abs(v), 2.5);
    ASSERT_NEAR(pow[i], p, 1e-6 * p + 1e-7) << "pow " << v;
    ASSERT_EQ(fmod[i], std::fmod(x[i], 1.75f)) << "fmod " << v;
  }
}

TEST(MathKernels, LibmFunctionsResolveWithoutApproximation) { check_mixed_math(false); }

TEST(MathKernels, ApproximationsOfErfAndTanh) { check_mixed_math(true); }

}  // namespace
}  // namespace wick::codegen

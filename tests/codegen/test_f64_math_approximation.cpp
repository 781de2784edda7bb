// exp, expm1, log, log1p and tanh on f64, rewritten into arith ops
// (codegen/f64_math_approximation.cpp), against the C library: within a few
// units in the last place everywhere, and equal at the edges (infinities,
// NaN, signed zeros, overflow, underflow, subnormals). Both the scalar form
// (what loops over elements hold) and the vector form are checked.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "codegen/jit_engine.h"
#include "codegen/mlir_compiler.h"
#include "kernels.h"

namespace wick::codegen {
namespace {

const std::string kScalarF64Math = R"mlir(
#id = affine_map<(i) -> (i)>
func.func @scalar(%x: memref<?xf64>, %exp: memref<?xf64>, %expm1: memref<?xf64>,
                  %log: memref<?xf64>, %log1p: memref<?xf64>, %tanh: memref<?xf64>) {
  linalg.generic {indexing_maps = [#id, #id, #id, #id, #id, #id],
                  iterator_types = ["parallel"]}
      ins(%x : memref<?xf64>)
      outs(%exp, %expm1, %log, %log1p, %tanh : memref<?xf64>, memref<?xf64>, memref<?xf64>, memref<?xf64>, memref<?xf64>) {
  ^bb0(%v: f64, %o0: f64, %o1: f64, %o2: f64, %o3: f64, %o4: f64):
    %e = math.exp %v : f64
    %m = math.expm1 %v : f64
    %l = math.log %v : f64
    %p = math.log1p %v : f64
    %t = math.tanh %v : f64
    linalg.yield %e, %m, %l, %p, %t : f64, f64, f64, f64, f64
  }
  return
}
)mlir";

const std::string kVectorF64Math = R"mlir(
func.func @vector(%x: memref<?xf64>, %exp: memref<?xf64>, %expm1: memref<?xf64>,
                  %log: memref<?xf64>, %log1p: memref<?xf64>, %tanh: memref<?xf64>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %n = memref.dim %x, %c0 : memref<?xf64>
  scf.for %i = %c0 to %n step %c4 {
    %v = vector.load %x[%i] : memref<?xf64>, vector<4xf64>
    %e = math.exp %v : vector<4xf64>
    vector.store %e, %exp[%i] : memref<?xf64>, vector<4xf64>
    %m = math.expm1 %v : vector<4xf64>
    vector.store %m, %expm1[%i] : memref<?xf64>, vector<4xf64>
    %l = math.log %v : vector<4xf64>
    vector.store %l, %log[%i] : memref<?xf64>, vector<4xf64>
    %p = math.log1p %v : vector<4xf64>
    vector.store %p, %log1p[%i] : memref<?xf64>, vector<4xf64>
    %t = math.tanh %v : vector<4xf64>
    vector.store %t, %tanh[%i] : memref<?xf64>, vector<4xf64>
  }
  return
}
)mlir";

const std::string kF64Math = kScalarF64Math + kVectorF64Math;

enum Function { kExpFn, kExpm1Fn, kLogFn, kLog1pFn, kTanhFn, kFunctions };
const char* const kNames[] = {"exp", "expm1", "log", "log1p", "tanh"};

double reference(Function fn, double x) {
  switch (fn) {
    case kExpFn: return std::exp(x);
    case kExpm1Fn: return std::expm1(x);
    case kLogFn: return std::log(x);
    case kLog1pFn: return std::log1p(x);
    case kTanhFn: return std::tanh(x);
    default: return 0;
  }
}

MemRefDescriptorBuffer memref(std::vector<double>& v) {
  int64_t size = static_cast<int64_t>(v.size());
  int64_t stride = 1;
  return MemRefDescriptorBuffer(v.data(), 0, {&size, 1}, {&stride, 1});
}

// Each function of `x` (padded to a multiple of 4) through kernel `name`.
std::vector<std::vector<double>> evaluate(const std::string& name, std::vector<double> x) {
  CompileOptions options;
  options.cache_dir = "off";
  CompiledModule module = JitEngine::global().compile(kF64Math, {}, options);
  while (x.size() % 4) x.push_back(1.0);
  std::vector<std::vector<double>> y(kFunctions, std::vector<double>(x.size()));
  auto xd = memref(x), d0 = memref(y[0]), d1 = memref(y[1]), d2 = memref(y[2]), d3 = memref(y[3]), d4 = memref(y[4]);
  void* args[] = {xd.data(), d0.data(), d1.data(), d2.data(), d3.data(), d4.data()};
  module.packed(name)(args);
  return y;
}

uint64_t bits_of(double d) {
  uint64_t b;
  std::memcpy(&b, &d, sizeof b);
  return b;
}

double from_bits(uint64_t b) {
  double d;
  std::memcpy(&d, &b, sizeof d);
  return d;
}

// |got - want| in units in the last place of `want`; infinity where they
// differ in kind (NaN against a number, an infinity against a finite value,
// zeros of opposite sign).
double ulps(double got, double want) {
  if (std::isnan(want) || std::isnan(got)) return std::isnan(want) && std::isnan(got) ? 0 : INFINITY;
  if (std::isinf(want) || std::isinf(got)) return got == want ? 0 : INFINITY;
  if (got == 0 && want == 0) return std::signbit(got) == std::signbit(want) ? 0 : INFINITY;
  const double a = std::abs(want);
  const double ulp = std::nextafter(a, INFINITY) - a;
  return std::abs(got - want) / ulp;
}

// Probes: a stride through every bit pattern of both signs (subnormals,
// infinities and NaNs among them), dense grids over where each function
// bends, and the edges.
std::vector<double> probes() {
  std::vector<double> x;
  const uint64_t end = bits_of(INFINITY) + 2;  // one NaN past infinity
  for (uint64_t b = 0; b <= end; b += end / 200000) {
    x.push_back(from_bits(b));
    x.push_back(-from_bits(b));
  }
  for (int i = 0; i <= 200000; ++i) x.push_back(-750.0 + 1462.0 * i / 200000);
  for (int i = 0; i <= 100000; ++i) x.push_back(-25.0 + 50.0 * i / 100000);
  for (int i = 0; i <= 100000; ++i) x.push_back(1e-3 * (i - 50000) / 50000.0);
  for (int i = 0; i <= 100000; ++i) x.push_back(4.0 * i / 100000);
  const double edges[] = {0.0, -0.0, 1.0, -1.0, INFINITY, -INFINITY, NAN,
                          std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::min(),
                          std::numeric_limits<double>::max(), 709.782712893384, 709.7827128933841,
                          -708.3964185322641, -745.1332191019411, -745.1332191019412, -746.0,
                          0.34657359027997264, -0.34657359027997264, 1e-300, -1e-300, 22.0, -22.0,
                          std::sqrt(2.0), std::sqrt(0.5), std::nextafter(1.0, 0.0), std::nextafter(1.0, 2.0)};
  x.insert(x.end(), std::begin(edges), std::end(edges));
  return x;
}

void check_against_libm(const std::string& kernel) {
  const std::vector<double> x = probes();
  const std::vector<std::vector<double>> y = evaluate(kernel, x);
  for (int fn = 0; fn < kFunctions; ++fn) {
    double worst = 0, worst_x = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double err = ulps(y[fn][i], reference(static_cast<Function>(fn), x[i]));
      if (!(err <= worst)) worst = err, worst_x = x[i];
    }
    EXPECT_LE(worst, 3.0) << kNames[fn] << " at x = " << worst_x << " (" << kernel << ")";
    std::printf("%s %s: at most %.2f ulp (at x = %.17g) over %zu points\n", kernel.c_str(), kNames[fn], worst,
                worst_x, x.size());
  }
}

// With the approximations on, no libm function is left to call; off, each is
// (in the scalar form: vector math through libm is not lowered).
TEST(F64MathApproximation, NoLibmCallsRemain) {
  for (bool approximate : {true, false}) {
    CompileOptions options;
    options.approximate_math = approximate;
    const std::string ir = compile_to_llvm_ir(kScalarF64Math, options);
    for (const std::string name : kNames) {  // a libm call or LLVM's intrinsic
      const bool called = ir.find("@" + name + "(double") != std::string::npos ||
                          ir.find("@llvm." + name + ".f64(") != std::string::npos;
      // (MLIR lowers expm1 itself as exp(x) - 1, and log1p as log(1 + x),
      // when not approximating.)
      const bool expanded = name == "expm1" || name == "log1p";
      if (approximate || !expanded) EXPECT_EQ(called, !approximate) << name;
    }
  }
}

TEST(F64MathApproximation, ScalarFormMatchesLibm) { check_against_libm("scalar"); }

TEST(F64MathApproximation, VectorFormMatchesLibm) { check_against_libm("vector"); }

// Exact values where the functions have them.
TEST(F64MathApproximation, Edges) {
  const double inf = INFINITY;
  std::vector<std::vector<double>> y = evaluate("vector", {0.0, -0.0, inf, -inf, NAN, 1.0, 710.0, -746.0});
  const double exp_want[] = {1, 1, inf, 0, NAN, M_E, inf, 0};
  for (int i = 0; i < 8; ++i)  // e itself is not exact: within an ulp
    EXPECT_LE(ulps(y[kExpFn][i], exp_want[i]), i == 5 ? 1 : 0) << "exp #" << i << ": " << y[kExpFn][i];
  EXPECT_EQ(bits_of(y[kExpm1Fn][1]), bits_of(-0.0));
  EXPECT_EQ(y[kExpm1Fn][2], inf);
  EXPECT_EQ(y[kExpm1Fn][3], -1.0);
  EXPECT_TRUE(std::isnan(y[kExpm1Fn][4]));
  EXPECT_EQ(y[kLogFn][0], -inf);
  EXPECT_EQ(y[kLogFn][1], -inf);
  EXPECT_EQ(y[kLogFn][2], inf);
  EXPECT_TRUE(std::isnan(y[kLogFn][3]));
  EXPECT_TRUE(std::isnan(y[kLogFn][4]));
  EXPECT_EQ(y[kLogFn][5], 0.0);
  EXPECT_EQ(bits_of(y[kLog1pFn][1]), bits_of(-0.0));
  EXPECT_EQ(y[kLog1pFn][2], inf);
  EXPECT_TRUE(std::isnan(y[kLog1pFn][3]));
  EXPECT_TRUE(std::isnan(y[kLog1pFn][4]));
  EXPECT_EQ(bits_of(y[kTanhFn][1]), bits_of(-0.0));
  EXPECT_EQ(y[kTanhFn][2], 1.0);
  EXPECT_EQ(y[kTanhFn][3], -1.0);
  EXPECT_TRUE(std::isnan(y[kTanhFn][4]));
}

}  // namespace
}  // namespace wick::codegen

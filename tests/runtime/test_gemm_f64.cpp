// runtime/gemm_f64.h against a direct sum in long double, on fresh random
// matrices: sizes that end mid-tile and mid-block on every side, transposed
// and strided operands, accumulation into C, an empty depth, two threads,
// and each micro-kernel this CPU can run.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "runtime/gemm_f64.h"
#include "runtime/thread_pool.h"
#include "support/error.h"

namespace wick::rt {
namespace {

struct Case {
  int64_t m, n, k;
  bool a_transposed = false, b_transposed = false;
  int64_t c_col = 1;  // C's column stride (its row stride is n * c_col)
  bool accumulate = false;
};

// Runs one case on `isa` and returns the largest error relative to the sum
// of the products' magnitudes of its element.
double worst_error(const Case& c, const char* isa, std::mt19937& rng) {
  std::normal_distribution<double> d;
  std::vector<double> a(static_cast<size_t>(c.m * c.k)), b(static_cast<size_t>(c.k * c.n)),
      out(static_cast<size_t>(c.m * c.n * c.c_col));
  for (double& x : a) x = d(rng);
  for (double& x : b) x = d(rng);
  for (double& x : out) x = d(rng);
  const std::vector<double> before = out;
  GemmF64 g;
  g.m = c.m, g.n = c.n, g.k = c.k;
  g.a = a.data();
  g.a_row = c.a_transposed ? 1 : c.k;
  g.a_col = c.a_transposed ? c.m : 1;
  g.b = b.data();
  g.b_row = c.b_transposed ? 1 : c.n;
  g.b_col = c.b_transposed ? c.k : 1;
  g.c = out.data();
  g.c_row = c.n * c.c_col;
  g.c_col = c.c_col;
  g.accumulate = c.accumulate;
  gemm_f64(g, isa);
  double worst = 0;
  for (int64_t i = 0; i < c.m; ++i)
    for (int64_t j = 0; j < c.n; ++j) {
      long double sum = 0, scale = 0;
      for (int64_t p = 0; p < c.k; ++p) {
        const long double x = static_cast<long double>(a[i * g.a_row + p * g.a_col]) * b[p * g.b_row + j * g.b_col];
        sum += x;
        scale += std::fabs(x);
      }
      const size_t at = static_cast<size_t>(i * g.c_row + j * g.c_col);
      if (c.accumulate) {
        sum += before[at];
        scale += std::fabs(before[at]);
      }
      worst = std::max(worst, static_cast<double>(std::fabs(out[at] - sum) / std::max(scale, 1e-300L)));
    }
  // Elements between C's columns are not written.
  for (size_t i = 0; i < out.size(); ++i)
    if (static_cast<int64_t>(i) % c.c_col != 0 && out[i] != before[i]) return INFINITY;
  return worst;
}

std::vector<std::string> isas() {
  const std::string best = gemm_f64_isa();
  if (best == "avx512f") return {"avx512f", "avx2", "sse2"};
  if (best == "avx2") return {"avx2", "sse2"};
  return {"sse2"};
}

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {1, 1, 1},
      {7, 5, 3},
      {8, 16, 256},
      {9, 17, 257},
      {97, 33, 300, false, false},
      {50, 70, 40, true, false},
      {50, 70, 40, false, true},
      {50, 70, 40, true, true},
      {13, 2100, 9, false, false, 2},
      {200, 3, 520, false, true, 1, true},
      {31, 29, 0, false, false, 1, true},
      {31, 29, 0},
  };
  return all;
}

TEST(GemmF64, MatchesDirectSumsOnEveryMicroKernel) {
  std::mt19937 rng(std::random_device{}());
  for (const std::string& isa : isas())
    for (const Case& c : cases()) {
      SCOPED_TRACE(isa + " m=" + std::to_string(c.m) + " n=" + std::to_string(c.n) + " k=" + std::to_string(c.k));
      EXPECT_LT(worst_error(c, isa.c_str(), rng), 1e-14);
    }
}

TEST(GemmF64, EmptyDepthWritesZerosUnlessAccumulating) {
  std::vector<double> c(6, 5.0);
  GemmF64 g;
  g.m = 2, g.n = 3, g.k = 0;
  g.c = c.data(), g.c_row = 3, g.c_col = 1;
  gemm_f64(g);
  for (double x : c) EXPECT_EQ(x, 0.0);
  c.assign(6, 5.0);
  g.accumulate = true;
  gemm_f64(g);
  for (double x : c) EXPECT_EQ(x, 5.0);
}

TEST(GemmF64, TwoThreadsGiveTheSameSums) {
  ThreadPool& pool = default_thread_pool();
  const int saved = pool.num_threads();
  pool.set_num_threads(2);
  std::mt19937 rng(std::random_device{}());
  for (const Case& c : {Case{300, 40, 300}, Case{5, 3000, 200, false, true}, Case{260, 260, 600, true, false}}) {
    SCOPED_TRACE("m=" + std::to_string(c.m) + " n=" + std::to_string(c.n));
    EXPECT_LT(worst_error(c, gemm_f64_isa(), rng), 1e-14);
  }
  pool.set_num_threads(saved);
}

TEST(GemmF64, UnknownInstructionSetIsAnError) {
  GemmF64 g;
  EXPECT_THROW(gemm_f64(g, "neon"), Error);
}

}  // namespace
}  // namespace wick::rt

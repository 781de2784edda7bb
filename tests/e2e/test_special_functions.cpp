// torch.special's Bessel functions, orthogonal polynomials and regularized
// incomplete gamma functions compiled by wick against LibTorch's, on fresh
// random inputs and the values where their branches meet or end (0, +-1,
// the branch points, +-inf, NaN):
// NaN and infinities where LibTorch has them, and elsewhere
//   f64: |wick - torch| <= 1e-12 |torch| + 1e-15 max|torch| per element
//        (both compute the same fits and recurrences in double);
//   f32: max|wick - torch| <= 1e-5 max|torch| (LibTorch computes in float,
//        wick in double rounded to float).
// The polynomials take their degree as a tensor (a loop over the steps
// the largest degree needs), as a constant and with x a number; a degree
// above what wick supports is refused. The incomplete gamma functions run
// over each of ATen's methods (power series, continued fraction, the
// series of Q, Temme's expansion for large a near x).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "support/error.h"
#include "tests/e2e/torch_tensors.h"

namespace wick {
namespace {

using test::wir_type;

// Compiles `body` (which defines %y from %x and, when given, %n) and runs
// it on the inputs.
torch::Tensor run_wick(const std::string& body, const std::vector<torch::Tensor>& inputs) {
  std::string params = "%x : " + wir_type(inputs[0]);
  if (inputs.size() > 1) params += ", %n : " + wir_type(inputs[1]);
  const std::string text = "module @M {\n  graph @forward(" + params + ") -> (Tensor) {\n" + body +
                           "    return(%y)\n  }\n}\n";
  const std::vector<torch::Tensor> out = test::run_module_text(text, "special.wir", inputs);
  EXPECT_EQ(out.size(), 1u);
  return out.at(0);
}

// Checks `got` against `want` as the header says, by dtype.
void expect_close(const torch::Tensor& got, const torch::Tensor& want) {
  ASSERT_EQ(got.sizes(), want.sizes());
  ASSERT_EQ(got.scalar_type(), want.scalar_type());
  const torch::Tensor g = got.to(torch::kDouble), w = want.to(torch::kDouble);
  EXPECT_TRUE(torch::equal(g.isnan(), w.isnan())) << "NaN where LibTorch has none, or none where it has one";
  const torch::Tensor infinite = w.isinf();
  EXPECT_TRUE(torch::equal(g.masked_select(infinite), w.masked_select(infinite))) << "infinities differ";
  const torch::Tensor finite = w.isfinite();
  const torch::Tensor gf = g.masked_select(finite), wf = w.masked_select(finite);
  ASSERT_TRUE(gf.isfinite().all().item<bool>()) << "wick is not finite where LibTorch is";
  if (wf.numel() == 0) return;
  const double largest = wf.abs().max().item<double>();
  const torch::Tensor err = (gf - wf).abs();
  if (want.scalar_type() == torch::kDouble) {
    const torch::Tensor excess = err - (wf.abs() * 1e-12 + largest * 1e-15);
    const int64_t worst = excess.argmax().item<int64_t>();
    EXPECT_LE(excess.max().item<double>(), 0.0)
        << "wick " << gf[worst].item<double>() << " against " << wf[worst].item<double>();
  } else {
    EXPECT_LE(err.max().item<double>(), 1e-5 * largest);
  }
}

// Random values over [lo, hi] and the edges.
torch::Tensor sweep(double lo, double hi, torch::ScalarType dtype) {
  const std::vector<double> edges = {0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1e-6, 2.0, 2.09, -2.09, 5.0, -5.0, 8.0, 8.5,
                                     103.0, 110.0, 700.0, INFINITY, -INFINITY, NAN};
  torch::Tensor r = torch::rand({400}, torch::kDouble) * (hi - lo) + lo;
  return torch::cat({r, torch::tensor(edges, torch::kDouble)}).to(dtype);
}

struct Function {
  const char* name;  // the op after aten::special_
  std::function<torch::Tensor(const torch::Tensor&)> reference;
  double lo, hi;
};

void PrintTo(const Function& f, std::ostream* os) { *os << f.name; }

class BesselFunctions : public ::testing::TestWithParam<Function> {};

TEST_P(BesselFunctions, MatchLibTorchInDoubleAndFloat) {
  const Function& f = GetParam();
  torch::manual_seed(static_cast<uint64_t>(std::hash<std::string>()(f.name)));
  for (torch::ScalarType dtype : {torch::kDouble, torch::kFloat}) {
    SCOPED_TRACE(dtype == torch::kDouble ? "f64" : "f32");
    const torch::Tensor x = sweep(f.lo, f.hi, dtype);
    const torch::Tensor got = run_wick(std::string("    %y : Tensor = aten::special_") + f.name + "(%x)\n", {x});
    expect_close(got, f.reference(x));
  }
}

const Function kBessel[] = {
    {"bessel_j0", [](const torch::Tensor& x) { return at::special_bessel_j0(x); }, -40, 40},
    {"bessel_j1", [](const torch::Tensor& x) { return at::special_bessel_j1(x); }, -40, 40},
    {"bessel_y0", [](const torch::Tensor& x) { return at::special_bessel_y0(x); }, -1, 40},
    {"bessel_y1", [](const torch::Tensor& x) { return at::special_bessel_y1(x); }, -1, 40},
    {"modified_bessel_i0", [](const torch::Tensor& x) { return at::special_modified_bessel_i0(x); }, -30, 30},
    {"modified_bessel_i1", [](const torch::Tensor& x) { return at::special_modified_bessel_i1(x); }, -30, 30},
    {"modified_bessel_k0", [](const torch::Tensor& x) { return at::special_modified_bessel_k0(x); }, -1, 30},
    {"modified_bessel_k1", [](const torch::Tensor& x) { return at::special_modified_bessel_k1(x); }, -1, 30},
    {"scaled_modified_bessel_k0", [](const torch::Tensor& x) { return at::special_scaled_modified_bessel_k0(x); }, -1, 30},
    {"scaled_modified_bessel_k1", [](const torch::Tensor& x) { return at::special_scaled_modified_bessel_k1(x); }, -1, 30},
    {"spherical_bessel_j0", [](const torch::Tensor& x) { return at::special_spherical_bessel_j0(x); }, -30, 30},
    {"airy_ai", [](const torch::Tensor& x) { return at::special_airy_ai(x); }, -30, 12},
};

INSTANTIATE_TEST_SUITE_P(Functions, BesselFunctions, ::testing::ValuesIn(kBessel),
                         [](const ::testing::TestParamInfo<Function>& info) { return std::string(info.param.name); });

struct Polynomial {
  const char* name;
  std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> reference;
  std::function<torch::Tensor(const torch::Tensor&, const at::Scalar&)> with_degree;
  std::function<torch::Tensor(const at::Scalar&, const torch::Tensor&)> at_point;
};

void PrintTo(const Polynomial& p, std::ostream* os) { *os << p.name; }

#define WICK_POLYNOMIAL(name)                                                                         \
  Polynomial {                                                                                        \
    #name, [](const torch::Tensor& x, const torch::Tensor& n) { return at::special_##name(x, n); },   \
        [](const torch::Tensor& x, const at::Scalar& n) { return at::special_##name(x, n); },        \
        [](const at::Scalar& x, const torch::Tensor& n) { return at::special_##name(x, n); }         \
  }

const Polynomial kPolynomials[] = {
    WICK_POLYNOMIAL(chebyshev_polynomial_t),         WICK_POLYNOMIAL(chebyshev_polynomial_u),
    WICK_POLYNOMIAL(chebyshev_polynomial_v),         WICK_POLYNOMIAL(chebyshev_polynomial_w),
    WICK_POLYNOMIAL(shifted_chebyshev_polynomial_t), WICK_POLYNOMIAL(shifted_chebyshev_polynomial_u),
    WICK_POLYNOMIAL(shifted_chebyshev_polynomial_v), WICK_POLYNOMIAL(shifted_chebyshev_polynomial_w),
    WICK_POLYNOMIAL(hermite_polynomial_h),           WICK_POLYNOMIAL(hermite_polynomial_he),
    WICK_POLYNOMIAL(laguerre_polynomial_l),          WICK_POLYNOMIAL(legendre_polynomial_p),
};

class OrthogonalPolynomials : public ::testing::TestWithParam<Polynomial> {};

// x over [-1.5, 1.5] and its ends, degrees -2 to 40 (a fraction truncated,
// as ATen truncates it), element by element.
torch::Tensor points(torch::ScalarType dtype) {
  const std::vector<double> edges = {1.0, -1.0, 0.0, 0.5, -0.5, 2.0, -3.0, NAN};
  return torch::cat({torch::rand({300}, torch::kDouble) * 3.0 - 1.5, torch::tensor(edges, torch::kDouble)}).to(dtype);
}

torch::Tensor degrees(int64_t count, torch::ScalarType dtype) {
  torch::Tensor n = torch::randint(-2, 41, {count}, torch::kDouble);
  n.slice(0, 0, 8).copy_(torch::tensor({0.0, 1.0, 2.0, 7.0, 9.0, 40.0, 3.7, 5.0}, torch::kDouble));
  return n.to(dtype);
}

TEST_P(OrthogonalPolynomials, DegreeTensorMatchesLibTorch) {
  const Polynomial& p = GetParam();
  torch::manual_seed(static_cast<uint64_t>(std::hash<std::string>()(p.name)));
  for (torch::ScalarType dtype : {torch::kDouble, torch::kFloat}) {
    SCOPED_TRACE(dtype == torch::kDouble ? "f64" : "f32");
    const torch::Tensor x = points(dtype), n = degrees(x.size(0), dtype);
    const torch::Tensor got = run_wick(std::string("    %y : Tensor = aten::special_") + p.name + "(%x, %n)\n", {x, n});
    expect_close(got, p.reference(x, n));
  }
}

// The basis of degrees 0 to 15 at each point: x [P, 1] against an int64
// arange [16], broadcast to [P, 16] (result f32, as torch promotes).
TEST_P(OrthogonalPolynomials, BroadcastBasisMatchesLibTorch) {
  const Polynomial& p = GetParam();
  torch::manual_seed(static_cast<uint64_t>(std::hash<std::string>()(p.name)) + 1);
  const torch::Tensor x = (torch::rand({50, 1}) * 2.2 - 1.1);
  const torch::Tensor n = torch::arange(16, torch::kLong);
  const torch::Tensor got = run_wick(std::string("    %y : Tensor = aten::special_") + p.name + "(%x, %n)\n", {x, n});
  expect_close(got, p.reference(x, n));
}

TEST_P(OrthogonalPolynomials, ConstantDegreeAndScalarPointMatchLibTorch) {
  const Polynomial& p = GetParam();
  torch::manual_seed(static_cast<uint64_t>(std::hash<std::string>()(p.name)) + 2);
  const torch::Tensor x = points(torch::kDouble);
  // Unrolled (3, 12) and a loop of constant trips (100).
  for (int64_t degree : {0, 1, 3, 12, 100}) {
    SCOPED_TRACE("degree " + std::to_string(degree));
    const std::string body = "    %k : Int = prim::Constant[value=" + std::to_string(degree) + "]()\n" +
                             "    %y : Tensor = aten::special_" + p.name + ".n_scalar(%x, %k)\n";
    expect_close(run_wick(body, {x}), p.with_degree(x, degree));
  }
  const torch::Tensor n = degrees(60, torch::kDouble);
  const std::string body = "    %c : Float = prim::Constant[value=0.375]()\n"
                           "    %y : Tensor = aten::special_" + std::string(p.name) + ".x_scalar(%c, %x)\n";
  // The point is a number and the degree the graph's input %x.
  expect_close(run_wick(body, {n}), p.at_point(0.375, n));
}

INSTANTIATE_TEST_SUITE_P(Polynomials, OrthogonalPolynomials, ::testing::ValuesIn(kPolynomials),
                         [](const ::testing::TestParamInfo<Polynomial>& info) { return std::string(info.param.name); });

TEST(OrthogonalPolynomialErrors, DegreeAboveTheLimitIsRefused) {
  const torch::Tensor x = torch::tensor({0.5, 0.25}, torch::kDouble);
  try {
    run_wick("    %y : Tensor = aten::special_hermite_polynomial_h(%x, %n)\n",
             {x, torch::tensor({3.0, 4e6}, torch::kDouble)});
    ADD_FAILURE() << "a degree of 4e6 ran";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("a degree is more than supported"), std::string::npos) << e.what();
  }
  // A degree beyond int64 (or infinite) is refused the same way.
  for (double huge : {1e30, static_cast<double>(INFINITY)}) {
    try {
      run_wick("    %y : Tensor = aten::special_legendre_polynomial_p(%x, %n)\n",
               {x, torch::tensor({huge, 2.0}, torch::kDouble)});
      ADD_FAILURE() << "a degree of " << huge << " ran";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("a degree is more than supported"), std::string::npos) << e.what();
    }
  }
  try {
    run_wick("    %k : Int = prim::Constant[value=5000000]()\n"
             "    %y : Tensor = aten::special_legendre_polynomial_p.n_scalar(%x, %k)\n",
             {x});
    ADD_FAILURE() << "a constant degree of 5e6 compiled";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("degree 5000000 is more than supported"), std::string::npos) << e.what();
  }
  // Where a closed form takes every element (|x| < 1), a large degree needs
  // no steps and runs, as in torch.
  const torch::Tensor big = torch::tensor({3e6, 4e6}, torch::kDouble);
  expect_close(run_wick("    %y : Tensor = aten::special_chebyshev_polynomial_t(%x, %n)\n", {x, big}),
               at::special_chebyshev_polynomial_t(x, big));
}

// a over [0, 5], [0, 300] and [0, 2000], x = a times [0, 2) (and some x
// below 3), so that every method serves; then the ends of the domain.
std::pair<torch::Tensor, torch::Tensor> gamma_arguments(torch::ScalarType dtype) {
  const int64_t n = 600;
  torch::Tensor a = torch::cat({torch::rand({n}, torch::kDouble) * 5, torch::rand({n}, torch::kDouble) * 300,
                                torch::rand({n}, torch::kDouble) * 2000});
  torch::Tensor x = a * torch::rand({3 * n}, torch::kDouble) * 2.0;
  x.slice(0, 0, n / 2).copy_(torch::rand({n / 2}, torch::kDouble) * 3);
  const std::vector<double> edge_a = {0, 0, 0, 1, 1, INFINITY, INFINITY, 2, -1, 1, NAN, 3, 25, 250, 1e-3};
  const std::vector<double> edge_x = {0, 1, -1, 0, INFINITY, 1, INFINITY, 2, 1, -1, 1, NAN, 25, 250, 1e-3};
  a = torch::cat({a, torch::tensor(edge_a, torch::kDouble)}).to(dtype);
  x = torch::cat({x, torch::tensor(edge_x, torch::kDouble)}).to(dtype);
  return {a, x};
}

TEST(IncompleteGamma, LowerAndUpperMatchLibTorch) {
  torch::manual_seed(71);
  for (torch::ScalarType dtype : {torch::kDouble, torch::kFloat}) {
    SCOPED_TRACE(dtype == torch::kDouble ? "f64" : "f32");
    auto [a, x] = gamma_arguments(dtype);
    for (const char* op : {"igamma", "special_gammainc"}) {
      SCOPED_TRACE(op);
      expect_close(run_wick(std::string("    %y : Tensor = aten::") + op + "(%x, %n)\n", {a, x}), at::igamma(a, x));
    }
    for (const char* op : {"igammac", "special_gammaincc"}) {
      SCOPED_TRACE(op);
      expect_close(run_wick(std::string("    %y : Tensor = aten::") + op + "(%x, %n)\n", {a, x}), at::igammac(a, x));
    }
  }
}

// a [A, 1] against x [X]: the loops carry the broadcast shape.
TEST(IncompleteGamma, BroadcastMatchesLibTorch) {
  torch::manual_seed(72);
  const torch::Tensor a = torch::rand({12, 1}, torch::kDouble) * 40 + 0.1;
  const torch::Tensor x = torch::rand({30}, torch::kDouble) * 60;
  expect_close(run_wick("    %y : Tensor = aten::igamma(%x, %n)\n", {a, x}), at::igamma(a, x));
  expect_close(run_wick("    %y : Tensor = aten::igammac(%x, %n)\n", {a, x}), at::igammac(a, x));
}

}  // namespace
}  // namespace wick

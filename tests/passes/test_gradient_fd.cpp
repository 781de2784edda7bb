// A sample of gradient rules checked against central finite differences of
// the compiled loss, independently of torch's autograd: loss = sum(y * w) in
// float64, d loss / d x[j] ~ (loss(x + eps e_j) - loss(x - eps e_j)) / 2 eps.
// With eps = 1e-6 the truncation error (~eps^2) and the rounding error
// (~1e-16 / eps) stay far below the 1e-6 relative tolerance.
//
// GEMM and convolution run only in float32 (extern kernels), so those
// entries run in f32 with eps = 1e-2: the loss is linear in each operand, so
// central differences have no truncation error, and the rounding error of an
// f32 loss of magnitude ~10 is ~1e-6 / 2e-2 = 5e-5 absolute on gradients of
// magnitude ~1; hence the 2e-3 relative tolerance there.
#include <gtest/gtest.h>

#include <random>

#include "grad_check.h"
#include "ir/verifier.h"
#include "passes/autodiff.h"

namespace wick {
namespace {

using testing::Draw;
using testing::InputSpec;
using V = std::vector<torch::Tensor>;

struct FdCase {
  std::string name;
  std::vector<InputSpec> inputs;
  std::string body;
  bool f32 = false;  // extern ops: float32 only
};

void PrintTo(const FdCase& c, std::ostream* os) { *os << c.name; }

InputSpec D(std::vector<int64_t> s, Draw d = Draw::normal) { return {std::move(s), d, {}, 0, true, torch::kDouble}; }
InputSpec F32(std::vector<int64_t> s) { return {std::move(s), Draw::normal, {}, 0, true, torch::kFloat}; }
InputSpec Idx(std::vector<int64_t> s, int64_t high) { return {std::move(s), Draw::index, {}, high, false}; }
InputSpec Mask(std::vector<int64_t> s) { return {std::move(s), Draw::mask, {}, 0, false}; }

std::vector<FdCase> cases() {
  return {
      {"tanh", {D({3, 4})}, "  %y : Tensor = aten::tanh(%x0)"},
      {"sigmoid", {D({3, 4})}, "  %y : Tensor = aten::sigmoid(%x0)"},
      {"log", {D({3, 4}, Draw::positive)}, "  %y : Tensor = aten::log(%x0)"},
      {"pow_Tensor_Tensor", {D({3, 4}, Draw::positive), D({3, 4})}, "  %y : Tensor = aten::pow.Tensor_Tensor(%x0, %x1)"},
      {"div_broadcast", {D({3, 4}), D({4}, Draw::away_from_zero)}, "  %y : Tensor = aten::div.Tensor(%x0, %x1)"},
      {"gelu_tanh", {D({3, 4})},
       "  %a : Str = prim::Constant[value=\"tanh\"]()\n  %y : Tensor = aten::gelu(%x0, %a)"},
      {"softplus", {D({3, 4})},
       "  %b : Float = prim::Constant[value=2.0]()\n  %t : Float = prim::Constant[value=1.5]()\n"
       "  %y : Tensor = aten::softplus(%x0, %b, %t)"},
      {"where_self", {Mask({3, 4}), D({3, 4}), D({4})}, "  %y : Tensor = aten::where.self(%x0, %x1, %x2)"},
      {"sum_dim", {D({2, 3, 4})},
       "  %d : List[Int] = prim::Constant[value=[0, 2]]()\n  %k : Bool = prim::Constant[value=false]()\n"
       "  %n : None = prim::Constant[value=none]()\n  %y : Tensor = aten::sum.dim_IntList(%x0, %d, %k, %n)"},
      {"mean_dim", {D({2, 3, 4})},
       "  %d : List[Int] = prim::Constant[value=[1]]()\n  %k : Bool = prim::Constant[value=true]()\n"
       "  %n : None = prim::Constant[value=none]()\n  %y : Tensor = aten::mean.dim(%x0, %d, %k, %n)"},
      {"amax", {D({3, 5})},
       "  %d : List[Int] = prim::Constant[value=[1]]()\n  %k : Bool = prim::Constant[value=false]()\n"
       "  %y : Tensor = aten::amax(%x0, %d, %k)"},
      {"index_select", {D({5, 3}), Idx({7}, 5)},
       "  %d : Int = prim::Constant[value=0]()\n  %y : Tensor = aten::index_select(%x0, %d, %x1)"},
      {"slice", {D({3, 9})},
       "  %d : Int = prim::Constant[value=1]()\n  %a : Int = prim::Constant[value=1]()\n"
       "  %b : Int = prim::Constant[value=-1]()\n  %s : Int = prim::Constant[value=2]()\n"
       "  %y : Tensor = aten::slice.Tensor(%x0, %d, %a, %b, %s)"},
      {"cat", {D({2, 3}), D({2, 2})},
       "  %l : List[Tensor] = prim::ListConstruct(%x0, %x1, %x0)\n  %d : Int = prim::Constant[value=1]()\n"
       "  %y : Tensor = aten::cat(%l, %d)"},
      {"expand", {D({3, 1})},
       "  %s : List[Int] = prim::Constant[value=[2, 3, 4]]()\n  %f : Bool = prim::Constant[value=false]()\n"
       "  %y : Tensor = aten::expand(%x0, %s, %f)"},
      // No padding row: its gradient is zero by definition, not by calculus.
      {"embedding", {D({6, 4}), Idx({3, 5}, 6)},
       "  %p : Int = prim::Constant[value=-1]()\n  %f : Bool = prim::Constant[value=false]()\n"
       "  %y : Tensor = aten::embedding(%x0, %x1, %p, %f, %f)"},
      {"mm", {F32({3, 4}), F32({4, 5})}, "  %y : Tensor = aten::mm(%x0, %x1)", true},
      {"conv2d", {F32({1, 2, 5, 5}), F32({3, 2, 3, 3}), F32({3})},
       "  %s : List[Int] = prim::Constant[value=[2, 2]]()\n  %p : List[Int] = prim::Constant[value=[1, 1]]()\n"
       "  %d : List[Int] = prim::Constant[value=[1, 1]]()\n  %g : Int = prim::Constant[value=1]()\n"
       "  %y : Tensor = aten::conv2d(%x0, %x1, %x2, %s, %p, %d, %g)",
       true},
      // Linear algebra in f64. Cholesky reads one triangle, so it factors
      // x + x^T, whose every element moves the result.
      {"lu_solve", {D({2, 3, 3}, Draw::well_conditioned), D({2, 3, 2})}, "  %y : Tensor = wick::lu_solve(%x0, %x1)"},
      {"slogdet", {D({2, 3, 3}, Draw::well_conditioned)}, "  %y : Tensor = wick::slogdet(%x0)"},
      {"cholesky", {D({2, 3, 3}, Draw::positive_definite)},
       "  %a : Int = prim::Constant[value=-2]()\n  %b : Int = prim::Constant[value=-1]()\n"
       "  %one : Int = prim::Constant[value=1]()\n  %t : Tensor = aten::transpose.int(%x0, %a, %b)\n"
       "  %s : Tensor = aten::add.Tensor(%x0, %t, %one)\n  %y : Tensor = wick::cholesky(%s)"},
      {"eigh", {D({2, 3, 3}, Draw::positive_definite)},
       "  %a : Int = prim::Constant[value=-2]()\n  %b : Int = prim::Constant[value=-1]()\n"
       "  %one : Int = prim::Constant[value=1]()\n  %t : Tensor = aten::transpose.int(%x0, %a, %b)\n"
       "  %s : Tensor = aten::add.Tensor(%x0, %t, %one)\n  %p : Tensor = wick::eigh(%s)\n"
       "  %y : Tensor = aten::mul.Tensor(%p, %p)"},
      {"svdvals", {D({2, 4, 3})}, "  %y : Tensor = wick::svdvals(%x0)"},
      {"svd", {D({2, 3, 4})}, "  %p : Tensor = wick::svd(%x0)\n  %y : Tensor = aten::mul.Tensor(%p, %p)"},
      {"matrix_exp", {D({2, 3, 3})}, "  %y : Tensor = wick::matrix_exp(%x0)"},
      {"lu_factor", {D({2, 3, 4})},
       "  %c : Bool = prim::Constant[value=false]()\n  %y : Tensor = wick::lu_factor(%x0, %c)"},
      {"qr_q", {D({2, 4, 3})},
       "  %f : Bool = prim::Constant[value=false]()\n  %y : Tensor = wick::qr(%x0, %f, %f)"},
      {"qr_r", {D({2, 4, 3})},
       "  %t : Bool = prim::Constant[value=true]()\n  %f : Bool = prim::Constant[value=false]()\n"
       "  %y : Tensor = wick::qr(%x0, %t, %f)"},
      {"triangular_solve", {D({2, 3, 3}, Draw::well_conditioned), D({2, 3, 2})},
       "  %u : Bool = prim::Constant[value=false]()\n  %y : Tensor = wick::triangular_solve(%x0, %x1, %u, %u)"},
  };
}

class FiniteDifferences : public ::testing::TestWithParam<FdCase> {};

TEST_P(FiniteDifferences, MatchAutodiff) {
  const FdCase& c = GetParam();
  const uint64_t seed = std::random_device{}();
  torch::manual_seed(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  V inputs;
  std::vector<bool> differentiate;
  for (const InputSpec& s : c.inputs) {
    inputs.push_back(testing::make_input(s));
    differentiate.push_back(s.grad);
  }
  std::vector<int64_t> w_shape;
  torch::ScalarType w_dtype;
  auto m = testing::loss_graph(c.body, inputs, &w_shape, &w_dtype);
  ASSERT_EQ(w_dtype, c.f32 ? torch::kFloat : torch::kDouble);
  const torch::Tensor w = torch::randn(w_shape, torch::TensorOptions().dtype(w_dtype));
  V all = inputs;
  all.push_back(w);
  auto loss = testing::compile_for(*m->methods().at(0), *m, all);
  const testing::GradRun got = testing::wick_gradients(c.body, inputs, differentiate, w);

  const double eps = c.f32 ? 1e-2 : 1e-6, tolerance = c.f32 ? 2e-3 : 1e-6;
  size_t k = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!differentiate[i]) continue;
    torch::Tensor fd = torch::zeros(inputs[i].sizes(), torch::kDouble);
    for (int64_t j = 0; j < inputs[i].numel(); ++j) {
      double at[2];
      for (int side = 0; side < 2; ++side) {
        V moved = all;
        moved[i] = inputs[i].clone();
        moved[i].view(-1)[j] += side == 0 ? eps : -eps;
        at[side] = testing::run(*loss, moved).at(0).item<double>();
      }
      fd.view(-1)[j] = (at[0] - at[1]) / (2 * eps);
    }
    EXPECT_LE(testing::relative_error(got.grads.at(k), fd), tolerance)
        << "input " << i << "\nautodiff:\n" << got.grads.at(k) << "\nfinite differences:\n" << fd;
    ++k;
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, FiniteDifferences, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<FdCase>& info) { return info.param.name; });

}  // namespace
}  // namespace wick

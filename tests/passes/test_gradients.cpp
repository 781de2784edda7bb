// Every gradient rule checked against LibTorch autograd on fresh random
// inputs: one table entry per op (and variant) gives the IR of a tiny graph
// computing %y from inputs %x0, %x1, ... and the same computation in torch.
// wick differentiates loss = sum(y * w) for random weights w with
// passes::autodiff, compiles the joint graph and runs it; torch computes the
// gradients with torch::autograd::grad. fp32 gradients must agree within a
// relative error (max|wick - torch| / max|torch|) of 1e-4. Inputs of some
// entries are drawn to hit the non-differentiable points (ties, clamp
// bounds, relu at 0), where the rules follow torch's conventions.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>
#include <set>

#include "grad_check.h"
#include "ir/op_table.h"

namespace wick {
namespace {

using testing::Draw;
using testing::InputSpec;
using V = std::vector<torch::Tensor>;

struct GradCase {
  std::string name;
  std::vector<InputSpec> inputs;
  std::string body;  // IR lines defining %y
  std::function<torch::Tensor(const V&)> torch_fn;
};

void PrintTo(const GradCase& c, std::ostream* os) { *os << c.name; }

// Inputs.
InputSpec F(std::vector<int64_t> s, Draw d = Draw::normal) { return {std::move(s), d}; }
InputSpec P(std::vector<int64_t> s) { return F(std::move(s), Draw::positive); }
InputSpec AZ(std::vector<int64_t> s) { return F(std::move(s), Draw::away_from_zero); }
InputSpec T(std::vector<int64_t> s) { return F(std::move(s), Draw::ties); }
InputSpec Bnd(std::vector<int64_t> s, std::vector<double> special) {
  return {std::move(s), Draw::boundary, std::move(special)};
}
InputSpec Choice(std::vector<int64_t> s, std::vector<double> values) {
  return {std::move(s), Draw::choice, std::move(values)};
}
InputSpec Idx(std::vector<int64_t> s, int64_t high) { return {std::move(s), Draw::index, {}, high, false}; }
InputSpec Unique(std::vector<int64_t> s, int64_t high) { return {std::move(s), Draw::unique_index, {}, high, false}; }
InputSpec Mask(std::vector<int64_t> s) { return {std::move(s), Draw::mask, {}, 0, false}; }
InputSpec Const(std::vector<int64_t> s, torch::ScalarType t = torch::kFloat) {
  return {std::move(s), Draw::normal, {}, 0, false, t};
}

// IR constant lines.
std::string I(const char* n, int64_t v) { return "  %" + std::string(n) + " : Int = prim::Constant[value=" + std::to_string(v) + "]()\n"; }
std::string Fl(const char* n, const char* v) { return "  %" + std::string(n) + " : Float = prim::Constant[value=" + v + "]()\n"; }
std::string Bo(const char* n, bool v) { return "  %" + std::string(n) + " : Bool = prim::Constant[value=" + (v ? "true" : "false") + "]()\n"; }
std::string L(const char* n, const char* v) { return "  %" + std::string(n) + " : List[Int] = prim::Constant[value=" + v + "]()\n"; }
std::string None(const char* n = "none") { return "  %" + std::string(n) + " : None = prim::Constant[value=none]()\n"; }
std::string Y(const std::string& call) { return "  %y : Tensor = " + call; }

std::vector<GradCase> pointwise_cases() {
  return {
      {"add_Tensor", {F({3, 4}), F({4})}, Fl("a", "0.5") + Y("aten::add.Tensor(%x0, %x1, %a)"),
       [](const V& x) { return torch::add(x[0], x[1], 0.5); }},
      {"add_Scalar", {F({3, 4})}, Fl("s", "1.5") + I("a", 2) + Y("aten::add.Scalar(%x0, %s, %a)"),
       [](const V& x) { return torch::add(x[0], 1.5, 2); }},
      {"sub_Tensor", {F({2, 3, 4}), F({3, 1})}, Fl("a", "2.0") + Y("aten::sub.Tensor(%x0, %x1, %a)"),
       [](const V& x) { return torch::sub(x[0], x[1], 2.0); }},
      {"sub_Scalar", {F({3, 4})}, Fl("s", "1.5") + I("a", 2) + Y("aten::sub.Scalar(%x0, %s, %a)"),
       [](const V& x) { return torch::sub(x[0], 1.5, 2); }},
      {"rsub_Tensor", {F({3, 4}), F({1, 4})}, I("a", 3) + Y("aten::rsub.Tensor(%x0, %x1, %a)"),
       [](const V& x) { return torch::rsub(x[0], x[1], 3); }},
      {"rsub_Scalar", {F({3, 4})}, Fl("s", "2.5") + Fl("a", "1.5") + Y("aten::rsub.Scalar(%x0, %s, %a)"),
       [](const V& x) { return torch::rsub(x[0], 2.5, 1.5); }},
      {"mul_Tensor", {F({3, 4}), F({})}, Y("aten::mul.Tensor(%x0, %x1)"), [](const V& x) { return x[0] * x[1]; }},
      {"mul_Tensor_broadcast", {F({2, 1, 4}), F({3, 1})}, Y("aten::mul.Tensor(%x0, %x1)"),
       [](const V& x) { return x[0] * x[1]; }},
      {"mul_Scalar", {F({5})}, Fl("s", "-1.5") + Y("aten::mul.Scalar(%x0, %s)"), [](const V& x) { return x[0] * -1.5; }},
      {"wick_fma", {F({3, 5})}, Fl("f", "-1.5") + Fl("c", "0.25") + Y("wick::fma(%x0, %f, %c)"),
       [](const V& x) { return x[0] * -1.5 + 0.25; }},
      {"div_Tensor", {F({3, 4}), AZ({4})}, Y("aten::div.Tensor(%x0, %x1)"), [](const V& x) { return x[0] / x[1]; }},
      {"div_Scalar", {F({3, 4})}, Fl("s", "0.7") + Y("aten::div.Scalar(%x0, %s)"), [](const V& x) { return x[0] / 0.7; }},
      {"div_Tensor_mode_none", {F({3, 4}), AZ({4})},
       "  %m : None = prim::Constant[value=none]()\n" + Y("aten::div.Tensor_mode(%x0, %x1, %m)"),
       [](const V& x) { return x[0] / x[1]; }},
      {"div_Tensor_mode_trunc", {F({3, 4}), AZ({4})},
       "  %m : Str = prim::Constant[value=\"trunc\"]()\n" + Y("aten::div.Tensor_mode(%x0, %x1, %m)"),
       [](const V& x) { return torch::div(x[0], x[1], "trunc"); }},
      {"div_Scalar_mode_floor", {F({3, 4})},
       Fl("s", "0.7") + "  %m : Str = prim::Constant[value=\"floor\"]()\n" + Y("aten::div.Scalar_mode(%x0, %s, %m)"),
       [](const V& x) { return torch::div(x[0], 0.7, "floor"); }},
      {"remainder_Tensor", {F({3, 4}), P({3, 4})}, Y("aten::remainder.Tensor(%x0, %x1)"),
       [](const V& x) { return torch::remainder(x[0], x[1]); }},
      {"remainder_Scalar", {F({3, 4})}, Fl("s", "0.7") + Y("aten::remainder.Scalar(%x0, %s)"),
       [](const V& x) { return torch::remainder(x[0], 0.7); }},
      {"pow_Tensor_Tensor", {P({3, 4}), F({3, 4})}, Y("aten::pow.Tensor_Tensor(%x0, %x1)"),
       [](const V& x) { return torch::pow(x[0], x[1]); }},
      // Zero bases and zero exponents: torch's special cases.
      {"pow_Tensor_Tensor_zeros", {Choice({3, 4}, {0, 0.5, 1.5}), Choice({3, 4}, {0, 2, 3})},
       Y("aten::pow.Tensor_Tensor(%x0, %x1)"), [](const V& x) { return torch::pow(x[0], x[1]); }},
      {"pow_Tensor_Scalar", {F({3, 4})}, I("e", 3) + Y("aten::pow.Tensor_Scalar(%x0, %e)"),
       [](const V& x) { return torch::pow(x[0], 3); }},
      {"pow_Tensor_Scalar_float", {P({3, 4})}, Fl("e", "2.5") + Y("aten::pow.Tensor_Scalar(%x0, %e)"),
       [](const V& x) { return torch::pow(x[0], 2.5); }},
      {"pow_Tensor_Scalar_zero", {Bnd({3, 4}, {0})}, Fl("e", "0.0") + Y("aten::pow.Tensor_Scalar(%x0, %e)"),
       [](const V& x) { return torch::pow(x[0], 0.0); }},
      {"pow_Scalar", {F({3, 4})}, Fl("b", "2.0") + Y("aten::pow.Scalar(%b, %x0)"),
       [](const V& x) { return torch::pow(2.0, x[0]); }},
      {"maximum", {T({3, 4}), T({3, 4})}, Y("aten::maximum(%x0, %x1)"),
       [](const V& x) { return torch::maximum(x[0], x[1]); }},
      {"minimum", {T({3, 4}), T({3, 4})}, Y("aten::minimum(%x0, %x1)"),
       [](const V& x) { return torch::minimum(x[0], x[1]); }},
      {"max_other", {T({3, 4}), T({4})}, Y("aten::max.other(%x0, %x1)"), [](const V& x) { return torch::max(x[0], x[1]); }},
      {"min_other", {T({3, 4}), T({4})}, Y("aten::min.other(%x0, %x1)"), [](const V& x) { return torch::min(x[0], x[1]); }},
      {"where_self", {Mask({3, 4}), F({3, 4}), F({4})}, Y("aten::where.self(%x0, %x1, %x2)"),
       [](const V& x) { return torch::where(x[0], x[1], x[2]); }},
      {"where_ScalarSelf", {Mask({3, 4}), F({3, 4})}, Fl("s", "1.5") + Y("aten::where.ScalarSelf(%x0, %s, %x1)"),
       [](const V& x) { return torch::where(x[0], torch::scalar_tensor(1.5), x[1]); }},
      {"where_ScalarOther", {Mask({3, 4}), F({1, 4})}, Fl("s", "1.5") + Y("aten::where.ScalarOther(%x0, %x1, %s)"),
       [](const V& x) { return torch::where(x[0], x[1], torch::scalar_tensor(1.5)); }},
      // The mask broadcasts over self's rows.
      {"triu", {F({2, 3, 4})}, I("d", 1) + Y("aten::triu(%x0, %d)"),
       [](const V& x) { return torch::triu(x[0], 1); }},
      {"tril", {F({4, 3})}, I("d", -1) + Y("aten::tril(%x0, %d)"),
       [](const V& x) { return torch::tril(x[0], -1); }},
      {"masked_fill_Scalar", {F({3, 4}), Mask({4})}, Fl("s", "-2.5") + Y("aten::masked_fill.Scalar(%x0, %x1, %s)"),
       [](const V& x) { return x[0].masked_fill(x[1], -2.5); }},
      {"masked_fill_Tensor", {F({3, 4}), Mask({3, 4}), F({})}, Y("aten::masked_fill.Tensor(%x0, %x1, %x2)"),
       [](const V& x) { return x[0].masked_fill(x[1], x[2]); }},
      {"neg", {F({3, 4})}, Y("aten::neg(%x0)"), [](const V& x) { return -x[0]; }},
      {"abs", {Bnd({3, 4}, {0})}, Y("aten::abs(%x0)"), [](const V& x) { return torch::abs(x[0]); }},
      {"exp", {F({3, 4})}, Y("aten::exp(%x0)"), [](const V& x) { return torch::exp(x[0]); }},
      {"log", {P({3, 4})}, Y("aten::log(%x0)"), [](const V& x) { return torch::log(x[0]); }},
      {"sqrt", {P({3, 4})}, Y("aten::sqrt(%x0)"), [](const V& x) { return torch::sqrt(x[0]); }},
      {"rsqrt", {P({3, 4})}, Y("aten::rsqrt(%x0)"), [](const V& x) { return torch::rsqrt(x[0]); }},
      {"reciprocal", {AZ({3, 4})}, Y("aten::reciprocal(%x0)"), [](const V& x) { return torch::reciprocal(x[0]); }},
      {"floor", {F({3, 4})}, Y("aten::floor(%x0)"), [](const V& x) { return torch::floor(x[0]); }},
      {"ceil", {F({3, 4})}, Y("aten::ceil(%x0)"), [](const V& x) { return torch::ceil(x[0]); }},
      {"erf", {F({3, 4})}, Y("aten::erf(%x0)"), [](const V& x) { return torch::erf(x[0]); }},
      {"sin", {F({3, 4})}, Y("aten::sin(%x0)"), [](const V& x) { return torch::sin(x[0]); }},
      {"cos", {F({3, 4})}, Y("aten::cos(%x0)"), [](const V& x) { return torch::cos(x[0]); }},
      {"clamp", {Bnd({4, 5}, {-0.5, 0.5})}, Fl("lo", "-0.5") + Fl("hi", "0.5") + Y("aten::clamp(%x0, %lo, %hi)"),
       [](const V& x) { return torch::clamp(x[0], -0.5, 0.5); }},
      {"clamp_min_only", {Bnd({4, 5}, {-0.5})}, Fl("lo", "-0.5") + None() + Y("aten::clamp(%x0, %lo, %none)"),
       [](const V& x) { return torch::clamp(x[0], -0.5); }},
      {"clamp_max_only", {Bnd({4, 5}, {0.5})}, Fl("hi", "0.5") + None() + Y("aten::clamp(%x0, %none, %hi)"),
       [](const V& x) { return torch::clamp(x[0], c10::nullopt, 0.5); }},
      {"clamp_min", {Bnd({4, 5}, {-0.5})}, Fl("lo", "-0.5") + Y("aten::clamp_min(%x0, %lo)"),
       [](const V& x) { return torch::clamp_min(x[0], -0.5); }},
      {"clamp_max", {Bnd({4, 5}, {0.5})}, Fl("hi", "0.5") + Y("aten::clamp_max(%x0, %hi)"),
       [](const V& x) { return torch::clamp_max(x[0], 0.5); }},
      // Activations.
      {"sigmoid", {F({3, 4})}, Y("aten::sigmoid(%x0)"), [](const V& x) { return torch::sigmoid(x[0]); }},
      {"tanh", {F({3, 4})}, Y("aten::tanh(%x0)"), [](const V& x) { return torch::tanh(x[0]); }},
      {"relu", {Bnd({4, 5}, {0})}, Y("aten::relu(%x0)"), [](const V& x) { return torch::relu(x[0]); }},
      {"relu6", {Bnd({4, 5}, {0, 6})}, Y("aten::relu6(%x0)"),
       [](const V& x) { return torch::nn::functional::relu6(x[0]); }},
      {"leaky_relu", {Bnd({4, 5}, {0})}, Fl("s", "0.2") + Y("aten::leaky_relu(%x0, %s)"),
       [](const V& x) { return torch::leaky_relu(x[0], 0.2); }},
      {"hardtanh", {Bnd({4, 5}, {-0.5, 1.5})}, Fl("lo", "-0.5") + Fl("hi", "1.5") + Y("aten::hardtanh(%x0, %lo, %hi)"),
       [](const V& x) { return torch::hardtanh(x[0], -0.5, 1.5); }},
      // 64 elements: torch's vectorized kernel sees every one (its scalar tail
      // treats x == 3 differently).
      {"hardswish", {Bnd({4, 16}, {-3, 3})}, Y("aten::hardswish(%x0)"), [](const V& x) { return torch::hardswish(x[0]); }},
      {"hardsigmoid", {Bnd({4, 5}, {-3, 3})}, Y("aten::hardsigmoid(%x0)"),
       [](const V& x) { return torch::hardsigmoid(x[0]); }},
      {"elu", {Bnd({4, 5}, {0})}, Fl("a", "1.3") + Fl("s", "1.1") + Fl("i", "0.9") + Y("aten::elu(%x0, %a, %s, %i)"),
       [](const V& x) { return torch::elu(x[0], 1.3, 1.1, 0.9); }},
      {"softplus", {F({4, 5})}, Fl("b", "2.0") + Fl("t", "1.5") + Y("aten::softplus(%x0, %b, %t)"),
       [](const V& x) { return torch::softplus(x[0], 2.0, 1.5); }},
      {"gelu", {F({4, 5})}, "  %a : Str = prim::Constant[value=\"none\"]()\n" + Y("aten::gelu(%x0, %a)"),
       [](const V& x) { return torch::gelu(x[0], "none"); }},
      {"gelu_tanh", {F({4, 5})}, "  %a : Str = prim::Constant[value=\"tanh\"]()\n" + Y("aten::gelu(%x0, %a)"),
       [](const V& x) { return torch::gelu(x[0], "tanh"); }},
      {"silu", {F({4, 5})}, Y("aten::silu(%x0)"), [](const V& x) { return torch::silu(x[0]); }},
      // Conversions: the gradient comes back in the input's dtype.
      {"to_dtype", {F({3, 4})}, I("d", 7) + Bo("f", false) + None() + Y("aten::to.dtype(%x0, %d, %f, %f, %none)"),
       [](const V& x) { return x[0].to(torch::kDouble); }},
      {"to_prim_dtype", {F({3, 4})}, I("d", 7) + Bo("f", false) + Y("aten::to.prim_dtype(%x0, %d, %f, %f)"),
       [](const V& x) { return x[0].to(torch::kDouble); }},
      {"to_device", {F({3, 4})},
       "  %dev : Device = prim::Constant[value=\"cpu\"]()\n" + I("d", 7) + Bo("f", false) + None() +
           Y("aten::to.device(%x0, %dev, %d, %f, %f, %none)"),
       [](const V& x) { return x[0].to(torch::kDouble); }},
      {"to_prim_Device", {F({3, 4})},
       "  %dev : Device = prim::Constant[value=\"cpu\"]()\n" + I("d", 7) + Bo("f", false) +
           Y("aten::to.prim_Device(%x0, %dev, %d, %f, %f)"),
       [](const V& x) { return x[0].to(torch::kDouble); }},
      {"to_dtype_layout", {F({3, 4})},
       I("d", 7) + Bo("f", false) + None() + Y("aten::to.dtype_layout(%x0, %d, %none, %none, %none, %f, %f, %none)"),
       [](const V& x) { return x[0].to(torch::kDouble); }},
      {"to_other", {F({3, 4}), Const({2}, torch::kDouble)}, Bo("f", false) + None() +
                                                                  Y("aten::to.other(%x0, %x1, %f, %f, %none)"),
       [](const V& x) { return x[0].to(torch::kDouble); }},
      {"type_as", {F({3, 4}), Const({2}, torch::kDouble)}, Y("aten::type_as(%x0, %x1)"),
       [](const V& x) { return x[0].type_as(x[1]); }},
      {"clone", {F({3, 4})}, None() + Y("aten::clone(%x0, %none)"), [](const V& x) { return x[0].clone(); }},
      {"as_tensor", {F({3, 4})}, I("d", 7) + None() + Y("aten::as_tensor(%x0, %d, %none)"),
       [](const V& x) { return x[0].to(torch::kDouble); }},
      {"cpu", {F({3, 4})}, Y("aten::cpu(%x0)"), [](const V& x) { return x[0].cpu(); }},
      // The detached factor passes no gradient: d(x.detach() * x)/dx = x.
      {"detach", {F({3, 4})}, "  %d : Tensor = aten::detach(%x0)\n" + Y("aten::mul.Tensor(%d, %x0)"),
       [](const V& x) { return x[0].detach() * x[0]; }},
      {"zeros_like", {F({3, 4}), F({3, 4})},
       None() + I("one", 1) + "  %z : Tensor = aten::zeros_like(%x0, %none, %none, %none, %none, %none)\n" +
           Y("aten::add.Tensor(%z, %x1, %one)"),
       [](const V& x) { return torch::zeros_like(x[0]) + x[1]; }},
      {"empty_like", {F({3, 4}), F({3, 4})},
       None() + I("one", 1) + "  %z : Tensor = aten::empty_like(%x0, %none, %none, %none, %none, %none)\n" +
           Y("aten::add.Tensor(%z, %x1, %one)"),
       [](const V& x) { return torch::zeros_like(x[0]) + x[1]; }},
      {"ones_like", {F({3, 4}), F({3, 4})},
       None() + "  %o : Tensor = aten::ones_like(%x0, %none, %none, %none, %none, %none)\n" +
           Y("aten::mul.Tensor(%o, %x1)"),
       [](const V& x) { return torch::ones_like(x[0]) * x[1]; }},
  };
}

std::vector<GradCase> reduction_cases() {
  return {
      {"sum", {F({3, 4})}, None() + Y("aten::sum(%x0, %none)"), [](const V& x) { return torch::sum(x[0]); }},
      {"sum_dim", {F({2, 3, 4})}, L("d", "[0, 2]") + Bo("k", false) + None() + Y("aten::sum.dim_IntList(%x0, %d, %k, %none)"),
       [](const V& x) { return torch::sum(x[0], std::vector<int64_t>{0, 2}); }},
      {"wick_sum_in_order", {F({2, 3, 4})}, L("d", "[-1]") + Bo("k", true) + Y("wick::sum_in_order(%x0, %d, %k)"),
       [](const V& x) { return torch::sum(x[0], std::vector<int64_t>{-1}, true); }},
      {"sum_dim_keepdim", {F({2, 3, 4})}, L("d", "[-1]") + Bo("k", true) + None() + Y("aten::sum.dim_IntList(%x0, %d, %k, %none)"),
       [](const V& x) { return torch::sum(x[0], std::vector<int64_t>{-1}, true); }},
      {"mean", {F({3, 4})}, None() + Y("aten::mean(%x0, %none)"), [](const V& x) { return torch::mean(x[0]); }},
      {"mean_dim", {F({2, 3, 4})}, L("d", "[1]") + Bo("k", false) + None() + Y("aten::mean.dim(%x0, %d, %k, %none)"),
       [](const V& x) { return torch::mean(x[0], std::vector<int64_t>{1}); }},
      {"amax", {T({3, 4, 5})}, L("d", "[1]") + Bo("k", false) + Y("aten::amax(%x0, %d, %k)"),
       [](const V& x) { return torch::amax(x[0], {1}); }},
      {"amin", {T({3, 4, 5})}, L("d", "[0, 2]") + Bo("k", true) + Y("aten::amin(%x0, %d, %k)"),
       [](const V& x) { return torch::amin(x[0], {0, 2}, true); }},
      {"amax_all", {T({3, 4})}, L("d", "[]") + Bo("k", false) + Y("aten::amax(%x0, %d, %k)"),
       [](const V& x) { return torch::amax(x[0], c10::IntArrayRef{}); }},
      {"max", {T({3, 4})}, Y("aten::max(%x0)"), [](const V& x) { return torch::max(x[0]); }},
      {"min", {T({3, 4})}, Y("aten::min(%x0)"), [](const V& x) { return torch::min(x[0]); }},
      {"max_dim", {T({3, 5})}, I("d", 1) + Bo("k", false) + "  %y : Tensor, %i : Tensor = aten::max.dim(%x0, %d, %k)",
       [](const V& x) { return std::get<0>(torch::max(x[0], 1)); }},
      {"min_dim", {T({3, 5, 2})}, I("d", 0) + Bo("k", true) + "  %y : Tensor, %i : Tensor = aten::min.dim(%x0, %d, %k)",
       [](const V& x) { return std::get<0>(torch::min(x[0], 0, true)); }},
      {"prod", {F({3, 4})}, None() + Y("aten::prod(%x0, %none)"), [](const V& x) { return torch::prod(x[0]); }},
      {"prod_dim", {F({3, 4, 2})}, I("d", 1) + Bo("k", false) + None() + Y("aten::prod.dim_int(%x0, %d, %k, %none)"),
       [](const V& x) { return torch::prod(x[0], 1); }},
      // Rows with no zero, one zero and several: each case of the rule.
      {"prod_dim_zeros", {Choice({6, 3}, {0.0, 0.5, -1.5, 2.0})}, I("d", -1) + Bo("k", true) + None() +
                                                                       Y("aten::prod.dim_int(%x0, %d, %k, %none)"),
       [](const V& x) { return torch::prod(x[0], -1, true); }},
      {"prod_zeros", {Choice({2, 3}, {0.0, 0.5, -1.5, 2.0})}, None() + Y("aten::prod(%x0, %none)"),
       [](const V& x) { return torch::prod(x[0]); }},
  };
}

std::vector<GradCase> linalg_cases() {
  // The triangle of a well-conditioned A that the solve reads; torch reads the same one.
  auto triangular = [](bool upper, bool unit, const std::string& name) {
    return GradCase{"triangular_solve_" + name, {F({2, 4, 4}, Draw::well_conditioned), F({2, 4, 3})},
                    Bo("upper", upper) + Bo("unit", unit) + Y("wick::triangular_solve(%x0, %x1, %upper, %unit)"),
                    [upper, unit](const V& x) { return torch::linalg_solve_triangular(x[0], x[1], upper, true, unit); }};
  };
  auto qr = [](std::vector<int64_t> shape, bool r_part, bool complete, const std::string& name) {
    return GradCase{"qr_" + name, {F(std::move(shape))},
                    Bo("r", r_part) + Bo("c", complete) + Y("wick::qr(%x0, %r, %c)"),
                    [r_part, complete](const V& x) {
                      auto [q, r] = torch::linalg_qr(x[0], complete ? "complete" : "reduced");
                      return r_part ? r : q;
                    }};
  };
  auto svd = [](std::vector<int64_t> shape, const std::string& name) {
    return GradCase{"svd_" + name, {F(std::move(shape))}, "  %p : Tensor = wick::svd(%x0)\n" + Y("aten::mul.Tensor(%p, %p)"),
                    [](const V& x) {
                      auto [u, s, vh] = torch::linalg_svd(x[0], false);
                      torch::Tensor p = torch::cat({u, s.unsqueeze(-2), vh.transpose(-2, -1)}, -2);
                      return p * p;
                    }};
  };
  // The packed LU factorization: LU's rows carry the gradient; the pivots'
  // and info's rows, detached on torch's side, carry none.
  auto lu_factor = [](std::vector<int64_t> shape, const std::string& name) {
    return GradCase{"lu_factor_" + name, {F(std::move(shape))}, Bo("c", false) + Y("wick::lu_factor(%x0, %c)"),
                    [](const V& x) {
                      auto [lu, pivots] = torch::linalg_lu_factor(x[0]);
                      const int64_t n = lu.size(-1), k = pivots.size(-1);
                      torch::Tensor rows = torch::zeros({lu.size(0), 2, n});
                      rows.select(1, 0).narrow(-1, 0, k).copy_(pivots.to(torch::kFloat));
                      return torch::cat({lu, rows}, -2);
                    }};
  };
  auto matmul = [](std::vector<int64_t> a, std::vector<int64_t> b, const std::string& name) {
    return GradCase{"matmul_" + name, {F(std::move(a)), F(std::move(b))}, Y("aten::matmul(%x0, %x1)"),
                    [](const V& x) { return torch::matmul(x[0], x[1]); }};
  };
  return {
      {"mm", {F({3, 4}), F({4, 5})}, Y("aten::mm(%x0, %x1)"), [](const V& x) { return torch::mm(x[0], x[1]); }},
      {"bmm", {F({2, 3, 4}), F({2, 4, 5})}, Y("aten::bmm(%x0, %x1)"), [](const V& x) { return torch::bmm(x[0], x[1]); }},
      {"addmm", {F({5}), F({3, 4}), F({4, 5})}, Fl("b", "0.5") + Fl("a", "2.0") + Y("aten::addmm(%x0, %x1, %x2, %b, %a)"),
       [](const V& x) { return torch::addmm(x[0], x[1], x[2], 0.5, 2.0); }},
      {"linear", {F({2, 3, 4}), F({5, 4}), F({5})}, Y("aten::linear(%x0, %x1, %x2)"),
       [](const V& x) { return torch::linear(x[0], x[1], x[2]); }},
      {"linear_no_bias", {F({6, 4}), F({5, 4})}, None() + Y("aten::linear(%x0, %x1, %none)"),
       [](const V& x) { return torch::linear(x[0], x[1]); }},
      {"linear_1d", {F({4}), F({5, 4}), F({5})}, Y("aten::linear(%x0, %x1, %x2)"),
       [](const V& x) { return torch::linear(x[0], x[1], x[2]); }},
      matmul({4}, {4}, "1d_1d"),
      matmul({4}, {4, 5}, "1d_2d"),
      matmul({3, 4}, {4}, "2d_1d"),
      matmul({3, 4}, {4, 5}, "2d_2d"),
      matmul({2, 3, 4}, {4, 5}, "3d_2d"),
      matmul({3, 4}, {2, 4, 5}, "2d_3d"),
      matmul({4}, {2, 4, 5}, "1d_3d"),
      matmul({2, 3, 4}, {4}, "3d_1d"),
      matmul({2, 1, 3, 4}, {1, 3, 4, 5}, "broadcast_batch"),
      matmul({2, 3, 4}, {2, 4, 5}, "3d_3d"),
      // The linear-algebra kernels, on matrices far from singular.
      {"lu_solve", {F({2, 4, 4}, Draw::well_conditioned), F({2, 4, 3})}, Y("wick::lu_solve(%x0, %x1)"),
       [](const V& x) { return torch::linalg_solve(x[0], x[1]); }},
      {"slogdet", {F({3, 4, 4}, Draw::well_conditioned)}, Y("wick::slogdet(%x0)"),
       [](const V& x) {
         auto [sign, log_abs] = torch::linalg_slogdet(x[0]);
         return torch::stack({sign, log_abs}, -1);
       }},
      {"cholesky", {F({2, 5, 5}, Draw::positive_definite)}, Y("wick::cholesky(%x0)"),
       [](const V& x) { return torch::linalg_cholesky(x[0]); }},
      // The *_ex kernels: the result, then a row whose element 0 is info (0 here).
      {"lu_solve_ex", {F({2, 4, 4}, Draw::well_conditioned), F({2, 4, 3})}, Y("wick::lu_solve_ex(%x0, %x1)"),
       [](const V& x) { return torch::cat({torch::linalg_solve(x[0], x[1]), torch::zeros({2, 1, 3})}, -2); }},
      {"cholesky_ex", {F({2, 5, 5}, Draw::positive_definite)}, Y("wick::cholesky_ex(%x0)"),
       [](const V& x) { return torch::cat({torch::linalg_cholesky(x[0]), torch::zeros({2, 1, 5})}, -2); }},
      triangular(true, false, "upper"),
      triangular(false, false, "lower"),
      triangular(true, true, "upper_unit"),
      triangular(false, true, "lower_unit"),
      // Decompositions: squares of the packed results, which an eigen- or
      // singular vector's sign (free to differ from LAPACK's) cannot change.
      {"eigh", {F({2, 4, 4}, Draw::positive_definite)},
       "  %p : Tensor = wick::eigh(%x0)\n" + Y("aten::mul.Tensor(%p, %p)"),
       [](const V& x) {
         auto [w, v] = torch::linalg_eigh(x[0], "L");
         torch::Tensor p = torch::cat({w.unsqueeze(-2), v}, -2);
         return p * p;
       }},
      {"svdvals", {F({2, 5, 3})}, Y("wick::svdvals(%x0)"), [](const V& x) { return torch::linalg_svdvals(x[0]); }},
      svd({2, 5, 3}, "tall"),
      svd({2, 3, 5}, "wide"),
      lu_factor({2, 4, 4}, "square"),
      lu_factor({2, 3, 5}, "wide"),
      lu_factor({2, 5, 3}, "tall"),
      svd({4, 4}, "square"),
      // Householder QR as LAPACK's: the same signs, so Q and R compare directly.
      qr({2, 5, 3}, false, false, "q"),
      qr({2, 5, 3}, true, false, "r"),
      qr({4, 4}, false, true, "q_complete_square"),
      qr({4, 4}, true, true, "r_complete_square"),
      {"matrix_exp", {F({2, 4, 4})}, Y("wick::matrix_exp(%x0)"), [](const V& x) { return torch::linalg_matrix_exp(x[0]); }},
      // The runtime's FFT kernels, on complex values as real pairs, along
      // dim 1; torch's unnormalized transforms of the same values ("forward"
      // leaves an inverse unscaled).
      {"fft_c2c", {F({3, 8, 4, 2})}, I("d", 1) + Bo("inv", false) + Y("wick::fft_c2c(%x0, %d, %inv)"),
       [](const V& x) { return torch::view_as_real(torch::fft::fft(torch::view_as_complex(x[0]), c10::nullopt, 1)); }},
      {"fft_c2c_inverse", {F({3, 6, 2})}, I("d", 1) + Bo("inv", true) + Y("wick::fft_c2c(%x0, %d, %inv)"),
       [](const V& x) {
         return torch::view_as_real(torch::fft::ifft(torch::view_as_complex(x[0]), c10::nullopt, 1, "forward"));
       }},
      {"fft_r2c_even", {F({3, 8, 4})}, I("d", 1) + Y("wick::fft_r2c(%x0, %d)"),
       [](const V& x) { return torch::view_as_real(torch::fft::rfft(x[0], c10::nullopt, 1)); }},
      {"fft_r2c_odd", {F({2, 7})}, I("d", 1) + Y("wick::fft_r2c(%x0, %d)"),
       [](const V& x) { return torch::view_as_real(torch::fft::rfft(x[0], c10::nullopt, 1)); }},
      {"fft_c2r_even", {F({3, 5, 4, 2})}, I("d", 1) + I("n", 8) + Y("wick::fft_c2r(%x0, %d, %n)"),
       [](const V& x) { return torch::fft::irfft(torch::view_as_complex(x[0]), 8, 1, "forward"); }},
      {"fft_c2r_odd", {F({2, 4, 2})}, I("d", 1) + I("n", 7) + Y("wick::fft_c2r(%x0, %d, %n)"),
       [](const V& x) { return torch::fft::irfft(torch::view_as_complex(x[0]), 7, 1, "forward"); }},
      // Frames of 16 every 5 samples of 42 (7 frames, 2 samples left over).
      {"stft_r2c", {F({2, 42}), F({16})}, I("n", 16) + I("h", 5) + Y("wick::stft_r2c(%x0, %x1, %n, %h)"),
       [](const V& x) { return torch::view_as_real(torch::stft(x[0], 16, 5, 16, x[1], false, true, true)); }},
  };
}

// Lengths [lo, lo + 1] as an i64 tensor: the IR lines defining %name.
std::string lengths(const char* name, int lo) {
  const std::string n(name);
  return I((n + "_lo").c_str(), lo) + I((n + "_hi").c_str(), lo + 2) + I((n + "_dt").c_str(), 4) +
         None((n + "_no").c_str()) + "  %" + n + " : Tensor = aten::arange.start(%" + n + "_lo, %" + n + "_hi, %" +
         n + "_dt, %" + n + "_no, %" + n + "_no, %" + n + "_no)\n";
}

std::vector<GradCase> nn_cases() {
  return {
      // Raw normal log_probs: ATen's gradient, exp(log_probs) minus the
      // posteriors, whatever normalizes them. Targets 1..4, blank 0.
      {"ctc_loss", {F({6, 2, 5}), Idx({2, 3}, 4)},
       lengths("il", 5) + lengths("tl", 2) + I("b", 0) + Bo("z", false) + I("one", 1) +
           "  %t : Tensor = aten::add.Scalar(%x1, %one, %one)\n" + Y("wick::ctc_loss(%x0, %t, %il, %tl, %b, %z)"),
       [](const V& x) {
         return torch::ctc_loss(x[0], x[1] + 1, torch::arange(5, 7), torch::arange(2, 4), 0, at::Reduction::None,
                                false);
       }},
      // No gradient reaches the input, as in LibTorch, whose forward is the
      // detached input quantized with the parameters it chooses, then the
      // product of the floats. Weight integers in [-128, 128), per-row scales
      // and zero points, a bias.
      {"quantized_linear_dynamic",
       {F({5, 4}), Idx({6, 4}, 256), InputSpec{{6, 1}, Draw::positive, {}, 0, false},
        InputSpec{{6, 1}, Draw::choice, {0, 1, -2}, 0, false}, Const({6})},
       I("shift", 128) + I("one", 1) + I("int8", 1) + Bo("f", false) + None() + I("levels", 255) +
           "  %shifted : Tensor = aten::sub.Scalar(%x1, %shift, %one)\n"
           "  %wq : Tensor = aten::to.dtype(%shifted, %int8, %f, %f, %none)\n" +
           Y("wick::quantized_linear_dynamic(%x0, %wq, %x2, %x3, %x4, %levels)"),
       [](const V& x) {
         const auto [scale, zero] = at::_choose_qparams_per_tensor(x[0].detach(), false);
         const torch::Tensor levels = torch::quantize_per_tensor(x[0].detach(), scale, zero, torch::kQUInt8);
         // (plus 0 * x, for torch's loss to have a graph to differentiate)
         return torch::linear(levels.dequantize(), (x[1] - 128 - x[3]) * x[2], x[4]) + 0 * x[0].sum();
       }},
      // The int8 convolution's sums pass no gradient either: only the float
      // added after them receives one. Levels [0, 256) less the zero point 7,
      // weights [-128, 128), channels-last both ways.
      {"conv2d_int8", {Idx({2, 5, 5, 3}, 256), Idx({4, 3, 3, 3}, 256), F({2, 5, 5, 4})},
       I("z", 7) + I("u8", 0) + I("int8", 1) + I("shift", 128) + I("one", 1) + Bo("f", false) + None() +
           L("s", "[1, 1]") + L("p", "[1, 1]") +
           "  %q : Tensor = aten::to.dtype(%x0, %u8, %f, %f, %none)\n"
           "  %shifted : Tensor = aten::sub.Scalar(%x1, %shift, %one)\n"
           "  %wq : Tensor = aten::to.dtype(%shifted, %int8, %f, %f, %none)\n"
           "  %c : Tensor = wick::conv2d_int8(%q, %z, %wq, %s, %p, %s, %one)\n" +
           Y("aten::add.Tensor(%c, %x2, %one)"),
       [](const V& x) {
         const torch::Tensor levels = (x[0].to(torch::kFloat) - 7).permute({0, 3, 1, 2});
         return torch::conv2d(levels, (x[1] - 128).to(torch::kFloat), {}, 1, 1).permute({0, 2, 3, 1}) + x[2];
       }},
      {"ctc_loss_blank_last_zero_infinity", {F({4, 2, 5}), Idx({2, 3}, 4)},
       lengths("il", 3) + lengths("tl", 2) + I("b", 4) + Bo("z", true) +
           Y("wick::ctc_loss(%x0, %x1, %il, %tl, %b, %z)"),
       [](const V& x) {
         return torch::ctc_loss(x[0], x[1], torch::arange(3, 5), torch::arange(2, 4), 4, at::Reduction::None, true);
       }},
      {"conv2d", {F({2, 3, 7, 6}), F({4, 3, 3, 3}), F({4})},
       L("s", "[2, 1]") + L("p", "[1, 1]") + L("d", "[1, 1]") + I("g", 1) + Y("aten::conv2d(%x0, %x1, %x2, %s, %p, %d, %g)"),
       [](const V& x) { return torch::conv2d(x[0], x[1], x[2], {2, 1}, {1, 1}); }},
      {"conv2d_groups_dilation", {F({1, 4, 8, 8}), F({6, 2, 3, 3})},
       None() + L("s", "[1, 1]") + L("p", "[2, 2]") + L("d", "[2, 2]") + I("g", 2) +
           Y("aten::conv2d(%x0, %x1, %none, %s, %p, %d, %g)"),
       [](const V& x) { return torch::conv2d(x[0], x[1], {}, 1, 2, 2, 2); }},
      {"conv2d_unbatched", {F({3, 6, 6}), F({2, 3, 3, 3}), F({2})},
       L("s", "[1, 1]") + L("p", "[0, 0]") + L("d", "[1, 1]") + I("g", 1) + Y("aten::conv2d(%x0, %x1, %x2, %s, %p, %d, %g)"),
       [](const V& x) { return torch::conv2d(x[0], x[1], x[2]); }},
      {"conv3d", {F({2, 4, 5, 6, 5}), F({6, 2, 3, 2, 3}), F({6})},
       L("s", "[2, 1, 2]") + L("p", "[1, 0, 1]") + L("d", "[1, 2, 1]") + I("g", 2) +
           Y("aten::conv3d(%x0, %x1, %x2, %s, %p, %d, %g)"),
       [](const V& x) { return torch::conv3d(x[0], x[1], x[2], {2, 1, 2}, {1, 0, 1}, {1, 2, 1}, 2); }},
      {"conv3d_unbatched", {F({3, 4, 5, 5}), F({2, 3, 2, 3, 3})},
       None() + L("s", "[1, 1, 1]") + L("p", "[0, 1, 1]") + L("d", "[1, 1, 1]") + I("g", 1) +
           Y("aten::conv3d(%x0, %x1, %none, %s, %p, %d, %g)"),
       [](const V& x) { return torch::conv3d(x[0], x[1], {}, 1, {0, 1, 1}); }},
      {"conv1d", {F({2, 3, 10}), F({4, 3, 3}), F({4})},
       L("s", "[2]") + L("p", "[1]") + L("d", "[1]") + I("g", 1) + Y("aten::conv1d(%x0, %x1, %x2, %s, %p, %d, %g)"),
       [](const V& x) { return torch::conv1d(x[0], x[1], x[2], 2, 1); }},
      // A convolution's input gradient is a transposed convolution; its
      // output size settles what torch calls output_padding.
      {"conv_input_backward", {F({2, 4, 4, 5}), F({4, 3, 3, 3})},
       L("sz", "[2, 3, 8, 10]") + L("s", "[2, 2]") + L("p", "[1, 1]") + L("d", "[1, 1]") + I("g", 1) +
           Y("wick::conv_input_backward(%x0, %x1, %sz, %s, %p, %d, %g)"),
       [](const V& x) { return torch::conv_transpose2d(x[0], x[1], {}, 2, 1, 1); }},
      {"conv_input_backward_1d_groups_dilation", {F({2, 4, 6}), F({4, 2, 3})},
       L("sz", "[2, 4, 15]") + L("s", "[2]") + L("p", "[0]") + L("d", "[2]") + I("g", 2) +
           Y("wick::conv_input_backward(%x0, %x1, %sz, %s, %p, %d, %g)"),
       [](const V& x) { return torch::conv_transpose1d(x[0], x[1], {}, 2, 0, 0, 2, 2); }},
      // Ties in windows: the gradient goes to the first maximum, as in torch.
      {"max_pool2d", {T({2, 3, 7, 7})},
       L("k", "[3, 3]") + L("s", "[2, 2]") + L("p", "[1, 1]") + L("d", "[1, 1]") + Bo("c", false) +
           Y("aten::max_pool2d(%x0, %k, %s, %p, %d, %c)"),
       [](const V& x) { return torch::max_pool2d(x[0], {3, 3}, {2, 2}, {1, 1}); }},
      {"max_pool2d_ceil_dilation", {F({1, 2, 8, 9})},
       L("k", "[2, 2]") + L("s", "[2, 2]") + L("p", "[0, 0]") + L("d", "[2, 2]") + Bo("c", true) +
           Y("aten::max_pool2d(%x0, %k, %s, %p, %d, %c)"),
       [](const V& x) { return torch::max_pool2d(x[0], {2, 2}, {2, 2}, {0, 0}, {2, 2}, true); }},
      {"avg_pool2d", {F({2, 3, 7, 7})},
       L("k", "[3, 3]") + L("s", "[2, 2]") + L("p", "[1, 1]") + Bo("c", false) + Bo("i", true) + None() +
           Y("aten::avg_pool2d(%x0, %k, %s, %p, %c, %i, %none)"),
       [](const V& x) { return torch::avg_pool2d(x[0], {3, 3}, {2, 2}, {1, 1}); }},
      {"avg_pool2d_ceil_exclude_pad", {F({1, 2, 8, 8})},
       L("k", "[3, 3]") + L("s", "[2, 2]") + L("p", "[1, 1]") + Bo("c", true) + Bo("i", false) + None() +
           Y("aten::avg_pool2d(%x0, %k, %s, %p, %c, %i, %none)"),
       [](const V& x) { return torch::avg_pool2d(x[0], {3, 3}, {2, 2}, {1, 1}, true, false); }},
      {"avg_pool2d_divisor", {F({3, 6, 6})},
       L("k", "[2, 2]") + L("s", "[]") + L("p", "[0, 0]") + Bo("c", false) + Bo("i", true) + I("v", 5) +
           Y("aten::avg_pool2d(%x0, %k, %s, %p, %c, %i, %v)"),
       [](const V& x) { return torch::avg_pool2d(x[0], {2, 2}, {}, {0, 0}, false, true, 5); }},
      {"adaptive_avg_pool2d", {F({2, 3, 7, 5})}, L("o", "[3, 2]") + Y("aten::adaptive_avg_pool2d(%x0, %o)"),
       [](const V& x) { return torch::adaptive_avg_pool2d(x[0], {3, 2}); }},
  };
}

std::vector<GradCase> layout_cases() {
  return {
      {"view", {F({3, 4})}, L("s", "[2, 6]") + Y("aten::view(%x0, %s)"), [](const V& x) { return x[0].view({2, 6}); }},
      {"reshape", {F({2, 3, 4})}, L("s", "[-1, 4]") + Y("aten::reshape(%x0, %s)"),
       [](const V& x) { return x[0].reshape({-1, 4}); }},
      {"flatten", {F({2, 3, 4})}, I("a", 1) + I("b", -1) + Y("aten::flatten.using_ints(%x0, %a, %b)"),
       [](const V& x) { return x[0].flatten(1); }},
      {"permute", {F({2, 3, 4})}, L("p", "[2, 0, 1]") + Y("aten::permute(%x0, %p)"),
       [](const V& x) { return x[0].permute({2, 0, 1}); }},
      {"transpose", {F({2, 3, 4})}, I("a", 0) + I("b", 2) + Y("aten::transpose.int(%x0, %a, %b)"),
       [](const V& x) { return x[0].transpose(0, 2); }},
      {"t", {F({3, 4})}, Y("aten::t(%x0)"), [](const V& x) { return x[0].t(); }},
      {"contiguous", {F({3, 4})}, I("m", 0) + Y("aten::contiguous(%x0, %m)"), [](const V& x) { return x[0].contiguous(); }},
      {"unsqueeze", {F({3, 4})}, I("d", 1) + Y("aten::unsqueeze(%x0, %d)"), [](const V& x) { return x[0].unsqueeze(1); }},
      {"squeeze", {F({3, 1, 4, 1})}, Y("aten::squeeze(%x0)"), [](const V& x) { return x[0].squeeze(); }},
      {"squeeze_dim", {F({3, 1, 4})}, I("d", 1) + Y("aten::squeeze.dim(%x0, %d)"), [](const V& x) { return x[0].squeeze(1); }},
      {"expand", {F({3, 1})}, L("s", "[2, 3, 4]") + Bo("f", false) + Y("aten::expand(%x0, %s, %f)"),
       [](const V& x) { return x[0].expand({2, 3, 4}); }},
      {"expand_as", {F({4}), Const({3, 4})}, Y("aten::expand_as(%x0, %x1)"), [](const V& x) { return x[0].expand_as(x[1]); }},
      {"select", {F({3, 4, 2})}, I("d", 1) + I("i", -2) + Y("aten::select.int(%x0, %d, %i)"),
       [](const V& x) { return x[0].select(1, -2); }},
      {"slice", {F({3, 9})}, I("d", 1) + I("a", 1) + I("b", -1) + I("s", 2) + Y("aten::slice.Tensor(%x0, %d, %a, %b, %s)"),
       [](const V& x) { return x[0].slice(1, 1, -1, 2); }},
      {"slice_open", {F({7, 2})}, I("d", 0) + None() + I("s", 3) + Y("aten::slice.Tensor(%x0, %d, %none, %none, %s)"),
       [](const V& x) { return x[0].slice(0, c10::nullopt, c10::nullopt, 3); }},
      {"cat", {F({2, 3}), F({2, 1}), F({2, 4})},
       "  %l : List[Tensor] = prim::ListConstruct(%x0, %x1, %x2)\n" + I("d", 1) + Y("aten::cat(%l, %d)"),
       [](const V& x) { return torch::cat({x[0], x[1], x[2]}, 1); }},
      {"stack", {F({2, 3}), F({2, 3})},
       "  %l : List[Tensor] = prim::ListConstruct(%x0, %x1, %x0)\n" + I("d", -1) + Y("aten::stack(%l, %d)"),
       [](const V& x) { return torch::stack({x[0], x[1], x[0]}, -1); }},
      {"index_select", {F({5, 3}), Idx({7}, 5)}, I("d", 0) + Y("aten::index_select(%x0, %d, %x1)"),
       [](const V& x) { return x[0].index_select(0, x[1]); }},
      {"index_Tensor", {F({5, 6, 7}), Idx({4}, 6), Idx({2, 1}, 7)},
       None() + "  %l : List[Optional[Tensor]] = prim::ListConstruct(%none, %x1, %x2)\n" + Y("aten::index.Tensor(%x0, %l)"),
       [](const V& x) { return x[0].index({torch::indexing::Slice(), x[1], x[2]}); }},
      {"index_Tensor_apart", {F({5, 6, 7}), Idx({4}, 5), Idx({4}, 7)},
       None() + "  %l : List[Optional[Tensor]] = prim::ListConstruct(%x1, %none, %x2)\n" + Y("aten::index.Tensor(%x0, %l)"),
       [](const V& x) { return x[0].index({x[1], torch::indexing::Slice(), x[2]}); }},
      // wick's gather: torch's take at positions in range (repeated ones add up).
      {"gather_flat", {F({9}), Idx({3, 4}, 9)}, Y("wick::gather_flat(%x0, %x1)"),
       [](const V& x) { return torch::take(x[0], x[1]); }},
      {"embedding", {F({6, 4}), Idx({3, 5}, 6)},
       I("p", 2) + Bo("f", false) + Y("aten::embedding(%x0, %x1, %p, %f, %f)"),
       [](const V& x) { return torch::embedding(x[0], x[1], 2); }},
      {"embedding_scale_grad_by_freq", {F({6, 4}), Idx({3, 5}, 6)},
       I("p", -1) + Bo("f", false) + Bo("t", true) + Y("aten::embedding(%x0, %x1, %p, %t, %f)"),
       [](const V& x) { return torch::embedding(x[0], x[1], -1, true); }},
      // The scatters gradients are built from.
      {"slice_backward", {F({3, 2})}, L("s", "[3, 7]") + I("d", 1) + I("a", 1) + I("b", 6) + I("k", 3) +
                                          Y("aten::slice_backward(%x0, %s, %d, %a, %b, %k)"),
       [](const V& x) { return torch::slice_backward(x[0], {3, 7}, 1, 1, 6, 3); }},
      {"index_add", {F({5, 3}), Idx({4}, 5), F({4, 3})},
       I("d", 0) + Fl("a", "2.0") + Y("aten::index_add(%x0, %d, %x1, %x2, %a)"),
       [](const V& x) { return torch::index_add(x[0], 0, x[1], x[2], 2.0); }},
      {"index_put_accumulate", {F({5, 4}), Idx({6}, 5), F({6, 4})},
       Bo("t", true) + "  %l : List[Optional[Tensor]] = prim::ListConstruct(%x1)\n" + Y("aten::index_put(%x0, %l, %x2, %t)"),
       [](const V& x) { return torch::index_put(x[0], {c10::optional<torch::Tensor>(x[1])}, x[2], true); }},
      {"index_put", {F({5, 4}), Unique({3}, 5), F({3, 4})},
       Bo("f", false) + "  %l : List[Optional[Tensor]] = prim::ListConstruct(%x1)\n" + Y("aten::index_put(%x0, %l, %x2, %f)"),
       [](const V& x) { return torch::index_put(x[0], {c10::optional<torch::Tensor>(x[1])}, x[2], false); }},
      // Ties: torch shares a maximum's gradient evenly among the equal
      // elements, of self and of the values.
      {"index_put_reduce_amax", {T({5, 4}), Idx({8}, 5), T({8, 4})},
       "  %r : Str = prim::Constant[value=\"amax\"]()\n  %l : List[Optional[Tensor]] = prim::ListConstruct(%x1)\n" +
           Y("wick::index_put_reduce(%x0, %l, %x2, %r)"),
       [](const V& x) { return x[0].index_reduce(0, x[1], x[2], "amax"); }},
      {"index_put_reduce_amin", {T({5, 4}), Idx({8}, 5), T({8, 4})},
       "  %r : Str = prim::Constant[value=\"amin\"]()\n  %l : List[Optional[Tensor]] = prim::ListConstruct(%x1)\n" +
           Y("wick::index_put_reduce(%x0, %l, %x2, %r)"),
       [](const V& x) { return x[0].index_reduce(0, x[1], x[2], "amin"); }},
      // Zeros among the factors, one or several per result, in self and in
      // the values.
      {"index_put_reduce_prod", {Choice({5, 4}, {0, 0.5, 1.5, -2}), Idx({8}, 5), Choice({8, 4}, {0, 0.5, 1.5, -1})},
       "  %r : Str = prim::Constant[value=\"prod\"]()\n  %l : List[Optional[Tensor]] = prim::ListConstruct(%x1)\n" +
           Y("wick::index_put_reduce(%x0, %l, %x2, %r)"),
       [](const V& x) { return x[0].index_reduce(0, x[1], x[2], "prod"); }},
  };
}

std::vector<GradCase> math_cases() {
  return {
      {"expm1", {F({3, 4})}, Y("aten::expm1(%x0)"), [](const V& x) { return torch::expm1(x[0]); }},
      {"exp2", {F({3, 4})}, Y("aten::exp2(%x0)"), [](const V& x) { return torch::exp2(x[0]); }},
      {"log2", {P({3, 4})}, Y("aten::log2(%x0)"), [](const V& x) { return torch::log2(x[0]); }},
      {"log10", {P({3, 4})}, Y("aten::log10(%x0)"), [](const V& x) { return torch::log10(x[0]); }},
      {"log1p", {P({3, 4})}, Y("aten::log1p(%x0)"), [](const V& x) { return torch::log1p(x[0]); }},
      {"tan", {AZ({3, 4})}, Y("aten::tan(%x0)"), [](const V& x) { return torch::tan(x[0]); }},
      {"atan", {F({3, 4})}, Y("aten::atan(%x0)"), [](const V& x) { return torch::atan(x[0]); }},
      {"atan2", {F({3, 4}), AZ({4})}, Y("aten::atan2(%x0, %x1)"), [](const V& x) { return torch::atan2(x[0], x[1]); }},
      {"asin", {Choice({3, 4}, {-0.8, -0.3, 0.2, 0.6, 0.9})}, Y("aten::asin(%x0)"),
       [](const V& x) { return torch::asin(x[0]); }},
      {"acos", {Choice({3, 4}, {-0.8, -0.3, 0.2, 0.6, 0.9})}, Y("aten::acos(%x0)"),
       [](const V& x) { return torch::acos(x[0]); }},
      {"atanh", {Choice({3, 4}, {-0.8, -0.3, 0.2, 0.6, 0.9})}, Y("aten::atanh(%x0)"),
       [](const V& x) { return torch::atanh(x[0]); }},
      {"sinh", {F({3, 4})}, Y("aten::sinh(%x0)"), [](const V& x) { return torch::sinh(x[0]); }},
      {"cosh", {F({3, 4})}, Y("aten::cosh(%x0)"), [](const V& x) { return torch::cosh(x[0]); }},
      {"asinh", {F({3, 4})}, Y("aten::asinh(%x0)"), [](const V& x) { return torch::asinh(x[0]); }},
      {"acosh", {Choice({3, 4}, {1.2, 1.7, 2.5, 4.0})}, Y("aten::acosh(%x0)"),
       [](const V& x) { return torch::acosh(x[0]); }},
      // numpy's spellings, each its own op in TorchScript.
      {"arcsin", {Choice({3, 4}, {-0.8, 0.2, 0.9})}, Y("aten::arcsin(%x0)"), [](const V& x) { return torch::arcsin(x[0]); }},
      {"arccos", {Choice({3, 4}, {-0.8, 0.2, 0.9})}, Y("aten::arccos(%x0)"), [](const V& x) { return torch::arccos(x[0]); }},
      {"arctanh", {Choice({3, 4}, {-0.8, 0.2, 0.9})}, Y("aten::arctanh(%x0)"),
       [](const V& x) { return torch::arctanh(x[0]); }},
      {"arcsinh", {F({3, 4})}, Y("aten::arcsinh(%x0)"), [](const V& x) { return torch::arcsinh(x[0]); }},
      {"arccosh", {Choice({3, 4}, {1.2, 2.5})}, Y("aten::arccosh(%x0)"), [](const V& x) { return torch::arccosh(x[0]); }},
      {"arctan", {F({3, 4})}, Y("aten::arctan(%x0)"), [](const V& x) { return torch::arctan(x[0]); }},
      {"arctan2", {F({3, 4}), AZ({4})}, Y("aten::arctan2(%x0, %x1)"),
       [](const V& x) { return torch::arctan2(x[0], x[1]); }},
      {"logit", {Choice({3, 4}, {0.2, 0.45, 0.7, 0.9})}, None() + Y("aten::logit(%x0, %none)"),
       [](const V& x) { return torch::logit(x[0]); }},
      // Entries outside [eps, 1 - eps] are clamped: no gradient there.
      {"logit_eps", {Choice({3, 4}, {0.01, 0.3, 0.6, 0.99})}, Fl("e", "0.05") + Y("aten::logit(%x0, %e)"),
       [](const V& x) { return torch::logit(x[0], 0.05); }},
      {"square", {F({3, 4})}, Y("aten::square(%x0)"), [](const V& x) { return torch::square(x[0]); }},
      {"trunc", {F({3, 4})}, Y("aten::trunc(%x0)"), [](const V& x) { return torch::trunc(x[0]); }},
      {"round", {F({3, 4})}, Y("aten::round(%x0)"), [](const V& x) { return torch::round(x[0]); }},
      {"round_decimals", {F({3, 4})}, I("d", 1) + Y("aten::round.decimals(%x0, %d)"),
       [](const V& x) { return torch::round(x[0], 1); }},
      {"sign", {F({3, 4})}, Y("aten::sign(%x0)"), [](const V& x) { return torch::sign(x[0]); }},
      {"sgn", {F({3, 4})}, Y("aten::sgn(%x0)"), [](const V& x) { return torch::sgn(x[0]); }},
      {"full_like", {F({3, 4}), F({3, 4})},
       Fl("v", "2.5") + None() + "  %f : Tensor = aten::full_like(%x0, %v, %none, %none, %none, %none, %none)\n" +
           Y("aten::mul.Tensor(%f, %x1)"),
       [](const V& x) { return torch::full_like(x[0], 2.5) * x[1]; }},
      {"frac", {F({3, 4})}, Y("aten::frac(%x0)"), [](const V& x) { return torch::frac(x[0]); }},
      {"fmod_Tensor", {F({3, 4}), AZ({4})}, Y("aten::fmod.Tensor(%x0, %x1)"),
       [](const V& x) { return torch::fmod(x[0], x[1]); }},
      {"fmod_Scalar", {F({3, 4})}, Fl("s", "0.7") + Y("aten::fmod.Scalar(%x0, %s)"),
       [](const V& x) { return torch::fmod(x[0], 0.7); }},
      {"hardshrink", {Bnd({4, 5}, {-0.5, 0.5})}, Fl("l", "0.5") + Y("aten::hardshrink(%x0, %l)"),
       [](const V& x) { return torch::hardshrink(x[0], 0.5); }},
      {"softshrink", {Bnd({4, 5}, {-0.5, 0.5})}, Fl("l", "0.5") + Y("aten::softshrink(%x0, %l)"),
       [](const V& x) { return torch::softshrink(x[0], 0.5); }},
      {"threshold", {Bnd({4, 5}, {0.1})}, Fl("t", "0.1") + Fl("v", "20.0") + Y("aten::threshold(%x0, %t, %v)"),
       [](const V& x) { return torch::threshold(x[0], 0.1, 20.0); }},
      {"nan_to_num", {F({3, 4})}, None() + Y("aten::nan_to_num(%x0, %none, %none, %none)"),
       [](const V& x) { return torch::nan_to_num(x[0]); }},
      {"addcmul", {F({3, 4}), F({4}), F({3, 1})}, Fl("v", "0.5") + Y("aten::addcmul(%x0, %x1, %x2, %v)"),
       [](const V& x) { return torch::addcmul(x[0], x[1], x[2], 0.5); }},
      {"addcdiv", {F({3, 4}), F({3, 4}), AZ({4})}, Fl("v", "-1.5") + Y("aten::addcdiv(%x0, %x1, %x2, %v)"),
       [](const V& x) { return torch::addcdiv(x[0], x[1], x[2], -1.5); }},
      {"lerp_Scalar", {F({3, 4}), F({4})}, Fl("wt", "0.3") + Y("aten::lerp.Scalar(%x0, %x1, %wt)"),
       [](const V& x) { return torch::lerp(x[0], x[1], 0.3); }},
      {"lerp_Tensor", {F({3, 4}), F({3, 4}), F({4})}, Y("aten::lerp.Tensor(%x0, %x1, %x2)"),
       [](const V& x) { return torch::lerp(x[0], x[1], x[2]); }},
      {"clamp_Tensor", {F({3, 4}), F({4}), F({3, 1})}, Y("aten::clamp.Tensor(%x0, %x1, %x2)"),
       [](const V& x) { return torch::clamp(x[0], x[1], x[2]); }},
      {"clamp_min_Tensor", {F({3, 4}), F({4})}, Y("aten::clamp_min.Tensor(%x0, %x1)"),
       [](const V& x) { return torch::clamp_min(x[0], x[1]); }},
      {"clamp_max_Tensor", {F({3, 4}), F({3, 1})}, Y("aten::clamp_max.Tensor(%x0, %x1)"),
       [](const V& x) { return torch::clamp_max(x[0], x[1]); }},
  };
}

std::vector<GradCase> all_cases() {
  std::vector<GradCase> all;
  for (auto list : {pointwise_cases(), math_cases(), reduction_cases(), linalg_cases(), nn_cases(), layout_cases()})
    all.insert(all.end(), list.begin(), list.end());
  return all;
}

class Gradient : public ::testing::TestWithParam<GradCase> {};

TEST_P(Gradient, MatchesTorchAutograd) {
  const GradCase& c = GetParam();
  const uint64_t seed = std::random_device{}();
  torch::manual_seed(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  V inputs;
  std::vector<bool> differentiate;
  for (const InputSpec& s : c.inputs) {
    inputs.push_back(testing::make_input(s));
    differentiate.push_back(s.grad);
  }
  // torch: the inputs that are differentiated require grad.
  V leaves;
  V torch_inputs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    torch::Tensor t = inputs[i].clone();
    if (differentiate[i]) {
      t.requires_grad_(true);
      leaves.push_back(t);
    }
    torch_inputs.push_back(t);
  }
  torch::Tensor y = c.torch_fn(torch_inputs);
  torch::Tensor w = torch::randn(y.sizes(), y.options().requires_grad(false));
  torch::Tensor loss = (y * w).sum();
  V expected = torch::autograd::grad({loss}, leaves, {}, false, false, /*allow_unused=*/true);

  testing::GradRun got = testing::wick_gradients(c.body, inputs, differentiate, w);
  // The loss sums terms of both signs and can cancel to near zero, so its error is measured against the
  // sum of the terms' magnitudes: the bound a float32 sum in any order keeps.
  const double magnitude = (y * w).abs().sum().item<double>();
  const double loss_error = (got.loss.to(torch::kDouble) - loss.detach().to(torch::kDouble)).abs().item<double>();
  EXPECT_LE(loss_error, 1e-4 * std::max(magnitude, 1e-30)) << "the loss itself";
  ASSERT_EQ(got.grads.size(), leaves.size());
  for (size_t k = 0; k < leaves.size(); ++k) {
    torch::Tensor ref = expected[k].defined() ? expected[k] : torch::zeros_like(leaves[k]);
    ASSERT_EQ(got.grads[k].sizes(), ref.sizes()) << "gradient " << k;
    ASSERT_EQ(got.grads[k].scalar_type(), ref.scalar_type()) << "gradient " << k;
    EXPECT_LE(testing::relative_error(got.grads[k], ref), 1e-4)
        << "gradient " << k << "\nwick:\n" << got.grads[k] << "\ntorch:\n" << ref << "\ninput:\n" << inputs;
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, Gradient, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<GradCase>& info) { return info.param.name; });

// The table covers every op that has a gradient rule.
TEST(Gradient, EveryRuleIsChecked) {
  std::set<std::string> used;
  for (const GradCase& c : all_cases()) {
    V inputs;
    for (const InputSpec& s : c.inputs) inputs.push_back(testing::make_input(s));
    std::vector<int64_t> shape;
    torch::ScalarType dtype;
    auto m = testing::loss_graph(c.body, inputs, &shape, &dtype);
    for (const ir::Node* n : *m->methods().at(0)->block()) used.insert(n->kind());
  }
  for (const ir::OpDef* op : ir::all_ops())
    if (op->gradient && op->name.rfind("prim::", 0) != 0) {
      EXPECT_TRUE(used.count(op->name)) << op->name << " is not checked";
    }
}

}  // namespace
}  // namespace wick

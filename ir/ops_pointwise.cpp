// Elementwise ops with broadcasting, as aten spells them, each with the
// expression that computes one element. In-place variants (relu_, add_, ...)
// are not entries: the frontend turns them into these.
#include <string>

#include "ir/op_table.h"
#include "ir/shape_rules.h"

namespace wick::ir {

namespace {

// Arithmetic: computed in the result's dtype.
// div's rounding modes: torch's div_true, div_trunc and div_floor.
constexpr const char* kDivideWithMode =
    "defined(rounding_mode) ? (rounding_mode == \"trunc\" ? truncdiv(self, other) : floordiv(self, other)) "
    ": self / other";

void arith(OpTableBuilder& t, const char* schema, InferFn infer, const char* expr) {
  t.add({schema, Lowering::pointwise, infer, nullptr, {expr, false}});
}

// Comparisons and casts: computed in the inputs' promoted dtype.
void on_inputs(OpTableBuilder& t, const char* schema, InferFn infer, const char* expr) {
  t.add({schema, Lowering::pointwise, infer, nullptr, {expr, true}});
}

}  // namespace

void add_pointwise_ops(OpTableBuilder& t) {
  using namespace shape;
  // Arithmetic.
  arith(t, "aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor", binary_broadcast, "self + alpha * other");
  arith(t, "aten::add.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor", binary_broadcast, "self + alpha * other");
  arith(t, "aten::sub.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor", binary_broadcast, "self - alpha * other");
  arith(t, "aten::sub.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor", binary_broadcast, "self - alpha * other");
  arith(t, "aten::rsub.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor", binary_broadcast, "other - alpha * self");
  arith(t, "aten::rsub.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor", binary_broadcast, "other - alpha * self");
  arith(t, "aten::mul.Tensor(Tensor self, Tensor other) -> Tensor", binary_broadcast, "self * other");
  arith(t, "aten::mul.Scalar(Tensor self, Scalar other) -> Tensor", binary_broadcast, "self * other");
  arith(t, "aten::div.Tensor(Tensor self, Tensor other) -> Tensor", binary_true_divide, "self / other");
  arith(t, "aten::div.Scalar(Tensor self, Scalar other) -> Tensor", binary_true_divide, "self / other");
  arith(t, "aten::div.Tensor_mode(Tensor self, Tensor other, *, str? rounding_mode) -> Tensor", binary_divide_mode,
        kDivideWithMode);
  arith(t, "aten::div.Scalar_mode(Tensor self, Scalar other, *, str? rounding_mode) -> Tensor", binary_divide_mode,
        kDivideWithMode);
  arith(t, "aten::remainder.Tensor(Tensor self, Tensor other) -> Tensor", binary_broadcast, "mod(self, other)");
  arith(t, "aten::remainder.Scalar(Tensor self, Scalar other) -> Tensor", binary_broadcast, "mod(self, other)");
  arith(t, "aten::floor_divide(Tensor self, Tensor other) -> Tensor", binary_broadcast, "floordiv(self, other)");
  arith(t, "aten::floor_divide.Scalar(Tensor self, Scalar other) -> Tensor", binary_broadcast, "floordiv(self, other)");
  arith(t, "aten::pow.Tensor_Tensor(Tensor self, Tensor exponent) -> Tensor", binary_broadcast, "pow(self, exponent)");
  arith(t, "aten::pow.Tensor_Scalar(Tensor self, Scalar exponent) -> Tensor", binary_broadcast, "pow(self, exponent)");
  arith(t, "aten::pow.Scalar(Scalar self, Tensor exponent) -> Tensor", scalar_base_pow, "pow(self, exponent)");
  arith(t, "aten::maximum(Tensor self, Tensor other) -> Tensor", binary_broadcast, "max(self, other)");
  arith(t, "aten::minimum(Tensor self, Tensor other) -> Tensor", binary_broadcast, "min(self, other)");
  arith(t, "aten::max.other(Tensor self, Tensor other) -> Tensor", binary_broadcast, "max(self, other)");
  arith(t, "aten::min.other(Tensor self, Tensor other) -> Tensor", binary_broadcast, "min(self, other)");
  arith(t, "aten::__and__.Tensor(Tensor self, Tensor other) -> Tensor", binary_broadcast, "self && other");
  arith(t, "aten::__or__.Tensor(Tensor self, Tensor other) -> Tensor", binary_broadcast, "self || other");
  on_inputs(t, "aten::logical_not(Tensor self) -> Tensor", compare_broadcast_unary, "!self");
  on_inputs(t, "aten::logical_and(Tensor self, Tensor other) -> Tensor", compare_broadcast, "self && other");
  on_inputs(t, "aten::logical_or(Tensor self, Tensor other) -> Tensor", compare_broadcast, "self || other");
  on_inputs(t, "aten::logical_xor(Tensor self, Tensor other) -> Tensor", compare_broadcast, "!self != !other");
  // Comparisons give bool tensors.
  // The table keeps the expression pointers: they must be literals.
  const char* comparisons[][2] = {{"eq", "self == other"}, {"ne", "self != other"}, {"lt", "self < other"},
                                  {"le", "self <= other"}, {"gt", "self > other"},  {"ge", "self >= other"}};
  for (const auto& [name, expr] : comparisons) {
    const std::string base = std::string("aten::") + name;
    on_inputs(t, (base + ".Tensor(Tensor self, Tensor other) -> Tensor").c_str(), compare_broadcast, expr);
    on_inputs(t, (base + ".Scalar(Tensor self, Scalar other) -> Tensor").c_str(), compare_broadcast, expr);
  }
  arith(t, "aten::where.self(Tensor condition, Tensor self, Tensor other) -> Tensor", where, "condition ? self : other");
  arith(t, "aten::where.ScalarSelf(Tensor condition, Scalar self, Tensor other) -> Tensor", where, "condition ? self : other");
  arith(t, "aten::where.ScalarOther(Tensor condition, Tensor self, Scalar other) -> Tensor", where, "condition ? self : other");
  arith(t, "aten::where.Scalar(Tensor condition, Scalar self, Scalar other) -> Tensor", where, "condition ? self : other");
  // masked_fill: value where mask holds, else self, in self's dtype.
  arith(t, "aten::masked_fill.Scalar(Tensor self, Tensor mask, Scalar value) -> Tensor", masked_fill,
        "mask ? value : self");
  arith(t, "aten::masked_fill.Tensor(Tensor self, Tensor mask, Tensor value) -> Tensor", masked_fill,
        "mask ? value : self");
  // Unary math.
  arith(t, "aten::neg(Tensor self) -> Tensor", same_as_input, "-self");
  arith(t, "aten::abs(Tensor self) -> Tensor", same_as_input, "abs(self)");
  arith(t, "aten::exp(Tensor self) -> Tensor", unary_float, "exp(self)");
  arith(t, "aten::log(Tensor self) -> Tensor", unary_float, "log(self)");
  arith(t, "aten::sqrt(Tensor self) -> Tensor", unary_float, "sqrt(self)");
  arith(t, "aten::rsqrt(Tensor self) -> Tensor", unary_float, "rsqrt(self)");
  arith(t, "aten::reciprocal(Tensor self) -> Tensor", unary_float, "1 / self");
  arith(t, "aten::floor(Tensor self) -> Tensor", same_as_input, "floor(self)");
  arith(t, "aten::ceil(Tensor self) -> Tensor", same_as_input, "ceil(self)");
  arith(t, "aten::erf(Tensor self) -> Tensor", unary_float, "erf(self)");
  arith(t, "aten::sin(Tensor self) -> Tensor", unary_float, "sin(self)");
  arith(t, "aten::cos(Tensor self) -> Tensor", unary_float, "cos(self)");
  arith(t, "aten::clamp(Tensor self, Scalar? min=None, Scalar? max=None) -> Tensor", same_as_input,
        "defined(max) ? min(defined(min) ? max(self, min) : self, max) : (defined(min) ? max(self, min) : self)");
  arith(t, "aten::clamp_min(Tensor self, Scalar min) -> Tensor", same_as_input, "max(self, min)");
  arith(t, "aten::clamp_max(Tensor self, Scalar max) -> Tensor", same_as_input, "min(self, max)");
  // Activations.
  arith(t, "aten::sigmoid(Tensor self) -> Tensor", unary_float, "1 / (1 + exp(-self))");
  arith(t, "aten::tanh(Tensor self) -> Tensor", unary_float, "tanh(self)");
  arith(t, "aten::relu(Tensor self) -> Tensor", same_as_input, "max(self, 0)");
  arith(t, "aten::relu6(Tensor self) -> Tensor", same_as_input, "min(max(self, 0), 6)");
  arith(t, "aten::leaky_relu(Tensor self, Scalar negative_slope=0.01) -> Tensor", same_as_input,
        "self > 0 ? self : self * negative_slope");
  arith(t, "aten::hardtanh(Tensor self, Scalar min_val=-1, Scalar max_val=1) -> Tensor", same_as_input,
        "min(max(self, min_val), max_val)");
  arith(t, "aten::hardswish(Tensor self) -> Tensor", same_as_input, "self * min(max(self + 3, 0), 6) / 6");
  arith(t, "aten::hardsigmoid(Tensor self) -> Tensor", same_as_input, "min(max(self + 3, 0), 6) / 6");
  arith(t, "aten::elu(Tensor self, Scalar alpha=1, Scalar scale=1, Scalar input_scale=1) -> Tensor", same_as_input,
        "self > 0 ? scale * self : scale * alpha * (exp(self * input_scale) - 1)");
  arith(t, "aten::softplus(Tensor self, Scalar beta=1, Scalar threshold=20) -> Tensor", same_as_input,
        "self * beta > threshold ? self : log1p(exp(self * beta)) / beta");
  arith(t, "aten::gelu(Tensor self, *, str approximate=\"none\") -> Tensor", same_as_input,
        "approximate == \"tanh\" ? 0.5 * self * (1 + tanh(0.7978845608028654 * (self + 0.044715 * self * self * self)))"
        " : 0.5 * self * (1 + erf(self * 0.7071067811865476))");
  arith(t, "aten::silu(Tensor self) -> Tensor", same_as_input, "self / (1 + exp(-self))");
  // Conversions and fills: a cast computes on the input's dtype.
  const char* to_schemas[] = {
      "aten::to.dtype(Tensor(a) self, ScalarType dtype, bool non_blocking=False, bool copy=False, MemoryFormat? memory_format=None) -> Tensor(a)",
      "aten::to.prim_dtype(Tensor(a) self, int? dtype=None, bool non_blocking=False, bool copy=False) -> Tensor(b|a)",
      "aten::to.device(Tensor(a) self, Device device, ScalarType dtype, bool non_blocking=False, bool copy=False, MemoryFormat? memory_format=None) -> Tensor(a)",
      "aten::to.prim_Device(Tensor(a) self, Device? device, int? dtype=None, bool non_blocking=False, bool copy=False) -> Tensor(b|a)",
      "aten::to.dtype_layout(Tensor(a) self, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None, bool non_blocking=False, bool copy=False, MemoryFormat? memory_format=None) -> Tensor(a)",
      "aten::to.other(Tensor(a) self, Tensor other, bool non_blocking=False, bool copy=False, MemoryFormat? memory_format=None) -> Tensor(a)",
  };
  for (const char* s : to_schemas) on_inputs(t, s, to_dtype, "self");
  on_inputs(t, "aten::type_as(Tensor self, Tensor other) -> Tensor", to_dtype_of_other, "self");
  // A copy: a new tensor even where the input could be returned as is.
  arith(t, "aten::clone(Tensor self, *, MemoryFormat? memory_format=None) -> Tensor", same_as_input, "self");
  // The same values, cut off from the gradient (grad_rules_pointwise.cpp).
  arith(t, "aten::detach(Tensor(a) self) -> Tensor(a)", same_as_input, "self");
  arith(t, "aten::zeros_like(Tensor self, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None, MemoryFormat? memory_format=None) -> Tensor",
        like_with_dtype, "0");
  arith(t, "aten::ones_like(Tensor self, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None, MemoryFormat? memory_format=None) -> Tensor",
        like_with_dtype, "1");
  arith(t, "aten::zeros(SymInt[] size, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
        new_filled, "0");
  arith(t, "aten::ones(SymInt[] size, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
        new_filled, "1");
  arith(t, "aten::full(SymInt[] size, Scalar fill_value, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
        new_full, "fill_value");
  // Ranges: position() is the element's index (the result has one dim).
  arith(t, "aten::arange(Scalar end, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
        arange, "position()");
  arith(t, "aten::arange.start(Scalar start, Scalar end, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
        arange, "start + position()");
  arith(t, "aten::arange.start_step(Scalar start, Scalar end, Scalar step=1, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
        arange, "start + step * position()");
  // Triangles of the last two dims (causal masks).
  arith(t, "aten::triu(Tensor self, int diagonal=0) -> Tensor", triangle, "upper_triangle(diagonal) ? self : 0");
  arith(t, "aten::tril(Tensor self, int diagonal=0) -> Tensor", triangle, "lower_triangle(diagonal) ? self : 0");
}

}  // namespace wick::ir

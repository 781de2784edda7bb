// Elementwise ops with broadcasting, as aten spells them, each with the
// expression that computes one element. In-place variants (relu_, add_, ...)
// are not entries: the frontend turns them into these.
#include <string>

#include "ir/op_table.h"
#include "ir/shape_rules.h"

namespace wick::ir {

namespace {

// div's rounding modes: torch's div_true, div_trunc and div_floor.
constexpr const char* kDivideWithMode =
    "defined(rounding_mode) ? (rounding_mode == \"trunc\" ? truncdiv(self, other) : floordiv(self, other)) "
    ": self / other";

}  // namespace

void add_pointwise_ops(OpTableBuilder& t) {
  using namespace shape;
  // Arithmetic.
  t.pointwise("aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor", binary_broadcast, "self + alpha * other");
  t.pointwise("aten::add.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor", binary_broadcast, "self + alpha * other");
  t.pointwise("aten::sub.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor", binary_broadcast, "self - alpha * other");
  t.pointwise("aten::sub.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor", binary_broadcast, "self - alpha * other");
  t.pointwise("aten::rsub.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor", binary_broadcast, "other - alpha * self");
  t.pointwise("aten::rsub.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor", binary_broadcast, "other - alpha * self");
  t.pointwise("aten::mul.Tensor(Tensor self, Tensor other) -> Tensor", binary_broadcast, "self * other");
  t.pointwise("aten::mul.Scalar(Tensor self, Scalar other) -> Tensor", binary_broadcast, "self * other");
  // self * factor + addend rounded once, as ATen's dequantize computes it.
  t.pointwise("wick::fma(Tensor self, Scalar factor, Scalar addend) -> Tensor", binary_broadcast,
        "fma(self, factor, addend)");
  t.pointwise("aten::div.Tensor(Tensor self, Tensor other) -> Tensor", binary_true_divide, "self / other");
  t.pointwise("aten::div.Scalar(Tensor self, Scalar other) -> Tensor", binary_true_divide, "self / other");
  t.pointwise("aten::div.Tensor_mode(Tensor self, Tensor other, *, str? rounding_mode) -> Tensor", binary_divide_mode,
        kDivideWithMode);
  t.pointwise("aten::div.Scalar_mode(Tensor self, Scalar other, *, str? rounding_mode) -> Tensor", binary_divide_mode,
        kDivideWithMode);
  t.pointwise("aten::remainder.Tensor(Tensor self, Tensor other) -> Tensor", binary_broadcast, "mod(self, other)");
  t.pointwise("aten::remainder.Scalar(Tensor self, Scalar other) -> Tensor", binary_broadcast, "mod(self, other)");
  t.pointwise("aten::floor_divide(Tensor self, Tensor other) -> Tensor", binary_broadcast, "floordiv(self, other)");
  t.pointwise("aten::floor_divide.Scalar(Tensor self, Scalar other) -> Tensor", binary_broadcast, "floordiv(self, other)");
  t.pointwise("aten::pow.Tensor_Tensor(Tensor self, Tensor exponent) -> Tensor", binary_broadcast, "pow(self, exponent)");
  t.pointwise("aten::pow.Tensor_Scalar(Tensor self, Scalar exponent) -> Tensor", binary_broadcast, "pow(self, exponent)");
  t.pointwise("aten::pow.Scalar(Scalar self, Tensor exponent) -> Tensor", scalar_base_pow, "pow(self, exponent)");
  t.pointwise("aten::maximum(Tensor self, Tensor other) -> Tensor", binary_broadcast, "max(self, other)");
  t.pointwise("aten::minimum(Tensor self, Tensor other) -> Tensor", binary_broadcast, "min(self, other)");
  t.pointwise("aten::max.other(Tensor self, Tensor other) -> Tensor", binary_broadcast, "max(self, other)");
  t.pointwise("aten::min.other(Tensor self, Tensor other) -> Tensor", binary_broadcast, "min(self, other)");
  // Bitwise ops, on integers and bools (where they are logical ops); `&`,
  // `|`, `^`, `~`, `<<` and `>>` in TorchScript.
  const char* bitwise[][3] = {{"bitwise_and", "__and__", "bitand(self, other)"},
                              {"bitwise_or", "__or__", "bitor(self, other)"},
                              {"bitwise_xor", "__xor__", "bitxor(self, other)"},
                              {"bitwise_left_shift", "__lshift__", "shl(self, other)"},
                              {"bitwise_right_shift", "__rshift__", "shr(self, other)"}};
  for (const auto& [name, dunder, expr] : bitwise) {
    const std::string named = std::string("aten::") + name, spelled = std::string("aten::") + dunder;
    const bool shift = std::string(dunder).find("shift") != std::string::npos;
    t.pointwise((named + ".Tensor(Tensor self, Tensor other) -> Tensor").c_str(), bitwise_broadcast, expr);
    t.pointwise((named + (shift ? ".Tensor_Scalar" : ".Scalar") + "(Tensor self, Scalar other) -> Tensor").c_str(),
                bitwise_broadcast, expr);
    t.pointwise((named + ".Scalar_Tensor(Scalar self, Tensor other) -> Tensor").c_str(), bitwise_broadcast, expr);
    t.pointwise((spelled + ".Tensor(Tensor self, Tensor other) -> Tensor").c_str(), bitwise_broadcast, expr);
    t.pointwise((spelled + ".Scalar(Tensor self, Scalar other) -> Tensor").c_str(), bitwise_broadcast, expr);
  }
  t.pointwise("aten::bitwise_not(Tensor self) -> Tensor", bitwise_unary, "bitnot(self)");
  t.pointwise_on_inputs("aten::logical_not(Tensor self) -> Tensor", compare_broadcast_unary, "!self");
  t.pointwise_on_inputs("aten::logical_and(Tensor self, Tensor other) -> Tensor", compare_broadcast, "self && other");
  t.pointwise_on_inputs("aten::logical_or(Tensor self, Tensor other) -> Tensor", compare_broadcast, "self || other");
  t.pointwise_on_inputs("aten::logical_xor(Tensor self, Tensor other) -> Tensor", compare_broadcast, "!self != !other");
  // Comparisons give bool tensors.
  // The table keeps the expression pointers: they must be literals.
  const char* comparisons[][2] = {{"eq", "self == other"}, {"ne", "self != other"}, {"lt", "self < other"},
                                  {"le", "self <= other"}, {"gt", "self > other"},  {"ge", "self >= other"}};
  for (const auto& [name, expr] : comparisons) {
    const std::string base = std::string("aten::") + name;
    t.pointwise_on_inputs((base + ".Tensor(Tensor self, Tensor other) -> Tensor").c_str(), compare_broadcast, expr);
    t.pointwise_on_inputs((base + ".Scalar(Tensor self, Scalar other) -> Tensor").c_str(), compare_broadcast, expr);
  }
  t.pointwise("aten::where.self(Tensor condition, Tensor self, Tensor other) -> Tensor", where, "condition ? self : other");
  t.pointwise("aten::where.ScalarSelf(Tensor condition, Scalar self, Tensor other) -> Tensor", where, "condition ? self : other");
  t.pointwise("aten::where.ScalarOther(Tensor condition, Tensor self, Scalar other) -> Tensor", where, "condition ? self : other");
  t.pointwise("aten::where.Scalar(Tensor condition, Scalar self, Scalar other) -> Tensor", where, "condition ? self : other");
  // masked_fill: value where mask holds, else self, in self's dtype.
  t.pointwise("aten::masked_fill.Scalar(Tensor self, Tensor mask, Scalar value) -> Tensor", masked_fill,
        "mask ? value : self");
  t.pointwise("aten::masked_fill.Tensor(Tensor self, Tensor mask, Tensor value) -> Tensor", masked_fill,
        "mask ? value : self");
  // Unary math.
  t.pointwise("aten::neg(Tensor self) -> Tensor", same_as_input, "-self");
  t.pointwise("aten::abs(Tensor self) -> Tensor", real_of_complex, "abs(self)");
  t.pointwise("aten::exp(Tensor self) -> Tensor", unary_float, "exp(self)");
  t.pointwise("aten::log(Tensor self) -> Tensor", unary_float, "log(self)");
  t.pointwise("aten::sqrt(Tensor self) -> Tensor", unary_float, "sqrt(self)");
  t.pointwise("aten::rsqrt(Tensor self) -> Tensor", unary_float, "rsqrt(self)");
  t.pointwise("aten::reciprocal(Tensor self) -> Tensor", unary_float, "1 / self");
  t.pointwise("aten::floor(Tensor self) -> Tensor", same_as_input, "floor(self)");
  t.pointwise("aten::ceil(Tensor self) -> Tensor", same_as_input, "ceil(self)");
  t.pointwise("aten::erf(Tensor self) -> Tensor", unary_float, "erf(self)");
  t.pointwise("aten::sin(Tensor self) -> Tensor", unary_float, "sin(self)");
  t.pointwise("aten::cos(Tensor self) -> Tensor", unary_float, "cos(self)");
  t.pointwise("aten::clamp(Tensor self, Scalar? min=None, Scalar? max=None) -> Tensor", same_as_input,
        "defined(max) ? min(defined(min) ? max(self, min) : self, max) : (defined(min) ? max(self, min) : self)");
  t.pointwise("aten::clamp_min(Tensor self, Scalar min) -> Tensor", same_as_input, "max(self, min)");
  t.pointwise("aten::clamp_max(Tensor self, Scalar max) -> Tensor", same_as_input, "min(self, max)");
  // Activations.
  t.pointwise("aten::sigmoid(Tensor self) -> Tensor", unary_float, "1 / (1 + exp(-self))");
  t.pointwise("aten::tanh(Tensor self) -> Tensor", unary_float, "tanh(self)");
  t.pointwise("aten::relu(Tensor self) -> Tensor", same_as_input, "max(self, 0)");
  t.pointwise("aten::relu6(Tensor self) -> Tensor", same_as_input, "min(max(self, 0), 6)");
  t.pointwise("aten::leaky_relu(Tensor self, Scalar negative_slope=0.01) -> Tensor", same_as_input,
        "self > 0 ? self : self * negative_slope");
  t.pointwise("aten::hardtanh(Tensor self, Scalar min_val=-1, Scalar max_val=1) -> Tensor", same_as_input,
        "min(max(self, min_val), max_val)");
  t.pointwise("aten::hardswish(Tensor self) -> Tensor", same_as_input, "self * min(max(self + 3, 0), 6) / 6");
  t.pointwise("aten::hardsigmoid(Tensor self) -> Tensor", same_as_input, "min(max(self + 3, 0), 6) / 6");
  t.pointwise("aten::elu(Tensor self, Scalar alpha=1, Scalar scale=1, Scalar input_scale=1) -> Tensor", same_as_input,
        "self > 0 ? scale * self : scale * alpha * (exp(self * input_scale) - 1)");
  t.pointwise("aten::softplus(Tensor self, Scalar beta=1, Scalar threshold=20) -> Tensor", same_as_input,
        "self * beta > threshold ? self : log1p(exp(self * beta)) / beta");
  t.pointwise("aten::gelu(Tensor self, *, str approximate=\"none\") -> Tensor", same_as_input,
        "approximate == \"tanh\" ? 0.5 * self * (1 + tanh(0.7978845608028654 * (self + 0.044715 * self * self * self)))"
        " : 0.5 * self * (1 + erf(self * 0.7071067811865476))");
  t.pointwise("aten::silu(Tensor self) -> Tensor", same_as_input, "self / (1 + exp(-self))");
  // Conversions and fills: a cast computes on the input's dtype.
  const char* to_schemas[] = {
      "aten::to.dtype(Tensor(a) self, ScalarType dtype, bool non_blocking=False, bool copy=False, MemoryFormat? memory_format=None) -> Tensor(a)",
      "aten::to.prim_dtype(Tensor(a) self, int? dtype=None, bool non_blocking=False, bool copy=False) -> Tensor(b|a)",
      "aten::to.device(Tensor(a) self, Device device, ScalarType dtype, bool non_blocking=False, bool copy=False, MemoryFormat? memory_format=None) -> Tensor(a)",
      "aten::to.prim_Device(Tensor(a) self, Device? device, int? dtype=None, bool non_blocking=False, bool copy=False) -> Tensor(b|a)",
      "aten::to.dtype_layout(Tensor(a) self, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None, bool non_blocking=False, bool copy=False, MemoryFormat? memory_format=None) -> Tensor(a)",
      "aten::to.other(Tensor(a) self, Tensor other, bool non_blocking=False, bool copy=False, MemoryFormat? memory_format=None) -> Tensor(a)",
  };
  for (const char* s : to_schemas) t.pointwise_on_inputs(s, to_dtype, "self");
  // torch.as_tensor(t, dtype=...) of a tensor: t itself or a conversion.
  t.pointwise_on_inputs("aten::as_tensor(Tensor(a) data, *, ScalarType? dtype=None, Device? device=None) -> Tensor(b|a)",
                        to_dtype, "data");
  // `t.cpu()`: wick's tensors sit on the device a plan runs on.
  t.pointwise("aten::cpu(Tensor(a) self) -> Tensor(a|b)", same_as_input, "self");
  t.pointwise_on_inputs("aten::type_as(Tensor self, Tensor other) -> Tensor", to_dtype_of_other, "self");
  // A copy: a new tensor even where the input could be returned as is.
  t.pointwise("aten::clone(Tensor self, *, MemoryFormat? memory_format=None) -> Tensor", same_as_input, "self");
  // The same values, cut off from the gradient (grad_rules_pointwise.cpp).
  t.pointwise("aten::detach(Tensor(a) self) -> Tensor(a)", same_as_input, "self");
  t.pointwise("aten::zeros_like(Tensor self, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None, MemoryFormat? memory_format=None) -> Tensor",
        like_with_dtype, "0");
  // Uninitialized memory in ATen; zeros here, so a result never depends on
  // what a buffer held before.
  t.pointwise("aten::empty_like(Tensor self, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None, MemoryFormat? memory_format=None) -> Tensor",
        like_with_dtype, "0");
  t.pointwise("aten::ones_like(Tensor self, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None, MemoryFormat? memory_format=None) -> Tensor",
        like_with_dtype, "1");
  t.pointwise("aten::zeros(SymInt[] size, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
        new_filled, "0");
  t.pointwise("aten::ones(SymInt[] size, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
        new_filled, "1");
  t.pointwise("aten::full(SymInt[] size, Scalar fill_value, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
        new_full, "fill_value");
  // Ranges: position() is the element's index (the result has one dim).
  t.pointwise("aten::arange(Scalar end, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
        arange, "position()");
  t.pointwise("aten::arange.start(Scalar start, Scalar end, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
        arange, "start + position()");
  t.pointwise("aten::arange.start_step(Scalar start, Scalar end, Scalar step=1, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
        arange, "start + step * position()");
  // Reads of a 1-D tensor at positions from another, fused into the kernel
  // that computes them (decompositions' gathers, such as grid_sample's
  // taps). Positions outside the tensor read its nearest end: the
  // decompositions that emit it compute positions in range.
  t.pointwise("wick::gather_flat(Tensor self, Tensor index) -> Tensor", gather_flat, "gather(self, index)");
  // Triangles of the last two dims (causal masks).
  t.pointwise("aten::triu(Tensor self, int diagonal=0) -> Tensor", triangle, "upper_triangle(diagonal) ? self : 0");
  t.pointwise("aten::tril(Tensor self, int diagonal=0) -> Tensor", triangle, "lower_triangle(diagonal) ? self : 0");
  // Identity matrices: ones between the two triangles (decompose_layout.cpp).
  t.add({"aten::eye(int n, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
         Lowering::composite, eye});
  t.add({"aten::eye.m(int n, int m, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
         Lowering::composite, eye});
}

}  // namespace wick::ir

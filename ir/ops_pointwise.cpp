// Elementwise ops with broadcasting, as aten spells them. In-place variants
// (relu_, add_, ...) are not entries: the frontend turns them into these.
#include <string>

#include "ir/op_table.h"
#include "ir/shape_rules.h"

namespace wick::ir {

void add_pointwise_ops(OpTableBuilder& t) {
  constexpr Lowering P = Lowering::pointwise;
  using namespace shape;
  // Arithmetic.
  t.add({"aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor", P, binary_broadcast});
  t.add({"aten::add.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor", P, binary_broadcast});
  t.add({"aten::sub.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor", P, binary_broadcast});
  t.add({"aten::sub.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor", P, binary_broadcast});
  t.add({"aten::rsub.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor", P, binary_broadcast});
  t.add({"aten::rsub.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor", P, binary_broadcast});
  t.add({"aten::mul.Tensor(Tensor self, Tensor other) -> Tensor", P, binary_broadcast});
  t.add({"aten::mul.Scalar(Tensor self, Scalar other) -> Tensor", P, binary_broadcast});
  t.add({"aten::div.Tensor(Tensor self, Tensor other) -> Tensor", P, binary_true_divide});
  t.add({"aten::div.Scalar(Tensor self, Scalar other) -> Tensor", P, binary_true_divide});
  t.add({"aten::remainder.Tensor(Tensor self, Tensor other) -> Tensor", P, binary_broadcast});
  t.add({"aten::remainder.Scalar(Tensor self, Scalar other) -> Tensor", P, binary_broadcast});
  t.add({"aten::floor_divide(Tensor self, Tensor other) -> Tensor", P, binary_broadcast});
  t.add({"aten::floor_divide.Scalar(Tensor self, Scalar other) -> Tensor", P, binary_broadcast});
  t.add({"aten::pow.Tensor_Tensor(Tensor self, Tensor exponent) -> Tensor", P, binary_broadcast});
  t.add({"aten::pow.Tensor_Scalar(Tensor self, Scalar exponent) -> Tensor", P, binary_broadcast});
  t.add({"aten::pow.Scalar(Scalar self, Tensor exponent) -> Tensor", P, scalar_base_pow});
  t.add({"aten::maximum(Tensor self, Tensor other) -> Tensor", P, binary_broadcast});
  t.add({"aten::minimum(Tensor self, Tensor other) -> Tensor", P, binary_broadcast});
  t.add({"aten::max.other(Tensor self, Tensor other) -> Tensor", P, binary_broadcast});
  t.add({"aten::min.other(Tensor self, Tensor other) -> Tensor", P, binary_broadcast});
  t.add({"aten::__and__.Tensor(Tensor self, Tensor other) -> Tensor", P, binary_broadcast});
  t.add({"aten::__or__.Tensor(Tensor self, Tensor other) -> Tensor", P, binary_broadcast});
  t.add({"aten::logical_not(Tensor self) -> Tensor", P, compare_broadcast_unary});
  // Comparisons give bool tensors.
  for (const char* op : {"eq", "ne", "lt", "le", "gt", "ge"}) {
    const std::string base = std::string("aten::") + op;
    t.add({(base + ".Tensor(Tensor self, Tensor other) -> Tensor").c_str(), P, compare_broadcast});
    t.add({(base + ".Scalar(Tensor self, Scalar other) -> Tensor").c_str(), P, compare_broadcast});
  }
  t.add({"aten::where.self(Tensor condition, Tensor self, Tensor other) -> Tensor", P, where});
  t.add({"aten::where.ScalarSelf(Tensor condition, Scalar self, Tensor other) -> Tensor", P, where});
  t.add({"aten::where.ScalarOther(Tensor condition, Tensor self, Scalar other) -> Tensor", P, where});
  t.add({"aten::where.Scalar(Tensor condition, Scalar self, Scalar other) -> Tensor", P, where});
  // Unary math.
  t.add({"aten::neg(Tensor self) -> Tensor", P, same_as_input});
  t.add({"aten::abs(Tensor self) -> Tensor", P, same_as_input});
  t.add({"aten::exp(Tensor self) -> Tensor", P, unary_float});
  t.add({"aten::log(Tensor self) -> Tensor", P, unary_float});
  t.add({"aten::sqrt(Tensor self) -> Tensor", P, unary_float});
  t.add({"aten::rsqrt(Tensor self) -> Tensor", P, unary_float});
  t.add({"aten::reciprocal(Tensor self) -> Tensor", P, unary_float});
  t.add({"aten::floor(Tensor self) -> Tensor", P, same_as_input});
  t.add({"aten::ceil(Tensor self) -> Tensor", P, same_as_input});
  t.add({"aten::erf(Tensor self) -> Tensor", P, unary_float});
  t.add({"aten::sin(Tensor self) -> Tensor", P, unary_float});
  t.add({"aten::cos(Tensor self) -> Tensor", P, unary_float});
  t.add({"aten::clamp(Tensor self, Scalar? min=None, Scalar? max=None) -> Tensor", P, same_as_input});
  t.add({"aten::clamp_min(Tensor self, Scalar min) -> Tensor", P, same_as_input});
  t.add({"aten::clamp_max(Tensor self, Scalar max) -> Tensor", P, same_as_input});
  // Activations.
  t.add({"aten::sigmoid(Tensor self) -> Tensor", P, unary_float});
  t.add({"aten::tanh(Tensor self) -> Tensor", P, unary_float});
  t.add({"aten::relu(Tensor self) -> Tensor", P, same_as_input});
  t.add({"aten::relu6(Tensor self) -> Tensor", P, same_as_input});
  t.add({"aten::leaky_relu(Tensor self, Scalar negative_slope=0.01) -> Tensor", P, same_as_input});
  t.add({"aten::hardtanh(Tensor self, Scalar min_val=-1, Scalar max_val=1) -> Tensor", P, same_as_input});
  t.add({"aten::hardswish(Tensor self) -> Tensor", P, same_as_input});
  t.add({"aten::hardsigmoid(Tensor self) -> Tensor", P, same_as_input});
  t.add({"aten::elu(Tensor self, Scalar alpha=1, Scalar scale=1, Scalar input_scale=1) -> Tensor", P, same_as_input});
  t.add({"aten::softplus(Tensor self, Scalar beta=1, Scalar threshold=20) -> Tensor", P, same_as_input});
  t.add({"aten::gelu(Tensor self, *, str approximate=\"none\") -> Tensor", P, same_as_input});
  t.add({"aten::silu(Tensor self) -> Tensor", P, same_as_input});
  // Conversions and fills.
  t.add({"aten::to.dtype(Tensor(a) self, ScalarType dtype, bool non_blocking=False, bool copy=False, MemoryFormat? memory_format=None) -> Tensor(a)",
         P, to_dtype});
  t.add({"aten::to.prim_dtype(Tensor(a) self, int? dtype=None, bool non_blocking=False, bool copy=False) -> Tensor(b|a)",
         P, to_dtype});
  t.add({"aten::to.device(Tensor(a) self, Device device, ScalarType dtype, bool non_blocking=False, bool copy=False, MemoryFormat? memory_format=None) -> Tensor(a)",
         P, to_dtype});
  t.add({"aten::to.prim_Device(Tensor(a) self, Device? device, int? dtype=None, bool non_blocking=False, bool copy=False) -> Tensor(b|a)",
         P, to_dtype});
  t.add({"aten::to.dtype_layout(Tensor(a) self, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None, bool non_blocking=False, bool copy=False, MemoryFormat? memory_format=None) -> Tensor(a)",
         P, to_dtype});
  t.add({"aten::to.other(Tensor(a) self, Tensor other, bool non_blocking=False, bool copy=False, MemoryFormat? memory_format=None) -> Tensor(a)",
         P, to_dtype});
  t.add({"aten::type_as(Tensor self, Tensor other) -> Tensor", P, to_dtype_of_other});
  t.add({"aten::zeros_like(Tensor self, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None, MemoryFormat? memory_format=None) -> Tensor",
         P, like_with_dtype});
  t.add({"aten::ones_like(Tensor self, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None, MemoryFormat? memory_format=None) -> Tensor",
         P, like_with_dtype});
  t.add({"aten::zeros(SymInt[] size, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
         P, new_filled});
  t.add({"aten::ones(SymInt[] size, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
         P, new_filled});
}

}  // namespace wick::ir

// Elementwise ops with broadcasting.
#include "ir/op_table.h"
#include "ir/shape_rules.h"

namespace wick::ir {

void add_pointwise_ops(OpTableBuilder& t) {
  constexpr Lowering P = Lowering::pointwise;
  using namespace shape;
  t.add({"aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor", P, binary_broadcast});
  t.add({"aten::add.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor", P, binary_broadcast});
  t.add({"aten::sub.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor", P, binary_broadcast});
  t.add({"aten::sub.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor", P, binary_broadcast});
  t.add({"aten::mul.Tensor(Tensor self, Tensor other) -> Tensor", P, binary_broadcast});
  t.add({"aten::mul.Scalar(Tensor self, Scalar other) -> Tensor", P, binary_broadcast});
  t.add({"aten::div.Tensor(Tensor self, Tensor other) -> Tensor", P, binary_true_divide});
  t.add({"aten::div.Scalar(Tensor self, Scalar other) -> Tensor", P, binary_true_divide});
  t.add({"aten::neg(Tensor self) -> Tensor", P, same_as_input});
  t.add({"aten::exp(Tensor self) -> Tensor", P, unary_float});
  t.add({"aten::log(Tensor self) -> Tensor", P, unary_float});
  t.add({"aten::sigmoid(Tensor self) -> Tensor", P, unary_float});
  t.add({"aten::tanh(Tensor self) -> Tensor", P, unary_float});
  t.add({"aten::relu(Tensor self) -> Tensor", P, same_as_input});
}

}  // namespace wick::ir

// Matrix products: extern calls to a GEMM library.
#include "ir/op_table.h"
#include "ir/shape_rules.h"

namespace wick::ir {

void add_linalg_ops(OpTableBuilder& t) {
  constexpr Lowering E = Lowering::extern_call;
  using namespace shape;
  t.add({"aten::matmul(Tensor self, Tensor other) -> Tensor", E, matmul});
  t.add({"aten::linear(Tensor input, Tensor weight, Tensor? bias=None) -> Tensor", E, linear});
}

}  // namespace wick::ir

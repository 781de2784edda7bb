// Matrix products: extern calls to a GEMM library (baddbmm decomposes into
// bmm and the pointwise ops that scale and add).
#include "ir/op_table.h"
#include "ir/shape_rules.h"

namespace wick::ir {

void add_linalg_ops(OpTableBuilder& t) {
  constexpr Lowering E = Lowering::extern_call;
  using namespace shape;
  t.add({"aten::matmul(Tensor self, Tensor other) -> Tensor", E, matmul});
  t.add({"aten::mm(Tensor self, Tensor mat2) -> Tensor", E, mm});
  t.add({"aten::bmm(Tensor self, Tensor mat2) -> Tensor", E, bmm});
  t.add({"aten::addmm(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1) -> Tensor", E, addmm});
  t.add({"aten::baddbmm(Tensor self, Tensor batch1, Tensor batch2, *, Scalar beta=1, Scalar alpha=1) -> Tensor",
         Lowering::composite, baddbmm});
  t.add({"aten::linear(Tensor input, Tensor weight, Tensor? bias=None) -> Tensor", E, linear});
}

}  // namespace wick::ir

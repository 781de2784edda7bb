// Reductions over all dims or a list of dims.
#include "ir/op_table.h"
#include "ir/shape_rules.h"

namespace wick::ir {

void add_reduction_ops(OpTableBuilder& t) {
  constexpr Lowering R = Lowering::reduction;
  using namespace shape;
  t.add({"aten::sum(Tensor self, *, ScalarType? dtype=None) -> Tensor", R, reduce_all});
  t.add({"aten::sum.dim_IntList(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
         R, reduce_dims});
  t.add({"aten::mean(Tensor self, *, ScalarType? dtype=None) -> Tensor", R, reduce_all});
  t.add({"aten::mean.dim(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
         R, reduce_dims});
}

}  // namespace wick::ir

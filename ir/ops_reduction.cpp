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
  t.add({"aten::amax(Tensor self, int[1] dim=[], bool keepdim=False) -> Tensor", R, reduce_dims_same_dtype});
  t.add({"aten::amin(Tensor self, int[1] dim=[], bool keepdim=False) -> Tensor", R, reduce_dims_same_dtype});
  t.add({"aten::max(Tensor self) -> Tensor", R, reduce_all_same_dtype});
  t.add({"aten::min(Tensor self) -> Tensor", R, reduce_all_same_dtype});
  t.add({"aten::max.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)", R,
         reduce_dim_with_indices});
  t.add({"aten::min.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)", R,
         reduce_dim_with_indices});
  t.add({"aten::argmax(Tensor self, int? dim=None, bool keepdim=False) -> Tensor", R, argmax});
}

}  // namespace wick::ir

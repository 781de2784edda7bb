// Reductions over all dims or a list of dims.
#include <string>

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
  // A sum whose float adds run in index order, as LibTorch's kernels add
  // (passes/requantize_averages.cpp), where others reassociate theirs.
  t.add({"wick::sum_in_order(Tensor self, int[1] dim, bool keepdim=False) -> Tensor", R, reduce_dims_same_dtype});
  t.add({"aten::amax(Tensor self, int[1] dim=[], bool keepdim=False) -> Tensor", R, reduce_dims_same_dtype});
  t.add({"aten::amin(Tensor self, int[1] dim=[], bool keepdim=False) -> Tensor", R, reduce_dims_same_dtype});
  t.add({"aten::max(Tensor self) -> Tensor", R, reduce_all_same_dtype});
  t.add({"aten::min(Tensor self) -> Tensor", R, reduce_all_same_dtype});
  t.add({"aten::max.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)", R,
         reduce_dim_with_indices});
  t.add({"aten::min.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)", R,
         reduce_dim_with_indices});
  t.add({"aten::argmax(Tensor self, int? dim=None, bool keepdim=False) -> Tensor", R, argmax});
  t.add({"aten::argmin(Tensor self, int? dim=None, bool keepdim=False) -> Tensor", R, argmax});
  t.add({"aten::prod(Tensor self, *, ScalarType? dtype=None) -> Tensor", R, reduce_all});
  t.add({"aten::prod.dim_int(Tensor self, int dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor", R,
         reduce_dims});
  // Truth tests: amax / amin of x != 0 (passes/decompose_reductions.cpp).
  constexpr Lowering C = Lowering::composite;
  t.add({"aten::any(Tensor self) -> Tensor", C, reduce_bool});
  t.add({"aten::any.dim(Tensor self, int dim, bool keepdim=False) -> Tensor", C, reduce_bool});
  t.add({"aten::all(Tensor self) -> Tensor", C, reduce_bool});
  t.add({"aten::all.dim(Tensor self, int dim, bool keepdim=False) -> Tensor", C, reduce_bool});
  // Sorting along a dim: ranks by comparing every pair, values and indices
  // scattered to their ranks (passes/decompose_sort.cpp).
  t.add({"aten::sort(Tensor self, int dim=-1, bool descending=False) -> (Tensor values, Tensor indices)", C, sort});
  t.add({"aten::sort.stable(Tensor self, *, bool? stable, int dim=-1, bool descending=False) -> "
         "(Tensor values, Tensor indices)", C, sort});
  t.add({"aten::argsort(Tensor self, int dim=-1, bool descending=False) -> Tensor", C, argsort});
  t.add({"aten::argsort.stable(Tensor self, *, bool stable, int dim=-1, bool descending=False) -> Tensor", C,
         argsort});
  t.add({"aten::msort(Tensor self) -> Tensor", C, same_as_input});
  t.add({"aten::topk(Tensor self, SymInt k, int dim=-1, bool largest=True, bool sorted=True) -> "
         "(Tensor values, Tensor indices)", C, topk});
  // Reductions written with others (decompose_reductions.cpp): NaNs left
  // out, nonzero elements counted, both extremes at once, a matrix's trace.
  t.add({"aten::nansum(Tensor self, int[1]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor", C,
         reduce_dims});
  t.add({"aten::nanmean(Tensor self, int[1]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor", C,
         reduce_dims});
  t.add({"aten::count_nonzero.dim_IntList(Tensor self, int[] dim) -> Tensor", C, count_nonzero});
  t.add({"aten::count_nonzero(Tensor self, int? dim=None) -> Tensor", C, count_nonzero});
  t.add({"aten::aminmax(Tensor self, *, int? dim=None, bool keepdim=False) -> (Tensor min, Tensor max)", C, aminmax});
  t.add({"aten::trace(Tensor self) -> Tensor", C, trace});
  // Positions among sorted boundaries, and histograms: counts of
  // comparisons (decompose_buckets.cpp).
  t.add({"aten::bucketize.Tensor(Tensor self, Tensor boundaries, *, bool out_int32=False, bool right=False) -> Tensor", C,
         bucketize});
  t.add({"aten::bucketize.Scalar(Scalar self, Tensor boundaries, *, bool out_int32=False, bool right=False) -> Tensor", C,
         bucketize});
  t.add({"aten::searchsorted.Tensor(Tensor sorted_sequence, Tensor self, *, bool out_int32=False, bool right=False, "
         "str? side=None, Tensor? sorter=None) -> Tensor", C, bucketize});
  t.add({"aten::searchsorted.Scalar(Tensor sorted_sequence, Scalar self, *, bool out_int32=False, bool right=False, "
         "str? side=None, Tensor? sorter=None) -> Tensor", C, bucketize});
  t.add({"aten::histc(Tensor self, int bins=100, Scalar min=0, Scalar max=0) -> Tensor", C, histc});
  // Distinct values, a count the data decides (decompose_unique.cpp).
  t.add({"aten::_unique2(Tensor self, bool sorted=True, bool return_inverse=False, bool return_counts=False) -> "
         "(Tensor, Tensor, Tensor)", C, unique});
  t.add({"aten::unique_consecutive(Tensor self, bool return_inverse=False, bool return_counts=False, int? dim=None) -> "
         "(Tensor, Tensor, Tensor)", C, unique});
  t.add({"aten::unique_dim(Tensor self, int dim, bool sorted=True, bool return_inverse=False, bool return_counts=False) -> "
         "(Tensor, Tensor, Tensor)", C, unique});
  // Order statistics read from a sort (decompose_select.cpp).
  t.add({"aten::kthvalue(Tensor self, int k, int dim=-1, bool keepdim=False) -> (Tensor values, Tensor indices)", C,
         kthvalue});
  for (const char* name : {"median", "nanmedian"}) {
    const std::string base = std::string("aten::") + name;
    t.add({(base + "(Tensor self) -> Tensor").c_str(), C, reduce_all_same_dtype});
    t.add({(base + ".dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)").c_str(), C,
           reduce_dim_with_indices});
  }
  t.add({"aten::mode(Tensor self, int dim=-1, bool keepdim=False) -> (Tensor values, Tensor indices)", C,
         reduce_dim_with_indices});
  for (const char* name : {"quantile", "nanquantile"}) {
    const std::string base = std::string("aten::") + name;
    t.add({(base + "(Tensor self, Tensor q, int? dim=None, bool keepdim=False, *, str interpolation='linear') -> Tensor")
               .c_str(), C, quantile});
    t.add({(base + ".scalar(Tensor self, float q, int? dim=None, bool keepdim=False, *, str interpolation='linear') -> "
                   "Tensor").c_str(), C, quantile});
  }
  // Statistics and integrals written with others (decompose_statistics.cpp).
  t.add({"aten::cov(Tensor self, *, int correction=1, Tensor? fweights=None, Tensor? aweights=None) -> Tensor", C,
         covariance});
  t.add({"aten::corrcoef(Tensor self) -> Tensor", C, covariance});
  for (const char* name : {"trapezoid", "trapz"})
    t.add({(std::string("aten::") + name + ".x(Tensor y, Tensor x, *, int dim=-1) -> Tensor").c_str(), C, trapezoid});
  t.add({"aten::trapezoid.dx(Tensor y, *, Scalar dx=1, int dim=-1) -> Tensor", C, trapezoid});
  t.add({"aten::trapz.dx(Tensor y, *, float dx=1.0, int dim=-1) -> Tensor", C, trapezoid});
  t.add({"aten::cumulative_trapezoid.x(Tensor y, Tensor x, *, int dim=-1) -> Tensor", C, cumulative_trapezoid});
  t.add({"aten::cumulative_trapezoid.dx(Tensor y, *, Scalar dx=1, int dim=-1) -> Tensor", C, cumulative_trapezoid});
  t.add({"aten::dist(Tensor self, Tensor other, Scalar p=2) -> Tensor", C, norm_of_difference});  // decompose_distances.cpp
}

}  // namespace wick::ir

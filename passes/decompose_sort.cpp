// Decomposition rules for sorting along a dim, for dims of a static size n
// up to 4096 (pairwise_dim). Each element's rank is the number of elements that
// go before it,
//   rank[i] = sum_j before(x[j], x[i]) or (same(x[j], x[i]) and j < i),
// one fused kernel of n * n comparisons per row that never stores the pairs;
// then values[rank[i]] = x[i] and indices[rank[i]] = i (scatters). So
//   sort(x, dim, descending)   = (values, indices), stable: ties keep their order
//   argsort(x, dim, descending) = indices;  msort(x) = sort(x, 0) values
//   topk(x, k, dim, largest)   = sort(x, dim, descending=largest) cut to k
// NaN sorts as the largest value, as in torch: last ascending, first
// descending (and first in topk's largest). The gradient of the values is
// the scatter's: each element's gradient is read back from its rank.
#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Value;

}  // namespace

SortedAlong sort_along(Emitter& e, Value* x, int64_t dim, bool descending) {
  const auto& shape = e.shape(x, "input");
  const int64_t rank = static_cast<int64_t>(shape.size());
  if (rank == 0) {
    Value* zero = e.op("aten::zeros", {e.ints({}), e.int_(4), e.none(), e.none(), e.none()});
    return {x, zero};
  }
  const PairwiseDim along = pairwise_dim(e, x, dim, "sorted", "sorting");
  dim = along.dim;
  const int64_t n = along.n;
  const auto& dtype = x->type()->dtype();
  if (!dtype) throw e.node().error("needs an input of known dtype");
  if (*dtype == DType::b8) x = e.cast(x, DType::i64);  // false before true, as in torch
  // x[i] along dim, x[j] along dim + 1: the pairs of a row.
  Value* xi = e.op("aten::unsqueeze", {x, e.int_(dim + 1)});
  Value* xj = e.op("aten::unsqueeze", {x, e.int_(dim)});
  Value* before = e.op(descending ? "aten::gt.Tensor" : "aten::lt.Tensor", {xj, xi});
  Value* same = e.op("aten::eq.Tensor", {xj, xi});
  if (is_floating(*dtype)) {
    Value* i_nan = e.op("aten::isnan", {xi});
    Value* j_nan = e.op("aten::isnan", {xj});
    // NaN is the largest: j goes first if NaN (descending) or if i is NaN and j not (ascending).
    Value* nan_first = descending ? e.op("aten::logical_and", {j_nan, e.op("aten::logical_not", {i_nan})})
                                  : e.op("aten::logical_and", {i_nan, e.op("aten::logical_not", {j_nan})});
    before = e.op("aten::logical_or", {before, nan_first});
    same = e.op("aten::logical_or", {same, e.op("aten::logical_and", {i_nan, j_nan})});
  }
  Value* j_first =
      e.op("aten::lt.Tensor", {positions_along(e, n, dim + 1, rank + 1), positions_along(e, n, dim, rank + 1)});
  before = e.op("aten::logical_or", {before, e.op("aten::logical_and", {same, j_first})});
  Value* ranks = e.sum(e.cast(before, DType::i64), {dim + 1}, false);
  auto zeros_like = [&](Value* v) { return e.op("aten::zeros_like", {v, e.none(), e.none(), e.none(), e.none(), e.none()}); };
  // Each element, and its position, moved to its rank.
  auto to_ranks = [&](Value* v) { return e.op("aten::scatter.src", {zeros_like(v), e.int_(dim), ranks, v}); };
  Value* values = to_ranks(x);
  if (*dtype == DType::b8) values = e.cast(values, DType::b8);
  return {values, to_ranks(e.add(zeros_like(ranks), positions_along(e, n, dim, rank)))};
}

namespace {

// sort(self, dim, descending) and sort.stable(self, *, stable, dim, descending).
SortedAlong sort_node(Emitter& e) {
  const size_t dim_at = e.node().op().schema.overload == "stable" ? 2 : 1;
  return sort_along(e, e.input(0), e.constant_int(dim_at, "dim"), e.constant_bool(dim_at + 1, "descending"));
}

std::vector<Value*> sort(Emitter& e) {
  SortedAlong s = sort_node(e);
  return {s.values, s.indices};
}

Value* argsort(Emitter& e) { return sort_node(e).indices; }

Value* msort(Emitter& e) { return sort_along(e, e.input(0), 0, false).values; }

std::vector<Value*> topk(Emitter& e) {
  Value* x = e.input(0);
  const int64_t rank = static_cast<int64_t>(e.shape(x, "input").size());
  const int64_t k = e.constant_int(1, "k");
  int64_t dim = e.constant_int(2, "dim");
  SortedAlong s = sort_along(e, x, dim, e.constant_bool(3, "largest"));
  if (rank == 0) return {s.values, s.indices};
  if (dim < 0) dim += rank;
  auto first_k = [&](Value* v) { return e.op("aten::slice.Tensor", {v, e.int_(dim), e.int_(0), e.int_(k), e.int_(1)}); };
  return {first_k(s.values), first_k(s.indices)};
}

}  // namespace

// The pairwise comparisons are n * n per row: beyond this a sort or scan
// costs more than it should, and is refused rather than run slowly.
constexpr int64_t kMaxPairwiseLength = 4096;

PairwiseDim pairwise_dim(Emitter& e, ir::Value* x, int64_t dim, const char* dim_name, const char* doing) {
  const auto& shape = e.shape(x, "input");
  const int64_t rank = static_cast<int64_t>(shape.size());
  if (dim < -rank || dim >= rank) throw e.node().error("dim " + std::to_string(dim) + " out of range");
  if (dim < 0) dim += rank;
  if (!shape[dim].is_static())
    throw e.node().error(std::string("needs the size of the ") + dim_name + " dim, got " + shape[dim].str());
  const int64_t n = shape[dim].value();
  if (n > kMaxPairwiseLength)
    throw e.node().error(std::string(doing) + " " + std::to_string(n) + " elements along a dim (more than " +
                         std::to_string(kMaxPairwiseLength) + ") is not supported yet");
  return {dim, n};
}

// [1, .., n at `at`, .., 1] (rank `rank`): 0 .. n-1 along dim `at`.
ir::Value* positions_along(Emitter& e, int64_t n, int64_t at, int64_t rank) {
  Value* range = e.op("aten::arange", {e.int_(n), e.int_(4), e.none(), e.none(), e.none()});  // int64
  std::vector<int64_t> view(static_cast<size_t>(rank), 1);
  view[static_cast<size_t>(at)] = n;
  return e.op("aten::reshape", {range, e.ints(view)});
}

std::vector<NamedRule> sort_rules() {
  return {{"aten::argsort", argsort}, {"aten::argsort.stable", argsort}, {"aten::msort", msort}};
}

std::vector<NamedMultiRule> sort_multi_rules() {
  return {{"aten::sort", sort}, {"aten::sort.stable", sort}, {"aten::topk", topk}};
}

}  // namespace wick::passes::decompose_detail

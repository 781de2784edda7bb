// Decomposition rules for running (prefix) scans along a dim of static size
// n up to 4096, each as a reduction over the pairs (i, j) of a row, the
// pairs with j > i masked out; one fused kernel per row computes it
// without storing the pairs:
//   cumprod(x, dim)      = prod_j (j <= i ? x[j] : 1)
//   logcumsumexp(x, dim) = logsumexp_j (j <= i ? x[j] : -inf)
//   cummax(x, dim)       = (x[k_i], k_i), k_i the last j <= i where x[j]
//                          equals max_j (j <= i ? x[j] : x[i]), or is NaN
//                          when that maximum is (NaN propagates, as in torch)
//   cummin               = the same with min
// Masked pairs of cummax and cummin read x[i], which is in the prefix, so
// no fill value depends on the dtype. Their values are gathered at k_i, so
// the gradient goes to the one element torch gives it to, ties included.
#include <cmath>

#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Value;

// The pairs of a row: x[i] along dim, x[j] along dim + 1, j itself, and
// whether j <= i.
struct Pairs {
  int64_t dim;
  Value* xi;
  Value* xj;
  Value* j;
  Value* in_prefix;
};

Pairs pairs_along(Emitter& e, Value* x, int64_t dim, const char* doing) {
  const PairwiseDim along = pairwise_dim(e, x, dim, "scanned", doing);
  const int64_t rank = static_cast<int64_t>(e.shape(x, "input").size());
  Value* j = positions_along(e, along.n, along.dim + 1, rank + 1);
  Value* i = positions_along(e, along.n, along.dim, rank + 1);
  return {along.dim, e.op("aten::unsqueeze", {x, e.int_(along.dim + 1)}), e.op("aten::unsqueeze", {x, e.int_(along.dim)}),
          j, e.op("aten::le.Tensor", {j, i})};
}

// A zero-dim input scans to itself (torch: values x, index 0).
bool is_scalar(Emitter& e, Value* x) { return e.shape(x, "input").empty(); }

Value* cumprod(Emitter& e) {
  Value* x = e.input(0);
  const auto& out_dtype = e.node().output()->type()->dtype();
  if (!out_dtype) throw e.node().error("needs a result of known dtype");
  if (x->type()->dtype() != out_dtype) x = e.cast(x, *out_dtype);
  const int64_t dim = e.constant_int(1, "dim");
  if (is_scalar(e, x)) return x;
  Pairs p = pairs_along(e, x, dim, "a running product over");
  Value* factors = e.op("aten::where.ScalarOther", {p.in_prefix, p.xj, e.int_(1)});
  return e.op("aten::prod.dim_int", {factors, e.int_(p.dim + 1), e.bool_(false), e.none()});
}

Value* logcumsumexp(Emitter& e) {
  Value* x = e.input(0);
  e.float_dtype(x, "input");
  const int64_t dim = e.constant_int(1, "dim");
  if (is_scalar(e, x)) return x;
  Pairs p = pairs_along(e, x, dim, "a running log-sum-exp over");
  Value* terms = e.op("aten::where.ScalarOther", {p.in_prefix, p.xj, e.float_(-INFINITY)});
  return e.op("aten::logsumexp", {terms, e.ints({p.dim + 1}), e.bool_(false)});
}

std::vector<Value*> running_extremum(Emitter& e, bool is_max) {
  Value* x = e.input(0);
  const auto& dtype = x->type()->dtype();
  if (!dtype) throw e.node().error("needs an input of known dtype");
  const int64_t dim = e.constant_int(1, "dim");
  if (is_scalar(e, x)) return {x, e.op("aten::zeros", {e.ints({}), e.int_(4), e.none(), e.none(), e.none()})};
  Value* ordered = *dtype == DType::b8 ? e.cast(x, DType::i64) : x;  // bools order as 0 and 1
  Pairs p = pairs_along(e, ordered, dim, is_max ? "a running maximum over" : "a running minimum over");
  Value* candidates = e.op("aten::where.self", {p.in_prefix, p.xj, p.xi});
  Value* best = e.op(is_max ? "aten::amax" : "aten::amin", {candidates, e.ints({p.dim + 1}), e.bool_(true)});
  Value* hit = e.op("aten::eq.Tensor", {p.xj, best});
  if (is_floating(*dtype))
    hit = e.op("aten::logical_or",
               {hit, e.op("aten::logical_and", {e.op("aten::isnan", {p.xj}), e.op("aten::isnan", {best})})});
  Value* hits = e.op("aten::where.ScalarOther", {e.op("aten::logical_and", {p.in_prefix, hit}), p.j, e.int_(0)});
  Value* index = e.op("aten::amax", {hits, e.ints({p.dim + 1}), e.bool_(false)});
  return {e.op("aten::gather", {x, e.int_(p.dim), index, e.bool_(false)}), index};
}

std::vector<Value*> cummax(Emitter& e) { return running_extremum(e, true); }
std::vector<Value*> cummin(Emitter& e) { return running_extremum(e, false); }

}  // namespace

std::vector<NamedRule> scan_rules() { return {{"aten::cumprod", cumprod}, {"aten::logcumsumexp", logcumsumexp}}; }

std::vector<NamedMultiRule> scan_multi_rules() { return {{"aten::cummax", cummax}, {"aten::cummin", cummin}}; }

}  // namespace wick::passes::decompose_detail

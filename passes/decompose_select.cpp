// Decomposition rules for order statistics, read from a stable sort along
// the dim (sort_along: NaN the largest, ties in their order):
//   kthvalue(x, k, dim)   = the sorted values and indices at k - 1
//   median(x, dim)        = at (n - 1) / 2, or at the first NaN of a row
//                           that has one (the NaN and its index, as ATen)
//   nanmedian(x, dim)     = at (n - nans - 1) / 2 (0 for a row of NaNs)
//   median(x), nanmedian(x) = the same over the flattened tensor, values only
//   quantile(x, q, dim, keepdim, interpolation)
//                         = ATen's: rank q (n - 1) in x's dtype (the last
//                           index where a row has a NaN), then 'lower',
//                           'higher', 'nearest' round it, 'linear' and
//                           'midpoint' lerp between the values below and
//                           above; nanquantile ranks q (n - nans - 1).
//                           A 1-D q adds a leading dim
//   mode(x, dim)          = the most frequent value (the smallest of equal
//                           counts), counted over every pair of the row, and
//                           the last position holding it
// Among equal values the index of kthvalue and median is the stable sort's,
// where ATen's selection leaves it unspecified.
#include <limits>

#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Value;

int64_t rank_of(Emitter& e, Value* x) { return static_cast<int64_t>(e.shape(x, "input").size()); }

Value* unsqueeze(Emitter& e, Value* v, int64_t dim) { return e.op("aten::unsqueeze", {v, e.int_(dim)}); }
Value* squeeze(Emitter& e, Value* v, int64_t dim) { return e.op("aten::squeeze.dim", {v, e.int_(dim)}); }

bool has_nan(Emitter& e, Value* x) {
  const auto& dtype = x->type()->dtype();
  if (!dtype) throw e.node().error("needs an input of known dtype");
  return is_floating(*dtype);
}

// The number of NaNs along dim, kept as a size-1 dim (int64).
Value* nan_count(Emitter& e, Value* x, int64_t dim) {
  return e.sum(e.cast(e.op("aten::isnan", {x}), DType::i64), {dim}, true);
}

// The sorted values and indices at `position` along dim: a constant, or an
// int64 tensor with a size-1 dim there. The dim is kept.
std::vector<Value*> pick(Emitter& e, const SortedAlong& s, int64_t dim, Value* position) {
  if (auto k = ir::constant_int(position)) {
    return {unsqueeze(e, e.op("aten::select.int", {s.values, e.int_(dim), position}), dim),
            unsqueeze(e, e.op("aten::select.int", {s.indices, e.int_(dim), position}), dim)};
  }
  return {e.op("aten::gather", {s.values, e.int_(dim), position, e.bool_(false)}),
          e.op("aten::gather", {s.indices, e.int_(dim), position, e.bool_(false)})};
}

std::vector<Value*> kept_or_squeezed(Emitter& e, std::vector<Value*> r, int64_t dim, bool keepdim) {
  if (!keepdim)
    for (Value*& v : r) v = squeeze(e, v, dim);
  return r;
}

std::vector<Value*> kthvalue(Emitter& e) {
  Value* x = e.input(0);
  const int64_t k = e.constant_int(1, "k");
  const bool keepdim = e.constant_bool(3, "keepdim");
  if (rank_of(e, x) == 0) {
    if (k != 1) throw e.node().error("k (" + std::to_string(k) + ") is out of range for a 0-d tensor");
    return {x, e.op("aten::zeros", {e.ints({}), e.int_(4), e.none(), e.none(), e.none()})};
  }
  const PairwiseDim along = pairwise_dim(e, x, e.constant_int(2, "dim"), "selected", "selecting among");
  if (k < 1 || k > along.n)
    throw e.node().error("k (" + std::to_string(k) + ") is out of range for a dim of size " + std::to_string(along.n));
  SortedAlong s = sort_along(e, x, along.dim, false);
  return kept_or_squeezed(e, pick(e, s, along.dim, e.int_(k - 1)), along.dim, keepdim);
}

// The median's position along dim of each row, keepdim-shaped (or a constant).
Value* median_position(Emitter& e, Value* x, int64_t dim, int64_t n, bool ignore_nan) {
  if (!has_nan(e, x)) return e.int_((n - 1) / 2);
  Value* nans = nan_count(e, x, dim);
  if (ignore_nan) {
    // (n - nans - 1) / 2, truncated: 0 for a row of NaNs.
    Value* left = e.op("aten::rsub.Scalar", {nans, e.int_(n - 1), e.int_(1)});
    return e.op("aten::floor_divide.Scalar", {e.op("aten::clamp_min", {left, e.int_(0)}), e.int_(2)});
  }
  // A row with a NaN gives its first NaN, which the stable sort puts at n - nans.
  Value* first_nan = e.op("aten::rsub.Scalar", {nans, e.int_(n), e.int_(1)});
  Value* any = e.op("aten::gt.Scalar", {nans, e.int_(0)});
  return e.op("aten::where.ScalarOther", {any, first_nan, e.int_((n - 1) / 2)});
}

std::vector<Value*> median_along(Emitter& e, bool ignore_nan) {
  Value* x = e.input(0);
  const bool keepdim = e.constant_bool(2, "keepdim");
  if (rank_of(e, x) == 0) return {x, e.op("aten::zeros", {e.ints({}), e.int_(4), e.none(), e.none(), e.none()})};
  const PairwiseDim along = pairwise_dim(e, x, e.constant_int(1, "dim"), "reduced", "taking the median of");
  SortedAlong s = sort_along(e, x, along.dim, false);
  Value* at = median_position(e, x, along.dim, along.n, ignore_nan);
  return kept_or_squeezed(e, pick(e, s, along.dim, at), along.dim, keepdim);
}

std::vector<Value*> median_dim(Emitter& e) { return median_along(e, false); }
std::vector<Value*> nanmedian_dim(Emitter& e) { return median_along(e, true); }

Value* median_all(Emitter& e, bool ignore_nan) {
  Value* x = e.op("aten::reshape", {e.input(0), e.ints({-1})});
  const auto& shape = e.shape(e.input(0), "input");
  int64_t n = 1;
  for (const ir::Dim& d : shape) {
    if (!d.is_static()) throw e.node().error("needs every size of its input, got " + d.str());
    n *= d.value();
  }
  if (n == 0) throw e.node().error("the median of an empty tensor is undefined");
  pairwise_dim(e, x, 0, "flattened", "taking the median of");
  SortedAlong s = sort_along(e, x, 0, false);
  Value* at = median_position(e, x, 0, n, ignore_nan);
  return squeeze(e, pick(e, s, 0, at)[0], 0);
}

Value* median(Emitter& e) { return median_all(e, false); }
Value* nanmedian(Emitter& e) { return median_all(e, true); }

// quantile / nanquantile, q a tensor (0-d or 1-d) or a float (.scalar).
Value* quantile_with(Emitter& e, bool ignore_nan) {
  Value* x = e.input(0);
  const auto& dtype = x->type()->dtype();
  if (!dtype || !is_floating(*dtype)) throw e.node().error("quantile() takes a float or double input");
  const bool scalar_q = e.node().op().schema.overload == "scalar";
  const bool keepdim = e.constant_bool(3, "keepdim");
  const std::string mode = e.constant_string(4, "interpolation");
  if (mode != "linear" && mode != "lower" && mode != "higher" && mode != "nearest" && mode != "midpoint")
    throw e.node().error("interpolation must be linear, lower, higher, midpoint or nearest, got '" + mode + "'");
  const int64_t rank = rank_of(e, x);
  const bool all_dims = e.absent(2);
  // The reduced dim moved last: [rest..., n].
  Value* rows = x;
  int64_t dim = 0;
  if (all_dims) {
    rows = e.op("aten::reshape", {x, e.ints({-1})});
  } else if (rank > 0) {
    dim = e.constant_int(2, "dim");
    if (dim < -rank || dim >= rank) throw e.node().error("dim " + std::to_string(dim) + " out of range");
    if (dim < 0) dim += rank;
    rows = e.op("aten::movedim.int", {x, e.int_(dim), e.int_(-1)});
  } else {
    rows = e.op("aten::reshape", {x, e.ints({1})});
  }
  const int64_t row_rank = rank_of(e, rows);
  const PairwiseDim along = pairwise_dim(e, rows, row_rank - 1, "reduced", "taking quantiles of");
  const int64_t last = along.n - 1;
  if (along.n == 0) throw e.node().error("quantile() of an empty dim is undefined");
  Value* sorted = sort_along(e, rows, row_rank - 1, false).values;

  // q as a 1-d tensor of x's dtype, viewed [1, ..., Q] against the rows.
  Value* q;
  bool q_vector = false;
  if (scalar_q) {
    auto qv = ir::constant_double(e.input(1));
    if (qv && (*qv < 0 || *qv > 1)) throw e.node().error("q must be in the range [0, 1], got " + std::to_string(*qv));
    q = e.op("aten::full", {e.ints({1}), e.input(1), e.int_(*torch_code_of(*dtype)), e.none(), e.none(), e.none()});
  } else {
    const auto& qshape = e.shape(e.input(1), "q");
    if (qshape.size() > 1) throw e.node().error("q must be a scalar or a 1-d tensor");
    if (e.input(1)->type()->dtype() != dtype) throw e.node().error("q must have the input's dtype");
    q_vector = qshape.size() == 1;
    q = e.op("aten::reshape", {e.input(1), e.ints({-1})});
  }
  std::vector<int64_t> qview(static_cast<size_t>(row_rank), 1);
  qview.back() = -1;
  q = e.op("aten::reshape", {q, e.ints(qview)});

  Value* ranks;
  if (ignore_nan) {
    Value* valid = e.op("aten::logical_not", {e.op("aten::isnan", {sorted})});
    Value* count = e.sum(e.cast(valid, DType::i64), {row_rank - 1}, true);
    ranks = e.mul(q, e.op("aten::sub.Scalar", {count, e.int_(1), e.int_(1)}));
    ranks = e.op("aten::clamp_min", {ranks, e.int_(0)});
  } else {
    Value* any_nan = e.op("aten::gt.Scalar", {nan_count(e, sorted, row_rank - 1), e.int_(0)});
    ranks = e.op("aten::where.ScalarSelf", {any_nan, e.int_(last), e.op("aten::mul.Scalar", {q, e.int_(last)})});
  }
  if (mode == "lower") ranks = e.op("aten::floor", {ranks});
  if (mode == "higher") ranks = e.op("aten::ceil", {ranks});
  if (mode == "nearest") ranks = e.op("aten::round", {ranks});
  // ranks broadcast to [rest..., Q]: the NaN test or count of each row against q.
  Value* below_at = e.cast(ranks, DType::i64);
  Value* result = e.op("aten::gather", {sorted, e.int_(row_rank - 1), below_at, e.bool_(false)});
  if (mode == "linear" || mode == "midpoint") {
    Value* weights = mode == "midpoint" ? e.op("aten::full_like", {ranks, e.float_(0.5), e.none(), e.none(), e.none(),
                                                                   e.none(), e.none()})
                                        : e.sub(ranks, e.cast(below_at, *dtype));
    Value* above_at = e.cast(e.op("aten::ceil", {ranks}), DType::i64);
    Value* above = e.op("aten::gather", {sorted, e.int_(row_rank - 1), above_at, e.bool_(false)});
    result = e.op("aten::lerp.Tensor", {result, above, weights});
  }
  // [rest..., Q] -> [Q, rest...] (or [rest...] for a scalar q), the reduced dim kept as 1 if asked.
  if (q_vector) {
    result = e.op("aten::movedim.int", {result, e.int_(-1), e.int_(0)});
  } else {
    result = squeeze(e, result, row_rank - 1);
  }
  if (keepdim) {
    const int64_t lead = q_vector ? 1 : 0;
    if (all_dims || rank == 0) {
      for (int64_t d = 0; d < rank; ++d) result = unsqueeze(e, result, lead);
    } else {
      result = unsqueeze(e, result, lead + dim);
    }
  }
  return result;
}

Value* quantile(Emitter& e) { return quantile_with(e, false); }
Value* nanquantile(Emitter& e) { return quantile_with(e, true); }

int64_t largest_int(DType t) {
  switch (t) {
    case DType::i32: return std::numeric_limits<int32_t>::max();
    case DType::i16: return std::numeric_limits<int16_t>::max();
    case DType::i8: return std::numeric_limits<int8_t>::max();
    case DType::u8: return 255;
    default: return std::numeric_limits<int64_t>::max();
  }
}

std::vector<Value*> mode(Emitter& e) {
  Value* x = e.input(0);
  const bool keepdim = e.constant_bool(2, "keepdim");
  const int64_t rank = rank_of(e, x);
  if (rank == 0) return {x, e.op("aten::zeros", {e.ints({}), e.int_(4), e.none(), e.none(), e.none()})};
  const PairwiseDim along = pairwise_dim(e, x, e.constant_int(1, "dim"), "reduced", "taking the mode of");
  const int64_t dim = along.dim;
  const auto& dtype = x->type()->dtype();
  if (!dtype) throw e.node().error("needs an input of known dtype");
  Value* xi = unsqueeze(e, x, dim + 1);
  Value* xj = unsqueeze(e, x, dim);
  Value* counts = e.sum(e.cast(e.op("aten::eq.Tensor", {xj, xi}), DType::i64), {dim + 1}, false);
  Value* most = e.op("aten::amax", {counts, e.ints({dim}), e.bool_(true)});
  Value* candidate = e.op("aten::eq.Tensor", {counts, most});
  // The smallest candidate value: others replaced by the dtype's largest.
  Value* values_in = *dtype == DType::b8 ? e.cast(x, DType::i64) : x;
  Value* big = is_floating(*dtype) ? e.float_(std::numeric_limits<double>::infinity()) : e.int_(largest_int(*dtype));
  Value* value = e.op("aten::amin", {e.op("aten::where.ScalarOther", {candidate, values_in, big}), e.ints({dim}),
                                     e.bool_(true)});
  Value* holds = e.op("aten::eq.Tensor", {values_in, value});
  Value* positions = positions_along(e, along.n, dim, rank);
  Value* index = e.op("aten::amax", {e.op("aten::where.ScalarOther", {holds, positions, e.int_(-1)}), e.ints({dim}),
                                     e.bool_(true)});
  if (*dtype == DType::b8) value = e.cast(value, DType::b8);
  return kept_or_squeezed(e, {value, index}, dim, keepdim);
}

}  // namespace

std::vector<NamedRule> selection_rules() {
  return {{"aten::median", median},
          {"aten::nanmedian", nanmedian},
          {"aten::quantile", quantile},
          {"aten::quantile.scalar", quantile},
          {"aten::nanquantile", nanquantile},
          {"aten::nanquantile.scalar", nanquantile}};
}

std::vector<NamedMultiRule> selection_multi_rules() {
  return {{"aten::kthvalue", kthvalue},
          {"aten::median.dim", median_dim},
          {"aten::nanmedian.dim", nanmedian_dim},
          {"aten::mode", mode}};
}

}  // namespace wick::passes::decompose_detail

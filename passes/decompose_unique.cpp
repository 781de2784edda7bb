// Decomposition rules for distinct values, whose count the data decides:
//   unique_consecutive(x)  = over x flattened [n]: a group starts where an
//       element differs from the one before; values = x at the starts
//       (nonzero's positions, a dynamic dim K), inverse = each element's
//       group (the starts at or before it, counted over every pair, less 1),
//       counts = the elements of each group (group == k, counted per k)
//   _unique2(x) (torch.unique over all elements) = the same over x sorted
//       (decompose_sort.cpp's stable sort), each element's group scattered
//       back to its place through the sort's indices; sorted=False sorts
//       too (torch leaves that order unspecified)
//   unique_dim(x, 0), unique_consecutive(x, dim=0) = the same over x's rows
//       (its dim-0 slices, flattened): a group starts where a row differs
//       anywhere from the one before; unique_dim sorts the rows
//       lexicographically first (each pair ordered by its first differing
//       element, NaN after every number, rows that do not differ by their
//       index, so that the ranks are a permutation); inverse is [n]
// n must be known when compiling and at most 4096 (the pairs counted); for
// rows, n^2 times the row's length at most 2^22.
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Value;

Value* range(Emitter& e, int64_t n) { return e.op("aten::arange", {e.int_(n), e.int_(4), e.none(), e.none(), e.none()}); }

// The order that sorts the rows [n, m] lexicographically, stably.
Value* row_order(Emitter& e, Value* rows, int64_t n, Value* positions) {
  Value* a = e.op("aten::unsqueeze", {rows, e.int_(1)});  // [n, 1, m]: row i
  Value* b = e.op("aten::unsqueeze", {rows, e.int_(0)});  // [1, n, m]: row j
  Value* ne = e.op("aten::ne.Tensor", {a, b});
  // The first element where rows i and j differ (0 where they do not).
  Value* first = e.op("aten::unsqueeze", {e.op("aten::argmax", {e.cast(ne, DType::i32), e.int_(-1), e.bool_(false)}), e.int_(-1)});
  auto at_first = [&](Value* v) {
    Value* full = e.op("aten::expand", {v, e.ints({n, n, -1}), e.bool_(false)});
    return e.op("aten::squeeze.dim", {e.op("aten::gather", {full, e.int_(-1), first, e.bool_(false)}), e.int_(-1)});
  };
  Value *ai = at_first(a), *bj = at_first(b);
  // i before j: a smaller first differing element (NaN after numbers), or
  // neither before the other and i < j.
  auto before = [&](Value* p, Value* q) {
    Value* nan_after = e.op("aten::logical_and", {e.op("aten::isnan", {q}), e.op("aten::logical_not", {e.op("aten::isnan", {p})})});
    return e.op("aten::logical_or", {e.op("aten::lt.Tensor", {p, q}), nan_after});
  };
  Value* i_first = before(ai, bj);
  Value* j_first = before(bj, ai);
  Value* i = e.op("aten::unsqueeze", {positions, e.int_(1)});
  Value* j = e.op("aten::unsqueeze", {positions, e.int_(0)});
  Value* tie = e.op("aten::logical_and", {e.op("aten::logical_not", {e.op("aten::logical_or", {i_first, j_first})}),
                                          e.op("aten::lt.Tensor", {i, j})});
  Value* precedes = e.op("aten::logical_or", {i_first, tie});  // [n, n]: row i before row j
  Value* rank = e.sum(e.cast(precedes, DType::i64), {0}, false);  // rows before each row j
  Value* zeros = e.op("aten::zeros_like", {positions, e.none(), e.none(), e.none(), e.none(), e.none()});
  return e.op("aten::scatter.src", {zeros, e.int_(0), rank, positions});
}

// The distinct values of x, or with `rows` of its dim-0 slices.
std::vector<Value*> unique_of(Emitter& e, bool sort, bool want_inverse, bool want_counts, bool rows = false) {
  Value* x = e.input(0);
  const auto& shape = e.shape(x, "input");
  Value* flat = e.op("aten::reshape", {x, e.ints(rows ? std::vector<int64_t>{shape[0].is_static() ? shape[0].value() : -1, -1}
                                                        : std::vector<int64_t>{-1})});
  const PairwiseDim along = pairwise_dim(e, flat, 0, rows ? "dim 0" : "flattened", "finding the distinct values of");
  const int64_t n = along.n;
  if (n == 0) throw e.node().error("the distinct values of an empty tensor are not supported");
  int64_t m = 1;
  if (rows) {
    const auto& fs = e.shape(flat, "rows");
    if (!fs[1].is_static()) throw e.node().error("unique along dim 0 needs the other sizes known when compiling");
    m = fs[1].value();
    if (n * n * m > (int64_t{1} << 22))
      throw e.node().error("unique along dim 0 compares every pair of rows: " + std::to_string(n) + " rows of " +
                           std::to_string(m) + " elements are too many (n^2 m above 2^22)");
  }
  Value* positions = range(e, n);
  Value* order = nullptr;
  if (sort && rows) {
    order = row_order(e, flat, n, positions);
    flat = e.op("aten::index.Tensor", {flat, e.list({order})});
  } else if (sort) {
    SortedAlong s = sort_along(e, flat, 0, false);
    flat = s.values;
    order = s.indices;
  }
  // A group starts at 0 and wherever an element (a row) differs from the one before.
  Value* before = e.op("aten::cat", {e.list({e.op("aten::slice.Tensor", {flat, e.int_(0), e.int_(0), e.int_(1), e.int_(1)}),
                                             e.op("aten::slice.Tensor", {flat, e.int_(0), e.int_(0), e.int_(n - 1), e.int_(1)})}),
                                     e.int_(0)});
  Value* changed = e.op("aten::ne.Tensor", {flat, before});
  if (rows) changed = e.op("aten::any.dim", {changed, e.int_(1), e.bool_(false)});
  Value* starts = e.op("aten::logical_or", {changed, e.op("aten::eq.Scalar", {positions, e.int_(0)})});
  Value* at = mask_columns(e, starts, 1)[0];  // [K]
  Value* values = e.op("aten::index.Tensor", {flat, e.list({at})});
  if (rows) {
    // The rows back in x's shape: [K, ...].
    std::vector<Size> sizes{Size::dim_of(0)};
    for (size_t d = 1; d < shape.size(); ++d) sizes.push_back(Size::fixed(shape[d].value()));
    values = e.op("aten::reshape", {values, e.sizes(values, sizes)});
  }
  Value* group = nullptr;
  if (want_inverse || want_counts) {
    // group[i] = the starts at positions j <= i, less 1.
    Value* j = e.op("aten::unsqueeze", {positions, e.int_(0)});
    Value* i = e.op("aten::unsqueeze", {positions, e.int_(1)});
    Value* counted = e.op("aten::logical_and", {e.op("aten::le.Tensor", {j, i}), e.op("aten::unsqueeze", {starts, e.int_(0)})});
    group = e.op("aten::sub.Scalar", {e.sum(e.cast(counted, DType::i64), {1}, false), e.int_(1), e.int_(1)});
  }
  Value* inverse = nullptr;
  if (want_inverse) {
    inverse = group;
    if (order) {
      Value* zeros = e.op("aten::zeros_like", {group, e.none(), e.none(), e.none(), e.none(), e.none()});
      inverse = e.op("aten::scatter.src", {zeros, e.int_(0), order, group});
    }
    if (!rows) {
      std::vector<Size> sizes;
      for (size_t d = 0; d < shape.size(); ++d) sizes.push_back(Size::dim_of(static_cast<int>(d)));
      inverse = e.op("aten::reshape", {inverse, e.sizes(x, sizes)});
    }
  }
  Value* counts = nullptr;
  if (want_counts) {
    Value* groups = e.op("aten::arange", {e.op("aten::size.int", {at, e.int_(0)}), e.int_(4), e.none(), e.none(), e.none()});
    Value* k = e.op("aten::unsqueeze", {groups, e.int_(1)});  // [K, 1]
    Value* member = e.op("aten::eq.Tensor", {e.op("aten::unsqueeze", {group, e.int_(0)}), k});  // [K, n]
    counts = e.sum(e.cast(member, DType::i64), {1}, false);
  }
  return {values, inverse, counts};
}

std::vector<Value*> unique2(Emitter& e) {
  return unique_of(e, true, e.constant_bool(2, "return_inverse"), e.constant_bool(3, "return_counts"));
}

std::vector<Value*> unique_consecutive(Emitter& e) {
  return unique_of(e, false, e.constant_bool(1, "return_inverse"), e.constant_bool(2, "return_counts"), !e.absent(3));
}

// Torch sorts the rows whatever `sorted` says.
std::vector<Value*> unique_dim(Emitter& e) {
  return unique_of(e, true, e.constant_bool(3, "return_inverse"), e.constant_bool(4, "return_counts"), true);
}

}  // namespace

std::vector<NamedMultiRule> unique_multi_rules() {
  return {{"aten::_unique2", unique2}, {"aten::unique_consecutive", unique_consecutive}, {"aten::unique_dim", unique_dim}};
}

}  // namespace wick::passes::decompose_detail

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
// n must be known when compiling and at most 4096 (the pairs counted).
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Value;

Value* range(Emitter& e, int64_t n) { return e.op("aten::arange", {e.int_(n), e.int_(4), e.none(), e.none(), e.none()}); }

std::vector<Value*> unique_of(Emitter& e, bool sort, bool want_inverse, bool want_counts) {
  Value* x = e.input(0);
  const auto& shape = e.shape(x, "input");
  Value* flat = e.op("aten::reshape", {x, e.ints({-1})});
  const PairwiseDim along = pairwise_dim(e, flat, 0, "flattened", "finding the distinct values of");
  const int64_t n = along.n;
  if (n == 0) throw e.node().error("the distinct values of an empty tensor are not supported");
  Value* order = nullptr;
  if (sort) {
    SortedAlong s = sort_along(e, flat, 0, false);
    flat = s.values;
    order = s.indices;
  }
  // A group starts at 0 and wherever an element differs from the one before.
  Value* before = e.op("aten::cat", {e.list({e.op("aten::slice.Tensor", {flat, e.int_(0), e.int_(0), e.int_(1), e.int_(1)}),
                                             e.op("aten::slice.Tensor", {flat, e.int_(0), e.int_(0), e.int_(n - 1), e.int_(1)})}),
                                     e.int_(0)});
  Value* positions = range(e, n);
  Value* starts = e.op("aten::logical_or", {e.op("aten::ne.Tensor", {flat, before}), e.op("aten::eq.Scalar", {positions, e.int_(0)})});
  Value* at = mask_columns(e, starts, 1)[0];  // [K]
  Value* values = e.op("aten::index.Tensor", {flat, e.list({at})});
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
    std::vector<Size> sizes;
    for (size_t d = 0; d < shape.size(); ++d) sizes.push_back(Size::dim_of(static_cast<int>(d)));
    inverse = e.op("aten::reshape", {inverse, e.sizes(x, sizes)});
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
  if (!e.absent(3)) throw e.node().error("unique_consecutive along a dim is not supported; only over all elements");
  return unique_of(e, false, e.constant_bool(1, "return_inverse"), e.constant_bool(2, "return_counts"));
}

}  // namespace

std::vector<NamedMultiRule> unique_multi_rules() {
  return {{"aten::_unique2", unique2}, {"aten::unique_consecutive", unique_consecutive}};
}

}  // namespace wick::passes::decompose_detail

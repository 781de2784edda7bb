// Decomposition rules for similarities and distances between rows:
//   cosine_similarity(a, b, d, eps) = sum(a b, d) / (max(|a|, eps) max(|b|, eps)),
//       |v| the 2-norm over d, as PyTorch computes it since 1.12
//   pairwise_distance(a, b, p, eps) = p-norm of a - b + eps over the last dim
//   cdist(x1, x2, p)                = p-norm over the last dim of
//       x1[.., :, None, :] - x2[.., None, :, :] (0: nonzero count, inf: max),
//       computed directly as torch does for up to 25 rows (torch's matrix
//       product form for more rows rounds differently); 2-norms of zero
//       pass a zero gradient, as torch's
//   pdist(x, p)                     = the same norm of x[i] - x[j] for the
//       rows i < j, in row-major order
//   dist(a, b, p)                   = the p-norm of a - b over all elements
#include <cmath>

#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Value;

int64_t compared_dim(Emitter& e, int64_t d) {
  const int64_t rank = static_cast<int64_t>(e.shape(e.node().output(), "result").size()) + 1;
  if (d < -rank || d >= rank) throw e.node().error("dim " + std::to_string(d) + " out of range");
  return d < 0 ? d + rank : d;
}

Value* cosine_similarity(Emitter& e) {
  Value *a = e.input(0), *b = e.input(1);
  const int64_t d = compared_dim(e, e.constant_int(2, "dim"));
  const auto eps = ir::constant_double(e.input(3));
  if (!eps) throw e.node().error("eps must be a constant");
  auto norm = [&](Value* v) {
    Value* n = e.op("aten::sqrt", {e.sum(e.mul(v, v), {d}, false)});
    return e.op("aten::clamp_min", {n, e.float_(*eps)});
  };
  Value* ab = e.mul(a, b);
  // Broadcast first, so that each norm covers the rows it is paired with.
  Value* wa = e.op("aten::expand_as", {a, ab});
  Value* wb = e.op("aten::expand_as", {b, ab});
  return e.div(e.sum(ab, {d}, false), e.mul(norm(wa), norm(wb)));
}

Value* pairwise_distance(Emitter& e) {
  Value* diff = e.op("aten::add.Scalar", {e.sub(e.input(0), e.input(1)), e.input(3), e.int_(1)});
  const int64_t last = static_cast<int64_t>(e.shape(diff, "difference").size()) - 1;
  if (last < 0) throw e.node().error("needs tensors of at least one dim");
  return e.op("aten::norm.ScalarOpt_dim", {diff, e.input(2), e.ints({last}), e.input(4)});
}

// The p-norm over the last dim of `diff` (|a - b|, non-negative).
Value* distance_over_last(Emitter& e, Value* diff, double p) {
  auto sum_last = [&](Value* v) { return e.sum(v, {-1}, false); };
  if (p == 0) return sum_last(e.cast(e.op("aten::ne.Scalar", {diff, e.int_(0)}), *diff->type()->dtype()));
  if (p == 1) return sum_last(diff);
  if (std::isinf(p)) return e.op("aten::amax", {diff, e.ints({-1}), e.bool_(false)});
  if (p == 2) {
    Value* squares = sum_last(e.mul(diff, diff));
    Value* zero = e.op("aten::eq.Scalar", {squares, e.int_(0)});
    Value* root = e.op("aten::sqrt", {e.op("aten::where.ScalarSelf", {zero, e.float_(1.0), squares})});
    return e.op("aten::where.ScalarSelf", {zero, e.float_(0.0), root});
  }
  Value* powered = sum_last(e.op("aten::pow.Tensor_Scalar", {diff, e.float_(p)}));
  return e.op("aten::pow.Tensor_Scalar", {powered, e.float_(1.0 / p)});
}

double constant_p(Emitter& e, size_t i) {
  auto p = ir::constant_double(e.input(i));
  if (!p) throw e.node().error("p must be a constant");
  if (*p < 0) throw e.node().error("p must be non-negative, got " + std::to_string(*p));
  return *p;
}

Value* cdist(Emitter& e) {
  const double p = constant_p(e, 2);
  Value* a = e.op("aten::unsqueeze", {e.input(0), e.int_(-2)});
  Value* b = e.op("aten::unsqueeze", {e.input(1), e.int_(-3)});
  return distance_over_last(e, e.op("aten::abs", {e.sub(a, b)}), p);
}

// pdist(x [N, M], p): the distances of rows i < j, in that order; only
// those pairs are computed.
Value* pdist(Emitter& e) {
  Value* x = e.input(0);
  const auto& shape = e.shape(x, "input");
  if (shape.size() != 2) throw e.node().error("pdist needs a 2-D input, got " + std::to_string(shape.size()) + " dims");
  if (!shape[0].is_static()) throw e.node().error("needs the number of rows, got " + shape[0].str());
  const double p = constant_p(e, 1);
  const int64_t n = shape[0].value();
  if (n < 2) return e.op("aten::zeros", {e.ints({0}), e.int_(*torch_code_of(*x->type()->dtype())), e.none(), e.none(),
                                         e.none()});
  Value* pairs = triangle_positions(e, n, n, 1, false);
  auto rows = [&](int64_t column) {
    Value* index = e.op("aten::select.int", {pairs, e.int_(1), e.int_(column)});
    return e.op("aten::index_select", {x, e.int_(0), index});
  };
  return distance_over_last(e, e.op("aten::abs", {e.sub(rows(0), rows(1))}), p);
}

Value* dist(Emitter& e) {
  Value* difference = e.sub(e.input(0), e.input(1));
  const auto& t = difference->type()->dtype();
  if (t && !is_floating(*t)) difference = e.cast(difference, DType::f32);
  return e.op("aten::linalg_vector_norm", {difference, e.input(2), e.none(), e.bool_(false), e.none()});
}

}  // namespace

std::vector<NamedRule> distance_rules() {
  return {{"aten::cosine_similarity", cosine_similarity}, {"aten::pairwise_distance", pairwise_distance},
          {"aten::cdist", cdist}, {"aten::pdist", pdist}, {"aten::_pdist_forward", pdist}, {"aten::dist", dist}};
}

}  // namespace wick::passes::decompose_detail

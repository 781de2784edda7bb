// Decomposition rules for similarities and distances between rows:
//   cosine_similarity(a, b, d, eps) = sum(a b, d) / (max(|a|, eps) max(|b|, eps)),
//       |v| the 2-norm over d, as PyTorch computes it since 1.12
//   pairwise_distance(a, b, p, eps) = p-norm of a - b + eps over the last dim
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

}  // namespace

std::vector<NamedRule> distance_rules() {
  return {{"aten::cosine_similarity", cosine_similarity}, {"aten::pairwise_distance", pairwise_distance}};
}

}  // namespace wick::passes::decompose_detail

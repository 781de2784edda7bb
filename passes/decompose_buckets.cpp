// Decomposition rules for placing values among sorted boundaries, and
// counting them into bins:
//   bucketize(v, b, right)       = the number of boundaries b with
//       !(b >= v) (!(b > v) when right), which is the position ATen's
//       binary search finds in sorted boundaries (a NaN value counts every
//       boundary, as there); one comparison per value and boundary, summed
//   searchsorted(s, v, right, side, sorter)
//                                = the same along s's last dim: s 1-D for
//       any v, or s [..., B] with v [..., M] row by row; s read through
//       sorter when given; side 'right' is right
//   histc(x, bins, min, max)     = counts, in x's dtype, of the elements in
//       [lo, hi] at bin int((x - lo) * bins / (hi - lo)) in x's precision
//       (the last bin holding hi), as ATen's histc; lo, hi = min, max, or
//       x's own extremes when min == max (widened by 1 each way when they
//       too are equal); added up with index_put's accumulation
#include <cmath>

#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Value;

// The number of boundaries along `boundaries`' last dim before each value:
// values [..., 1] against boundaries [..., B] (or a scalar value).
Value* count_before(Emitter& e, Value* values, Value* boundaries, bool right) {
  const bool scalar = !values->type()->is_tensor();
  Value* passed = scalar ? e.op(right ? "aten::gt.Scalar" : "aten::ge.Scalar", {boundaries, values})
                         : e.op(right ? "aten::gt.Tensor" : "aten::ge.Tensor", {boundaries, values});
  Value* before = e.cast(e.op("aten::logical_not", {passed}), DType::i64);
  if (scalar) return e.sum(before, {}, false);
  return e.sum(before, {-1}, false);
}

Value* finish(Emitter& e, Value* counts, size_t out_int32_at) {
  return e.constant_bool(out_int32_at, "out_int32") ? e.cast(counts, DType::i32) : counts;
}

Value* bucketize(Emitter& e) {
  Value *values = e.input(0), *boundaries = e.input(1);
  if (e.shape(boundaries, "boundaries").size() != 1) throw e.node().error("boundaries must be a 1-D tensor");
  if (values->type()->is_tensor()) values = e.op("aten::unsqueeze", {values, e.int_(-1)});
  return finish(e, count_before(e, values, boundaries, e.constant_bool(3, "right")), 2);
}

Value* searchsorted(Emitter& e) {
  Value *sorted = e.input(0), *values = e.input(1);
  bool right = e.constant_bool(3, "right");
  if (!e.absent(4)) {
    const std::string side = e.constant_string(4, "side");
    if (side != "left" && side != "right") throw e.node().error("side must be 'left' or 'right', got '" + side + "'");
    if (side == "left" && right) throw e.node().error("side 'left' and right=True contradict each other");
    right = side == "right";
  }
  if (!e.absent(5)) sorted = e.op("aten::gather", {sorted, e.int_(-1), e.input(5), e.bool_(false)});
  const auto& seq = e.shape(sorted, "sorted_sequence");
  if (seq.empty()) throw e.node().error("sorted_sequence must have at least one dim");
  if (!values->type()->is_tensor()) {
    if (seq.size() != 1) throw e.node().error("a single value needs a 1-D sorted_sequence");
    return finish(e, count_before(e, values, sorted, right), 2);
  }
  const auto& shape = e.shape(values, "input");
  if (seq.size() > 1) {
    if (shape.size() != seq.size())
      throw e.node().error("sorted_sequence and the input must have the same number of dims, or a 1-D sequence");
    for (size_t d = 0; d + 1 < seq.size(); ++d)
      if (seq[d].is_static() && shape[d].is_static() && seq[d] != shape[d])
        throw e.node().error("sorted_sequence and the input differ in dim " + std::to_string(d) + " (" +
                             seq[d].str() + " and " + shape[d].str() + ")");
    sorted = e.op("aten::unsqueeze", {sorted, e.int_(-2)});
  }
  return finish(e, count_before(e, e.op("aten::unsqueeze", {values, e.int_(-1)}), sorted, right), 2);
}

Value* histc(Emitter& e) {
  Value* x = e.op("aten::reshape", {e.input(0), e.ints({-1})});
  const auto& dtype = x->type()->dtype();
  if (!dtype || !is_floating(*dtype)) throw e.node().error("histc takes a floating-point tensor");
  const int64_t bins = e.constant_int(1, "bins");
  if (bins <= 0) throw e.node().error("bins must be positive, got " + std::to_string(bins));
  auto min = ir::constant_double(e.input(2));
  auto max = ir::constant_double(e.input(3));
  if (!min || !max) throw e.node().error("min and max must be constants");
  if (*min > *max) throw e.node().error("max must be larger than min");
  if (!std::isfinite(*min) || !std::isfinite(*max)) throw e.node().error("the range of histc must be finite");
  const int code = static_cast<int>(*torch_code_of(*dtype));
  auto constant = [&](double v) { return e.op("aten::full", {e.ints({}), e.float_(v), e.int_(code), e.none(), e.none(), e.none()}); };
  Value *lo, *hi;
  if (*min == *max) {
    lo = e.op("aten::min", {x});
    hi = e.op("aten::max", {x});
    Value* same = e.op("aten::eq.Tensor", {lo, hi});
    lo = e.op("aten::where.self", {same, e.op("aten::sub.Scalar", {lo, e.int_(1), e.int_(1)}), lo});
    hi = e.op("aten::where.self", {same, e.op("aten::add.Scalar", {hi, e.int_(1), e.int_(1)}), hi});
  } else {
    lo = constant(*min);
    hi = constant(*max);
  }
  Value* inside = e.op("aten::logical_and", {e.op("aten::ge.Tensor", {x, lo}), e.op("aten::le.Tensor", {x, hi})});
  Value* scaled = e.div(e.op("aten::mul.Scalar", {e.sub(x, lo), e.int_(bins)}), e.sub(hi, lo));
  // Outside the range (NaN included) the position is unused: clamped to a bin.
  Value* bin = e.cast(e.op("aten::where.ScalarOther", {inside, scaled, e.float_(0.0)}), DType::i64);
  bin = e.op("aten::clamp", {bin, e.int_(0), e.int_(bins - 1)});
  Value* zeros = e.op("aten::zeros", {e.ints({bins}), e.int_(code), e.none(), e.none(), e.none()});
  return e.op("aten::index_put", {zeros, e.list({bin}), e.cast(inside, *dtype), e.bool_(true)});
}

}  // namespace

std::vector<NamedRule> bucket_rules() {
  return {{"aten::bucketize.Tensor", bucketize},
          {"aten::bucketize.Scalar", bucketize},
          {"aten::searchsorted.Tensor", searchsorted},
          {"aten::searchsorted.Scalar", searchsorted},
          {"aten::histc", histc}};
}

}  // namespace wick::passes::decompose_detail

// Decomposition of embedding_bag: the rows of `weight` the N indices look up,
// reduced per bag. Bag b holds the positions k from offsets[b] up to the
// next offset (the last bag up to N, or, with include_last_offset, up to
// the last offset):
//   bag[k]   = #{b : offsets[b] <= k} - 1, an [N, bags'] comparison summed
//   valid[k] = bag[k] in range, and indices[k] != padding_idx
//   sum      = index_add(zeros[bags, D], 0, bag, rows * valid * per_sample_weights)
//   mean     = sum / max(count, 1), count the valid positions of each bag
//   max      = amax over k of (bag[k] == b and valid[k] ? rows[k] : -inf),
//              one fused reduction over [bags, N, D]; 0 for an empty bag
// so empty bags give zeros, as in torch. A position before offsets[0]
// (torch refuses offsets[0] != 0) is in no bag. The bookkeeping results
// torch also returns (offset2bag, bag_size, max_indices) are not computed:
// a graph that uses them is refused.
#include <cmath>

#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Value;

// The length of the 1-D tensor v, as an Int value.
Value* length_of(Emitter& e, Value* v) {
  const auto& shape = e.shape(v, "input");
  if (shape[0].is_static()) return e.int_(shape[0].value());
  return e.op("aten::size.int", {v, e.int_(0)});
}

Value* positions(Emitter& e, Value* n) { return e.op("aten::arange", {n, e.int_(4), e.none(), e.none(), e.none()}); }

std::vector<Value*> embedding_bag(Emitter& e) {
  Value* weight = e.input(0);
  Value* indices = e.input(1);
  Value* offsets = e.cast(e.input(2), DType::i64);
  const DType dtype = e.float_dtype(weight, "weight");
  const bool by_freq = e.constant_bool(3, "scale_grad_by_freq");
  const int64_t mode = e.constant_int(4, "mode");
  const bool sparse = e.constant_bool(5, "sparse");
  Value* sample_weights = e.absent(6) ? nullptr : e.input(6);
  const bool include_last = e.constant_bool(7, "include_last_offset");
  std::optional<int64_t> padding_idx;
  if (e.node().num_inputs() > 8 && !e.absent(8)) {
    padding_idx = e.constant_int(8, "padding_idx");
    if (*padding_idx < 0) {
      const auto& rows = e.shape(weight, "weight")[0];
      if (!rows.is_static()) throw e.node().error("a negative padding_idx needs the weight's row count");
      *padding_idx += rows.value();
    }
  }
  Value* rows = e.op("aten::embedding", {weight, indices, e.int_(-1), e.bool_(by_freq), e.bool_(sparse)});  // [N, D]
  Value* k = positions(e, length_of(e, indices));
  Value* started = e.op("aten::le.Tensor", {e.op("aten::unsqueeze", {offsets, e.int_(0)}), e.op("aten::unsqueeze", {k, e.int_(1)})});
  Value* bag = e.op("aten::sub.Scalar", {e.sum(e.cast(started, DType::i64), {1}, false), e.int_(1), e.int_(1)});
  Value* valid = e.op("aten::ge.Scalar", {bag, e.int_(0)});
  auto both = [&](Value* a, Value* b) { return e.op("aten::logical_and", {a, b}); };
  if (include_last) {
    Value* end = e.op("aten::select.int", {offsets, e.int_(0), e.int_(-1)});
    valid = both(valid, e.op("aten::lt.Tensor", {k, end}));
  }
  if (padding_idx) valid = both(valid, e.op("aten::ne.Scalar", {indices, e.int_(*padding_idx)}));
  const auto& out_shape = e.node().output(0)->type()->shape();
  if (!out_shape || !(*out_shape)[0].is_static()) throw e.node().error("needs the number of bags (the offsets' length)");
  const int64_t bags = (*out_shape)[0].value();
  const auto& d = e.shape(weight, "weight")[1];
  if (!d.is_static()) throw e.node().error("needs the embedding size");
  Value* zero_bags = e.op("aten::zeros", {e.ints({bags, d.value()}), e.int_(*torch_code_of(dtype)), e.none(), e.none(), e.none()});
  Value* out;
  if (mode == 2) {
    Value* member = both(e.op("aten::eq.Tensor", {e.op("aten::unsqueeze", {bag, e.int_(0)}),
                                                  e.op("aten::unsqueeze", {positions(e, e.int_(bags)), e.int_(1)})}),
                         e.op("aten::unsqueeze", {valid, e.int_(0)}));  // [bags, N]
    Value* candidates = e.op("aten::where.ScalarOther", {e.op("aten::unsqueeze", {member, e.int_(2)}),
                                                         e.op("aten::unsqueeze", {rows, e.int_(0)}), e.float_(-INFINITY)});
    Value* best = e.op("aten::amax", {candidates, e.ints({1}), e.bool_(false)});
    Value* filled = e.op("aten::amax", {member, e.ints({1}), e.bool_(true)});
    out = e.op("aten::where.ScalarOther", {filled, best, e.int_(0)});
  } else {
    Value* target = e.op("aten::where.ScalarOther", {valid, bag, e.int_(0)});
    Value* scale = e.cast(valid, dtype);
    if (sample_weights) scale = e.mul(scale, sample_weights);
    Value* scaled = e.mul(rows, e.op("aten::unsqueeze", {scale, e.int_(1)}));
    out = e.op("aten::index_add", {zero_bags, e.int_(0), target, scaled, e.int_(1)});
    if (mode == 1) {
      Value* zero_counts = e.op("aten::zeros", {e.ints({bags}), e.int_(*torch_code_of(dtype)), e.none(), e.none(), e.none()});
      Value* counts = e.op("aten::index_add", {zero_counts, e.int_(0), target, e.cast(valid, dtype), e.int_(1)});
      out = e.div(out, e.op("aten::unsqueeze", {e.op("aten::clamp_min", {counts, e.int_(1)}), e.int_(1)}));
    }
  }
  return {out, nullptr, nullptr, nullptr};
}

}  // namespace

std::vector<NamedMultiRule> bag_multi_rules() {
  return {{"aten::embedding_bag", embedding_bag}, {"aten::embedding_bag.padding_idx", embedding_bag}};
}

}  // namespace wick::passes::decompose_detail

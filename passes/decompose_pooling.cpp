// Decomposition rules for 1-D pooling: the input [N, C, L] (or [C, L]) is
// viewed [N, C, 1, L] and pooled in 2-D with a [1, k] window, as PyTorch
// does, then viewed back. Adaptive pooling to a size that divides L is an
// average pool with windows of L / size.
#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Value;

// An int[1] argument as its one value.
int64_t one_int(Emitter& e, size_t i, const char* what, int64_t if_empty) {
  auto list = ir::constant_int_list(e.input(i));
  if (!list) {
    if (auto v = ir::constant_int(e.input(i))) return *v;
    throw e.node().error(std::string(what) + " must be a constant");
  }
  if (list->empty()) return if_empty;
  if (list->size() != 1) throw e.node().error(std::string(what) + " needs one value, got " + std::to_string(list->size()));
  return list->front();
}

Value* widen(Emitter& e, Value* x) { return e.op("aten::unsqueeze", {x, e.int_(-2)}); }
Value* narrow_back(Emitter& e, Value* y) { return e.op("aten::squeeze.dim", {y, e.int_(-2)}); }

Value* max_pool1d(Emitter& e) {
  const int64_t k = one_int(e, 1, "kernel_size", 0);
  const int64_t s = one_int(e, 2, "stride", k);
  const int64_t p = one_int(e, 3, "padding", 0);
  const int64_t d = one_int(e, 4, "dilation", 1);
  return narrow_back(e, e.op("aten::max_pool2d", {widen(e, e.input(0)), e.ints({1, k}), e.ints({1, s}),
                                                  e.ints({0, p}), e.ints({1, d}), e.input(5)}));
}

Value* avg_pool1d(Emitter& e) {
  const int64_t k = one_int(e, 1, "kernel_size", 0);
  const int64_t s = one_int(e, 2, "stride", k);
  const int64_t p = one_int(e, 3, "padding", 0);
  return narrow_back(e, e.op("aten::avg_pool2d", {widen(e, e.input(0)), e.ints({1, k}), e.ints({1, s}),
                                                  e.ints({0, p}), e.input(4), e.input(5), e.none()}));
}

// Windows of one size when the length divides evenly: a plain average pool,
// which every device has.
Value* adaptive_avg_pool1d(Emitter& e) {
  const int64_t size = one_int(e, 1, "output_size", -1);
  const auto& shape = e.shape(e.input(0), "input");
  if (!shape.empty() && shape.back().is_static() && size > 0 && shape.back().value() % size == 0) {
    const int64_t k = shape.back().value() / size;
    return narrow_back(e, e.op("aten::avg_pool2d", {widen(e, e.input(0)), e.ints({1, k}), e.ints({1, k}),
                                                    e.ints({0, 0}), e.bool_(false), e.bool_(true), e.none()}));
  }
  return narrow_back(e, e.op("aten::adaptive_avg_pool2d", {widen(e, e.input(0)), e.ints({1, size})}));
}

}  // namespace

std::vector<NamedRule> pooling_rules() {
  return {{"aten::max_pool1d", max_pool1d},
          {"aten::avg_pool1d", avg_pool1d},
          {"aten::adaptive_avg_pool1d", adaptive_avg_pool1d}};
}

}  // namespace wick::passes::decompose_detail

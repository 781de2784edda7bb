// Decomposition rules for 1-D pooling: the input [N, C, L] (or [C, L]) is
// viewed [N, C, 1, L] and pooled in 2-D with a [1, k] window, as PyTorch
// does, then viewed back. Adaptive pooling to a size that divides L is an
// average pool with windows of L / size.
//
// Adaptive pooling is separable: each pooled dim in turn, output j the
// maximum (or mean) over [floor(j*L/size), ceil((j+1)*L/size)); a dim that
// divides evenly is reshaped to [size, L/size] and reduced at once, others
// are a concatenation of reductions over slices. Adaptive max pooling
// (1-D, 2-D, 3-D) is written so on every device, or, when its indices (the
// second result) are used, as decompose_pool_indices.cpp writes it. For the
// GPU, which has no adaptive pooling kernel, and for f64 tensors,
// adaptive_avg_pool2d is written so too, or as one mean when its output is
// 1 x 1.
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

Value* adaptive_pool_along(Emitter& e, Value* x, int64_t dim, int64_t size, bool max) {
  const auto& shape = e.shape(x, "input");
  const ir::Dim& length_dim = shape[static_cast<size_t>(dim)];
  if (!length_dim.is_static()) throw e.node().error("needs the pooled dims known, got " + length_dim.str());
  const int64_t length = length_dim.value();
  if (size <= 0 || length <= 0) throw e.node().error("needs positive sizes to pool, got " + std::to_string(length) +
                                                     " to " + std::to_string(size));
  if (length == size) return x;
  if (length % size == 0) {
    std::vector<Size> sizes;
    for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i) {
      if (i != dim) {
        sizes.push_back(Size::dim_of(static_cast<int>(i)));
        continue;
      }
      sizes.push_back(Size::fixed(size));
      sizes.push_back(Size::fixed(length / size));
    }
    Value* windows = e.op("aten::reshape", {x, e.sizes(x, sizes)});
    return max ? e.op("aten::amax", {windows, e.ints({dim + 1}), e.bool_(false)}) : e.mean(windows, {dim + 1}, false);
  }
  std::vector<Value*> pooled;
  for (int64_t j = 0; j < size; ++j) {
    const int64_t start = j * length / size, end = ((j + 1) * length + size - 1) / size;
    Value* window = e.op("aten::slice.Tensor", {x, e.int_(dim), e.int_(start), e.int_(end), e.int_(1)});
    pooled.push_back(max ? e.op("aten::amax", {window, e.ints({dim}), e.bool_(true)}) : e.mean(window, {dim}, true));
  }
  return e.op("aten::cat", {e.list(pooled), e.int_(dim)});
}

namespace {

// adaptive_max_pool1d/2d/3d(x, output_size) -> (values, indices).
std::vector<Value*> adaptive_max_pool(Emitter& e) {
  const std::string& name = e.node().op().schema.name;
  const size_t n = name == "adaptive_max_pool1d" ? 1 : name == "adaptive_max_pool2d" ? 2 : 3;
  const size_t rank = e.shape(e.input(0), "input").size();
  if (rank != n + 1 && rank != n + 2)
    throw e.node().error("needs a " + std::to_string(n + 1) + "-D or " + std::to_string(n + 2) + "-D input, got rank " +
                         std::to_string(rank));
  const auto sizes = e.constant_ints(1, n, "output_size");
  if (e.node().output(1)->has_uses()) return adaptive_max_with_indices(e, e.input(0), sizes);
  Value* y = e.input(0);
  for (size_t i = 0; i < n; ++i) y = adaptive_pool_along(e, y, static_cast<int64_t>(rank - n + i), sizes[i], true);
  return {y, nullptr};
}

}  // namespace

Value* adaptive_avg_pool2d_by_dims(Emitter& e) {
  const auto sizes = e.constant_ints(1, 2, "output_size");
  Value* x = e.input(0);
  const int64_t rank = static_cast<int64_t>(e.shape(x, "input").size());
  if (rank != 3 && rank != 4) throw e.node().error("needs a 3-D or 4-D input, got rank " + std::to_string(rank));
  if (sizes == std::vector<int64_t>{1, 1}) return e.mean(x, {-2, -1}, true);
  for (int64_t i = 0; i < 2; ++i) x = adaptive_pool_along(e, x, rank - 2 + i, sizes[static_cast<size_t>(i)], false);
  return x;
}

std::vector<NamedMultiRule> pooling_multi_rules() {
  return {{"aten::adaptive_max_pool1d", adaptive_max_pool},
          {"aten::adaptive_max_pool2d", adaptive_max_pool},
          {"aten::adaptive_max_pool3d", adaptive_max_pool}};
}

std::vector<NamedRule> gpu_pooling_rules() {
  return {{"aten::adaptive_avg_pool2d", adaptive_avg_pool2d_by_dims}};
}

std::vector<NamedRule> pooling_rules() {
  return {{"aten::max_pool1d", max_pool1d},
          {"aten::avg_pool1d", avg_pool1d},
          {"aten::adaptive_avg_pool1d", adaptive_avg_pool1d}};
}

}  // namespace wick::passes::decompose_detail

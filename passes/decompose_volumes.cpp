// Decomposition rules for 3-D convolution and pooling, over [N, C, T, H, W]
// (or unbatched [C, T, H, W]), written with their 2-D forms:
//   conv3d, for the GPU only (the CPU calls oneDNN's 3-D convolution, which
//     skips the copies below): time folds into the batch. The kt time taps of each output frame
//     are stacked beside the channels, [N, T', kt, C, H, W] viewed as
//     [N*T', kt*C, H, W], and one conv2d with the weight [O, kt*C, kh, kw]
//     does all the multiply-adds (the same count as a direct 3-D kernel; the
//     input is read kt times). Groups keep their channels together.
//   max_pool3d, avg_pool3d: a box window is separable,
//     so a 2-D pool over (H, W) with T as channels, then one over (T, H'*W')
//     with a [kt, 1] window, gives the 3-D result exactly: the maximum of
//     maxima, and for averages the sum of sums over the product of the
//     per-axis counts (padding and ceil_mode counted per axis, as torch
//     does; a divisor_override divides the second pool only).
//   adaptive_avg_pool3d: a mean, an average pool, or adaptive pooling one
//     dim at a time (decompose_pooling.cpp).
// Gradients and the GPU come with the 2-D ops.
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Dim;
using ir::Value;

int64_t static_dim(Emitter& e, Value* v, int64_t d, const char* what) {
  const auto& shape = e.shape(v, what);
  const Dim& dim = shape[static_cast<size_t>(d < 0 ? d + static_cast<int64_t>(shape.size()) : d)];
  if (!dim.is_static()) throw e.node().error(std::string("needs the ") + what + "'s last three dims known, got " + dim.str());
  return dim.value();
}

// The input's rank, 4 (unbatched) or 5.
size_t volume_rank(Emitter& e) {
  const size_t rank = e.shape(e.input(0), "input").size();
  if (rank != 4 && rank != 5) throw e.node().error("needs a 4-D or 5-D input, got rank " + std::to_string(rank));
  return rank;
}

// [..., T, H, W] viewed [M, T, H, W] for a 2-D op over (H, W).
Value* frames(Emitter& e, Value* x) {
  return e.op("aten::reshape", {x, e.ints({-1, static_dim(e, x, -3, "input"), static_dim(e, x, -2, "input"),
                                           static_dim(e, x, -1, "input")})});
}

// [M, T, H', W'] viewed [M, 1, T, H'*W'] for a 2-D op over (T, H'*W').
Value* times(Emitter& e, Value* y) {
  const int64_t t = static_dim(e, y, 1, "pooled frames");
  return e.op("aten::reshape", {y, e.ints({-1, 1, t, static_dim(e, y, 2, "pooled frames") * static_dim(e, y, 3, "pooled frames")})});
}

// [M, 1, T', H'*W'] back to the input's leading dims and [T', H', W'].
Value* volume_like(Emitter& e, Value* x, Value* pooled, Value* frames_pooled) {
  const size_t rank = e.shape(x, "input").size();
  std::vector<Size> sizes;
  for (size_t i = 0; i + 3 < rank; ++i) sizes.push_back(Size::dim_of(static_cast<int>(i)));
  sizes.push_back(Size::fixed(static_dim(e, pooled, 2, "pooled volume")));
  sizes.push_back(Size::fixed(static_dim(e, frames_pooled, 2, "pooled frames")));
  sizes.push_back(Size::fixed(static_dim(e, frames_pooled, 3, "pooled frames")));
  return e.op("aten::reshape", {pooled, e.sizes(x, sizes)});
}

// max_pool3d(x, kernel, stride, padding, dilation, ceil_mode).
Value* max_pool3d(Emitter& e) {
  volume_rank(e);
  const auto k = e.constant_ints(1, 3, "kernel_size");
  const auto s = e.constant_ints(2, 3, "stride", &k);
  const auto p = e.constant_ints(3, 3, "padding");
  const auto d = e.constant_ints(4, 3, "dilation");
  Value* ceil_mode = e.bool_(e.constant_bool(5, "ceil_mode"));
  Value* x = e.input(0);
  Value* hw = e.op("aten::max_pool2d", {frames(e, x), e.ints({k[1], k[2]}), e.ints({s[1], s[2]}), e.ints({p[1], p[2]}),
                                        e.ints({d[1], d[2]}), ceil_mode});
  Value* thw = e.op("aten::max_pool2d", {times(e, hw), e.ints({k[0], 1}), e.ints({s[0], 1}), e.ints({p[0], 0}),
                                         e.ints({d[0], 1}), ceil_mode});
  return volume_like(e, x, thw, hw);
}

// avg_pool3d(x, kernel, stride, padding, ceil_mode, count_include_pad,
// divisor_override).
Value* avg_pool3d(Emitter& e) {
  volume_rank(e);
  const auto k = e.constant_ints(1, 3, "kernel_size");
  const auto s = e.constant_ints(2, 3, "stride", &k);
  const auto p = e.constant_ints(3, 3, "padding");
  Value* ceil_mode = e.bool_(e.constant_bool(4, "ceil_mode"));
  Value* include_pad = e.bool_(e.constant_bool(5, "count_include_pad"));
  Value* divisor = e.none();
  Value* first_divisor = e.none();
  if (!e.absent(6)) {
    const int64_t dv = e.constant_int(6, "divisor_override");
    if (dv == 0) throw e.node().error("divisor_override must be non-zero");
    divisor = e.int_(dv);
    first_divisor = e.int_(1);  // a sum
  }
  Value* x = e.input(0);
  Value* hw = e.op("aten::avg_pool2d", {frames(e, x), e.ints({k[1], k[2]}), e.ints({s[1], s[2]}), e.ints({p[1], p[2]}),
                                        ceil_mode, include_pad, first_divisor});
  Value* thw = e.op("aten::avg_pool2d", {times(e, hw), e.ints({k[0], 1}), e.ints({s[0], 1}), e.ints({p[0], 0}), ceil_mode,
                                         include_pad, divisor});
  return volume_like(e, x, thw, hw);
}

// adaptive_avg_pool3d(x, output_size): a mean to 1 x 1 x 1, an average pool
// when every size divides, else means over windows, one dim at a time.
Value* adaptive_avg_pool3d(Emitter& e) {
  volume_rank(e);
  const auto out = e.constant_ints(1, 3, "output_size");
  Value* x = e.input(0);
  const int64_t in[3] = {static_dim(e, x, -3, "input"), static_dim(e, x, -2, "input"), static_dim(e, x, -1, "input")};
  if (out == std::vector<int64_t>{1, 1, 1}) return e.mean(x, {-3, -2, -1}, true);
  bool divides = true;
  for (int i = 0; i < 3; ++i) divides = divides && out[i] > 0 && in[i] % out[i] == 0;
  if (divides) {
    const std::vector<int64_t> k = {in[0] / out[0], in[1] / out[1], in[2] / out[2]};
    return e.op("aten::avg_pool3d", {x, e.ints(k), e.ints(k), e.ints({0, 0, 0}), e.bool_(false), e.bool_(true), e.none()});
  }
  const int64_t rank = static_cast<int64_t>(e.shape(x, "input").size());
  for (int64_t i = 0; i < 3; ++i) x = adaptive_pool_along(e, x, rank - 3 + i, out[static_cast<size_t>(i)], false);
  return x;
}

// conv3d(x, w [O, C/g, kt, kh, kw], bias, stride, padding, dilation, groups).
Value* conv3d(Emitter& e) {
  const bool batched = volume_rank(e) == 5;
  const auto stride = e.constant_ints(3, 3, "stride");
  const auto padding = e.constant_ints(4, 3, "padding");
  const auto dilation = e.constant_ints(5, 3, "dilation");
  const int64_t groups = e.constant_int(6, "groups");
  for (int i = 0; i < 3; ++i)
    if (stride[i] <= 0 || dilation[i] <= 0 || padding[i] < 0)
      throw e.node().error("stride and dilation must be positive, padding non-negative");
  Value* x = e.input(0);
  Value* w = e.input(1);
  const auto& ws = e.shape(w, "weight");
  if (ws.size() != 5) throw e.node().error("needs a weight of rank 5, got rank " + std::to_string(ws.size()));
  int64_t wsz[5];
  for (int i = 0; i < 5; ++i) wsz[i] = static_dim(e, w, i, "weight");
  if (groups <= 0 || wsz[0] % groups != 0) throw e.node().error("the weight's output channels do not divide into groups");
  if (!batched) x = e.op("aten::unsqueeze", {x, e.int_(0)});
  const int64_t channels = static_dim(e, x, 1, "input");
  if (channels != wsz[1] * groups)
    throw e.node().error("input has " + std::to_string(channels) + " channels but the weight expects " +
                         std::to_string(wsz[1] * groups));
  const int64_t kt = wsz[2], st = stride[0], pt = padding[0], dt = dilation[0];
  const int64_t h = static_dim(e, x, 3, "input"), wd = static_dim(e, x, 4, "input");
  // [N, C, T, H, W] -> [N, T, C, H, W], time padded.
  Value* xt = e.op("aten::permute", {x, e.ints({0, 2, 1, 3, 4})});
  if (pt > 0) {
    // Zero frames on both sides (a cat, which a symbolic batch does not stop).
    auto dtype = xt->type()->dtype();
    if (!dtype) throw e.node().error("needs an input of known dtype");
    Value* zeros = e.op("aten::full", {e.sizes(xt, {Size::dim_of(0), Size::fixed(pt), Size::fixed(channels),
                                                    Size::fixed(h), Size::fixed(wd)}),
                                       e.int_(0), e.int_(*torch_code_of(*dtype)), e.none(), e.none(), e.none()});
    xt = e.op("aten::cat", {e.list({zeros, xt, zeros}), e.int_(1)});
  }
  const int64_t t = static_dim(e, xt, 1, "input");
  const int64_t span = t - dt * (kt - 1) - 1;
  if (span < 0) throw e.node().error("the kernel (dilated) is longer than the padded input in time");
  const int64_t t_out = span / st + 1;
  std::vector<Value*> taps;
  for (int64_t i = 0; i < kt; ++i)
    taps.push_back(e.op("aten::slice.Tensor", {xt, e.int_(1), e.int_(i * dt), e.int_(i * dt + (t_out - 1) * st + 1),
                                               e.int_(st)}));
  Value* stacked = kt == 1 ? taps[0] : e.op("aten::stack", {e.list(taps), e.int_(2)});  // [N, T', kt, C, H, W]
  if (kt > 1 && groups > 1) {
    stacked = e.op("aten::reshape", {stacked, e.ints({-1, t_out, kt, groups, channels / groups, h, wd})});
    stacked = e.op("aten::transpose.int", {stacked, e.int_(2), e.int_(3)});  // [N, T', g, kt, C/g, H, W]
  }
  Value* x2 = e.op("aten::reshape", {stacked, e.ints({-1, kt * channels, h, wd})});
  // [O, C/g, kt, kh, kw] -> [O, kt * C/g, kh, kw]
  Value* w2 = e.op("aten::permute", {w, e.ints({0, 2, 1, 3, 4})});
  w2 = e.op("aten::reshape", {w2, e.ints({wsz[0], kt * wsz[1], wsz[3], wsz[4]})});
  Value* y = e.op("aten::conv2d", {x2, w2, e.input(2), e.ints({stride[1], stride[2]}), e.ints({padding[1], padding[2]}),
                                   e.ints({dilation[1], dilation[2]}), e.int_(groups)});
  std::vector<Size> sizes = {Size::dim_of(0), Size::fixed(t_out), Size::fixed(wsz[0]),
                             Size::fixed(static_dim(e, y, 2, "output")), Size::fixed(static_dim(e, y, 3, "output"))};
  y = e.op("aten::reshape", {y, e.sizes(x, sizes)});
  y = e.op("aten::permute", {y, e.ints({0, 2, 1, 3, 4})});
  return batched ? y : e.op("aten::squeeze.dim", {y, e.int_(0)});
}

}  // namespace

std::vector<NamedRule> gpu_conv_rules() { return {{"aten::conv3d", conv3d}}; }

std::vector<NamedRule> volume_rules() {
  return {{"aten::max_pool3d", max_pool3d},
          {"aten::avg_pool3d", avg_pool3d},
          {"aten::adaptive_avg_pool3d", adaptive_avg_pool3d}};
}

}  // namespace wick::passes::decompose_detail

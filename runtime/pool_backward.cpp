// The input gradients of max_pool2d, avg_pool2d and adaptive_avg_pool2d,
// computed directly with PyTorch's CPU window rules: the same windows as the
// forward kernels, each output gradient added to the input positions its
// window read (max: the first maximum in row-major order, a NaN taking the
// place of any number; average: every position, divided as the forward
// divided). Planes (n, c) are independent and split across the thread pool.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "runtime/backward_kernels.h"
#include "runtime/kernel_util.h"
#include "runtime/thread_pool.h"
#include "support/error.h"

namespace wick::rt {
namespace {

// The 4-D views of one pooling gradient, checked.
struct Planes {
  Tensor go, x, gi;  // output gradient, forward input (max only), input gradient
};

Planes planes(const char* op, const Tensor& grad_output, const Tensor& out, const std::vector<int64_t>& expected) {
  check_f32_input(op, "output gradient", grad_output);
  check_f32_input(op, "input gradient", out);
  if (out.dim() != 3 && out.dim() != 4)
    throw Error("the input gradient must be 3-D or 4-D, got " + shape_str(out.sizes()), {}, op);
  if (grad_output.sizes() != expected)
    throw Error("the output gradient has shape " + shape_str(grad_output.sizes()) + " but the pooling's output has " +
                    shape_str(expected),
                {}, op);
  for_each_element(out, [](float) { return 0.f; });
  return {with_rank(grad_output, 4), Tensor(), with_rank(out, 4)};
}

// Calls fn(n, c) for every plane, on the thread pool.
template <typename F>
void each_plane(const Tensor& gi, int64_t work_per_plane, F&& fn) {
  const int64_t channels = gi.size(1);
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(work_per_plane, 1));
  default_thread_pool().parallel_for(0, gi.size(0) * channels, grain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) fn(i / channels, i % channels);
  });
}

// One axis of average-pooling windows: [begin, end) clamped to the input,
// and the divisor's share (the length counting padding, not overhang).
struct Axis {
  std::vector<int64_t> begin, end, padded;
};

void avg_windows(Axis& a, int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t pad) {
  for (int64_t o = 0; o < out; ++o) {
    const int64_t start = o * stride - pad;
    const int64_t stop = std::min(start + kernel, in + pad);
    a.padded.push_back(stop - start);
    a.begin.push_back(std::max<int64_t>(start, 0));
    a.end.push_back(std::min(stop, in));
  }
}

// Spreads each output gradient evenly (by `divisor`) over its window.
template <typename Divisor>
void spread(const Planes& p, const Axis& h, const Axis& w, Divisor&& divisor) {
  const float* go = p.go.data_as<float>();
  float* gi = p.gi.data_as<float>();
  const auto& os = p.go.strides();
  const auto& is = p.gi.strides();
  each_plane(p.gi, p.go.size(2) * p.go.size(3) * 4, [&](int64_t n, int64_t c) {
    for (size_t oh = 0; oh < h.begin.size(); ++oh)
      for (size_t ow = 0; ow < w.begin.size(); ++ow) {
        const int64_t d = divisor(oh, ow);
        if (d == 0 || h.begin[oh] >= h.end[oh] || w.begin[ow] >= w.end[ow]) continue;
        const int64_t at = n * os[0] + c * os[1] + static_cast<int64_t>(oh) * os[2] + static_cast<int64_t>(ow) * os[3];
        const float g = go[at] / static_cast<float>(d);
        for (int64_t y = h.begin[oh]; y < h.end[oh]; ++y)
          for (int64_t x = w.begin[ow]; x < w.end[ow]; ++x) gi[n * is[0] + c * is[1] + y * is[2] + x * is[3]] += g;
      }
  });
}

}  // namespace

void max_pool2d_backward(const Tensor& grad_output, const Tensor& input, const MaxPool2dParams& p, Tensor& out) {
  const char* op = "max_pool2d_backward";
  check_f32_input(op, "input", input);
  if (input.sizes() != out.sizes())
    throw Error("the input gradient has shape " + shape_str(out.sizes()) + " but the input has " +
                    shape_str(input.sizes()),
                {}, op);
  Planes pl = planes(op, grad_output, out, max_pool2d_output_sizes(input.sizes(), p));
  pl.x = with_rank(input, 4);
  if (out.numel() == 0 || grad_output.numel() == 0) return;
  const float* go = pl.go.data_as<float>();
  const float* x = pl.x.data_as<float>();
  float* gi = pl.gi.data_as<float>();
  const auto &os = pl.go.strides(), &xs = pl.x.strides(), &is = pl.gi.strides();
  const int64_t H = pl.x.size(2), W = pl.x.size(3), OH = pl.go.size(2), OW = pl.go.size(3);
  each_plane(pl.gi, OH * OW * p.kernel[0] * p.kernel[1], [&](int64_t n, int64_t c) {
    const float* xp = x + n * xs[0] + c * xs[1];
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        int64_t h0 = oh * p.stride[0] - p.padding[0], w0 = ow * p.stride[1] - p.padding[1];
        const int64_t h1 = std::min(h0 + (p.kernel[0] - 1) * p.dilation[0] + 1, H);
        const int64_t w1 = std::min(w0 + (p.kernel[1] - 1) * p.dilation[1] + 1, W);
        while (h0 < 0) h0 += p.dilation[0];
        while (w0 < 0) w0 += p.dilation[1];
        int64_t best_h = h0, best_w = w0;
        float best = -std::numeric_limits<float>::infinity();
        for (int64_t y = h0; y < h1; y += p.dilation[0])
          for (int64_t z = w0; z < w1; z += p.dilation[1]) {
            const float v = xp[y * xs[2] + z * xs[3]];
            if (v > best || std::isnan(v)) {
              best = v;
              best_h = y;
              best_w = z;
            }
          }
        if (best_h >= H || best_w >= W) continue;  // an empty window
        gi[n * is[0] + c * is[1] + best_h * is[2] + best_w * is[3]] +=
            go[n * os[0] + c * os[1] + oh * os[2] + ow * os[3]];
      }
  });
}

void avg_pool2d_backward(const Tensor& grad_output, const AvgPool2dParams& p, Tensor& out) {
  const char* op = "avg_pool2d_backward";
  Planes pl = planes(op, grad_output, out, avg_pool2d_output_sizes(out.sizes(), p));
  if (out.numel() == 0 || grad_output.numel() == 0) return;
  Axis h, w;
  avg_windows(h, pl.gi.size(2), pl.go.size(2), p.kernel[0], p.stride[0], p.padding[0]);
  avg_windows(w, pl.gi.size(3), pl.go.size(3), p.kernel[1], p.stride[1], p.padding[1]);
  spread(pl, h, w, [&](size_t oh, size_t ow) {
    if (p.divisor_override != 0) return p.divisor_override;
    if (p.count_include_pad) return h.padded[oh] * w.padded[ow];
    return (h.end[oh] - h.begin[oh]) * (w.end[ow] - w.begin[ow]);
  });
}

void adaptive_avg_pool2d_backward(const Tensor& grad_output, Tensor& out) {
  const char* op = "adaptive_avg_pool2d_backward";
  if (grad_output.dim() < 2) throw Error("the output gradient must be 3-D or 4-D", {}, op);
  const Int2 size = {grad_output.size(grad_output.dim() - 2), grad_output.size(grad_output.dim() - 1)};
  Planes pl = planes(op, grad_output, out, adaptive_avg_pool2d_output_sizes(out.sizes(), size));
  if (out.numel() == 0 || grad_output.numel() == 0) return;
  Axis h, w;
  for (int d = 0; d < 2; ++d) {
    Axis& a = d == 0 ? h : w;
    const int64_t in = pl.gi.size(2 + d), n = size[d];
    for (int64_t o = 0; o < n; ++o) {
      a.begin.push_back(o * in / n);
      a.end.push_back(((o + 1) * in + n - 1) / n);
    }
  }
  spread(pl, h, w, [&](size_t oh, size_t ow) { return (h.end[oh] - h.begin[oh]) * (w.end[ow] - w.begin[ow]); });
}

}  // namespace wick::rt

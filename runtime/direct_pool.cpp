// Direct average pooling over fixed and adaptive windows. Both reduce to
// one computation: per output row and column a window [begin, end) of the input
// (and its length counting padding), then a sum over the window and a
// divisor by PyTorch's rules. Planes (n, c) are split across the thread
// pool (a channels-last input by runs of channels); the kernels are compiled
// for several vector widths and picked at load time, since the runtime is
// built for a generic CPU.
#include "runtime/direct_pool.h"

#include <algorithm>
#include <vector>

#include "runtime/extern_kernels.h"
#include "runtime/kernel_util.h"
#include "runtime/thread_pool.h"

namespace wick::rt {
namespace {

struct Axis {
  std::vector<int64_t> begin, end;  // clamped to the input
  std::vector<int64_t> padded;      // window length counting padding, not overhang
};

struct WindowPlan {
  const float* x;
  float* out;
  int64_t xs[4], os[4];  // strides of the 4-D input and output
  int64_t channels, width;
  Axis h, w;
  int64_t divisor_override;  // 0: none
  bool count_include_pad;
};

// Sum of n contiguous floats. Independent partial sums let the compiler keep
// several vector registers busy instead of waiting on one chain of additions
// (the order differs from a scalar loop only by rounding).
inline float sum_run(const float* p, int64_t n) {
  float part[16] = {};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; ++k) part[k] += p[i + k];
  float sum = 0.f;
  for (; i < n; ++i) sum += p[i];
  for (int k = 0; k < 16; ++k) sum += part[k];
  return sum;
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void pool_planes(const WindowPlan& p,
                                                                              int64_t begin,
                                                                              int64_t end) {
  const int64_t oh_count = static_cast<int64_t>(p.h.begin.size());
  const int64_t ow_count = static_cast<int64_t>(p.w.begin.size());
  const bool dense_rows = p.xs[3] == 1 && p.xs[2] == p.width;
  int64_t n = begin / p.channels, c = begin % p.channels;
  for (int64_t i = begin; i < end; ++i) {
    const float* plane = p.x + n * p.xs[0] + c * p.xs[1];
    float* oplane = p.out + n * p.os[0] + c * p.os[1];
    for (int64_t oh = 0; oh < oh_count; ++oh) {
      const int64_t h0 = p.h.begin[oh], h1 = p.h.end[oh];
      for (int64_t ow = 0; ow < ow_count; ++ow) {
        const int64_t w0 = p.w.begin[ow], w1 = p.w.end[ow];
        float sum = 0.f;
        if (dense_rows && w0 == 0 && w1 == p.width) {  // whole rows, back to back
          sum = sum_run(plane + h0 * p.width, (h1 - h0) * p.width);
        } else {
          for (int64_t h = h0; h < h1; ++h) {
            const float* row = plane + h * p.xs[2] + w0 * p.xs[3];
            if (p.xs[3] == 1) {
              sum += sum_run(row, w1 - w0);
            } else {
              for (int64_t w = 0; w < w1 - w0; ++w) sum += row[w * p.xs[3]];
            }
          }
        }
        int64_t divisor = p.divisor_override != 0 ? p.divisor_override
                          : p.count_include_pad   ? p.h.padded[oh] * p.w.padded[ow]
                                                  : (h1 - h0) * (w1 - w0);
        oplane[oh * p.os[2] + ow * p.os[3]] =
            divisor == 0 ? 0.f : sum / static_cast<float>(divisor);
      }
    }
    if (++c == p.channels) {
      c = 0;
      ++n;
    }
  }
}

// The same windows over a channels-last input (channels innermost, rows of
// width * channels): each window summed for a run of channels at once, the
// channels in vector lanes rather than read one plane at a time across
// memory. Each channel's sum adds the window's elements row by row, in the
// order pool_planes reads a strided plane, so the two agree exactly.
__attribute__((target_clones("avx512f", "avx2", "default"))) void pool_channels_last(const WindowPlan& p,
                                                                                     int64_t begin,
                                                                                     int64_t end) {
  constexpr int64_t kBlock = 64;
  float acc[kBlock];
  const int64_t oh_count = static_cast<int64_t>(p.h.begin.size());
  const int64_t ow_count = static_cast<int64_t>(p.w.begin.size());
  for (int64_t i = begin; i < end;) {
    const int64_t n = i / p.channels, c0 = i % p.channels;
    const int64_t c1 = std::min(p.channels, c0 + (end - i));
    for (int64_t cb = c0; cb < c1; cb += kBlock) {
      const int64_t count = std::min(kBlock, c1 - cb);
      for (int64_t oh = 0; oh < oh_count; ++oh) {
        const int64_t h0 = p.h.begin[oh], h1 = p.h.end[oh];
        for (int64_t ow = 0; ow < ow_count; ++ow) {
          const int64_t w0 = p.w.begin[ow], w1 = p.w.end[ow];
          std::fill_n(acc, count, 0.f);
          for (int64_t h = h0; h < h1; ++h)
            for (int64_t w = w0; w < w1; ++w) {
              const float* px = p.x + n * p.xs[0] + h * p.xs[2] + w * p.xs[3] + cb;
              for (int64_t k = 0; k < count; ++k) acc[k] += px[k];
            }
          const int64_t divisor = p.divisor_override != 0 ? p.divisor_override
                                  : p.count_include_pad   ? p.h.padded[oh] * p.w.padded[ow]
                                                          : (h1 - h0) * (w1 - w0);
          float* o = p.out + n * p.os[0] + cb * p.os[1] + oh * p.os[2] + ow * p.os[3];
          for (int64_t k = 0; k < count; ++k)
            o[k * p.os[1]] = divisor == 0 ? 0.f : acc[k] / static_cast<float>(divisor);
        }
      }
    }
    i += c1 - c0;
  }
}

void run_plan(WindowPlan& p, const Tensor& x4, const Tensor& o4) {
  p.x = x4.data_as<float>();
  p.out = o4.data_as<float>();
  for (int i = 0; i < 4; ++i) {
    p.xs[i] = x4.strides()[i];
    p.os[i] = o4.strides()[i];
  }
  p.channels = x4.size(1);
  p.width = x4.size(3);
  // Work per plane: the inputs it reads, roughly.
  int64_t work = 1;
  for (const Axis* a : {&p.h, &p.w}) {
    int64_t reach = 0;
    for (size_t i = 0; i < a->begin.size(); ++i) reach += a->end[i] - a->begin[i] + 1;
    work *= std::max<int64_t>(reach, 1);
  }
  const int64_t grain = std::max<int64_t>(1, 32768 / work);
  const bool channels_last = p.channels > 1 && p.xs[1] == 1 && p.xs[3] == p.channels;
  default_thread_pool().parallel_for(0, x4.size(0) * p.channels, grain, [&](int64_t b, int64_t e) {
    if (channels_last) pool_channels_last(p, b, e);
    else pool_planes(p, b, e);
  });
}

}  // namespace

void avg_pool2d_direct(const Tensor& x, const AvgPool2dParams& p, const Tensor& out) {
  WindowPlan plan{};
  for (int d = 0; d < 2; ++d) {
    Axis& a = d == 0 ? plan.h : plan.w;
    const int64_t in = x.size(2 + d), pad = p.padding[d];
    for (int64_t o = 0; o < out.size(2 + d); ++o) {
      int64_t start = o * p.stride[d] - pad;
      int64_t stop = std::min(start + p.kernel[d], in + pad);
      a.padded.push_back(stop - start);
      a.begin.push_back(std::max<int64_t>(start, 0));
      a.end.push_back(std::min(stop, in));
    }
  }
  plan.divisor_override = p.divisor_override;
  plan.count_include_pad = p.count_include_pad;
  run_plan(plan, x, out);
}

void adaptive_avg_pool2d(const Tensor& x, Int2 output_size, Tensor& out) {
  check_f32_input("adaptive_avg_pool2d", "input", x);
  check_output("adaptive_avg_pool2d", out,
               adaptive_avg_pool2d_output_sizes(x.sizes(), output_size));
  if (out.numel() == 0) return;
  Tensor x4 = with_rank(x, 4), o4 = with_rank(out, 4);
  WindowPlan plan{};
  for (int d = 0; d < 2; ++d) {
    Axis& a = d == 0 ? plan.h : plan.w;
    const int64_t in = x4.size(2 + d), n = output_size[d];
    for (int64_t o = 0; o < n; ++o) {
      a.begin.push_back(o * in / n);
      a.end.push_back(((o + 1) * in + n - 1) / n);
      a.padded.push_back(a.end.back() - a.begin.back());
    }
  }
  run_plan(plan, x4, o4);
}

}  // namespace wick::rt

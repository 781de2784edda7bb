// im2col_f64.h: one output row at a time, the run of output columns that
// reads inside the input row found once per row (the rest padding), copied
// straight when the input's stride along it is one.
#include "runtime/im2col_f64.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>

#include "support/error.h"

namespace wick::rt {
namespace {

// The outputs [lo, hi) of an output row whose input column for tap `kw`
// falls inside the input row; `first` is the input column of output 0.
struct Span {
  int64_t first, lo, hi;
};

Span inside(const ConvGeometry& g, int64_t kw) {
  Span s;
  s.first = kw * g.dilation[2] - g.padding[2];
  s.lo = s.first >= 0 ? 0 : std::min(g.out[2], (-s.first + g.stride[2] - 1) / g.stride[2]);
  s.hi = g.in[2] - s.first <= 0 ? s.lo
                                : std::clamp((g.in[2] - s.first + g.stride[2] - 1) / g.stride[2], s.lo, g.out[2]);
  return s;
}

// Calls f(column row, output row r, input row pointer or null for padding,
// span) for every (channel, tap) row of the columns and output row.
template <typename F>
void for_each_window_row(const ConvGeometry& g, int64_t row0, int64_t row1, F&& f) {
  const int64_t width = (row1 - row0) * g.out[2];
  int64_t row = 0;
  for (int64_t c = 0; c < g.channels; ++c)
    for (int64_t kd = 0; kd < g.kernel[0]; ++kd)
      for (int64_t kh = 0; kh < g.kernel[1]; ++kh)
        for (int64_t kw = 0; kw < g.kernel[2]; ++kw, ++row) {
          const Span span = inside(g, kw);
          for (int64_t r = row0; r < row1; ++r) {
            const int64_t od = r / g.out[1], oh = r % g.out[1];
            const int64_t id = od * g.stride[0] - g.padding[0] + kd * g.dilation[0];
            const int64_t ih = oh * g.stride[1] - g.padding[1] + kh * g.dilation[1];
            const bool padded = id < 0 || id >= g.in[0] || ih < 0 || ih >= g.in[1];
            const int64_t at = row * width + (r - row0) * g.out[2];
            const int64_t offset = c * g.x_channel_stride + id * g.x_stride[0] + ih * g.x_stride[1];
            f(at, padded ? -1 : offset, span);
          }
        }
}

}  // namespace

ConvGeometry conv_geometry(int spatial, const Tensor& x, const std::vector<int64_t>& w_sizes,
                           const std::vector<int64_t>& out, const int64_t* stride, const int64_t* padding,
                           const int64_t* dilation) {
  ConvGeometry g;
  g.channels = w_sizes[1];
  g.x_channel_stride = x.strides()[1];
  for (int i = 0; i < spatial; ++i) {
    const int d = 3 - spatial + i;
    g.in[d] = x.size(2 + i);
    g.kernel[d] = w_sizes[2 + i];
    g.out[d] = out[i];
    g.stride[d] = stride[i];
    g.padding[d] = padding[i];
    g.dilation[d] = dilation[i];
    g.x_stride[d] = x.strides()[2 + i];
  }
  return g;
}

int64_t rows_per_chunk(const ConvGeometry& g) {
  constexpr int64_t kColumnsBytes = int64_t{16} << 20;
  const int64_t per_row = std::max<int64_t>(1, g.depth() * g.out[2]) * static_cast<int64_t>(sizeof(double));
  return std::clamp<int64_t>(kColumnsBytes / per_row, 1, std::max<int64_t>(1, g.rows()));
}

double* columns_buffer(size_t doubles) {
  thread_local std::unique_ptr<double, decltype(&std::free)> data{nullptr, &std::free};
  thread_local size_t size = 0;
  if (doubles > size) {
    const size_t bytes = (doubles * sizeof(double) + 63) / 64 * 64;
    data.reset(static_cast<double*>(std::aligned_alloc(64, bytes)));
    if (!data) {
      size = 0;
      throw Error("out of memory allocating " + std::to_string(bytes) + " bytes for a float64 convolution");
    }
    size = bytes / sizeof(double);
  }
  return data.get();
}

void im2col(const ConvGeometry& g, const double* x, int64_t row0, int64_t row1, double* cols) {
  const int64_t step = g.stride[2] * g.x_stride[2];
  for_each_window_row(g, row0, row1, [&](int64_t at, int64_t offset, const Span& s) {
    double* p = cols + at;
    if (offset < 0) {
      std::fill(p, p + g.out[2], 0.0);
      return;
    }
    std::fill(p, p + s.lo, 0.0);
    const double* src = x + offset + (s.lo * g.stride[2] + s.first) * g.x_stride[2];
    if (step == 1) {
      std::copy(src, src + (s.hi - s.lo), p + s.lo);
    } else {
      for (int64_t ow = s.lo; ow < s.hi; ++ow) p[ow] = src[(ow - s.lo) * step];
    }
    std::fill(p + s.hi, p + g.out[2], 0.0);
  });
}

void col2im(const ConvGeometry& g, const double* cols, int64_t row0, int64_t row1, double* x) {
  const int64_t step = g.stride[2] * g.x_stride[2];
  for_each_window_row(g, row0, row1, [&](int64_t at, int64_t offset, const Span& s) {
    if (offset < 0) return;
    const double* p = cols + at;
    double* dst = x + offset + (s.lo * g.stride[2] + s.first) * g.x_stride[2];
    for (int64_t ow = s.lo; ow < s.hi; ++ow) dst[(ow - s.lo) * step] += p[ow];
  });
}

}  // namespace wick::rt

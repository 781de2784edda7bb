// convolution_f64: per image and group, the input's windows laid out as
// columns (im2col: a row per input channel and tap, a column per output
// position; at most 16 MB of them at a time, whole output rows), then a
// gemm_f64 of the group's weights [O/G, C/G * taps] with them, written
// straight into the output's [O/G, positions] rows, then bias and epilogue
// over those rows. Images and groups split across the
// thread pool when there are enough of them, else the GEMM splits.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <string>

#include "runtime/gemm_f64.h"
#include "runtime/kernel_util.h"
#include "runtime/products_f64.h"
#include "runtime/thread_pool.h"
#include "support/error.h"

namespace wick::rt {
namespace {

// A convolution's geometry with missing leading spatial dims as size 1.
struct Geometry {
  int64_t channels = 0;  // per group
  std::array<int64_t, 3> in{1, 1, 1}, kernel{1, 1, 1}, out{1, 1, 1};
  std::array<int64_t, 3> stride{1, 1, 1}, padding{0, 0, 0}, dilation{1, 1, 1};
  std::array<int64_t, 3> x_stride{0, 0, 0};  // the input's spatial strides
  int64_t x_channel_stride = 0;

  int64_t taps() const { return kernel[0] * kernel[1] * kernel[2]; }
};

// A grow-only buffer per thread for the columns.
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

// cols[channel * taps + tap, position] for the group's channels starting at
// `x` (the image's first channel of the group), for the output rows (one
// row: the positions of one (od, oh)) [row0, row1).
void im2col(const Geometry& g, const double* x, int64_t row0, int64_t row1, double* cols) {
  const int64_t width = (row1 - row0) * g.out[2];
  double* row = cols;
  for (int64_t c = 0; c < g.channels; ++c)
    for (int64_t kd = 0; kd < g.kernel[0]; ++kd)
      for (int64_t kh = 0; kh < g.kernel[1]; ++kh)
        for (int64_t kw = 0; kw < g.kernel[2]; ++kw, row += width) {
          double* p = row;
          for (int64_t r = row0; r < row1; ++r, p += g.out[2]) {
            const int64_t od = r / g.out[1], oh = r % g.out[1];
            const int64_t id = od * g.stride[0] - g.padding[0] + kd * g.dilation[0];
            const int64_t ih = oh * g.stride[1] - g.padding[1] + kh * g.dilation[1];
            if (id < 0 || id >= g.in[0] || ih < 0 || ih >= g.in[1]) {
              std::fill(p, p + g.out[2], 0.0);
              continue;
            }
            const double* src = x + c * g.x_channel_stride + id * g.x_stride[0] + ih * g.x_stride[1];
            // Outputs [lo, hi) read inside the row, the others padding.
            const int64_t first = kw * g.dilation[2] - g.padding[2];  // iw of ow = 0
            const int64_t lo = first >= 0 ? 0 : std::min(g.out[2], (-first + g.stride[2] - 1) / g.stride[2]);
            const int64_t hi =
                g.in[2] - first <= 0 ? lo : std::clamp((g.in[2] - first + g.stride[2] - 1) / g.stride[2], lo, g.out[2]);
            std::fill(p, p + lo, 0.0);
            const double* s = src + (lo * g.stride[2] + first) * g.x_stride[2];
            const int64_t step = g.stride[2] * g.x_stride[2];
            if (step == 1) {
              std::copy(s, s + (hi - lo), p + lo);
            } else {
              for (int64_t ow = lo; ow < hi; ++ow) p[ow] = s[(ow - lo) * step];
            }
            std::fill(p + hi, p + g.out[2], 0.0);
          }
        }
}

// Whether the output's spatial dims of `t` ([N, O, out...]) fold into one
// of unit stride.
bool dense_positions(const Tensor& t) {
  int64_t expected = 1;
  for (int d = t.dim() - 1; d >= 2; --d) {
    if (t.size(d) != 1 && t.strides()[d] != expected) return false;
    expected *= t.size(d);
  }
  return true;
}

}  // namespace

void convolution_f64(int spatial, const Tensor& x, const Tensor& w, const Tensor& bias, const int64_t* stride,
                     const int64_t* padding, const int64_t* dilation, int64_t groups, const Tensor& out,
                     const Epilogue& e) {
  if (out.numel() == 0) return;
  Geometry g;
  g.channels = w.size(1);
  g.x_channel_stride = x.strides()[1];
  for (int i = 0; i < spatial; ++i) {
    const int d = 3 - spatial + i;
    g.in[d] = x.size(2 + i);
    g.kernel[d] = w.size(2 + i);
    g.out[d] = out.size(2 + i);
    g.stride[d] = stride[i];
    g.padding[d] = padding[i];
    g.dilation[d] = dilation[i];
    g.x_stride[d] = x.strides()[2 + i];
  }
  const int64_t images = x.size(0), per_group = w.size(0) / groups, depth = g.channels * g.taps();
  const Tensor wc = w.contiguous();
  const Tensor o = dense_positions(out) ? out : Tensor::empty(DType::f64, out.sizes());
  // The columns of as many output rows as fit in kColumnsBytes (at least
  // one row), so that their buffer stays bounded whatever the image size.
  constexpr int64_t kColumnsBytes = int64_t{16} << 20;
  const int64_t rows = g.out[0] * g.out[1];
  const int64_t rows_per_chunk =
      std::clamp<int64_t>(kColumnsBytes / static_cast<int64_t>(sizeof(double)) / std::max<int64_t>(1, depth * g.out[2]),
                          1, rows);
  auto run = [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t n = t / groups, gi = t % groups;
      double* cols = columns_buffer(static_cast<size_t>(depth * rows_per_chunk * g.out[2]));
      for (int64_t r0 = 0; r0 < rows; r0 += rows_per_chunk) {
        const int64_t r1 = std::min(rows, r0 + rows_per_chunk), width = (r1 - r0) * g.out[2];
        im2col(g, x.data_as<double>() + n * x.strides()[0] + gi * g.channels * g.x_channel_stride, r0, r1, cols);
        GemmF64 p;
        p.m = per_group, p.n = width, p.k = depth;
        p.a = wc.data_as<double>() + gi * per_group * depth, p.a_row = depth, p.a_col = 1;
        p.b = cols, p.b_row = width, p.b_col = 1;
        p.c = o.data_as<double>() + n * o.strides()[0] + gi * per_group * o.strides()[1] + r0 * g.out[2];
        p.c_row = o.strides()[1], p.c_col = 1;
        gemm_f64(p);
        if (!bias.defined() && e.op == PostOp::none) continue;
        // Bias and epilogue while these rows are in cache.
        for (int64_t r = 0; r < per_group; ++r) {
          const int64_t channel = gi * per_group + r;
          finish_row_f64(e, p.c + r * p.c_row, width,
                         bias.defined() ? bias.data_as<double>() + channel * bias.strides()[0] : nullptr, 0);
        }
      }
    }
  };
  ThreadPool& pool = default_thread_pool();
  const int64_t tasks = images * groups;
  if (tasks >= pool.num_threads() && pool.num_threads() > 1 && !ThreadPool::in_parallel_region()) {
    pool.parallel_for(0, tasks, 1, run);
  } else {
    run(0, tasks);
  }
  if (o.data() != out.data()) copy_into(o, out);
}

}  // namespace wick::rt

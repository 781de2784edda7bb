// convolution_f64: per image and group, the input's windows laid out as
// columns (im2col_f64.h; at most 16 MB of them at a time, whole output
// rows), then a gemm_f64 of the group's weights [O/G, C/G * taps] with them,
// written straight into the output's [O/G, positions] rows, then bias and
// epilogue over those rows. Images and groups split across the thread pool
// when there are enough of them, else the GEMM splits.
#include <algorithm>

#include "runtime/gemm_f64.h"
#include "runtime/im2col_f64.h"
#include "runtime/kernel_util.h"
#include "runtime/products_f64.h"
#include "runtime/thread_pool.h"

namespace wick::rt {
namespace {

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
  const ConvGeometry g = conv_geometry(spatial, x, w.sizes(), std::vector<int64_t>(out.sizes().begin() + 2, out.sizes().end()),
                                       stride, padding, dilation);
  const int64_t images = x.size(0), per_group = w.size(0) / groups, depth = g.depth();
  const Tensor wc = w.contiguous();
  const Tensor o = dense_positions(out) ? out : Tensor::empty(DType::f64, out.sizes());
  const int64_t rows = g.rows(), chunk = rows_per_chunk(g);
  auto run = [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t n = t / groups, gi = t % groups;
      double* cols = columns_buffer(static_cast<size_t>(depth * chunk * g.out[2]));
      for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
        const int64_t r1 = std::min(rows, r0 + chunk), width = (r1 - r0) * g.out[2];
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

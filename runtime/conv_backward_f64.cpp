// The gradients of the f64 convolutions, on the forward's columns
// (im2col_f64.h) and gemm_f64, per image and group, a chunk of output rows
// at a time:
//   weight: dW[O/G, C/G * taps] += dY[O/G, positions] cols^T, images in
//     turn (they add into one dW; the GEMM splits across the threads);
//   input: cols = W^T dY, summed back into dX's positions (col2im); images
//     and groups write apart, so they split across the thread pool.
#include <algorithm>

#include "runtime/gemm_f64.h"
#include "runtime/im2col_f64.h"
#include "runtime/kernel_util.h"
#include "runtime/products_f64.h"
#include "runtime/thread_pool.h"

namespace wick::rt {
namespace {

void zero(const Tensor& t) {
  double* p = t.data_as<double>();
  for_each_offset(t.sizes(), t.strides(), [&](int64_t o) { p[o] = 0.0; });
}

std::vector<int64_t> spatial_sizes(const Tensor& t) { return {t.sizes().begin() + 2, t.sizes().end()}; }

}  // namespace

void conv_weight_backward_f64(int spatial, const Tensor& grad_output, const Tensor& x, const int64_t* stride,
                              const int64_t* padding, const int64_t* dilation, int64_t groups, const Tensor& out) {
  zero(out);
  const ConvGeometry g =
      conv_geometry(spatial, x, out.sizes(), spatial_sizes(grad_output), stride, padding, dilation);
  const Tensor gy = grad_output.contiguous();
  const Tensor dw = out.is_contiguous() ? out : Tensor::zeros(DType::f64, out.sizes());
  const int64_t per_group = out.size(0) / groups, depth = g.depth(), positions = g.rows() * g.out[2];
  const int64_t rows = g.rows(), chunk = rows_per_chunk(g);
  double* cols = columns_buffer(static_cast<size_t>(depth * chunk * g.out[2]));
  for (int64_t n = 0; n < x.size(0); ++n)
    for (int64_t gi = 0; gi < groups; ++gi)
      for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
        const int64_t r1 = std::min(rows, r0 + chunk), width = (r1 - r0) * g.out[2];
        im2col(g, x.data_as<double>() + n * x.strides()[0] + gi * g.channels * g.x_channel_stride, r0, r1, cols);
        GemmF64 p;
        p.m = per_group, p.n = depth, p.k = width;
        p.a = gy.data_as<double>() + (n * out.size(0) + gi * per_group) * positions + r0 * g.out[2];
        p.a_row = positions, p.a_col = 1;
        p.b = cols, p.b_row = 1, p.b_col = width;  // the columns read transposed
        p.c = dw.data_as<double>() + gi * per_group * depth, p.c_row = depth, p.c_col = 1;
        p.accumulate = true;
        gemm_f64(p);
      }
  if (dw.data() != out.data()) copy_into(dw, out);
}

void conv_input_backward_f64(int spatial, const Tensor& grad_output, const Tensor& w, const int64_t* stride,
                             const int64_t* padding, const int64_t* dilation, int64_t groups, const Tensor& out) {
  zero(out);
  const ConvGeometry g = conv_geometry(spatial, out, w.sizes(), spatial_sizes(grad_output), stride, padding, dilation);
  const Tensor gy = grad_output.contiguous(), wc = w.contiguous();
  const int64_t per_group = w.size(0) / groups, depth = g.depth(), positions = g.rows() * g.out[2];
  const int64_t rows = g.rows(), chunk = rows_per_chunk(g);
  auto run = [&](int64_t lo, int64_t hi) {
    double* cols = columns_buffer(static_cast<size_t>(depth * chunk * g.out[2]));
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t n = t / groups, gi = t % groups;
      for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
        const int64_t r1 = std::min(rows, r0 + chunk), width = (r1 - r0) * g.out[2];
        GemmF64 p;
        p.m = depth, p.n = width, p.k = per_group;
        p.a = wc.data_as<double>() + gi * per_group * depth, p.a_row = 1, p.a_col = depth;  // W^T
        p.b = gy.data_as<double>() + (n * w.size(0) + gi * per_group) * positions + r0 * g.out[2];
        p.b_row = positions, p.b_col = 1;
        p.c = cols, p.c_row = width, p.c_col = 1;
        gemm_f64(p);
        col2im(g, cols, r0, r1, out.data_as<double>() + n * out.strides()[0] + gi * g.channels * g.x_channel_stride);
      }
    }
  };
  ThreadPool& pool = default_thread_pool();
  const int64_t tasks = out.size(0) * groups;
  if (tasks >= pool.num_threads() && pool.num_threads() > 1 && !ThreadPool::in_parallel_region()) {
    pool.parallel_for(0, tasks, 1, run);
  } else {
    run(0, tasks);
  }
}

}  // namespace wick::rt

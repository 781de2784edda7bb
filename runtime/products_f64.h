// The float64 side of the products and convolutions of
// runtime/extern_kernels.h and of the convolutions' gradients
// (runtime/backward_kernels.h), on gemm_f64: oneDNN computes f32 only. Internal
// to the runtime.
#pragma once

#include <cstdint>

#include "runtime/extern_kernels.h"
#include "support/tensor.h"

namespace wick::rt {

// O = epilogue(alpha * A @ B + bias + sum_scale * O) in f64, where A, B, O
// have equal rank >= 2, each batch dim of A and B is O's size or 1, and
// bias is undefined or of O's rank with sizes 1 or O's.
void batched_product_f64(const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& o, double alpha,
                         double sum_scale, const Epilogue& e);

// p[j] = epilogue(p[j] + bias[j * bias_stride]) for j < n; no bias when
// `bias` is null. The common epilogues vectorize.
void finish_row_f64(const Epilogue& e, double* p, int64_t n, const double* bias, int64_t bias_stride);

// out = epilogue(conv(x, w) + bias) in f64 over `spatial` (1 to 3) dims:
// x [N, C, in...], w [O, C / groups, k...], out [N, O, out...] of the sizes
// the *_output_sizes functions give; bias undefined or [O].
void convolution_f64(int spatial, const Tensor& x, const Tensor& w, const Tensor& bias, const int64_t* stride,
                     const int64_t* padding, const int64_t* dilation, int64_t groups, const Tensor& out,
                     const Epilogue& e);

// The gradients of convolution_f64, batched and of any strides: `out`
// receives d input [N, C, in...] (from w) or d weight [O, C / groups, k...]
// (from x); grad_output is [N, O, out...].
void conv_input_backward_f64(int spatial, const Tensor& grad_output, const Tensor& w, const int64_t* stride,
                             const int64_t* padding, const int64_t* dilation, int64_t groups, const Tensor& out);
void conv_weight_backward_f64(int spatial, const Tensor& grad_output, const Tensor& x, const int64_t* stride,
                              const int64_t* padding, const int64_t* dilation, int64_t groups, const Tensor& out);

}  // namespace wick::rt

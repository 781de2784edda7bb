// The kernels that compiled code calls instead of generating its own: GEMM,
// convolution and pooling, on CPU through oneDNN (adaptive pooling, and the
// average pooling cases oneDNN rounds differently from PyTorch, are computed
// here directly on the thread pool).
//
// Every kernel takes f32 CPU tensors with any strides (a transposed or sliced
// view is read in place, not copied, when oneDNN can do so) and writes into
// `out`, which the caller has allocated with exactly the shape that the
// matching *_output_sizes function in kernel_shapes.h returns; `out` may be
// strided too but must not overlap the inputs (addmm's `bias` excepted).
// Anything else is a wick::Error naming the op.
//
// oneDNN primitives are created once per (op, shapes, strides, parameters,
// thread count) and then reused from a process-wide cache, so a repeated call
// costs about as much as the work itself. oneDNN runs on as many threads as
// default_thread_pool() has, and on one when called from inside a
// parallel_for chunk.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/kernel_shapes.h"
#include "runtime/post_op.h"
#include "support/tensor.h"

namespace wick::rt {

struct Epilogue {
  PostOp op = PostOp::none;
  float alpha = 0.f;
  float beta = 0.f;
};

// The epilogue applied to one value, with the same formulas oneDNN uses.
float apply_epilogue(const Epilogue& e, float x);
double apply_epilogue(const Epilogue& e, double x);

// matmul, linear, addmm and the convolutions also take f64 operands (all of
// one dtype), which runtime/gemm_f64.h multiplies.

// torch.matmul for operands of rank 1 to 12: matrix, batched (bmm) and
// broadcast batch products, vector operands promoted as torch does.
void matmul(const Tensor& a, const Tensor& b, Tensor& out, const Epilogue& epilogue = {});

// x [..., in] @ weight[out, in]^T + bias; `bias` may be undefined.
void linear(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& out,
            const Epilogue& epilogue = {});

// The integer product of a quantized linear layer: xq [..., K] uint8 read
// as (xq - x_zero_point) * x_scale, times w [N, K] int8 read as
// (w - w_zero_point) * w_scale, transposed, plus bias [N] (may be
// undefined): out [..., N] f32. The products are summed as integers and
// scaled once per output; the scales and zero points are f32 tensors, the
// input's 0-d, the weight's of one element or one per row of w, and the
// zero points integers within their operand's range. `constant_weights`
// promises that w and its scale and zero point never change (module tensors
// in inference): what the kernel derives from them is computed once.
void quantized_linear(const Tensor& xq, const Tensor& x_scale, const Tensor& x_zero_point, const Tensor& w,
                      const Tensor& w_scale, const Tensor& w_zero_point, const Tensor& bias, Tensor& out,
                      const Epilogue& epilogue = {}, bool constant_weights = false);
// The same after quantizing x [..., K] f32 to the levels 0..qmax (127 or
// 255) with a scale and zero point chosen from x's range, as LibTorch's
// dynamically quantized layers do (runtime/dynamic_quantization.h).
void quantized_linear_dynamic(const Tensor& x, const Tensor& w, const Tensor& w_scale, const Tensor& w_zero_point,
                              const Tensor& bias, int qmax, Tensor& out, const Epilogue& epilogue = {},
                              bool constant_weights = false);

// The convolution of a statically quantized model: x [N, H, W, C] uint8
// levels read as x - zero_point (0..255), w [O, C/groups, kH, kW] int8 (a
// zero point of 0), out [N, oH, oW, O] f32 (contiguous) the sums of their
// products as exact integers (below 2^24 on a CPU without VNNI, where the
// kernel convolves in f32 rather than let oneDNN's int16 pairs saturate).
// Padding adds nothing, as if it held the zero point. Channels-last, as
// oneDNN's int8 kernels run.
void conv2d_int8(const Tensor& x, int64_t zero_point, const Tensor& w, const Conv2dParams& p, Tensor& out);
// Tests: take the f32 path even where the CPU has VNNI.
void force_float_conv2d_int8(bool on);

// out = beta * bias + alpha * (a @ b), bias broadcast to [n, m]. With
// beta == 0 the bias is not read (as in PyTorch, NaNs in it do not spread).
// `out` may be `bias` itself.
void addmm(const Tensor& bias, const Tensor& a, const Tensor& b, float beta, float alpha,
           Tensor& out, const Epilogue& epilogue = {});

// NCHW (or CHW) convolution, grouped and depthwise included; `bias` may be
// undefined.
void conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p,
            Tensor& out, const Epilogue& epilogue = {});
// NCW (or CW) convolution.
void conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv1dParams& p,
            Tensor& out, const Epilogue& epilogue = {});
// NCDHW (or CDHW) convolution.
void conv3d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv3dParams& p,
            Tensor& out, const Epilogue& epilogue = {});

void max_pool2d(const Tensor& x, const MaxPool2dParams& p, Tensor& out);
void avg_pool2d(const Tensor& x, const AvgPool2dParams& p, Tensor& out);
// PyTorch's adaptive windows: output cell i covers input rows
// [floor(i * H / oh), ceil((i + 1) * H / oh)).
void adaptive_avg_pool2d(const Tensor& x, Int2 output_size, Tensor& out);

// The primitive cache, visible for tests and for freeing memory.
size_t primitive_cache_size();
void clear_primitive_cache();

}  // namespace wick::rt

// Extern kernels of the backward pass: the input and weight gradients of
// conv1d/conv2d on oneDNN's backward-data and backward-weights primitives,
// and the input gradients of the pools, computed directly on the thread pool
// with PyTorch's window rules (max pooling sends each output gradient to the
// first maximum of its window, as PyTorch's CPU kernel picks it).
//
// f32 CPU tensors of any strides in (f64 too for the convolutions' gradients); `out` allocated by the caller with the
// shape of the forward operand whose gradient it receives, not overlapping
// the inputs. Anything else is a wick::Error naming the op.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/kernel_shapes.h"
#include "support/tensor.h"

namespace wick::rt {

// d input of conv1d/conv2d: `out` has the input's shape, [N, C, ...] or
// unbatched [C, ...]; weight [O, C/groups, k...].
void conv_input_backward(const Tensor& grad_output, const Tensor& weight, const ConvBackwardParams& p,
                         Tensor& out);
// d weight: `out` has the weight's shape.
void conv_weight_backward(const Tensor& grad_output, const Tensor& input, const ConvBackwardParams& p,
                          Tensor& out);

// d input of max_pool2d, avg_pool2d and adaptive_avg_pool2d: `out` has the
// input's shape, [N, C, H, W] or [C, H, W].
void max_pool2d_backward(const Tensor& grad_output, const Tensor& input, const MaxPool2dParams& p, Tensor& out);
void avg_pool2d_backward(const Tensor& grad_output, const AvgPool2dParams& p, Tensor& out);
void adaptive_avg_pool2d_backward(const Tensor& grad_output, Tensor& out);

}  // namespace wick::rt

// Convolution and pooling on NVIDIA GPUs through cuDNN: the GPU side of the
// conv1d, conv2d, max_pool2d and avg_pool2d extern kernels
// (extern_kernels.h) and of their gradients (backward_kernels.h), with the
// same signatures, shape rules and semantics, on f32 NCHW (NCW) tensors in
// CUDA device memory.
//
// cuDNN 9's legacy API does the work (cudnnConvolutionForward, then
// cudnnAddTensor for the bias and cudnnActivationForward for the post-op,
// all on the device's stream). cuDNN's graph (backend) API would fuse the
// bias and activation into the convolution, but for fp32 it has no fused
// engines that the legacy path lacks; it is a later step, kept out until it
// can be tested on a GPU. Convolutions use plain fp32 (CUDNN_FMA_MATH, never
// TF32); the algorithm is the first of cuDNN's heuristic list that uses fp32
// arithmetic and a workspace of at most 256 MiB, cached per shape.
//
// Post-ops cuDNN applies: relu (slope 0), clip with a lower bound of 0
// (relu6), sigmoid, tanh, silu (cudnn_fuses). Others are refused with a
// wick::Error: the plan must run them as their own kernel. Pooling: what
// cuDNN computes exactly as PyTorch does, i.e. no dilation, ceil_mode only
// where it does not change the output size, no divisor_override
// (cudnn_pools); the rest needs generated kernels.
//
// cuDNN is opened with dlopen on first use: $WICK_CUDNN, else libcudnn.so.9
// in WICK_CUDA_LIBRARY_PATH, then through the loader (cuda_library.h).
// libcudnn.so.9 is a small front that loads its parts (libcudnn_graph,
// libcudnn_ops, libcudnn_cnn, libcudnn_engines_*) itself, from its own
// directory ($ORIGIN), so pointing at the front is enough. Missing: "cuDNN
// not found (searched: ...)"; a missing part: cuDNN's own message.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "runtime/extern_kernels.h"
#include "support/tensor.h"

namespace wick::rt {

bool cudnn_fuses(const Epilogue& epilogue);
// Whether cuda_max_pool2d / cuda_avg_pool2d take these parameters for an
// input of these sizes.
bool cudnn_pools(const std::vector<int64_t>& input, const MaxPool2dParams& p);
bool cudnn_pools(const std::vector<int64_t>& input, const AvgPool2dParams& p);

void cuda_conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p,
                 Tensor& out, const Epilogue& epilogue = {});
void cuda_conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv1dParams& p,
                 Tensor& out, const Epilogue& epilogue = {});
void cuda_max_pool2d(const Tensor& x, const MaxPool2dParams& p, Tensor& out);
void cuda_avg_pool2d(const Tensor& x, const AvgPool2dParams& p, Tensor& out);

// The gradients, as conv_input_backward, conv_weight_backward,
// max_pool2d_backward and avg_pool2d_backward (backward_kernels.h) compute
// them on the CPU: cudnnConvolutionBackwardData / BackwardFilter (fp32,
// deterministic algorithms preferred) and cudnnPoolingBackward, whose max
// pooling compares the input with the forward output, computed again. The
// pools take what cudnn_pools allows; gradients are written contiguous.
void cuda_conv_input_backward(const Tensor& grad_output, const Tensor& weight, const ConvBackwardParams& p,
                              Tensor& out);
void cuda_conv_weight_backward(const Tensor& grad_output, const Tensor& input, const ConvBackwardParams& p,
                               Tensor& out);
void cuda_max_pool2d_backward(const Tensor& grad_output, const Tensor& input, const MaxPool2dParams& p,
                              Tensor& out);
void cuda_avg_pool2d_backward(const Tensor& grad_output, const AvgPool2dParams& p, Tensor& out);

// Loads cuDNN (once) and returns cudnnGetVersion(), e.g. 91900; throws
// wick::Error when it cannot be found. Needs no GPU.
size_t cudnn_version();
std::string cudnn_path();

}  // namespace wick::rt

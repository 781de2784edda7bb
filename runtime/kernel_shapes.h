// Parameters and result shapes of the extern kernels (matmul, linear, addmm,
// convolution, pooling), computed exactly as PyTorch computes them, ceil-mode
// pooling rules included. Shape inference calls these same functions, so the
// shapes the compiler plans memory for and the shapes the kernels accept
// cannot disagree. Invalid parameters throw wick::Error naming the op.
//
// Accepted layouts: conv2d and the pools take NCHW or unbatched CHW inputs,
// conv1d takes NCW or CW, conv3d NCDHW or CDHW. Parameters are explicit: a pooling stride that
// PyTorch leaves empty must be passed as the kernel size. Convolution padding
// is symmetric numbers (a 'same' or 'valid' string is resolved by the caller).
// Pooling padding may be at most half the dilated kernel, as in PyTorch 2
// (LibTorch 1.13 bounded max_pool2d's by half the undilated kernel).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace wick::rt {

using Int2 = std::array<int64_t, 2>;
using Int3 = std::array<int64_t, 3>;

struct Conv2dParams {
  Int2 stride{1, 1};
  Int2 padding{0, 0};
  Int2 dilation{1, 1};
  int64_t groups = 1;
  bool constant_weights = false;  // the weights never change: convert their layout once
};

struct Conv3dParams {
  Int3 stride{1, 1, 1};
  Int3 padding{0, 0, 0};
  Int3 dilation{1, 1, 1};
  int64_t groups = 1;
  bool constant_weights = false;
};

struct Conv1dParams {
  int64_t stride = 1;
  int64_t padding = 0;
  int64_t dilation = 1;
  int64_t groups = 1;
  bool constant_weights = false;
};

// The gradients of conv1d / conv2d / conv3d: stride, padding and dilation
// have one value per spatial dim (1, 2 or 3).
struct ConvBackwardParams {
  std::vector<int64_t> stride, padding, dilation;
  int64_t groups = 1;
};

struct MaxPool2dParams {
  Int2 kernel{1, 1};
  Int2 stride{1, 1};
  Int2 padding{0, 0};
  Int2 dilation{1, 1};
  bool ceil_mode = false;
};

struct AvgPool2dParams {
  Int2 kernel{1, 1};
  Int2 stride{1, 1};
  Int2 padding{0, 0};
  bool ceil_mode = false;
  bool count_include_pad = true;
  int64_t divisor_override = 0;  // 0: none (PyTorch's None)
};

// Output length of one convolution dimension; may be <= 0 for a kernel that
// does not fit (no checks).
int64_t conv_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t padding,
                         int64_t dilation);
// Output length of one pooling dimension, PyTorch's rule: in ceil mode the
// last window must start inside the input or its left padding. No checks.
int64_t pool_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t padding,
                         int64_t dilation, bool ceil_mode);

// torch.matmul: 1-D operands are promoted to a matrix and the added dimension
// removed again; batch dimensions broadcast.
std::vector<int64_t> matmul_output_sizes(const std::vector<int64_t>& a,
                                         const std::vector<int64_t>& b);
// x [..., in], weight [out, in], bias [out] (empty when absent) -> [..., out].
std::vector<int64_t> linear_output_sizes(const std::vector<int64_t>& x,
                                         const std::vector<int64_t>& weight,
                                         const std::vector<int64_t>& bias);
// a [n, k], b [k, m], bias broadcastable to [n, m] -> [n, m].
std::vector<int64_t> addmm_output_sizes(const std::vector<int64_t>& bias,
                                        const std::vector<int64_t>& a,
                                        const std::vector<int64_t>& b);

// input [N, C, H, W] or [C, H, W], weight [O, C/groups, kH, kW].
std::vector<int64_t> conv2d_output_sizes(const std::vector<int64_t>& input,
                                         const std::vector<int64_t>& weight, const Conv2dParams& p);
// input [N, C, W] or [C, W], weight [O, C/groups, kW].
std::vector<int64_t> conv1d_output_sizes(const std::vector<int64_t>& input,
                                         const std::vector<int64_t>& weight, const Conv1dParams& p);
// input [N, C, D, H, W] or [C, D, H, W], weight [O, C/groups, kD, kH, kW].
std::vector<int64_t> conv3d_output_sizes(const std::vector<int64_t>& input,
                                         const std::vector<int64_t>& weight, const Conv3dParams& p);

// The output gradient a convolution gradient (op) takes: the forward
// output's sizes for these forward operands; throws wick::Error naming `op`
// when `grad_output` has others or the parameters are malformed.
void check_conv_grad_output(const char* op, const std::vector<int64_t>& grad_output,
                            const std::vector<int64_t>& input, const std::vector<int64_t>& weight,
                            const ConvBackwardParams& p);

std::vector<int64_t> max_pool2d_output_sizes(const std::vector<int64_t>& input,
                                             const MaxPool2dParams& p);
std::vector<int64_t> avg_pool2d_output_sizes(const std::vector<int64_t>& input,
                                             const AvgPool2dParams& p);
std::vector<int64_t> adaptive_avg_pool2d_output_sizes(const std::vector<int64_t>& input,
                                                      Int2 output_size);

}  // namespace wick::rt

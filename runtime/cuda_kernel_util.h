// Helpers the GPU library kernels (cublaslt_gemm, cudnn_conv) share:
// argument checks whose messages name the op, contiguous copies and
// broadcasts of small operands (biases) in device memory. Internal to the
// runtime.
#pragma once

#include <cstdint>
#include <vector>

#include "support/tensor.h"

namespace wick::rt {

// `t` must be a defined f32 tensor on a CUDA device, the same as `device`
// when that is not -1. Returns its device index.
int check_cuda_f32(const char* op, const char* what, const Tensor& t, int device = -1);
// `out` must be an f32 tensor on `device` of exactly `expected` sizes.
void check_cuda_output(const char* op, const Tensor& out, const std::vector<int64_t>& expected,
                       int device);

// `t` itself when contiguous, else a contiguous device copy (dense runs or
// pitched rows only, see cuda_copy).
Tensor cuda_contiguous(const Tensor& t);

// dst = src broadcast to dst's sizes (src right-aligned, dims of 1 repeat),
// with device copies only: src is first copied into one corner of each
// matrix of dst, then doubled along the broadcast dims. Each matrix of dst
// (its last two dims) needs a unit stride in one dim; src a unit stride
// along its last dim when that is broadcast from more than one element.
void cuda_broadcast_into(const char* op, const Tensor& src, const Tensor& dst);

// Largest power of two, at most 256, that divides the address.
uint32_t address_alignment(const void* p);

}  // namespace wick::rt

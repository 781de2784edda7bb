// Tensors in CUDA device memory: creating them, moving them between host and
// device, copying between them and filling them. Device tensors are ordinary
// wick::Tensor values whose storage has Device{cuda, i} and comes from the
// device's caching allocator (cuda_device.h); data() is then a device
// address, to be passed to kernels and libraries, never dereferenced.
//
// Copies run on the device's stream. A copy into host memory synchronizes
// (the data is there when the call returns); one from host memory returns
// once the host data has been taken (the host buffer may be reused at once),
// not necessarily once it has landed; device-to-device copies and fills are
// asynchronous. Host memory is ordinary pageable memory, so a copy from or to
// the host cannot be captured in a CUDA graph.
#pragma once

#include <cstdint>
#include <vector>

#include "support/tensor.h"

namespace wick::rt {

// Contiguous device tensors: uninitialised, or every byte zero.
Tensor cuda_empty(DType dtype, std::vector<int64_t> sizes, int device = 0);
Tensor cuda_zeros(DType dtype, std::vector<int64_t> sizes, int device = 0);

// A contiguous copy of `t` (CPU or CUDA, any strides) on `device`; `t` itself
// when it is already there.
Tensor to_device(const Tensor& t, int device = 0);
// A contiguous CPU copy of `t` (CUDA, any strides); `t` itself when it is on
// the CPU. Synchronizes.
Tensor to_host(const Tensor& t);

// dst = src for tensors of equal dtype and sizes, either on the CPU or a CUDA
// device (host to device, device to host, device to device on one device).
// Any strides on the host side; on the device side the layout must come down
// to one run of elements or rows of equal length at a fixed pitch (a
// contiguous tensor, a slice of one); other device layouts need a copy kernel
// and throw wick::Error.
void cuda_copy(const Tensor& src, const Tensor& dst);

// Sets every byte of a contiguous device tensor to `value` (0: zero fill).
void cuda_memset(const Tensor& t, uint8_t value);
// Sets every 4-byte element of a contiguous device tensor (f32, i32) to the
// bit pattern of `value`.
void cuda_fill32(const Tensor& t, uint32_t bits);

}  // namespace wick::rt

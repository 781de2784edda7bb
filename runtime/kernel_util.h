// Small helpers the extern kernels share: argument checks with messages that
// name the op, and strided f32 copies and fills. Internal to the runtime.
#pragma once

#include <cstdint>
#include <vector>

#include "support/tensor.h"

namespace wick::rt {

// `t` must be a defined f32 CPU tensor; `what` names it ("input", "weight").
void check_f32_input(const char* op, const char* what, const Tensor& t);
// `out` must be a defined f32 CPU tensor of exactly `expected` sizes.
void check_output(const char* op, const Tensor& out, const std::vector<int64_t>& expected);
// The products (matmul, linear, addmm) and convolutions take f32 or f64:
// `t` must be a defined CPU tensor of `dtype`, the first operand's.
void check_product_input(const char* op, const char* what, const Tensor& t, DType dtype);
void check_product_output(const char* op, const Tensor& out, const std::vector<int64_t>& expected, DType dtype);

// dst[i] = src[i] for tensors of equal sizes and dtype (of 2, 4 or 8 bytes),
// any strides.
void copy_into(const Tensor& src, const Tensor& dst);
// A contiguous f32 copy of an f32 or bf16 tensor (bf16 widens exactly).
Tensor widened_to_f32(const Tensor& t);
// dst[i] = src[i] rounded to bf16 (to nearest, ties to even; NaN stays
// NaN), for an f32 `src` and a bf16 `dst` of equal sizes.
void round_into_bf16(const Tensor& src, const Tensor& dst);
// dst[i] = src broadcast to dst's sizes (src right-aligned, dims of 1 repeat).
void broadcast_into(const Tensor& src, const Tensor& dst);
// dst[i] = f(dst[i]) for every element (f32).
template <typename F>
void for_each_element(const Tensor& dst, F&& f);

// The same storage seen with other sizes and strides.
Tensor restride(const Tensor& t, std::vector<int64_t> sizes, std::vector<int64_t> strides);
// `t` with size-1 dimensions prepended up to `rank` (t itself when it has it).
Tensor with_rank(const Tensor& t, int rank);

// Visits every element offset of a strided shape in row-major order.
template <typename F>
void for_each_offset(const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides,
                     F&& f) {
  const int rank = static_cast<int>(sizes.size());
  for (int64_t s : sizes)
    if (s == 0) return;
  std::vector<int64_t> index(rank, 0);
  int64_t offset = 0;
  for (;;) {
    f(offset);
    int d = rank - 1;
    for (; d >= 0; --d) {
      offset += strides[d];
      if (++index[d] < sizes[d]) break;
      offset -= strides[d] * sizes[d];
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

// The same over two strided shapes of equal sizes in lock step: f(a, b).
template <typename F>
void for_each_offset_pair(const std::vector<int64_t>& sizes, const std::vector<int64_t>& a_strides,
                          const std::vector<int64_t>& b_strides, F&& f) {
  const int rank = static_cast<int>(sizes.size());
  for (int64_t s : sizes)
    if (s == 0) return;
  std::vector<int64_t> index(rank, 0);
  int64_t a = 0, b = 0;
  for (;;) {
    f(a, b);
    int d = rank - 1;
    for (; d >= 0; --d) {
      a += a_strides[d];
      b += b_strides[d];
      if (++index[d] < sizes[d]) break;
      a -= a_strides[d] * sizes[d];
      b -= b_strides[d] * sizes[d];
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

template <typename F>
void for_each_element(const Tensor& dst, F&& f) {
  float* p = dst.data_as<float>();
  for_each_offset(dst.sizes(), dst.strides(), [&](int64_t o) { p[o] = f(p[o]); });
}

}  // namespace wick::rt

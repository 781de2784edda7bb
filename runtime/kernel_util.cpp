// Argument checks and strided copies for the extern kernels.
#include "runtime/kernel_util.h"

#include <string>

#include "support/error.h"

namespace wick::rt {

namespace {

// `t` is a defined CPU tensor of `dtype`; `why` follows the message's
// "must be f32".
void check_tensor(const char* op, const char* what, const Tensor& t, DType dtype, const char* why) {
  if (!t.defined()) throw Error(std::string(what) + " is undefined", {}, op);
  if (t.device().kind != DeviceKind::cpu)
    throw Error(std::string(what) + " must be on the CPU, got " + t.device().str(), {}, op);
  if (t.dtype() != dtype)
    throw Error(std::string(what) + " must be " + std::string(dtype_name(dtype)) + why + ", got " + t.describe(), {}, op);
}

void check_sizes(const char* op, const Tensor& out, const std::vector<int64_t>& expected) {
  if (out.sizes() != expected)
    throw Error("output has shape " + shape_str(out.sizes()) + " but the result has shape " + shape_str(expected), {},
                op);
}

}  // namespace

void check_f32_input(const char* op, const char* what, const Tensor& t) { check_tensor(op, what, t, DType::f32, ""); }

void check_output(const char* op, const Tensor& out, const std::vector<int64_t>& expected) {
  check_f32_input(op, "output", out);
  check_sizes(op, out, expected);
}

void check_product_input(const char* op, const char* what, const Tensor& t, DType dtype) {
  if (dtype != DType::f32 && dtype != DType::f64 && dtype != DType::bf16)
    throw Error("takes f32, f64 or bf16 operands, got " + t.describe(), {}, op);
  check_tensor(op, what, t, dtype, " as the first operand is");
}

void check_product_output(const char* op, const Tensor& out, const std::vector<int64_t>& expected, DType dtype) {
  check_product_input(op, "output", out, dtype);
  check_sizes(op, out, expected);
}

namespace {

template <typename T>
void copy_elements(const Tensor& src, const Tensor& dst) {
  const T* s = src.data_as<T>();
  T* d = dst.data_as<T>();
  // Walk dst in its own order; src offsets follow along in lock step.
  const auto& sizes = dst.sizes();
  std::vector<int64_t> index(sizes.size(), 0);
  int64_t so = 0;
  for_each_offset(sizes, dst.strides(), [&](int64_t o) {
    d[o] = s[so];
    for (int k = static_cast<int>(sizes.size()) - 1; k >= 0; --k) {
      so += src.strides()[k];
      if (++index[k] < sizes[k]) break;
      so -= src.strides()[k] * sizes[k];
      index[k] = 0;
    }
  });
}

}  // namespace

void copy_into(const Tensor& src, const Tensor& dst) {
  WICK_ASSERT(src.sizes() == dst.sizes(), "copy between tensors of different sizes");
  WICK_ASSERT(src.dtype() == dst.dtype(), "copy between tensors of different dtypes");
  if (dtype_size(src.dtype()) == 8) return copy_elements<uint64_t>(src, dst);
  if (dtype_size(src.dtype()) == 2) return copy_elements<uint16_t>(src, dst);
  WICK_ASSERT(dtype_size(src.dtype()) == 4, "copy_into takes 2-, 4- or 8-byte elements");
  copy_elements<uint32_t>(src, dst);
}

Tensor widened_to_f32(const Tensor& t) {
  if (t.dtype() == DType::f32) return t.contiguous();
  WICK_ASSERT(t.dtype() == DType::bf16, "widened_to_f32 takes f32 or bf16");
  Tensor out = Tensor::empty(DType::f32, t.sizes());
  const uint16_t* s = t.data_as<uint16_t>();
  uint32_t* d = out.data_as<uint32_t>();
  int64_t i = 0;
  for_each_offset(t.sizes(), t.strides(), [&](int64_t o) { d[i++] = static_cast<uint32_t>(s[o]) << 16; });
  return out;
}

void round_into_bf16(const Tensor& src, const Tensor& dst) {
  WICK_ASSERT(src.dtype() == DType::f32 && dst.dtype() == DType::bf16 && src.sizes() == dst.sizes(),
              "round_into_bf16 takes an f32 source and a bf16 destination of its sizes");
  const uint32_t* s = src.data_as<uint32_t>();
  uint16_t* d = dst.data_as<uint16_t>();
  for_each_offset_pair(dst.sizes(), dst.strides(), src.strides(), [&](int64_t o, int64_t i) {
    const uint32_t bits = s[i];
    if ((bits & 0x7fffffffu) > 0x7f800000u) {
      d[o] = static_cast<uint16_t>((bits >> 16) | 0x40u);  // a quiet NaN
      return;
    }
    d[o] = static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
  });
}

void broadcast_into(const Tensor& src, const Tensor& dst) {
  const int rank = dst.dim();
  WICK_ASSERT(src.dim() <= rank, "broadcast to fewer dimensions");
  std::vector<int64_t> strides(rank, 0);
  for (int i = 0; i < src.dim(); ++i) {
    int d = rank - src.dim() + i;
    WICK_ASSERT(src.size(i) == dst.size(d) || src.size(i) == 1, "sizes do not broadcast");
    strides[d] = src.size(i) == 1 ? 0 : src.strides()[i];
  }
  copy_into(restride(src, dst.sizes(), strides), dst);
}

Tensor restride(const Tensor& t, std::vector<int64_t> sizes, std::vector<int64_t> strides) {
  return t.as_strided(std::move(sizes), std::move(strides), t.offset());
}

Tensor with_rank(const Tensor& t, int rank) {
  if (t.dim() >= rank) return t;
  std::vector<int64_t> sizes(rank - t.dim(), 1), strides(rank - t.dim(), 0);
  sizes.insert(sizes.end(), t.sizes().begin(), t.sizes().end());
  strides.insert(strides.end(), t.strides().begin(), t.strides().end());
  return restride(t, sizes, strides);
}

}  // namespace wick::rt

// Argument checks and strided copies for the extern kernels.
#include "runtime/kernel_util.h"

#include <string>

#include "support/error.h"

namespace wick::rt {

void check_f32_input(const char* op, const char* what, const Tensor& t) {
  if (!t.defined()) throw Error(std::string(what) + " is undefined", {}, op);
  if (t.device().kind != DeviceKind::cpu)
    throw Error(std::string(what) + " must be on the CPU, got " + t.device().str(), {}, op);
  if (t.dtype() != DType::f32)
    throw Error(std::string(what) + " must be f32, got " + t.describe(), {}, op);
}

void check_output(const char* op, const Tensor& out, const std::vector<int64_t>& expected) {
  check_f32_input(op, "output", out);
  if (out.sizes() != expected)
    throw Error("output has shape " + shape_str(out.sizes()) + " but the result has shape " +
                    shape_str(expected),
                {}, op);
}

void copy_into(const Tensor& src, const Tensor& dst) {
  WICK_ASSERT(src.sizes() == dst.sizes(), "copy between tensors of different sizes");
  const float* s = src.data_as<float>();
  float* d = dst.data_as<float>();
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

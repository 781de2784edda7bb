// Shared checks and device broadcasts of the GPU library kernels; see
// cuda_kernel_util.h.
#include "runtime/cuda_kernel_util.h"

#include <string>
#include <utility>

#include "runtime/cuda_device.h"
#include "runtime/cuda_driver.h"
#include "runtime/cuda_tensor.h"
#include "support/error.h"

namespace wick::rt {
namespace {

using namespace cuda_api;

CUdeviceptr dptr(const void* p) { return static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(p)); }

void copy2d(const CudaDevice& dev, const char* op, const char* src, size_t src_pitch, char* dst,
            size_t dst_pitch, size_t width, size_t rows) {
  CUDA_MEMCPY2D c{};
  c.srcMemoryType = CU_MEMORYTYPE_DEVICE;
  c.srcDevice = dptr(src);
  c.srcPitch = src_pitch;
  c.dstMemoryType = CU_MEMORYTYPE_DEVICE;
  c.dstDevice = dptr(dst);
  c.dstPitch = dst_pitch;
  c.WidthInBytes = width;
  c.Height = rows;
  cuda_check(cuda_driver().cuMemcpy2DAsync(&c, dev.stream()), "cuMemcpy2DAsync",
             std::string("broadcasting an operand of ") + op);
}

// One matrix: src [rs, cs] (strides ss0, ss1) into dst [R, C] (strides d0, d1).
void broadcast_matrix(const CudaDevice& dev, const char* op, const char* src, int64_t rs,
                      int64_t cs, int64_t ss0, int64_t ss1, char* dst, int64_t R, int64_t C,
                      int64_t d0, int64_t d1, size_t es) {
  // Rows of dst must be contiguous: look at the transpose otherwise.
  if (C > 1 && d1 != 1) {
    if (R > 1 && d0 != 1)
      throw Error("the GPU broadcast needs an output with a unit stride in one of its last two dims",
                  {}, op);
    std::swap(rs, cs);
    std::swap(ss0, ss1);
    std::swap(R, C);
    std::swap(d0, d1);
  }
  if (cs > 1 && ss1 != 1)
    throw Error("the GPU broadcast needs an operand with a unit stride along its rows", {}, op);
  const size_t dp = static_cast<size_t>(R > 1 ? d0 : C) * es;
  const size_t sp = static_cast<size_t>(rs > 1 ? ss0 : cs) * es;
  if (sp < static_cast<size_t>(cs) * es || dp < static_cast<size_t>(C) * es)
    throw Error("the GPU broadcast got overlapping rows", {}, op);
  copy2d(dev, op, src, sp, dst, dp, static_cast<size_t>(cs) * es, static_cast<size_t>(rs));
  if (cs == 1)
    for (int64_t w = 1; w < C;) {
      const int64_t n = std::min(w, C - w);
      copy2d(dev, op, dst, dp, dst + w * static_cast<int64_t>(es), dp, static_cast<size_t>(n) * es,
             static_cast<size_t>(rs));
      w += n;
    }
  if (rs == 1)
    for (int64_t h = 1; h < R;) {
      const int64_t n = std::min(h, R - h);
      copy2d(dev, op, dst, dp, dst + h * static_cast<int64_t>(dp), dp, static_cast<size_t>(C) * es,
             static_cast<size_t>(n));
      h += n;
    }
}

}  // namespace

int check_cuda_f32(const char* op, const char* what, const Tensor& t, int device) {
  if (!t.defined()) throw Error(std::string(what) + " is undefined", {}, op);
  if (t.device().kind != DeviceKind::cuda)
    throw Error(std::string(what) + " must be on a CUDA device, got " + t.device().str(), {}, op);
  if (device >= 0 && t.device().index != device)
    throw Error(std::string(what) + " is on " + t.device().str() + " but the other operands on cuda:" +
                    std::to_string(device),
                {}, op);
  if (t.dtype() != DType::f32)
    throw Error(std::string(what) + " must be f32, got " + t.describe(), {}, op);
  return t.device().index;
}

void check_cuda_output(const char* op, const Tensor& out, const std::vector<int64_t>& expected,
                       int device) {
  check_cuda_f32(op, "output", out, device);
  if (out.sizes() != expected)
    throw Error("output has shape " + shape_str(out.sizes()) + " but the result has shape " +
                    shape_str(expected),
                {}, op);
}

Tensor cuda_contiguous(const Tensor& t) {
  if (t.is_contiguous()) return t;
  Tensor out = cuda_empty(t.dtype(), t.sizes(), t.device().index);
  cuda_copy(t, out);
  return out;
}

void cuda_broadcast_into(const char* op, const Tensor& src, const Tensor& dst) {
  const int rank = std::max(dst.dim(), 2);
  if (src.dim() > dst.dim()) throw Error("cannot broadcast " + src.describe() + " to " + dst.describe(), {}, op);
  // Both seen with `rank` dims; broadcast dims of src get size 1.
  std::vector<int64_t> ssz(rank, 1), sst(rank, 0), dsz(rank, 1), dst_st(rank, 0);
  for (int i = 0; i < dst.dim(); ++i) {
    dsz[rank - dst.dim() + i] = dst.size(i);
    dst_st[rank - dst.dim() + i] = dst.strides()[i];
  }
  for (int i = 0; i < src.dim(); ++i) {
    const int d = rank - src.dim() + i;
    const int64_t n = src.size(i);
    if (n != 1 && n != dsz[d])
      throw Error("cannot broadcast " + src.describe() + " to " + dst.describe(), {}, op);
    const int64_t s = src.strides()[i];
    ssz[d] = (n > 1 && s == 0) ? 1 : n;  // an expanded dim repeats one element
    sst[d] = ssz[d] == 1 ? 0 : s;
  }
  if (dst.numel() == 0) return;
  const CudaDevice& dev = cuda_device(dst.device().index);
  dev.make_current();
  const size_t es = dtype_size(dst.dtype());
  const int64_t R = dsz[rank - 2], C = dsz[rank - 1];
  const int64_t batches = dst.numel() / (R * C);
  std::vector<int64_t> index(rank - 2, 0);
  const char* sbase = static_cast<const char*>(src.data());
  char* dbase = static_cast<char*>(dst.data());
  for (int64_t b = 0; b < batches; ++b) {
    int64_t so = 0, doff = 0;
    for (int i = 0; i < rank - 2; ++i) {
      so += index[i] * sst[i];
      doff += index[i] * dst_st[i];
    }
    broadcast_matrix(dev, op, sbase + so * static_cast<int64_t>(es), ssz[rank - 2], ssz[rank - 1],
                     sst[rank - 2], sst[rank - 1], dbase + doff * static_cast<int64_t>(es), R, C,
                     dst_st[rank - 2], dst_st[rank - 1], es);
    for (int i = rank - 3; i >= 0; --i) {
      if (++index[i] < dsz[i]) break;
      index[i] = 0;
    }
  }
}

uint32_t address_alignment(const void* p) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  uint32_t align = 256;
  while (align > 1 && a % align != 0) align >>= 1;
  return align;
}

}  // namespace wick::rt

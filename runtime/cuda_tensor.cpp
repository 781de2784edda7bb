// Device tensors, copies and fills; see cuda_tensor.h.
#include "runtime/cuda_tensor.h"

#include <cstring>
#include <string>

#include "runtime/cuda_device.h"
#include "runtime/cuda_driver.h"
#include "support/error.h"

namespace wick::rt {
namespace {

using namespace cuda_api;

CUdeviceptr dptr(const void* p) { return static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(p)); }

bool on_cuda(const Tensor& t) { return t.device().kind == DeviceKind::cuda; }

// A copy between two layouts of the same sizes, as `rows` runs of
// `row_bytes` bytes, `pitch` bytes apart on each side (one run: rows == 1).
struct Runs {
  size_t rows = 1;
  size_t row_bytes = 0;
  size_t src_pitch = 0;
  size_t dst_pitch = 0;
};

// Merges the dims of src and dst (equal sizes) that are dense together, and
// says whether what is left is at most rows of contiguous elements.
bool as_runs(const Tensor& src, const Tensor& dst, Runs* runs) {
  const size_t es = dtype_size(src.dtype());
  // Groups from the innermost dim out: size, src stride, dst stride.
  struct Group {
    int64_t size, ss, ds;
  };
  std::vector<Group> groups;
  for (int d = src.dim() - 1; d >= 0; --d) {
    const int64_t n = src.size(d);
    if (n == 1) continue;
    const int64_t ss = src.strides()[d], ds = dst.strides()[d];
    if (!groups.empty()) {
      Group& g = groups.back();
      if (ss == g.ss * g.size && ds == g.ds * g.size) {
        g.size *= n;
        continue;
      }
    }
    groups.push_back({n, ss, ds});
  }
  if (groups.empty()) {
    *runs = {1, es, 0, 0};
    return true;
  }
  if (groups.size() == 1 && groups[0].ss == 1 && groups[0].ds == 1) {
    *runs = {1, static_cast<size_t>(groups[0].size) * es, 0, 0};
    return true;
  }
  if (groups.size() == 1) {  // one element per row
    const Group& g = groups[0];
    if (g.ss < 1 || g.ds < 1) return false;
    *runs = {static_cast<size_t>(g.size), es, static_cast<size_t>(g.ss) * es,
             static_cast<size_t>(g.ds) * es};
    return true;
  }
  if (groups.size() == 2 && groups[0].ss == 1 && groups[0].ds == 1) {
    const Group& in = groups[0];
    const Group& out = groups[1];
    if (out.ss < in.size || out.ds < in.size) return false;  // overlapping rows
    *runs = {static_cast<size_t>(out.size), static_cast<size_t>(in.size) * es,
             static_cast<size_t>(out.ss) * es, static_cast<size_t>(out.ds) * es};
    return true;
  }
  return false;
}

// Host-side strided copy of any dtype, element by element.
void host_copy(const Tensor& src, const Tensor& dst) {
  const size_t es = dtype_size(src.dtype());
  const int64_t n = src.numel();
  if (n == 0) return;
  std::vector<int64_t> index(src.dim(), 0);
  const char* s = static_cast<const char*>(src.data());
  char* d = static_cast<char*>(dst.data());
  for (int64_t i = 0; i < n; ++i) {
    int64_t so = 0, doff = 0;
    for (int k = 0; k < src.dim(); ++k) {
      so += index[k] * src.strides()[k];
      doff += index[k] * dst.strides()[k];
    }
    std::memcpy(d + doff * static_cast<int64_t>(es), s + so * static_cast<int64_t>(es), es);
    for (int k = src.dim() - 1; k >= 0; --k) {
      if (++index[k] < src.size(k)) break;
      index[k] = 0;
    }
  }
}

// Queues the copy described by `runs` between src and dst (at least one on
// `dev`), then synchronizes when dst is host memory.
void copy_runs(const CudaDevice& dev, const Tensor& src, const Tensor& dst, const Runs& r) {
  const CudaDriver& d = cuda_driver();
  dev.make_current();
  const bool src_dev = on_cuda(src), dst_dev = on_cuda(dst);
  const std::string what = "copying " + src.describe() + " from " + src.device().str() + " to " +
                           dst.device().str();
  if (r.rows == 1) {
    if (src_dev && dst_dev)
      cuda_check(d.cuMemcpyDtoDAsync(dptr(dst.data()), dptr(src.data()), r.row_bytes, dev.stream()),
                 "cuMemcpyDtoDAsync", what);
    else if (dst_dev)
      cuda_check(d.cuMemcpyHtoDAsync(dptr(dst.data()), src.data(), r.row_bytes, dev.stream()),
                 "cuMemcpyHtoDAsync", what);
    else
      cuda_check(d.cuMemcpyDtoHAsync(dst.data(), dptr(src.data()), r.row_bytes, dev.stream()),
                 "cuMemcpyDtoHAsync", what);
  } else {
    CUDA_MEMCPY2D c;
    std::memset(&c, 0, sizeof c);
    c.srcMemoryType = src_dev ? CU_MEMORYTYPE_DEVICE : CU_MEMORYTYPE_HOST;
    if (src_dev)
      c.srcDevice = dptr(src.data());
    else
      c.srcHost = src.data();
    c.srcPitch = r.src_pitch;
    c.dstMemoryType = dst_dev ? CU_MEMORYTYPE_DEVICE : CU_MEMORYTYPE_HOST;
    if (dst_dev)
      c.dstDevice = dptr(dst.data());
    else
      c.dstHost = dst.data();
    c.dstPitch = r.dst_pitch;
    c.WidthInBytes = r.row_bytes;
    c.Height = r.rows;
    cuda_check(d.cuMemcpy2DAsync(&c, dev.stream()), "cuMemcpy2DAsync", what);
  }
  if (!dst_dev) dev.synchronize();
}

int64_t checked_nbytes(DType dtype, const std::vector<int64_t>& sizes) {
  int64_t numel = 0, bytes = 0;
  if (!checked_numel(sizes, &numel) ||
      !checked_mul(numel, static_cast<int64_t>(dtype_size(dtype)), &bytes) ||
      bytes > kMaxTensorBytes)
    throw Error("tensor of shape " + shape_str(sizes) + " is too large or has a negative size");
  return bytes;
}

}  // namespace

Tensor cuda_empty(DType dtype, std::vector<int64_t> sizes, int device) {
  const int64_t bytes = checked_nbytes(dtype, sizes);
  auto storage = cuda_allocate(static_cast<size_t>(bytes), device);
  std::vector<int64_t> strides = Tensor::contiguous_strides(sizes);
  return Tensor::view_of(std::move(storage), dtype, std::move(sizes), std::move(strides), 0);
}

Tensor cuda_zeros(DType dtype, std::vector<int64_t> sizes, int device) {
  Tensor t = cuda_empty(dtype, std::move(sizes), device);
  cuda_memset(t, 0);
  return t;
}

void cuda_copy(const Tensor& src, const Tensor& dst) {
  if (!src.defined() || !dst.defined()) throw Error("copy of an undefined tensor");
  if (src.dtype() != dst.dtype() || src.sizes() != dst.sizes())
    throw Error("copy from " + src.describe() + " to " + dst.describe() +
                ": dtypes and sizes must be equal");
  const bool src_dev = on_cuda(src), dst_dev = on_cuda(dst);
  if (!src_dev && !dst_dev) return host_copy(src, dst);
  if (src_dev && dst_dev && src.device() != dst.device())
    throw Error("copy from " + src.device().str() + " to " + dst.device().str() +
                ": copies between devices go through the host (to_host, to_device)");
  if (src.numel() == 0) return;
  const CudaDevice& dev = cuda_device(src_dev ? src.device().index : dst.device().index);
  Runs runs;
  if (as_runs(src, dst, &runs)) return copy_runs(dev, src, dst, runs);
  if (!src_dev) {  // host to device: gather on the host first
    Tensor packed = src.contiguous();
    if (as_runs(packed, dst, &runs)) return copy_runs(dev, packed, dst, runs);
  } else if (!dst_dev) {  // device to host: land in a packed buffer, then scatter
    Tensor packed = Tensor::empty(dst.dtype(), dst.sizes());
    if (as_runs(src, packed, &runs)) {
      copy_runs(dev, src, packed, runs);
      return host_copy(packed, dst);
    }
  }
  throw Error("copying " + src.describe() + " with strides " + shape_str(src.strides()) + " to " +
              dst.device().str() + " with strides " + shape_str(dst.strides()) +
              " needs a copy kernel: only dense runs and pitched rows are copied on the device");
}

Tensor to_device(const Tensor& t, int device) {
  if (!t.defined()) throw Error("to_device of an undefined tensor");
  if (on_cuda(t) && t.device().index == device) return t;
  if (on_cuda(t)) return to_device(to_host(t), device);
  Tensor packed = t.contiguous();
  Tensor out = cuda_empty(t.dtype(), t.sizes(), device);
  cuda_copy(packed, out);
  return out;
}

Tensor to_host(const Tensor& t) {
  if (!t.defined()) throw Error("to_host of an undefined tensor");
  if (!on_cuda(t)) return t;
  Tensor out = Tensor::empty(t.dtype(), t.sizes());
  if (t.numel() == 0) return out;
  Runs runs;
  if (as_runs(t, out, &runs)) {
    copy_runs(cuda_device(t.device().index), t, out, runs);
    return out;
  }
  // Any other layout: bring the span of storage it reaches, restride on the host.
  int64_t last = 0;
  for (int d = 0; d < t.dim(); ++d) last += (t.size(d) - 1) * t.strides()[d];
  const size_t es = dtype_size(t.dtype());
  auto span = Storage::allocate_cpu(static_cast<size_t>(last + 1) * es, false);
  Tensor flat_src = t.as_strided({last + 1}, {1}, t.offset());
  Tensor flat_dst = Tensor::view_of(span, t.dtype(), {last + 1}, {1}, 0);
  copy_runs(cuda_device(t.device().index), flat_src, flat_dst,
            Runs{1, static_cast<size_t>(last + 1) * es, 0, 0});
  host_copy(Tensor::view_of(span, t.dtype(), t.sizes(), t.strides(), 0), out);
  return out;
}

void cuda_memset(const Tensor& t, uint8_t value) {
  if (!on_cuda(t)) throw Error("cuda_memset of a tensor on " + t.device().str());
  if (!t.is_contiguous()) throw Error("cuda_memset of a non-contiguous tensor " + t.describe());
  if (t.numel() == 0) return;
  const CudaDevice& dev = cuda_device(t.device().index);
  dev.make_current();
  cuda_check(cuda_driver().cuMemsetD8Async(dptr(t.data()), value, t.nbytes(), dev.stream()),
             "cuMemsetD8Async", "filling " + t.describe() + " on " + t.device().str());
}

void cuda_fill32(const Tensor& t, uint32_t bits) {
  if (!on_cuda(t)) throw Error("cuda_fill32 of a tensor on " + t.device().str());
  if (!t.is_contiguous() || dtype_size(t.dtype()) != 4)
    throw Error("cuda_fill32 needs a contiguous tensor of 4-byte elements, got " + t.describe());
  if (t.numel() == 0) return;
  const CudaDevice& dev = cuda_device(t.device().index);
  dev.make_current();
  cuda_check(cuda_driver().cuMemsetD32Async(dptr(t.data()), bits, static_cast<size_t>(t.numel()),
                                            dev.stream()),
             "cuMemsetD32Async", "filling " + t.describe() + " on " + t.device().str());
}

}  // namespace wick::rt

// The caching device allocator; see cuda_allocator.h.
#include "runtime/cuda_allocator.h"

#include <cstdio>
#include <string>

#include "runtime/cuda_driver.h"
#include "support/error.h"

namespace wick::rt {
namespace {

using namespace cuda_api;

constexpr size_t kMinBlock = 512;
constexpr size_t kSmallLimit = size_t{1} << 20;  // powers of two up to here
constexpr size_t kLargeStep = size_t{2} << 20;   // multiples of this above

std::string bytes_str(size_t n) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 6) {
    v /= 1024;
    ++u;
  }
  char buf[48];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%zu bytes", n);
  else
    std::snprintf(buf, sizeof buf, "%.2f %s", v, units[u]);
  return buf;
}

// cuMemAlloc, allowed while this thread captures a graph (an allocation is
// not a stream operation; the graph's pool keeps the block alive).
CUresult driver_alloc(const CudaDriver& d, size_t size, CUdeviceptr* ptr, bool capturing) {
  if (!capturing) return d.cuMemAlloc(ptr, size);
  CUstreamCaptureMode mode = CU_STREAM_CAPTURE_MODE_RELAXED;
  d.cuThreadExchangeStreamCaptureMode(&mode);
  CUresult r = d.cuMemAlloc(ptr, size);
  d.cuThreadExchangeStreamCaptureMode(&mode);
  return r;
}

}  // namespace

CudaAllocator::CudaAllocator(int device, CUcontext context, CUstream stream)
    : device_(device), context_(context), stream_(stream) {}

size_t CudaAllocator::round_size(size_t nbytes) {
  if (nbytes <= kMinBlock) return kMinBlock;
  if (nbytes <= kSmallLimit) {
    size_t s = kMinBlock;
    while (s < nbytes) s <<= 1;
    return s;
  }
  if (nbytes > SIZE_MAX - kLargeStep) return SIZE_MAX;  // cuMemAlloc will refuse it
  return (nbytes + kLargeStep - 1) / kLargeStep * kLargeStep;
}

bool CudaAllocator::take(FreeList& list, size_t size, CUdeviceptr* ptr, size_t* got) {
  auto it = list.lower_bound(size);
  if (it == list.end()) return false;
  const size_t limit = size <= kSmallLimit ? size : size + size / 8;
  if (it->first > limit) return false;
  *got = it->first;
  *ptr = it->second.back();
  it->second.pop_back();
  if (it->second.empty()) list.erase(it);
  return true;
}

std::shared_ptr<Storage> CudaAllocator::allocate(size_t nbytes) {
  const size_t size = round_size(nbytes);
  CUdeviceptr ptr = 0;
  size_t got = 0;
  uint64_t pool = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pool = capturing_pool_;
    bool hit = false;
    if (pool) hit = take(pools_[pool], size, &ptr, &got);
    if (!hit) hit = take(cache_, size, &ptr, &got);
    if (hit) {
      stats_.cache_hits++;
      stats_.cached_bytes -= got;
      stats_.in_use_bytes += got;
    }
  }
  if (!ptr) {
    const CudaDriver& d = cuda_driver();
    cuda_check(d.cuCtxSetCurrent(context_), "cuCtxSetCurrent");
    CUresult r = size == SIZE_MAX ? CUDA_ERROR_OUT_OF_MEMORY : driver_alloc(d, size, &ptr, pool != 0);
    if (r == CUDA_ERROR_OUT_OF_MEMORY && pool == 0 && size != SIZE_MAX) {
      // Give the cache back and try once more.
      d.cuStreamSynchronize(stream_);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        free_cached_locked();
      }
      r = driver_alloc(d, size, &ptr, false);
    }
    if (r != CUDA_SUCCESS) {
      size_t free_b = 0, total_b = 0;
      CudaAllocatorStats s = stats();
      std::string where = "allocating " + bytes_str(nbytes) + " on cuda:" + std::to_string(device_) +
                          " (wick holds " + bytes_str(s.in_use_bytes) + " in use and " +
                          bytes_str(s.cached_bytes) + " cached";
      if (d.cuMemGetInfo(&free_b, &total_b) == CUDA_SUCCESS)
        where += "; the device has " + bytes_str(free_b) + " free of " + bytes_str(total_b);
      cuda_check(r, "cuMemAlloc", where + ")");
    }
    got = size;
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.driver_allocs++;
    stats_.in_use_bytes += got;
  }
  return std::make_shared<Storage>(reinterpret_cast<void*>(static_cast<uintptr_t>(ptr)), nbytes,
                                   Device{DeviceKind::cuda, device_},
                                   [this, ptr, got, pool](void*) { release(ptr, got, pool); });
}

void CudaAllocator::release(CUdeviceptr ptr, size_t size, uint64_t pool) {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.in_use_bytes -= size;
  stats_.cached_bytes += size;
  auto it = pool ? pools_.find(pool) : pools_.end();
  FreeList& list = it != pools_.end() ? it->second : cache_;
  list[size].push_back(ptr);
}

void CudaAllocator::free_cached_locked() {
  const CudaDriver& d = cuda_driver();
  for (const auto& [size, ptrs] : cache_)
    for (CUdeviceptr ptr : ptrs) {
      d.cuMemFree(ptr);
      stats_.driver_frees++;
      stats_.cached_bytes -= size;
    }
  cache_.clear();
}

void CudaAllocator::empty_cache() {
  const CudaDriver& d = cuda_driver();
  cuda_check(d.cuCtxSetCurrent(context_), "cuCtxSetCurrent");
  cuda_check(d.cuStreamSynchronize(stream_), "cuStreamSynchronize",
             "emptying the allocator cache of cuda:" + std::to_string(device_));
  std::lock_guard<std::mutex> lock(mutex_);
  free_cached_locked();
}

CudaAllocatorStats CudaAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

uint64_t CudaAllocator::begin_pool() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (capturing_pool_) throw Error("cuda:" + std::to_string(device_) + " is already capturing a graph");
  capturing_pool_ = next_pool_++;
  pools_[capturing_pool_];
  return capturing_pool_;
}

void CudaAllocator::end_pool() {
  std::lock_guard<std::mutex> lock(mutex_);
  capturing_pool_ = 0;
}

void CudaAllocator::release_pool(uint64_t pool) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = pools_.find(pool);
  if (it == pools_.end()) return;
  for (auto& [size, ptrs] : it->second) {
    std::vector<CUdeviceptr>& into = cache_[size];
    into.insert(into.end(), ptrs.begin(), ptrs.end());
  }
  pools_.erase(it);
  if (capturing_pool_ == pool) capturing_pool_ = 0;
}

}  // namespace wick::rt

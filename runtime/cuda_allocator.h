// The caching device allocator of one CUDA device. Memory comes from
// cuMemAlloc once and is then reused: a storage whose last tensor goes away
// returns its block to a free list of its size class instead of to the
// driver, and the next allocation of that class takes it without a driver
// call. Size classes: powers of two from 512 bytes up to 1 MiB, then
// multiples of 2 MiB; a request takes a cached block of its own class, or
// (above 1 MiB) one at most an eighth larger, the most recently freed first.
//
// Reuse is safe without events because every kernel, copy and library call
// of a device runs in order on that device's one stream (cuda_device.h): a
// block handed out again is only touched by work queued after the work that
// used it before.
//
// CUDA graphs (cuda_graph.h) replay fixed addresses, so while a graph is
// being captured every block handed out belongs to that graph's private pool
// and goes back to that pool, not to the shared cache, until the graph is
// destroyed.
//
// Out of memory: the cache is emptied (after a stream synchronize) and the
// allocation tried once more before a wick::Error says how much was asked,
// how much wick holds and how much the device has free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "runtime/cuda_abi.h"
#include "support/tensor.h"

namespace wick::rt {

struct CudaAllocatorStats {
  size_t in_use_bytes = 0;     // held by live storages (rounded sizes)
  size_t cached_bytes = 0;     // in free lists, the shared cache and graph pools
  uint64_t driver_allocs = 0;  // cuMemAlloc calls that succeeded
  uint64_t driver_frees = 0;   // cuMemFree calls
  uint64_t cache_hits = 0;     // allocations served from a free list
};

class CudaAllocator {
 public:
  CudaAllocator(int device, cuda_api::CUcontext context, cuda_api::CUstream stream);
  CudaAllocator(const CudaAllocator&) = delete;
  CudaAllocator& operator=(const CudaAllocator&) = delete;

  // At least `nbytes` (a 512-byte minimum) of device memory, uninitialised,
  // 256-byte aligned, as a Storage of Device{cuda, index} whose release
  // returns the block to this allocator.
  std::shared_ptr<Storage> allocate(size_t nbytes);

  // Synchronizes the stream and gives every cached block of the shared cache
  // back to the driver. Blocks of live graph pools stay.
  void empty_cache();

  CudaAllocatorStats stats() const;

  // The size a request is rounded up to.
  static size_t round_size(size_t nbytes);

  // Graph pools: between begin_pool() and end_pool() every block handed out
  // belongs to the new pool (see above). release_pool() gives the pool's
  // blocks to the shared cache: those free now at once, the others when
  // their storage is released. Called by CudaGraph.
  uint64_t begin_pool();
  void end_pool();
  void release_pool(uint64_t pool);

 private:
  // Free blocks by size; the most recently freed block of a size is reused
  // first (it is the likeliest to still be in the L2 cache).
  using FreeList = std::map<size_t, std::vector<cuda_api::CUdeviceptr>>;
  static bool take(FreeList& list, size_t size, cuda_api::CUdeviceptr* ptr, size_t* got);
  void release(cuda_api::CUdeviceptr ptr, size_t size, uint64_t pool);
  void free_cached_locked();  // mutex_ held

  int device_;
  cuda_api::CUcontext context_;
  cuda_api::CUstream stream_;
  mutable std::mutex mutex_;
  FreeList cache_;
  std::map<uint64_t, FreeList> pools_;  // live graph pools
  uint64_t capturing_pool_ = 0;         // 0: none
  uint64_t next_pool_ = 1;
  CudaAllocatorStats stats_;
};

}  // namespace wick::rt

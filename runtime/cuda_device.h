// One CUDA device as the runtime uses it: its primary context, one stream on
// which every kernel, copy and library call for the device is queued in
// order, its caching allocator, and what the code generator needs to know
// about it (compute capability, multiprocessors, shared memory). Events time
// and order work on that stream.
//
// Devices are opened on first use by index and live for the rest of the
// process. Every entry point makes the device's context current on the
// calling thread first, so any thread may use any device. All work is
// asynchronous on the stream except where a function says it synchronizes;
// a kernel fault (an illegal address, say) surfaces at the next synchronize
// as a wick::Error, after which the device cannot be used again in this
// process (the CUDA context is lost) while the CPU path keeps working.
#pragma once

#include <memory>
#include <string>

#include "runtime/cuda_abi.h"
#include "runtime/cuda_allocator.h"

namespace wick::rt {

class CudaDevice {
 public:
  int index() const { return index_; }
  const std::string& name() const { return name_; }
  // Compute capability as one number: 90 for sm_90 (H100, H200), 80 for sm_80.
  int sm() const { return sm_major_ * 10 + sm_minor_; }
  int sm_major() const { return sm_major_; }
  int sm_minor() const { return sm_minor_; }
  int multiprocessors() const { return multiprocessors_; }
  int max_threads_per_block() const { return max_threads_per_block_; }
  // The most dynamic shared memory one block may opt into.
  int max_shared_bytes_per_block() const { return max_shared_optin_; }
  size_t total_memory() const { return total_memory_; }
  // "cuda:0 (NVIDIA H200, sm_90, 132 multiprocessors, 139.8 GiB)"
  std::string describe() const;

  cuda_api::CUcontext context() const { return context_; }
  cuda_api::CUstream stream() const { return stream_; }
  CudaAllocator& allocator() const { return *allocator_; }

  // Binds the device's primary context to the calling thread.
  void make_current() const;
  // Waits for everything queued on the stream; a failed kernel or copy
  // throws wick::Error here.
  void synchronize() const;

 private:
  friend CudaDevice& cuda_device(int index);
  CudaDevice() = default;

  int index_ = 0;
  std::string name_;
  int sm_major_ = 0, sm_minor_ = 0;
  int multiprocessors_ = 0;
  int max_threads_per_block_ = 0;
  int max_shared_optin_ = 0;
  size_t total_memory_ = 0;
  cuda_api::CUcontext context_ = nullptr;
  cuda_api::CUstream stream_ = nullptr;
  std::unique_ptr<CudaAllocator> allocator_;
};

// The device with this index, opened on first use (thread-safe). Throws
// wick::Error when there is no driver or no such device.
CudaDevice& cuda_device(int index = 0);

// Fresh device memory through the device's caching allocator.
std::shared_ptr<Storage> cuda_allocate(size_t nbytes, int device = 0);

// An event on a device's stream, with timing enabled.
class CudaEvent {
 public:
  explicit CudaEvent(int device = 0);
  ~CudaEvent();
  CudaEvent(const CudaEvent&) = delete;
  CudaEvent& operator=(const CudaEvent&) = delete;

  // Marks the point the stream has reached (asynchronous).
  void record();
  // Waits until the stream has passed the recorded point.
  void synchronize() const;
  // True once the stream has passed the recorded point (or when never recorded).
  bool done() const;
  // Milliseconds from `start` to this event; both recorded and passed.
  float elapsed_ms_since(const CudaEvent& start) const;

 private:
  int device_;
  cuda_api::CUevent event_ = nullptr;
};

}  // namespace wick::rt

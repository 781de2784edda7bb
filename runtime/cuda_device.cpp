// Devices, their context, stream and allocator, and events; see cuda_device.h.
#include "runtime/cuda_device.h"

#include <cstdio>
#include <mutex>
#include <vector>

#include "runtime/cuda_driver.h"
#include "support/error.h"

namespace wick::rt {
namespace {

using namespace cuda_api;

// Errors after which the context is lost for good (cuda.h calls them sticky).
bool sticky(CUresult r) {
  return r == CUDA_ERROR_ILLEGAL_ADDRESS || r == CUDA_ERROR_LAUNCH_FAILED || r == 714 ||
         r == 715 || r == 716 || r == 717 || r == 718 || r == 710;
}

}  // namespace

std::string CudaDevice::describe() const {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(total_memory_) / (1 << 30));
  return "cuda:" + std::to_string(index_) + " (" + name_ + ", sm_" + std::to_string(sm()) + ", " +
         std::to_string(multiprocessors_) + " multiprocessors, " + buf + ")";
}

void CudaDevice::make_current() const {
  cuda_check(cuda_driver().cuCtxSetCurrent(context_), "cuCtxSetCurrent");
}

void CudaDevice::synchronize() const {
  const CudaDriver& d = cuda_driver();
  make_current();
  CUresult r = d.cuStreamSynchronize(stream_);
  if (r == CUDA_SUCCESS) return;
  std::string context = "waiting for the work queued on cuda:" + std::to_string(index_);
  if (sticky(r))
    context += "; a kernel failed and the device cannot be used again in this process";
  cuda_check(r, "cuStreamSynchronize", context);
}

CudaDevice& cuda_device(int index) {
  static std::mutex mutex;
  static std::vector<CudaDevice*>* devices = new std::vector<CudaDevice*>;  // never freed
  const CudaDriver& d = cuda_driver();
  if (index < 0 || index >= d.device_count)
    throw Error("CUDA device " + std::to_string(index) + " requested but the NVIDIA driver reports " +
                std::to_string(d.device_count) + (d.device_count == 1 ? " device" : " devices"));
  std::lock_guard<std::mutex> lock(mutex);
  if (devices->size() < static_cast<size_t>(d.device_count))
    devices->resize(static_cast<size_t>(d.device_count), nullptr);
  if (CudaDevice* dev = (*devices)[index]) return *dev;

  std::unique_ptr<CudaDevice> dev(new CudaDevice);
  dev->index_ = index;
  const std::string what = "opening cuda:" + std::to_string(index);
  CUdevice cu = 0;
  cuda_check(d.cuDeviceGet(&cu, index), "cuDeviceGet", what);
  char name[256] = {};
  cuda_check(d.cuDeviceGetName(name, sizeof name - 1, cu), "cuDeviceGetName", what);
  dev->name_ = name;
  auto attr = [&](int a, int* out) {
    cuda_check(d.cuDeviceGetAttribute(out, a, cu), "cuDeviceGetAttribute", what);
  };
  attr(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, &dev->sm_major_);
  attr(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, &dev->sm_minor_);
  attr(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, &dev->multiprocessors_);
  attr(CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, &dev->max_threads_per_block_);
  attr(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, &dev->max_shared_optin_);
  cuda_check(d.cuDeviceTotalMem(&dev->total_memory_, cu), "cuDeviceTotalMem", what);
  // The primary context is the one the CUDA runtime inside cuBLASLt and
  // cuDNN uses too, so they see wick's memory and stream.
  cuda_check(d.cuDevicePrimaryCtxRetain(&dev->context_, cu), "cuDevicePrimaryCtxRetain", what);
  cuda_check(d.cuCtxSetCurrent(dev->context_), "cuCtxSetCurrent", what);
  cuda_check(d.cuStreamCreate(&dev->stream_, CU_STREAM_NON_BLOCKING), "cuStreamCreate", what);
  dev->allocator_ = std::make_unique<CudaAllocator>(index, dev->context_, dev->stream_);
  (*devices)[index] = dev.release();  // never destroyed: see cuda_driver.cpp
  return *(*devices)[index];
}

std::shared_ptr<Storage> cuda_allocate(size_t nbytes, int device) {
  return cuda_device(device).allocator().allocate(nbytes);
}

CudaEvent::CudaEvent(int device) : device_(device) {
  const CudaDevice& dev = cuda_device(device);
  dev.make_current();
  cuda_check(cuda_driver().cuEventCreate(&event_, CU_EVENT_DEFAULT), "cuEventCreate");
}

CudaEvent::~CudaEvent() {
  if (event_) cuda_driver().cuEventDestroy(event_);
}

void CudaEvent::record() {
  const CudaDevice& dev = cuda_device(device_);
  dev.make_current();
  cuda_check(cuda_driver().cuEventRecord(event_, dev.stream()), "cuEventRecord");
}

void CudaEvent::synchronize() const {
  cuda_device(device_).make_current();
  cuda_check(cuda_driver().cuEventSynchronize(event_), "cuEventSynchronize");
}

bool CudaEvent::done() const {
  cuda_device(device_).make_current();
  CUresult r = cuda_driver().cuEventQuery(event_);
  if (r == CUDA_ERROR_NOT_READY) return false;
  cuda_check(r, "cuEventQuery");
  return true;
}

float CudaEvent::elapsed_ms_since(const CudaEvent& start) const {
  cuda_device(device_).make_current();
  float ms = 0;
  cuda_check(cuda_driver().cuEventElapsedTime(&ms, start.event_, event_), "cuEventElapsedTime");
  return ms;
}

}  // namespace wick::rt

// GPU code on a device: modules loaded from PTX text or a cubin (or fatbin)
// image, the kernels in them, and launches on the device's stream.
//
// A generated kernel takes, in order, one device pointer per tensor argument
// pointing at the tensor's first element (Tensor::data()), scalars by value,
// and, when it checks indices, a pointer to an int64 status flag in device
// memory that it sets nonzero on a bad index. Its grid, block and dynamic
// shared memory are fixed when it is generated:
//
//   auto module = CudaModule::load(ptx_text, device, "fusion_3");
//   CudaFunction fn = module->function("fusion_3");
//   CudaKernelArgs args;
//   args.pointer(x).pointer(y).pointer(out).i64(n).pointer(flag);
//   cuda_launch(fn, CudaLaunchDims{{blocks, 1, 1}, {256, 1, 1}, 0}, args);
//
// PTX is compiled by the driver for the device at load (pick the PTX target
// from CudaDevice::sm()); a failure carries the driver's JIT log. A launch
// is asynchronous; a bad configuration is an error at once, a fault inside
// the kernel at the next synchronize.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/cuda_abi.h"
#include "support/tensor.h"

namespace wick::rt {

class CudaModule;

// One kernel of a loaded module; keeps the module loaded.
struct CudaFunction {
  cuda_api::CUfunction handle = nullptr;
  int device = 0;
  std::string name;
  std::shared_ptr<const CudaModule> module;
};

class CudaModule : public std::enable_shared_from_this<CudaModule> {
 public:
  // PTX text (recognised by not starting with an ELF or fatbin header), or a
  // cubin / fatbin image. `name` is for messages. Throws wick::Error with the
  // JIT error log when the driver refuses it.
  static std::shared_ptr<CudaModule> load(std::string_view image, int device = 0,
                                          const std::string& name = "module");
  ~CudaModule();
  CudaModule(const CudaModule&) = delete;
  CudaModule& operator=(const CudaModule&) = delete;

  // The kernel with this (mangled, .entry) name; throws wick::Error naming it
  // when the module has none.
  CudaFunction function(const std::string& kernel) const;

  int device() const { return device_; }
  const std::string& name() const { return name_; }
  // What the JIT compiler said besides errors (register use with verbose logs).
  const std::string& info_log() const { return info_log_; }

 private:
  CudaModule() = default;
  cuda_api::CUmodule module_ = nullptr;
  int device_ = 0;
  std::string name_;
  std::string info_log_;
};

// A kernel's arguments, in the order of its parameters. Each value is kept
// in its own 8-byte slot; params() gives the array cuLaunchKernel takes.
class CudaKernelArgs {
 public:
  // The device address of t's first element; t must be on a CUDA device.
  CudaKernelArgs& pointer(const Tensor& t);
  CudaKernelArgs& pointer(const void* device_address);
  CudaKernelArgs& i64(int64_t v);
  CudaKernelArgs& i32(int32_t v);
  CudaKernelArgs& f32(float v);
  CudaKernelArgs& f64(double v);

  size_t size() const { return slots_.size(); }
  // Valid until the next argument is added.
  void** params();

 private:
  std::vector<uint64_t> slots_;
  std::vector<void*> pointers_;
};

struct CudaLaunchDims {
  std::array<unsigned, 3> grid{1, 1, 1};
  std::array<unsigned, 3> block{1, 1, 1};
  unsigned shared_bytes = 0;  // dynamic shared memory; above 48 KiB it is opted into
};

// Queues the kernel on its device's stream.
void cuda_launch(const CudaFunction& fn, const CudaLaunchDims& dims, CudaKernelArgs& args);

}  // namespace wick::rt

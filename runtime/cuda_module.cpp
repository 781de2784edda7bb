// Module loading, kernel lookup and launches; see cuda_module.h.
#include "runtime/cuda_module.h"

#include <cstring>

#include "runtime/cuda_device.h"
#include "runtime/cuda_driver.h"
#include "support/error.h"

namespace wick::rt {
namespace {

using namespace cuda_api;

constexpr size_t kLogBytes = 16 << 10;

bool is_binary_image(std::string_view image) {
  if (image.size() >= 4 && std::memcmp(image.data(), "\x7f" "ELF", 4) == 0) return true;
  // A fatbin starts with 0xBA55ED50 (little endian).
  return image.size() >= 4 && std::memcmp(image.data(), "\x50\xed\x55\xba", 4) == 0;
}

std::string trimmed(const char* log) {
  std::string s = log;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::shared_ptr<CudaModule> CudaModule::load(std::string_view image, int device,
                                             const std::string& name) {
  const CudaDevice& dev = cuda_device(device);
  const CudaDriver& d = cuda_driver();
  dev.make_current();
  // PTX must end with a NUL; binary images are passed as they are.
  std::string ptx;
  const void* data = image.data();
  const bool binary = is_binary_image(image);
  if (!binary) {
    ptx.assign(image.data(), image.size());
    data = ptx.c_str();
  }
  std::vector<char> error_log(kLogBytes, 0), info_log(kLogBytes, 0);
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                            CU_JIT_INFO_LOG_BUFFER, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES};
  void* values[] = {error_log.data(), reinterpret_cast<void*>(uintptr_t{kLogBytes - 1}),
                    info_log.data(), reinterpret_cast<void*>(uintptr_t{kLogBytes - 1})};
  std::shared_ptr<CudaModule> m(new CudaModule);
  m->device_ = device;
  m->name_ = name;
  CUresult r = d.cuModuleLoadDataEx(&m->module_, data, 4, options, values);
  if (r != CUDA_SUCCESS) {
    m->module_ = nullptr;
    std::string context = "loading " + std::string(binary ? "binary" : "PTX") + " module " + name +
                          " on " + dev.describe();
    std::string log = trimmed(error_log.data());
    if (!log.empty()) context += ":\n" + log;
    cuda_check(r, "cuModuleLoadDataEx", context);
  }
  m->info_log_ = trimmed(info_log.data());
  return m;
}

CudaModule::~CudaModule() {
  if (!module_) return;
  // Best effort: a lost context (or one torn down at exit) unloads nothing.
  try {
    const CudaDriver& d = cuda_driver();
    if (d.cuCtxSetCurrent(cuda_device(device_).context()) == CUDA_SUCCESS) d.cuModuleUnload(module_);
  } catch (...) {
  }
}

CudaFunction CudaModule::function(const std::string& kernel) const {
  const CudaDevice& dev = cuda_device(device_);
  dev.make_current();
  CudaFunction fn;
  CUresult r = cuda_driver().cuModuleGetFunction(&fn.handle, module_, kernel.c_str());
  if (r == CUDA_ERROR_NOT_FOUND)
    throw Error("module " + name_ + " has no kernel named " + kernel);
  cuda_check(r, "cuModuleGetFunction", "kernel " + kernel + " of module " + name_);
  fn.device = device_;
  fn.name = kernel;
  fn.module = shared_from_this();
  return fn;
}

CudaKernelArgs& CudaKernelArgs::pointer(const Tensor& t) {
  if (!t.defined() || t.device().kind != DeviceKind::cuda)
    throw Error("kernel argument " + std::to_string(slots_.size()) + " must be a CUDA tensor, got " +
                (t.defined() ? t.describe() + " on " + t.device().str() : std::string("undefined")));
  return pointer(t.data());
}

CudaKernelArgs& CudaKernelArgs::pointer(const void* device_address) {
  slots_.push_back(static_cast<uint64_t>(reinterpret_cast<uintptr_t>(device_address)));
  return *this;
}

CudaKernelArgs& CudaKernelArgs::i64(int64_t v) {
  uint64_t s = 0;
  std::memcpy(&s, &v, sizeof v);
  slots_.push_back(s);
  return *this;
}

CudaKernelArgs& CudaKernelArgs::i32(int32_t v) {
  uint64_t s = 0;  // the value sits in the slot's first (lowest) bytes
  std::memcpy(&s, &v, sizeof v);
  slots_.push_back(s);
  return *this;
}

CudaKernelArgs& CudaKernelArgs::f32(float v) {
  uint64_t s = 0;
  std::memcpy(&s, &v, sizeof v);
  slots_.push_back(s);
  return *this;
}

CudaKernelArgs& CudaKernelArgs::f64(double v) {
  uint64_t s = 0;
  std::memcpy(&s, &v, sizeof v);
  slots_.push_back(s);
  return *this;
}

void** CudaKernelArgs::params() {
  pointers_.resize(slots_.size());
  for (size_t i = 0; i < slots_.size(); ++i) pointers_[i] = &slots_[i];
  return pointers_.data();
}

void cuda_launch(const CudaFunction& fn, const CudaLaunchDims& dims, CudaKernelArgs& args) {
  if (!fn.handle) throw Error("launch of an unloaded kernel");
  const CudaDevice& dev = cuda_device(fn.device);
  const CudaDriver& d = cuda_driver();
  dev.make_current();
  auto shape = [](const std::array<unsigned, 3>& a) {
    return "[" + std::to_string(a[0]) + ", " + std::to_string(a[1]) + ", " + std::to_string(a[2]) +
           "]";
  };
  auto what = [&] {
    return "kernel " + fn.name + " on " + dev.describe() + ", grid " + shape(dims.grid) +
           ", block " + shape(dims.block) + ", " + std::to_string(dims.shared_bytes) +
           " bytes of dynamic shared memory, " + std::to_string(args.size()) + " arguments";
  };
  if (dims.shared_bytes > (48u << 10))
    cuda_check(d.cuFuncSetAttribute(fn.handle, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                    static_cast<int>(dims.shared_bytes)),
               "cuFuncSetAttribute", what());
  CUresult r = d.cuLaunchKernel(fn.handle, dims.grid[0], dims.grid[1], dims.grid[2], dims.block[0],
                                dims.block[1], dims.block[2], dims.shared_bytes, dev.stream(),
                                args.params(), nullptr);
  if (r != CUDA_SUCCESS) cuda_check(r, "cuLaunchKernel", what());
}

}  // namespace wick::rt

// Loading the CUDA driver with dlopen and resolving its entry points; see
// cuda_driver.h.
#include "runtime/cuda_driver.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <utility>

#include "support/error.h"

namespace wick::rt {
namespace {

using namespace cuda_api;

// CUresult names from cuda.h (enum cudaError_enum), for messages when the
// driver cannot name an error itself (the toolkit's stub cannot).
const char* fallback_error_name(CUresult r) {
  static const std::pair<int, const char*> kNames[] = {
      {0, "CUDA_SUCCESS"},
      {1, "CUDA_ERROR_INVALID_VALUE"},
      {2, "CUDA_ERROR_OUT_OF_MEMORY"},
      {3, "CUDA_ERROR_NOT_INITIALIZED"},
      {4, "CUDA_ERROR_DEINITIALIZED"},
      {5, "CUDA_ERROR_PROFILER_DISABLED"},
      {6, "CUDA_ERROR_PROFILER_NOT_INITIALIZED"},
      {7, "CUDA_ERROR_PROFILER_ALREADY_STARTED"},
      {8, "CUDA_ERROR_PROFILER_ALREADY_STOPPED"},
      {34, "CUDA_ERROR_STUB_LIBRARY"},
      {36, "CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER"},
      {46, "CUDA_ERROR_DEVICE_UNAVAILABLE"},
      {100, "CUDA_ERROR_NO_DEVICE"},
      {101, "CUDA_ERROR_INVALID_DEVICE"},
      {102, "CUDA_ERROR_DEVICE_NOT_LICENSED"},
      {200, "CUDA_ERROR_INVALID_IMAGE"},
      {201, "CUDA_ERROR_INVALID_CONTEXT"},
      {202, "CUDA_ERROR_CONTEXT_ALREADY_CURRENT"},
      {205, "CUDA_ERROR_MAP_FAILED"},
      {206, "CUDA_ERROR_UNMAP_FAILED"},
      {207, "CUDA_ERROR_ARRAY_IS_MAPPED"},
      {208, "CUDA_ERROR_ALREADY_MAPPED"},
      {209, "CUDA_ERROR_NO_BINARY_FOR_GPU"},
      {210, "CUDA_ERROR_ALREADY_ACQUIRED"},
      {211, "CUDA_ERROR_NOT_MAPPED"},
      {212, "CUDA_ERROR_NOT_MAPPED_AS_ARRAY"},
      {213, "CUDA_ERROR_NOT_MAPPED_AS_POINTER"},
      {214, "CUDA_ERROR_ECC_UNCORRECTABLE"},
      {215, "CUDA_ERROR_UNSUPPORTED_LIMIT"},
      {216, "CUDA_ERROR_CONTEXT_ALREADY_IN_USE"},
      {217, "CUDA_ERROR_PEER_ACCESS_UNSUPPORTED"},
      {218, "CUDA_ERROR_INVALID_PTX"},
      {219, "CUDA_ERROR_INVALID_GRAPHICS_CONTEXT"},
      {220, "CUDA_ERROR_NVLINK_UNCORRECTABLE"},
      {221, "CUDA_ERROR_JIT_COMPILER_NOT_FOUND"},
      {222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"},
      {223, "CUDA_ERROR_JIT_COMPILATION_DISABLED"},
      {224, "CUDA_ERROR_UNSUPPORTED_EXEC_AFFINITY"},
      {225, "CUDA_ERROR_UNSUPPORTED_DEVSIDE_SYNC"},
      {226, "CUDA_ERROR_CONTAINED"},
      {300, "CUDA_ERROR_INVALID_SOURCE"},
      {301, "CUDA_ERROR_FILE_NOT_FOUND"},
      {302, "CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND"},
      {303, "CUDA_ERROR_SHARED_OBJECT_INIT_FAILED"},
      {304, "CUDA_ERROR_OPERATING_SYSTEM"},
      {400, "CUDA_ERROR_INVALID_HANDLE"},
      {401, "CUDA_ERROR_ILLEGAL_STATE"},
      {402, "CUDA_ERROR_LOSSY_QUERY"},
      {500, "CUDA_ERROR_NOT_FOUND"},
      {600, "CUDA_ERROR_NOT_READY"},
      {700, "CUDA_ERROR_ILLEGAL_ADDRESS"},
      {701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"},
      {702, "CUDA_ERROR_LAUNCH_TIMEOUT"},
      {703, "CUDA_ERROR_LAUNCH_INCOMPATIBLE_TEXTURING"},
      {704, "CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED"},
      {705, "CUDA_ERROR_PEER_ACCESS_NOT_ENABLED"},
      {708, "CUDA_ERROR_PRIMARY_CONTEXT_ACTIVE"},
      {709, "CUDA_ERROR_CONTEXT_IS_DESTROYED"},
      {710, "CUDA_ERROR_ASSERT"},
      {711, "CUDA_ERROR_TOO_MANY_PEERS"},
      {712, "CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED"},
      {713, "CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED"},
      {714, "CUDA_ERROR_HARDWARE_STACK_ERROR"},
      {715, "CUDA_ERROR_ILLEGAL_INSTRUCTION"},
      {716, "CUDA_ERROR_MISALIGNED_ADDRESS"},
      {717, "CUDA_ERROR_INVALID_ADDRESS_SPACE"},
      {718, "CUDA_ERROR_INVALID_PC"},
      {719, "CUDA_ERROR_LAUNCH_FAILED"},
      {720, "CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE"},
      {721, "CUDA_ERROR_TENSOR_MEMORY_LEAK"},
      {800, "CUDA_ERROR_NOT_PERMITTED"},
      {801, "CUDA_ERROR_NOT_SUPPORTED"},
      {802, "CUDA_ERROR_SYSTEM_NOT_READY"},
      {803, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH"},
      {804, "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE"},
      {805, "CUDA_ERROR_MPS_CONNECTION_FAILED"},
      {806, "CUDA_ERROR_MPS_RPC_FAILURE"},
      {807, "CUDA_ERROR_MPS_SERVER_NOT_READY"},
      {808, "CUDA_ERROR_MPS_MAX_CLIENTS_REACHED"},
      {809, "CUDA_ERROR_MPS_MAX_CONNECTIONS_REACHED"},
      {810, "CUDA_ERROR_MPS_CLIENT_TERMINATED"},
      {811, "CUDA_ERROR_CDP_NOT_SUPPORTED"},
      {812, "CUDA_ERROR_CDP_VERSION_MISMATCH"},
      {900, "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"},
      {901, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED"},
      {902, "CUDA_ERROR_STREAM_CAPTURE_MERGE"},
      {903, "CUDA_ERROR_STREAM_CAPTURE_UNMATCHED"},
      {904, "CUDA_ERROR_STREAM_CAPTURE_UNJOINED"},
      {905, "CUDA_ERROR_STREAM_CAPTURE_ISOLATION"},
      {906, "CUDA_ERROR_STREAM_CAPTURE_IMPLICIT"},
      {907, "CUDA_ERROR_CAPTURED_EVENT"},
      {908, "CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD"},
      {909, "CUDA_ERROR_TIMEOUT"},
      {910, "CUDA_ERROR_GRAPH_EXEC_UPDATE_FAILURE"},
      {911, "CUDA_ERROR_EXTERNAL_DEVICE"},
      {912, "CUDA_ERROR_INVALID_CLUSTER_SIZE"},
      {913, "CUDA_ERROR_FUNCTION_NOT_LOADED"},
      {914, "CUDA_ERROR_INVALID_RESOURCE_TYPE"},
      {915, "CUDA_ERROR_INVALID_RESOURCE_CONFIGURATION"},
      {916, "CUDA_ERROR_KEY_ROTATION"},
      {999, "CUDA_ERROR_UNKNOWN"},
  };
  for (const auto& [code, name] : kNames)
    if (code == r) return name;
  return nullptr;
}

std::string error_text(const CudaDriver* d, CUresult r) {
  const char* name = nullptr;
  const char* text = nullptr;
  if (d && d->cuGetErrorName && d->cuGetErrorName(r, &name) != CUDA_SUCCESS) name = nullptr;
  if (d && d->cuGetErrorString && d->cuGetErrorString(r, &text) != CUDA_SUCCESS) text = nullptr;
  if (!name) name = fallback_error_name(r);
  std::string s = name ? name : "CUDA error " + std::to_string(r);
  if (text && *text) s += std::string(" (") + text + ")";
  return s;
}

struct Symbol {
  void** slot;
  const char* name;      // the versioned symbol cuda.h maps the API name to
  const char* fallback;  // an older symbol with the same signature, or nullptr
};

// Opens `path`, resolves every entry point and initialises the driver. Returns
// the error message, empty on success.
std::string load_driver(const std::string& path, CudaDriver* d) {
  dlerror();
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* err = dlerror();
    return "no NVIDIA driver found (" + (err ? std::string(err) : path + ": cannot be opened") + ")";
  }
  d->path = path;
#define WICK_SYM(field, symbol) {reinterpret_cast<void**>(&d->field), symbol, nullptr}
  const Symbol symbols[] = {
      WICK_SYM(cuInit, "cuInit"),
      WICK_SYM(cuDriverGetVersion, "cuDriverGetVersion"),
      WICK_SYM(cuGetErrorName, "cuGetErrorName"),
      WICK_SYM(cuGetErrorString, "cuGetErrorString"),
      WICK_SYM(cuDeviceGetCount, "cuDeviceGetCount"),
      WICK_SYM(cuDeviceGet, "cuDeviceGet"),
      WICK_SYM(cuDeviceGetName, "cuDeviceGetName"),
      WICK_SYM(cuDeviceGetAttribute, "cuDeviceGetAttribute"),
      WICK_SYM(cuDeviceTotalMem, "cuDeviceTotalMem_v2"),
      WICK_SYM(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain"),
      WICK_SYM(cuCtxSetCurrent, "cuCtxSetCurrent"),
      WICK_SYM(cuCtxGetCurrent, "cuCtxGetCurrent"),
      WICK_SYM(cuCtxSynchronize, "cuCtxSynchronize"),
      WICK_SYM(cuStreamCreate, "cuStreamCreate"),
      WICK_SYM(cuStreamDestroy, "cuStreamDestroy_v2"),
      WICK_SYM(cuStreamSynchronize, "cuStreamSynchronize"),
      WICK_SYM(cuStreamQuery, "cuStreamQuery"),
      WICK_SYM(cuStreamBeginCapture, "cuStreamBeginCapture_v2"),
      WICK_SYM(cuStreamEndCapture, "cuStreamEndCapture"),
      WICK_SYM(cuStreamIsCapturing, "cuStreamIsCapturing"),
      WICK_SYM(cuThreadExchangeStreamCaptureMode, "cuThreadExchangeStreamCaptureMode"),
      WICK_SYM(cuGraphInstantiateWithFlags, "cuGraphInstantiateWithFlags"),
      WICK_SYM(cuGraphLaunch, "cuGraphLaunch"),
      WICK_SYM(cuGraphExecDestroy, "cuGraphExecDestroy"),
      WICK_SYM(cuGraphDestroy, "cuGraphDestroy"),
      WICK_SYM(cuGraphGetNodes, "cuGraphGetNodes"),
      WICK_SYM(cuEventCreate, "cuEventCreate"),
      WICK_SYM(cuEventDestroy, "cuEventDestroy_v2"),
      WICK_SYM(cuEventRecord, "cuEventRecord"),
      WICK_SYM(cuEventSynchronize, "cuEventSynchronize"),
      WICK_SYM(cuEventQuery, "cuEventQuery"),
      {reinterpret_cast<void**>(&d->cuEventElapsedTime), "cuEventElapsedTime_v2",
       "cuEventElapsedTime"},
      WICK_SYM(cuMemAlloc, "cuMemAlloc_v2"),
      WICK_SYM(cuMemFree, "cuMemFree_v2"),
      WICK_SYM(cuMemGetInfo, "cuMemGetInfo_v2"),
      WICK_SYM(cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2"),
      WICK_SYM(cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2"),
      WICK_SYM(cuMemcpyDtoDAsync, "cuMemcpyDtoDAsync_v2"),
      WICK_SYM(cuMemcpy2DAsync, "cuMemcpy2DAsync_v2"),
      WICK_SYM(cuMemsetD8Async, "cuMemsetD8Async"),
      WICK_SYM(cuMemsetD32Async, "cuMemsetD32Async"),
      WICK_SYM(cuModuleLoadDataEx, "cuModuleLoadDataEx"),
      WICK_SYM(cuModuleUnload, "cuModuleUnload"),
      WICK_SYM(cuModuleGetFunction, "cuModuleGetFunction"),
      WICK_SYM(cuFuncSetAttribute, "cuFuncSetAttribute"),
      WICK_SYM(cuLaunchKernel, "cuLaunchKernel"),
  };
#undef WICK_SYM
  for (const Symbol& s : symbols) {
    *s.slot = dlsym(h, s.name);
    if (!*s.slot && s.fallback) *s.slot = dlsym(h, s.fallback);
    if (!*s.slot)
      return "the NVIDIA driver library " + path + " lacks " + s.name +
             ": it is too old for wick (a CUDA 12 or newer driver is needed)";
  }

  CUresult r = d->cuInit(0);
  if (r == CUDA_ERROR_STUB_LIBRARY)
    return "no NVIDIA driver found: " + path +
           " is the CUDA toolkit's stub library, not a driver (cuInit: " + error_text(d, r) + ")";
  if (r == CUDA_ERROR_NO_DEVICE) return "the NVIDIA driver reports no CUDA device";
  if (r != CUDA_SUCCESS) return "CUDA driver call cuInit failed: " + error_text(d, r);
  if ((r = d->cuDriverGetVersion(&d->version)) != CUDA_SUCCESS)
    return "CUDA driver call cuDriverGetVersion failed: " + error_text(d, r);
  if ((r = d->cuDeviceGetCount(&d->device_count)) != CUDA_SUCCESS)
    return "CUDA driver call cuDeviceGetCount failed: " + error_text(d, r);
  if (d->device_count <= 0) return "the NVIDIA driver reports no CUDA device";
  return {};
}

struct ProcessDriver {
  CudaDriver api;
  std::string error;
};

const ProcessDriver& process_driver() {
  // Never destroyed: storages released during static destruction may still
  // call into the driver.
  static const ProcessDriver* driver = [] {
    auto* p = new ProcessDriver;
    const char* env = std::getenv("WICK_CUDA_DRIVER");
    p->error = load_driver(env && *env ? env : "libcuda.so.1", &p->api);
    return p;
  }();
  return *driver;
}

}  // namespace

const CudaDriver& cuda_driver() {
  const ProcessDriver& p = process_driver();
  if (!p.error.empty()) throw Error(p.error);
  return p.api;
}

bool cuda_available(std::string* why) {
  const ProcessDriver& p = process_driver();
  if (why) *why = p.error;
  return p.error.empty();
}

int cuda_device_count() {
  const ProcessDriver& p = process_driver();
  return p.error.empty() ? p.api.device_count : 0;
}

CudaProbe probe_cuda_driver(const std::string& path) {
  CudaDriver d;
  CudaProbe probe;
  probe.message = load_driver(path, &d);
  probe.ok = probe.message.empty();
  probe.version = d.version;
  probe.device_count = d.device_count;
  return probe;
}

std::string cuda_error_text(CUresult r) {
  const ProcessDriver& p = process_driver();
  return error_text(p.error.empty() ? &p.api : nullptr, r);
}

void cuda_check(CUresult r, const char* call, const std::string& context) {
  if (r == CUDA_SUCCESS) return;
  std::string msg = std::string("CUDA driver call ") + call + " failed: " + cuda_error_text(r);
  if (!context.empty()) msg += ": " + context;
  throw Error(msg);
}

}  // namespace wick::rt

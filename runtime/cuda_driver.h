// The CUDA driver, reached through dlopen: the runtime has no link-time CUDA
// dependency, starts on a machine without a GPU, and says why when asked for
// one. The library opened is $WICK_CUDA_DRIVER when set (a full path), else
// libcuda.so.1 through the dynamic loader's search. It is loaded and
// initialised (cuInit) once per process, on first use, thread-safely; the
// outcome, success or the error, is kept for the life of the process.
//
// Failures are wick::Error naming what failed:
//   "no NVIDIA driver found (libcuda.so.1: cannot open shared object file: ...)"
//   "... is the CUDA toolkit's stub library, not an NVIDIA driver ..."
//   "the NVIDIA driver reports no CUDA device"
//   "CUDA driver call cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)"
#pragma once

#include <string>

#include "runtime/cuda_abi.h"

namespace wick::rt {

// The driver entry points wick uses, resolved with dlsym (versioned symbols,
// see cuda_abi.h). All are present once cuda_driver() has returned.
struct CudaDriver {
#define WICK_CU(name, ...) cuda_api::CUresult (*name)(__VA_ARGS__) = nullptr
  WICK_CU(cuInit, unsigned);
  WICK_CU(cuDriverGetVersion, int*);
  WICK_CU(cuGetErrorName, cuda_api::CUresult, const char**);
  WICK_CU(cuGetErrorString, cuda_api::CUresult, const char**);
  WICK_CU(cuDeviceGetCount, int*);
  WICK_CU(cuDeviceGet, cuda_api::CUdevice*, int);
  WICK_CU(cuDeviceGetName, char*, int, cuda_api::CUdevice);
  WICK_CU(cuDeviceGetAttribute, int*, int, cuda_api::CUdevice);
  WICK_CU(cuDeviceTotalMem, size_t*, cuda_api::CUdevice);                    // _v2
  WICK_CU(cuDevicePrimaryCtxRetain, cuda_api::CUcontext*, cuda_api::CUdevice);
  WICK_CU(cuCtxSetCurrent, cuda_api::CUcontext);
  WICK_CU(cuCtxGetCurrent, cuda_api::CUcontext*);
  WICK_CU(cuCtxSynchronize);
  WICK_CU(cuStreamCreate, cuda_api::CUstream*, unsigned);
  WICK_CU(cuStreamDestroy, cuda_api::CUstream);                              // _v2
  WICK_CU(cuStreamSynchronize, cuda_api::CUstream);
  WICK_CU(cuStreamQuery, cuda_api::CUstream);
  WICK_CU(cuStreamBeginCapture, cuda_api::CUstream, cuda_api::CUstreamCaptureMode);  // _v2
  WICK_CU(cuStreamEndCapture, cuda_api::CUstream, cuda_api::CUgraph*);
  WICK_CU(cuStreamIsCapturing, cuda_api::CUstream, cuda_api::CUstreamCaptureStatus*);
  WICK_CU(cuThreadExchangeStreamCaptureMode, cuda_api::CUstreamCaptureMode*);
  WICK_CU(cuGraphInstantiateWithFlags, cuda_api::CUgraphExec*, cuda_api::CUgraph,
          unsigned long long);
  WICK_CU(cuGraphLaunch, cuda_api::CUgraphExec, cuda_api::CUstream);
  WICK_CU(cuGraphExecDestroy, cuda_api::CUgraphExec);
  WICK_CU(cuGraphDestroy, cuda_api::CUgraph);
  WICK_CU(cuGraphGetNodes, cuda_api::CUgraph, cuda_api::CUgraphNode*, size_t*);
  WICK_CU(cuEventCreate, cuda_api::CUevent*, unsigned);
  WICK_CU(cuEventDestroy, cuda_api::CUevent);                                // _v2
  WICK_CU(cuEventRecord, cuda_api::CUevent, cuda_api::CUstream);
  WICK_CU(cuEventSynchronize, cuda_api::CUevent);
  WICK_CU(cuEventQuery, cuda_api::CUevent);
  WICK_CU(cuEventElapsedTime, float*, cuda_api::CUevent, cuda_api::CUevent);  // _v2 when present
  WICK_CU(cuMemAlloc, cuda_api::CUdeviceptr*, size_t);                       // _v2
  WICK_CU(cuMemFree, cuda_api::CUdeviceptr);                                 // _v2
  WICK_CU(cuMemGetInfo, size_t*, size_t*);                                   // _v2
  WICK_CU(cuMemcpyHtoDAsync, cuda_api::CUdeviceptr, const void*, size_t, cuda_api::CUstream);  // _v2
  WICK_CU(cuMemcpyDtoHAsync, void*, cuda_api::CUdeviceptr, size_t, cuda_api::CUstream);        // _v2
  WICK_CU(cuMemcpyDtoDAsync, cuda_api::CUdeviceptr, cuda_api::CUdeviceptr, size_t,
          cuda_api::CUstream);                                               // _v2
  WICK_CU(cuMemcpy2DAsync, const cuda_api::CUDA_MEMCPY2D*, cuda_api::CUstream);  // _v2
  WICK_CU(cuMemsetD8Async, cuda_api::CUdeviceptr, unsigned char, size_t, cuda_api::CUstream);
  WICK_CU(cuMemsetD32Async, cuda_api::CUdeviceptr, unsigned, size_t, cuda_api::CUstream);
  WICK_CU(cuModuleLoadDataEx, cuda_api::CUmodule*, const void*, unsigned, cuda_api::CUjit_option*,
          void**);
  WICK_CU(cuModuleUnload, cuda_api::CUmodule);
  WICK_CU(cuModuleGetFunction, cuda_api::CUfunction*, cuda_api::CUmodule, const char*);
  WICK_CU(cuFuncSetAttribute, cuda_api::CUfunction, int, int);
  WICK_CU(cuLaunchKernel, cuda_api::CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned,
          unsigned, unsigned, cuda_api::CUstream, void**, void**);
#undef WICK_CU

  std::string path;     // the library that was opened
  int version = 0;      // cuDriverGetVersion: 13000 for CUDA 13.0
  int device_count = 0; // at least 1
};

// The process-wide driver: loads and initialises it on first use. Throws
// wick::Error with the reason (the same one every time) when there is none.
const CudaDriver& cuda_driver();

// True when a driver loads, initialises and reports at least one device;
// otherwise false with the reason in *why. Never throws.
bool cuda_available(std::string* why = nullptr);

// Devices the driver reports; 0 when there is no usable driver. Never throws.
int cuda_device_count();

// The outcome of trying one driver library, without touching the
// process-wide driver (for tests and `wick` diagnostics).
struct CudaProbe {
  bool ok = false;
  std::string message;  // the error when !ok
  int version = 0;
  int device_count = 0;
};
CudaProbe probe_cuda_driver(const std::string& path);

// "CUDA_ERROR_OUT_OF_MEMORY (out of memory)": the driver's own name and
// text when it can give them, else wick's table.
std::string cuda_error_text(cuda_api::CUresult r);

// Throws wick::Error "CUDA driver call CALL failed: NAME (text)" followed by
// ": CONTEXT" when context is not empty, unless r is CUDA_SUCCESS.
void cuda_check(cuda_api::CUresult r, const char* call, const std::string& context = {});

}  // namespace wick::rt

// The GPU half of writing a CUDA artifact: every kernel's PTX, and where
// ptxas is present at compile time a cubin assembled from it for each
// requested architecture, in the runtime's gpu_kernels.bin form
// (runtime/gpu_kernels_file.h). Cubins spare the driver's JIT compile when
// the model is opened on a GPU of a listed architecture; the PTX serves every
// other GPU not older than it. Cubins are cached on disk beside the kernel
// objects, keyed by the PTX, the architecture and the ptxas binary.
#pragma once

#include <string>
#include <vector>

#include "codegen/gpu_kernel_gen.h"
#include "runtime/gpu_kernels_file.h"

namespace wick::codegen {

struct GpuKernelsBuild {
  rt::GpuKernels kernels;
  std::string ptxas;      // the ptxas that assembled the cubins; "" when none was found
  int cubin_cache_hits = 0;
  double ptxas_ms = 0;
};

// `kernels` are the plan's GPU kernels (PTX for `ptx_sm`), in plan order.
// Throws wick::Error with ptxas's log when it rejects a kernel.
// `cache_dir` is as CompileOptions::cache_dir ("" = default, "off").
GpuKernelsBuild build_gpu_kernels(const std::vector<GpuKernel>& kernels, int ptx_sm, const std::vector<int>& cubin_sms,
                                  const std::string& cache_dir);

}  // namespace wick::codegen

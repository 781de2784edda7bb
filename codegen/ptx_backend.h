// The GPU half of code generation: an MLIR module holding one gpu.module of
// gpu.func kernels (as gpu_kernel_gen writes them) to PTX text for one
// NVIDIA architecture. MLIR's convert-gpu-to-nvvm lowers the kernels to the
// LLVM and NVVM dialects (memref arguments as bare pointers; the index width
// is the gpu.module's DLTI index entry, 32 or 64 bits), the translation gives
// LLVM IR, libdevice is linked in for math functions, and LLVM's NVPTX
// backend at -O3 prints PTX.
//
// Math: math.exp, log, tanh, erf, pow, ... become libdevice calls
// (__nv_expf, __nv_exp, ...), the same functions CUDA C++ and so torch's
// CUDA kernels call, linked from libdevice.10.bc only as needed and inlined;
// the PTX references no external function. libdevice is found at
// $WICK_LIBDEVICE, else at the path CMake configured (WICK_LIBDEVICE, by
// default the CUDA toolkit's nvvm/libdevice/libdevice.10.bc). A kernel that
// needs it when it is missing is a wick::Error naming the variable.
// Floating point: IEEE division and square root, denormals kept (libdevice
// reflects __CUDA_FTZ = 0), fused multiply-add contraction allowed (as nvcc's
// default -fmad=true).
//
// The PTX is cached on disk beside the CPU objects (object_cache.h, same
// directory and file format), keyed by the MLIR text and the target.
#pragma once

#include <string>

#include "codegen/compile_options.h"

namespace wick::codegen {

struct GpuTarget {
  int sm = 90;              // compute capability x 10: 75, 80, 86, 87, 89, 90
  int ptx_version = 0;      // PTX ISA x 10; 0: the lowest LLVM allows for `sm`
                            // (7.0 for sm_80, 7.8 for sm_90), which ptxas 11.8+ reads
  std::string libdevice;    // "" = default_libdevice_path()
  std::string cache_dir;    // as CompileOptions::cache_dir ("" = default, "off")
  bool dump_ir = false;     // print the MLIR after lowering and the optimized LLVM IR to stderr

  std::string str() const;  // "sm_90" or "sm_90+ptx80"
};

// The SM architectures the backend compiles for (LLVM 19's NVPTX): 75, 80,
// 86, 87, 89, 90. PTX is forward compatible: a newer device (sm_100, sm_120)
// JIT compiles PTX written for an older one.
bool gpu_sm_supported(int sm);
// The target for a device of compute capability major.minor (JIT mode): the
// newest supported architecture not newer than the device. Throws
// wick::Error for a device older than sm_75.
GpuTarget gpu_target_for_device(int major, int minor);

// $WICK_LIBDEVICE, else the configured default path. May name a missing file.
std::string default_libdevice_path();

// MLIR text (a module with `gpu.container_module` holding one gpu.module) to
// PTX. Fills `stats` (parse, MLIR passes, translation, LLVM -O3, codegen,
// cache). Throws wick::InternalError when the MLIR does not lower (the text
// comes from wick's own generator) and wick::Error for a bad target or a
// missing libdevice.
std::string compile_gpu_module(const std::string& mlir_text, const GpuTarget& target, CompileStats* stats = nullptr);

}  // namespace wick::codegen

// Internal to GPU code generation: turns the func.func that a KernelBuilder
// writes into a GPU kernel, and holds the MLIR dialects both GPU steps use.
//
// The GPU emitters write their kernel with the CPU path's writer
// (kernel_builder.h), so the text is a `func.func @name` over memrefs with
// dynamic offsets, with gpu ops (thread and block ids, shuffles, barriers) in
// its body and workgroup memory as `memref.alloca` in the workgroup address
// space. make_gpu_module moves that body into
//   module attributes {gpu.container_module} {
//     gpu.module @wick_gpu attributes {dlti.dl_spec = <index: 32 or 64 bits>} {
//       gpu.func @name(<bare arguments>) workgroup(<shared buffers>) kernel
//           attributes {known_block_size = ...} { ... }
// where each memref argument has its layout's static strides and offset 0
// (the caller passes a pointer to the first element; a memref.cast gives the
// body its dynamic-offset type back), each i1 argument becomes an i32
// (nonzero is true), and each workgroup alloca becomes a workgroup
// attribution of the gpu.func.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace mlir {
class DialectRegistry;
}  // namespace mlir

namespace wick::codegen {

// Every dialect the GPU kernels are written in or lowered through, with
// their LLVM IR translations.
const mlir::DialectRegistry& gpu_dialect_registry();

struct GpuModuleText {
  std::string mlir;
  uint32_t shared_bytes = 0;  // the workgroup buffers' total size
};

// `func_text`: a module holding `func.func @name`. Throws wick::InternalError
// when it does not parse or verify (a bug of the generator).
GpuModuleText make_gpu_module(const std::string& func_text, const std::string& name,
                              const std::array<uint32_t, 3>& block, bool index32);

}  // namespace wick::codegen

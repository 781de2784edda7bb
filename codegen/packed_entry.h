// Adds the uniform entry point `_wick_packed_<name>(void** args)` for each
// kernel, so that the runtime calls every kernel the same way whatever its
// arguments (see runtime/memref_descriptor.h for the convention). Works on
// LLVM IR, after translation: each entry unpacks `args` and calls the
// kernel's C interface `_mlir_ciface_<name>`.
#pragma once

#include <vector>

#include "codegen/mlir_lowering.h"

namespace llvm {
class Module;
}

namespace wick::codegen {

void add_packed_entries(llvm::Module& module, const std::vector<KernelSignature>& kernels);

}  // namespace wick::codegen

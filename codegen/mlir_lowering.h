// MLIR text to an LLVM IR module. The text is a `module` of func.func kernels
// over memrefs, written in the upstream dialects (linalg, arith, math, scf,
// vector, affine, memref, cf, func); MLIR's own conversion passes lower it to
// the LLVM dialect, which is then translated to LLVM IR.
//
// Every public func.func with a body gets a C interface
// (`_mlir_ciface_<name>`, taking memrefs as descriptor pointers); the
// signatures returned let packed_entry.h add the uniform entry points.
// A malformed or unlowerable module raises wick::InternalError carrying MLIR's
// diagnostics: the MLIR comes from wick's own code generator, never a user.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "codegen/compile_options.h"

namespace llvm {
class LLVMContext;
class Module;
}  // namespace llvm

namespace wick::codegen {

// A kernel as the packed entry sees it: one flag per argument (memref or
// scalar) and whether it returns one scalar.
struct KernelSignature {
  std::string name;
  std::vector<bool> memref_args;
  // Per argument: the memref's rank (0 for a scalar), and whether it is
  // declared {llvm.noalias} (a kernel's output, which no other argument
  // overlaps).
  std::vector<int64_t> memref_ranks;
  std::vector<bool> noalias;
  bool returns_scalar = false;
  bool packable = true;  // false when results rule out a packed entry (memref or several)
};

struct LoweredModule {
  std::unique_ptr<llvm::Module> module;
  std::vector<KernelSignature> kernels;
};

// Throws wick::InternalError on parse, verification, lowering or translation
// failure. Fills parse_ms, mlir_passes_ms and translate_ms of `stats`.
LoweredModule lower_mlir_to_llvm(const std::string& mlir_text, const CompileOptions& options,
                                 llvm::LLVMContext& llvm_context, CompileStats& stats);

}  // namespace wick::codegen

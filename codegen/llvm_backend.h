// LLVM's half of the CPU pipeline: fit a module to the target CPU, run the
// -O<n> middle end (where loops get vectorized to the target's width), and
// emit machine code as an ELF object or as assembly text.
#pragma once

#include <string>

#include "codegen/host_target.h"

namespace llvm {
class Module;
class TargetMachine;
}  // namespace llvm

namespace wick::codegen {

// Sets the triple and data layout and tags every function with the target
// CPU, features and preferred vector width.
void prepare_for_target(llvm::Module& module, llvm::TargetMachine& machine,
                        const TargetDescription& target);

// LLVM's default per-module pipeline at the target's optimization level.
void optimize(llvm::Module& module, llvm::TargetMachine& machine);

enum class MachineCodeKind { object, assembly };

// The object file bytes (relocatable ELF on Linux) or the assembly text.
std::string emit_machine_code(llvm::Module& module, llvm::TargetMachine& machine,
                              MachineCodeKind kind);

}  // namespace wick::codegen

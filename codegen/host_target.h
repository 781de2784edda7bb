// The CPU that code is generated for: LLVM triple, CPU name and feature
// string, resolved from CompileOptions ("native" asks LLVM about the host).
// The resolved description is part of every cache key, so an object built for
// one CPU is never loaded on another.
#pragma once

#include <memory>
#include <string>

#include "codegen/compile_options.h"

namespace llvm {
class TargetMachine;
}

namespace wick::codegen {

struct TargetDescription {
  std::string triple;
  std::string cpu;
  std::string features;     // "+a,-b,...", sorted for a stable cache key
  int vector_width_bits = 0;  // what loops are vectorized for
  int opt_level = 3;

  std::string str() const;  // one line, for cache keys and messages
};

// Registers the native LLVM target once per process.
void initialize_native_target();

// Throws wick::Error for an unknown CPU name or a bad option value.
TargetDescription resolve_target(const CompileOptions& options);

// A position-independent target machine, usable for the JIT and for shared
// libraries alike.
std::unique_ptr<llvm::TargetMachine> make_target_machine(const TargetDescription& target);

}  // namespace wick::codegen

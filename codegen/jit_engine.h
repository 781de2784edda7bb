// In-process compilation: MLIR text in, callable native functions out, through
// LLVM's ORC LLJIT. Each compile produces an object file (or takes one from
// the on-disk cache, see mlir_compiler.h) and links it into its own JIT
// library, so modules never clash over symbol names and each module's code is
// freed when the last CompiledModule handle to it goes away. Compiling the
// same module again while it is loaded returns the loaded code.
//
// JitEngine is thread-safe: compiles on different threads run concurrently.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "codegen/compile_options.h"
#include "runtime/memref_descriptor.h"

namespace wick::codegen {

class LoadedCode;

// A shared handle to loaded code and the addresses of the requested symbols.
// Copies share the code; it stays callable while any copy lives.
class CompiledModule {
 public:
  CompiledModule() = default;

  // The requested symbols' addresses, in the order requested.
  const std::vector<void*>& addresses() const { return addresses_; }
  void* address(size_t i) const { return addresses_.at(i); }
  // Any symbol of the module; throws wick::InternalError when it has none
  // of that name.
  void* lookup(const std::string& symbol) const;
  // The uniform entry of kernel `name` (packed_entry_name(name)).
  PackedKernelFn packed(const std::string& name) const;

  const CompileStats& stats() const { return stats_; }
  bool loaded() const { return code_ != nullptr; }

 private:
  friend class JitEngine;
  std::shared_ptr<LoadedCode> code_;
  std::vector<void*> addresses_;
  CompileStats stats_;
};

class JitEngine {
 public:
  JitEngine();
  ~JitEngine();
  JitEngine(const JitEngine&) = delete;
  JitEngine& operator=(const JitEngine&) = delete;

  // The process-wide engine.
  static JitEngine& global();

  // Compiles `mlir_text` (or loads it from a cache) and looks up `symbols`,
  // e.g. {packed_entry_name("k")} or {"_mlir_ciface_k"}. A missing symbol or
  // MLIR that does not lower raises wick::InternalError.
  CompiledModule compile(const std::string& mlir_text, const std::vector<std::string>& symbols,
                         const CompileOptions& options = {});

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;  // shared with every LoadedCode, which outlives us if need be
};

}  // namespace wick::codegen

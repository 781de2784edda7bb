// The compile driver: MLIR lowering, packed entries, target fitting, LLVM
// middle and back end, and the on-disk object cache around them.
#include "codegen/mlir_compiler.h"

#include <llvm/Config/llvm-config.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

#include "codegen/llvm_backend.h"
#include "codegen/mlir_lowering.h"
#include "codegen/object_cache.h"
#include "codegen/packed_entry.h"
#include "codegen/stopwatch.h"

namespace wick::codegen {
namespace {

// Bump when the object layout, the packed-entry convention or the code
// made from the same MLIR (target options) changes.
constexpr const char* kObjectFormat = "wick-kernel-object-9";

struct TargetModule {
  std::unique_ptr<llvm::LLVMContext> context = std::make_unique<llvm::LLVMContext>();
  std::unique_ptr<llvm::TargetMachine> machine;
  std::unique_ptr<llvm::Module> module;
};

// MLIR text to an LLVM module fitted to the target, optionally optimized.
TargetModule lower_for_target(const std::string& mlir_text, const CompileOptions& options,
                              const TargetDescription& target, bool optimized,
                              CompileStats& stats) {
  TargetModule out;
  LoweredModule lowered = lower_mlir_to_llvm(mlir_text, options, *out.context, stats);
  out.module = std::move(lowered.module);
  add_packed_entries(*out.module, lowered.kernels);
  out.machine = make_target_machine(target);
  prepare_for_target(*out.module, *out.machine, target);
  if (optimized) {
    Stopwatch clock;
    optimize(*out.module, *out.machine);
    stats.llvm_opt_ms = clock.elapsed_ms();
    if (options.dump_ir) {
      llvm::errs() << "; -----// wick: optimized LLVM IR //----- ;\n";
      out.module->print(llvm::errs(), nullptr);
    }
  }
  return out;
}

std::string compile_object(const std::string& mlir_text, const CompileOptions& options,
                           const TargetDescription& target, CompileStats& stats) {
  TargetModule lowered = lower_for_target(mlir_text, options, target, true, stats);
  Stopwatch clock;
  std::string object = emit_machine_code(*lowered.module, *lowered.machine, MachineCodeKind::object);
  stats.codegen_ms = clock.elapsed_ms();
  return object;
}

}  // namespace

Hash128 kernel_cache_key(const std::string& mlir_text, const TargetDescription& target,
                         const CompileOptions& options) {
  return HashBuilder()
      .add(kObjectFormat)
      .add(LLVM_VERSION_STRING)
      .add(target.str())
      .add(options.approximate_math ? "approximate-math" : "libm-math")
      .add(mlir_text)
      .finish();
}

std::string load_or_compile_object(const std::string& mlir_text, const CompileOptions& options,
                                   const TargetDescription& target, const Hash128& key,
                                   CompileStats& stats) {
  ObjectCache cache(options.cache_dir);
  if (cache.enabled()) stats.cache_file = cache.path_for(key);
  // A dump asks to see the IR, so it always compiles.
  if (cache.enabled() && !options.dump_ir) {
    Stopwatch clock;
    std::optional<std::string> cached = cache.load(key);
    stats.cache_io_ms = clock.elapsed_ms();
    if (cached) {
      stats.source = CodeSource::disk_cache;
      return std::move(*cached);
    }
  }
  stats.source = CodeSource::compiled;
  std::string object = compile_object(mlir_text, options, target, stats);
  if (cache.enabled()) {
    Stopwatch clock;
    stats.cache_written = cache.store(key, object);
    stats.cache_io_ms += clock.elapsed_ms();
  }
  return object;
}

std::string compile_to_object(const std::string& mlir_text, const CompileOptions& options,
                              CompileStats* stats) {
  Stopwatch clock;
  CompileStats local;
  CompileStats& s = stats ? *stats : local;
  s = CompileStats{};
  TargetDescription target = resolve_target(options);
  std::string object =
      load_or_compile_object(mlir_text, options, target, kernel_cache_key(mlir_text, target, options), s);
  s.total_ms = clock.elapsed_ms();
  return object;
}

std::string compile_to_llvm_ir(const std::string& mlir_text, const CompileOptions& options,
                               bool optimized) {
  CompileStats stats;
  TargetModule lowered =
      lower_for_target(mlir_text, options, resolve_target(options), optimized, stats);
  std::string text;
  llvm::raw_string_ostream stream(text);
  lowered.module->print(stream, nullptr);
  return text;
}

std::string compile_to_assembly(const std::string& mlir_text, const CompileOptions& options) {
  CompileStats stats;
  TargetModule lowered = lower_for_target(mlir_text, options, resolve_target(options), true, stats);
  return emit_machine_code(*lowered.module, *lowered.machine, MachineCodeKind::assembly);
}

const char* code_source_name(CodeSource source) {
  switch (source) {
    case CodeSource::compiled: return "compiled";
    case CodeSource::disk_cache: return "disk cache";
    case CodeSource::memory_cache: return "memory cache";
  }
  return "?";
}

}  // namespace wick::codegen

// What the CPU code generator is asked to do (CompileOptions) and what it
// reports back about one compilation (CompileStats). Kept free of MLIR and
// LLVM headers so that any layer above codegen can fill them in.
#pragma once

#include <string>

namespace wick::codegen {

struct CompileOptions {
  int opt_level = 3;            // LLVM optimization level, 0..3
  std::string cpu = "native";   // LLVM CPU name; "native" means the host CPU
  std::string features;         // extra LLVM features, e.g. "-avx512f,+fma"; appended
                                // to the CPU's own (the host's when cpu is "native")
  int prefer_vector_width = 0;  // bits; 0 = the widest the CPU has (512 with AVX-512)
  bool approximate_math = true; // polynomial exp/log/tanh/erf/... so loops vectorize;
                                // off = calls into libm (expf, tanhf, erff, ...)
  bool dump_ir = false;         // print the lowered MLIR and optimized LLVM IR to stderr
  std::string cache_dir;        // the on-disk object cache: a directory, "off", or "" for
                                // the default: $WICK_CACHE_DIR (where "off" disables it),
                                // else $XDG_CACHE_HOME/wick, else ~/.cache/wick
};

// Where the code of one compile came from.
enum class CodeSource {
  compiled,      // MLIR and LLVM ran
  disk_cache,    // object file loaded from the on-disk cache
  memory_cache,  // the same module was already loaded in this process
};

const char* code_source_name(CodeSource source);

// Milliseconds per stage; stages that did not run stay 0.
struct CompileStats {
  CodeSource source = CodeSource::compiled;
  double parse_ms = 0;       // MLIR text to module
  double mlir_passes_ms = 0; // lowering to the LLVM dialect
  double translate_ms = 0;   // LLVM dialect to LLVM IR
  double llvm_opt_ms = 0;    // LLVM middle end (-O<n>)
  double codegen_ms = 0;     // LLVM back end: machine code into an object file
  double cache_io_ms = 0;    // reading or writing the cache file
  double load_ms = 0;        // JIT link and symbol lookup
  double total_ms = 0;
  bool cache_written = false;
  std::string cache_file;    // the cache file used or written; empty when the cache is off

  bool cache_hit() const { return source != CodeSource::compiled; }
};

}  // namespace wick::codegen

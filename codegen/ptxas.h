// NVIDIA's PTX assembler as an external tool: PTX text to a cubin for one
// SM architecture. Tests use it to prove that every generated kernel
// assembles; ahead-of-time compiles use it to ship cubins beside the PTX
// where ptxas is present at compile time. Only codegen runs it: the runtime
// never starts external tools (it hands PTX to the CUDA driver, which JIT
// compiles it).
#pragma once

#include <string>

namespace wick::codegen {

// The ptxas to run: $WICK_PTXAS when set (an empty value or "off" means
// none), else /usr/local/cuda/bin/ptxas, else the first `ptxas` on PATH.
// Empty when there is none.
std::string find_ptxas();

struct PtxasOptions {
  int sm = 90;           // -arch=sm_<sm>
  bool verbose = false;  // -v: registers, shared memory and spills per kernel, in the log
  int opt_level = 3;     // -O<n>
};

// Assembles `ptx` for sm_<options.sm>. Returns the cubin bytes; on failure
// (ptxas missing, or it rejected the PTX) returns "" and *log says why. The
// log receives ptxas's own output either way.
std::string assemble_ptx(const std::string& ptx, const PtxasOptions& options, std::string* log);
inline std::string assemble_ptx(const std::string& ptx, int sm, std::string* log) {
  PtxasOptions o;
  o.sm = sm;
  return assemble_ptx(ptx, o, log);
}

}  // namespace wick::codegen

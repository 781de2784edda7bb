// wick::aot_compile: a TorchScript model compiled ahead of time for one
// input signature into a directory that runs with the wick runtime alone
// (runtime/artifact.h, the C API in runtime/wick_runtime.h): no Python,
// LibTorch, LLVM or MLIR on the machine that runs it.
#pragma once

#include <string>
#include <vector>

#include "codegen/aot_writer.h"
#include "runtime/plan.h"

namespace wick {

struct AotOptions {
  // Names of the dynamic dims (e.g. {"B"}), which the inputs' size_symbols
  // index: a dim d of input i with inputs[i].size_symbols[d] = k >= 0 is
  // inputs[i].sizes[d] (>= 1) times symbols[k], so the artifact runs any size
  // there. Empty: every dim is static.
  std::vector<std::string> symbols;
  std::string target = "native";  // the host CPU: native, x86-64-v3 or x86-64-v4
  // Where the plan runs: "cpu", or "cuda" for NVIDIA GPUs (the executor and
  // extern calls' set-up still run on the host `target`).
  std::string device = "cpu";
  // CUDA: the GPU architectures (compute capability x 10, each from
  // rt::kMinGpuSm to rt::kMaxGpuSm) to build for. The PTX is generated once
  // for the lowest (it runs on any GPU not older); where ptxas is found, a
  // cubin is assembled for each.
  std::vector<int> gpu_archs = {80, 90};
  std::string method = "forward";
  std::string cache_dir;          // kernel cache: "" for the default location, "off" to disable
  std::string cc;                 // C compiler that links model.so: "" = $CC, else cc
};

struct AotResult {
  codegen::ArtifactReport artifact;  // the manifest written, kernel and link times
  double load_ms = 0;
  double passes_ms = 0;
  double plan_ms = 0;
  double total_ms = 0;
};

// Compiles `model_path` for inputs of these dtypes and shapes (dynamic dims
// as options.symbols says) and writes the artifact into `out_dir`. Errors
// name the model file; a dynamic dim the compiler cannot keep dynamic (one
// that changes a tensor's strides, say) is a wick::Error naming the op.
AotResult aot_compile(const std::string& model_path, const std::vector<rt::TensorSpec>& inputs,
                      const std::string& out_dir, const AotOptions& options = {});

}  // namespace wick

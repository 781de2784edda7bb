// Compiling one method for one input signature: the pass pipeline, plan
// building, kernel code through MLIR and LLVM (or the on-disk cache), and an
// executor bound to the module's tensors. jit_load's per-signature cache,
// training steps and tests all compile through here.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ir/module.h"
#include "runtime/executor.h"

namespace wick {

namespace codegen {
class CompiledModule;
}

struct KernelReport {
  std::string name;
  double ms = 0;
  bool cache_hit = false;
};

// What compiling one signature took.
struct CompileReport {
  std::string signature;
  double passes_ms = 0;
  double plan_ms = 0;
  double kernels_ms = 0;
  double total_ms = 0;
  std::vector<KernelReport> kernels;
  int cache_hits() const;
};

struct GraphCompileOptions {
  std::string cache_dir;  // kernel cache: "" for the default location, "off" to disable
  // Module tensors change between runs (a training step updates them in
  // place): nothing is computed from their values at compile time (no
  // batch-norm folding) and libraries keep no copies of them.
  bool mutable_tensors = false;
  // The graph already went through the pass pipeline: plan it as it is.
  bool prepared = false;
  // "cpu", or "cuda" / "cuda:N" for the N-th NVIDIA GPU: kernels are PTX for
  // that device's architecture, loaded through the CUDA driver.
  std::string device = "cpu";
};

// The CUDA device index of a device string ("cuda" is 0, "cuda:N" is N), or
// -1 for "cpu". Throws wick::Error for anything else.
int cuda_device_index(const std::string& device);

class CompiledGraph {
 public:
  CompiledGraph(rt::Executor executor, std::vector<codegen::CompiledModule> code, CompileReport report);
  ~CompiledGraph();
  const rt::Executor& executor() const { return executor_; }
  CompileReport report;

 private:
  rt::Executor executor_;
  std::vector<codegen::CompiledModule> code_;  // keeps the kernels loaded
};

// `graph` is left unchanged (a copy is specialized). The executor reads the
// module's tensors in place, so later changes to their data are seen.
std::shared_ptr<CompiledGraph> compile_graph(const ir::Graph& graph, const ir::Module& module,
                                             const std::vector<ir::TypePtr>& input_types,
                                             const GraphCompileOptions& options = {});

}  // namespace wick

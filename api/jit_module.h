// wick::jit_load: the C++ entry point. Loads a TorchScript .pt file natively,
// and compiles its method for each input signature (dtypes and shapes) the
// first time that signature is seen: the pass pipeline, plan building, kernel
// generation through MLIR and LLVM (kernels come from the on-disk cache when
// an earlier process compiled them). Later calls with a known signature run
// the cached executable directly.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/compiled_graph.h"
#include "ir/module.h"
#include "support/tensor.h"

namespace wick {

struct JitOptions {
  std::string method = "forward";
  std::string cache_dir;  // kernel cache: "" for the default location, "off" to disable
  // "cpu", or "cuda" / "cuda:N": where the model runs. On a GPU, inputs may
  // be host or device tensors and outputs come back on the host.
  std::string device = "cpu";
};


class JitModule {
 public:
  // `name` (the .pt path) names the model in error messages.
  JitModule(std::unique_ptr<ir::Module> module, JitOptions options, std::string name = {});
  ~JitModule();

  // Runs the method; compiles it first for a new input signature. Inputs of
  // the wrong number, dtype or rank for the model are a wick::Error raised
  // before any kernel runs.
  std::vector<Tensor> forward(const std::vector<Tensor>& inputs);

  const ir::Module& module() const { return *module_; }
  // The report of the compile the last forward() did, or null if it compiled nothing.
  const CompileReport* last_compile() const { return last_compile_.get(); }
  size_t compiled_signatures() const;

 private:
  std::shared_ptr<CompiledGraph> compiled_for(const std::vector<Tensor>& inputs);
  std::shared_ptr<CompiledGraph> compile(const std::vector<Tensor>& inputs, const std::string& key);

  std::unique_ptr<ir::Module> module_;
  JitOptions options_;
  std::string name_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<CompiledGraph>> cache_;
  std::unique_ptr<CompileReport> last_compile_;
  // The signature of the last call, checked first without building a key:
  // per-call cost matters for small models.
  std::vector<DType> last_dtypes_;
  std::vector<std::vector<int64_t>> last_sizes_;
  std::shared_ptr<CompiledGraph> last_graph_;
};

std::unique_ptr<JitModule> jit_load(const std::string& path, const JitOptions& options = {});

// Sets the number of threads wick's kernels and extern calls use.
void set_num_threads(int threads);

}  // namespace wick

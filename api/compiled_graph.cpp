#include "api/compiled_graph.h"

#include <chrono>
#include <cstdlib>
#include <fstream>

#include "api/plan_method.h"
#include "codegen/jit_engine.h"

namespace wick {

namespace {
double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}
}  // namespace

int CompileReport::cache_hits() const {
  int n = 0;
  for (const KernelReport& k : kernels) n += k.cache_hit ? 1 : 0;
  return n;
}

CompiledGraph::CompiledGraph(rt::Executor executor, std::vector<codegen::CompiledModule> code, CompileReport report)
    : report(std::move(report)), executor_(std::move(executor)), code_(std::move(code)) {}

CompiledGraph::~CompiledGraph() = default;

std::shared_ptr<CompiledGraph> compile_graph(const ir::Graph& method, const ir::Module& module,
                                             const std::vector<ir::TypePtr>& input_types,
                                             const GraphCompileOptions& options) {
  auto start = std::chrono::steady_clock::now();
  CompileReport report;
  PlanMethodOptions plan_options;
  plan_options.pipeline.fold_batch_norm = !options.mutable_tensors;
  plan_options.plan.mutable_tensors = options.mutable_tensors;
  plan_options.run_pipeline = !options.prepared;
  PlannedMethod planned = plan_method(method, module, input_types, plan_options);
  codegen::BuiltPlan& built = planned.built;
  report.passes_ms = planned.passes_ms;
  report.plan_ms = planned.plan_ms;

  auto kernels_start = std::chrono::steady_clock::now();
  codegen::CompileOptions compile_options;
  compile_options.cache_dir = options.cache_dir;
  std::vector<PackedKernelFn> fns;
  std::vector<codegen::CompiledModule> code;
  // WICK_DUMP_KERNELS=DIR writes every kernel's MLIR there, for inspection.
  const char* dump = std::getenv("WICK_DUMP_KERNELS");
  for (const codegen::GeneratedKernel& k : built.kernels) {
    if (dump && *dump) std::ofstream(std::string(dump) + "/" + k.name + ".mlir") << k.mlir;
    auto kstart = std::chrono::steady_clock::now();
    codegen::CompiledModule m = codegen::JitEngine::global().compile(k.mlir, {packed_entry_name(k.name)}, compile_options);
    fns.push_back(reinterpret_cast<PackedKernelFn>(m.address(0)));
    report.kernels.push_back({k.name, ms_since(kstart), m.stats().cache_hit()});
    code.push_back(std::move(m));
  }
  report.kernels_ms = ms_since(kernels_start);

  std::vector<Tensor> tensors = plan_tensors(built.plan, module);
  report.total_ms = ms_since(start);
  return std::make_shared<CompiledGraph>(rt::Executor(std::move(built.plan), std::move(fns), std::move(tensors)),
                                         std::move(code), std::move(report));
}

}  // namespace wick

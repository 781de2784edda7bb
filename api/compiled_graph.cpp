#include "api/compiled_graph.h"

#include <chrono>

#include "codegen/jit_engine.h"
#include "codegen/plan_builder.h"
#include "passes/pipeline.h"

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
  auto graph = method.clone();
  graph->set_module(const_cast<ir::Module*>(&module));
  passes::run_pipeline(*graph, &input_types);
  report.passes_ms = ms_since(start);

  auto plan_start = std::chrono::steady_clock::now();
  codegen::BuiltPlan built = codegen::build_plan(*graph);
  report.plan_ms = ms_since(plan_start);

  auto kernels_start = std::chrono::steady_clock::now();
  codegen::CompileOptions compile_options;
  compile_options.cache_dir = options.cache_dir;
  std::vector<PackedKernelFn> fns;
  std::vector<codegen::CompiledModule> code;
  for (const codegen::GeneratedKernel& k : built.kernels) {
    auto kstart = std::chrono::steady_clock::now();
    codegen::CompiledModule m = codegen::JitEngine::global().compile(k.mlir, {packed_entry_name(k.name)}, compile_options);
    fns.push_back(reinterpret_cast<PackedKernelFn>(m.address(0)));
    report.kernels.push_back({k.name, ms_since(kstart), m.stats().cache_hit()});
    code.push_back(std::move(m));
  }
  report.kernels_ms = ms_since(kernels_start);

  std::vector<Tensor> tensors;
  for (const auto& [slot, name] : built.plan.tensors) {
    const ir::NamedTensor* t = module.find_tensor(name);
    if (!t || !t->data.defined()) throw Error("module tensor \"" + name + "\" has no data");
    tensors.push_back(t->data.is_contiguous() ? t->data : t->data.contiguous());
  }
  report.total_ms = ms_since(start);
  return std::make_shared<CompiledGraph>(rt::Executor(std::move(built.plan), std::move(fns), std::move(tensors)),
                                         std::move(code), std::move(report));
}

}  // namespace wick

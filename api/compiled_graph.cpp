#include "api/compiled_graph.h"

#include <chrono>
#include <cstdlib>
#include <fstream>

#include "api/plan_method.h"
#include "codegen/jit_engine.h"
#include "runtime/cuda_device.h"

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

int cuda_device_index(const std::string& device) {
  if (device == "cpu") return -1;
  if (device == "cuda") return 0;
  if (device.rfind("cuda:", 0) == 0 && device.size() > 5 && device.size() <= 8 &&
      device.find_first_not_of("0123456789", 5) == std::string::npos)
    return std::stoi(device.substr(5));
  throw Error("unknown device '" + device + "': expected cpu, cuda or cuda:N");
}

namespace {

// The GPU kernels of a CUDA plan, loaded on the device.
std::shared_ptr<CompiledGraph> load_on_gpu(codegen::BuiltPlan& built, const ir::Module& module, int device,
                                           CompileReport report, std::chrono::steady_clock::time_point start) {
  rt::CudaPlanKernels kernels;
  kernels.device = device;
  const char* dump = std::getenv("WICK_DUMP_KERNELS");
  for (const codegen::GpuKernel& k : built.gpu_kernels) {
    if (dump && *dump) std::ofstream(std::string(dump) + "/" + k.name + ".ptx") << k.ptx;
    auto kstart = std::chrono::steady_clock::now();
    kernels.functions.push_back(rt::CudaModule::load(k.ptx, device, k.name)->function(k.name));
    report.kernels.push_back({k.name, ms_since(kstart) + k.compile.total_ms, k.compile.cache_hit()});
  }
  std::vector<Tensor> tensors = plan_tensors(built.plan, module);
  report.total_ms = ms_since(start);
  return std::make_shared<CompiledGraph>(rt::Executor(std::move(kernels), std::move(built.plan), std::move(tensors)),
                                         std::vector<codegen::CompiledModule>{}, std::move(report));
}

}  // namespace

std::shared_ptr<CompiledGraph> compile_graph(const ir::Graph& method, const ir::Module& module,
                                             const std::vector<ir::TypePtr>& input_types,
                                             const GraphCompileOptions& options) {
  auto start = std::chrono::steady_clock::now();
  CompileReport report;
  PlanMethodOptions plan_options;
  plan_options.pipeline.fold_batch_norm = !options.mutable_tensors;
  plan_options.plan.mutable_tensors = options.mutable_tensors;
  plan_options.run_pipeline = !options.prepared;
  const int device = cuda_device_index(options.device);
  if (device >= 0) {
    // The device first: it decides the PTX target, and a missing driver
    // should be reported before anything compiles.
    rt::CudaDevice& d = rt::cuda_device(device);
    plan_options.pipeline.device = passes::TargetDevice::cuda;
    plan_options.plan.device = rt::PlanDevice::cuda;
    plan_options.plan.gpu = codegen::gpu_target_for_device(d.sm() / 10, d.sm() % 10);
    plan_options.plan.gpu.cache_dir = options.cache_dir;
  }
  PlannedMethod planned = plan_method(method, module, input_types, plan_options);
  if (device >= 0) {
    report.passes_ms = planned.passes_ms;
    report.plan_ms = planned.plan_ms;
    return load_on_gpu(planned.built, module, device, std::move(report), start);
  }
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

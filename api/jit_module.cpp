#include "api/jit_module.h"

#include <chrono>

#include "codegen/jit_engine.h"
#include "codegen/plan_builder.h"
#include "frontend/loader.h"
#include "passes/pipeline.h"
#include "runtime/executor.h"
#include "runtime/thread_pool.h"

namespace wick {

namespace {
double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

std::string signature_of(const std::vector<Tensor>& inputs) {
  std::string key;
  for (const Tensor& t : inputs) key += (key.empty() ? "" : ", ") + (t.defined() ? t.describe() : "undefined");
  return key;
}
}  // namespace

int CompileReport::cache_hits() const {
  int n = 0;
  for (const KernelReport& k : kernels) n += k.cache_hit ? 1 : 0;
  return n;
}

// One compiled input signature: the executor and the code it calls.
class CompiledSignature {
 public:
  CompiledSignature(rt::Executor executor, std::vector<codegen::CompiledModule> code)
      : executor(std::move(executor)), code(std::move(code)) {}
  rt::Executor executor;
  std::vector<codegen::CompiledModule> code;  // keeps the kernels loaded
};

JitModule::JitModule(std::unique_ptr<ir::Module> module, JitOptions options, std::string name)
    : module_(std::move(module)), options_(std::move(options)), name_(std::move(name)) {
  if (!module_->method(options_.method)) throw Error("module has no method '" + options_.method + "'");
}

JitModule::~JitModule() = default;

size_t JitModule::compiled_signatures() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cache_.size();
}

std::vector<Tensor> JitModule::forward(const std::vector<Tensor>& inputs) {
  const std::string key = signature_of(inputs);
  std::shared_ptr<CompiledSignature> compiled;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      compiled = it->second;
      last_compile_.reset();
    }
  }
  if (!compiled) {
    try {
      compiled = compile(inputs, key);
    } catch (const Error& e) {
      throw name_.empty() ? e : e.with_file(name_);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    cache_[key] = compiled;
  }
  try {
    return compiled->executor.run(inputs);
  } catch (const Error& e) {
    throw name_.empty() ? e : e.with_file(name_);
  }
}

std::shared_ptr<CompiledSignature> JitModule::compile(const std::vector<Tensor>& inputs, const std::string& key) {
  auto start = std::chrono::steady_clock::now();
  auto report = std::make_unique<CompileReport>();
  report->signature = key;
  const ir::Graph& method = *module_->method(options_.method);
  if (inputs.size() != method.inputs().size())
    throw Error("@" + options_.method + " takes " + std::to_string(method.inputs().size()) + " input" +
                (method.inputs().size() == 1 ? "" : "s") + ", got " + std::to_string(inputs.size()));
  std::vector<ir::TypePtr> types;
  for (const Tensor& t : inputs) {
    if (!t.defined()) throw Error("an input tensor is undefined");
    types.push_back(ir::Type::tensor_static(t.dtype(), t.sizes()));
  }
  auto graph = method.clone();
  graph->set_module(module_.get());
  passes::run_pipeline(*graph, &types);
  report->passes_ms = ms_since(start);

  auto plan_start = std::chrono::steady_clock::now();
  codegen::BuiltPlan built = codegen::build_plan(*graph);
  report->plan_ms = ms_since(plan_start);

  auto kernels_start = std::chrono::steady_clock::now();
  codegen::CompileOptions options;
  options.cache_dir = options_.cache_dir;
  std::vector<PackedKernelFn> fns;
  std::vector<codegen::CompiledModule> code;
  for (const codegen::GeneratedKernel& k : built.kernels) {
    auto kstart = std::chrono::steady_clock::now();
    codegen::CompiledModule m = codegen::JitEngine::global().compile(k.mlir, {packed_entry_name(k.name)}, options);
    fns.push_back(reinterpret_cast<PackedKernelFn>(m.address(0)));
    report->kernels.push_back({k.name, ms_since(kstart), m.stats().cache_hit()});
    code.push_back(std::move(m));
  }
  report->kernels_ms = ms_since(kernels_start);

  std::vector<Tensor> tensors;
  for (const auto& [slot, name] : built.plan.tensors) {
    const ir::NamedTensor* t = module_->find_tensor(name);
    if (!t || !t->data.defined()) throw Error("module tensor \"" + name + "\" has no data");
    tensors.push_back(t->data.contiguous());
  }
  auto compiled = std::make_shared<CompiledSignature>(
      rt::Executor(std::move(built.plan), std::move(fns), std::move(tensors)), std::move(code));
  report->total_ms = ms_since(start);
  last_compile_ = std::move(report);
  return compiled;
}

std::unique_ptr<JitModule> jit_load(const std::string& path, const JitOptions& options) {
  LoadOptions load;
  load.method = options.method;
  return std::make_unique<JitModule>(load_torchscript(path, load), options, path);
}

void set_num_threads(int threads) { rt::default_thread_pool().set_num_threads(threads); }

}  // namespace wick

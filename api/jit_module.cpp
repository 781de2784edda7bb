#include "api/jit_module.h"

#include "api/bind_inputs.h"
#include "frontend/loader.h"
#include "runtime/thread_pool.h"

namespace wick {

namespace {
std::string signature_of(const std::vector<Tensor>& inputs) {
  std::string key;
  for (const Tensor& t : inputs) key += (key.empty() ? "" : ", ") + (t.defined() ? t.describe() : "undefined");
  return key;
}

// Whether `inputs` have exactly these dtypes and sizes.
bool same_signature(const std::vector<Tensor>& inputs, const std::vector<DType>& dtypes,
                    const std::vector<std::vector<int64_t>>& sizes) {
  if (inputs.size() != dtypes.size()) return false;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!inputs[i].defined() || inputs[i].dtype() != dtypes[i] || inputs[i].sizes() != sizes[i]) return false;
  return true;
}

}  // namespace

JitModule::JitModule(std::unique_ptr<ir::Module> module, JitOptions options, std::string name)
    : module_(std::move(module)), options_(std::move(options)), name_(std::move(name)) {
  if (!module_->method(options_.method)) throw Error("module has no method '" + options_.method + "'");
  cuda_device_index(options_.device);  // a bad device name fails here, not at the first call
}

JitModule::~JitModule() = default;

size_t JitModule::compiled_signatures() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cache_.size();
}

std::vector<Tensor> JitModule::forward(const std::vector<Tensor>& inputs) {
  std::shared_ptr<CompiledGraph> compiled;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (last_graph_ && same_signature(inputs, last_dtypes_, last_sizes_)) {
      compiled = last_graph_;
      last_compile_.reset();
    }
  }
  if (!compiled) compiled = compiled_for(inputs);
  try {
    // A left-out Optional input is part of the signature, not of the graph's inputs.
    for (const Tensor& t : inputs)
      if (!t.defined()) return compiled->executor().run(given_only(inputs));
    return compiled->executor().run(inputs);
  } catch (const Error& e) {
    throw name_.empty() ? e : e.with_file(name_);
  }
}

std::shared_ptr<CompiledGraph> JitModule::compiled_for(const std::vector<Tensor>& inputs) {
  const std::string key = signature_of(inputs);
  std::shared_ptr<CompiledGraph> compiled;
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
  std::lock_guard<std::mutex> lock(mutex_);
  last_graph_ = compiled;
  last_dtypes_.clear();
  last_sizes_.clear();
  for (const Tensor& t : inputs) {
    if (!t.defined()) {
      last_graph_.reset();  // the quick check compares defined inputs only
      break;
    }
    last_dtypes_.push_back(t.dtype());
    last_sizes_.push_back(t.sizes());
  }
  return compiled;
}

std::shared_ptr<CompiledGraph> JitModule::compile(const std::vector<Tensor>& inputs, const std::string& key) {
  const ir::Graph& method = *module_->method(options_.method);
  std::unique_ptr<ir::Graph> bound = bind_left_out_inputs(method, given_inputs(inputs));
  std::vector<ir::TypePtr> types;
  for (const Tensor& t : given_only(inputs)) types.push_back(ir::Type::tensor_static(t.dtype(), t.sizes()));
  GraphCompileOptions options;
  options.cache_dir = options_.cache_dir;
  options.device = options_.device;
  auto compiled = compile_graph(bound ? *bound : method, *module_, types, options);
  last_compile_ = std::make_unique<CompileReport>(compiled->report);
  last_compile_->signature = key;
  return compiled;
}

std::unique_ptr<JitModule> jit_load(const std::string& path, const JitOptions& options) {
  LoadOptions load;
  load.method = options.method;
  return std::make_unique<JitModule>(load_torchscript(path, load), options, path);
}

void set_num_threads(int threads) { rt::default_thread_pool().set_num_threads(threads); }

}  // namespace wick

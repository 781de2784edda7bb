#include "api/aot_compile.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "api/bind_inputs.h"
#include "api/plan_method.h"
#include "codegen/ptx_backend.h"
#include "frontend/loader.h"
#include "runtime/gpu_kernels_file.h"
#include "runtime/tensor_spec.h"

namespace wick {

namespace {
double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// The input types the method is specialized to: static dims as they are,
// dynamic dims as multiples of their symbol (ir::Dim).
std::vector<ir::TypePtr> input_types(const std::vector<rt::TensorSpec>& inputs, const std::vector<std::string>& symbols) {
  for (size_t k = 0; k < symbols.size(); ++k) {
    if (!rt::valid_symbol_name(symbols[k])) throw Error("bad dynamic dim name \"" + symbols[k] + "\"");
    for (size_t j = 0; j < k; ++j)
      if (symbols[j] == symbols[k]) throw Error("dynamic dim name \"" + symbols[k] + "\" given twice");
  }
  std::vector<bool> used(symbols.size(), false);
  std::vector<ir::TypePtr> types;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const rt::TensorSpec& spec = inputs[i];
    const std::string which = "input " + std::to_string(i);
    if (!spec.size_symbols.empty() && spec.size_symbols.size() != spec.sizes.size())
      throw Error(which + ": size_symbols has " + std::to_string(spec.size_symbols.size()) + " entries for rank " +
                  std::to_string(spec.sizes.size()));
    std::vector<ir::Dim> dims;
    for (size_t d = 0; d < spec.sizes.size(); ++d) {
      const int32_t sym = rt::dim_symbol(spec, d);
      if (sym < -1 || sym >= static_cast<int32_t>(symbols.size()))
        throw Error(which + ": dim " + std::to_string(d) + " names dynamic dim " + std::to_string(sym) + " of " +
                    std::to_string(symbols.size()));
      if (sym < 0) {
        if (spec.sizes[d] < 0) throw Error(which + ": dim " + std::to_string(d) + " has a negative size");
        dims.push_back(ir::Dim::constant(spec.sizes[d]));
        continue;
      }
      if (spec.sizes[d] < 1)
        throw Error(which + ": dynamic dim " + std::to_string(d) + " needs a coefficient of at least 1");
      used[static_cast<size_t>(sym)] = true;
      dims.push_back(ir::Dim::monomial(spec.sizes[d], {symbols[static_cast<size_t>(sym)]}));
    }
    types.push_back(ir::Type::tensor(spec.dtype, std::move(dims)));
  }
  for (size_t k = 0; k < symbols.size(); ++k)
    if (!used[k]) throw Error("dynamic dim \"" + symbols[k] + "\" is no dim of an input");
  return types;
}

// `spec` with its symbols renumbered from `from` names to `to` names.
rt::TensorSpec renumbered(rt::TensorSpec spec, const std::vector<std::string>& from, const std::vector<std::string>& to) {
  for (int32_t& sym : spec.size_symbols) {
    if (sym < 0) continue;
    const auto at = std::find(to.begin(), to.end(), from[static_cast<size_t>(sym)]);
    sym = at == to.end() ? -2 : static_cast<int32_t>(at - to.begin());
  }
  return spec;
}

// Outputs are numbered, as `wick run` names its output files: graph values
// carry internal names. A dynamic dim of an output is a multiple of one of
// the plan's symbols.
rt::IoInfo output_of(const ir::Value* v, size_t index, const std::vector<std::string>& symbols) {
  rt::IoInfo io;
  io.name = "output" + std::to_string(index);
  const ir::Type& type = *v->type();
  WICK_ASSERT(type.is_tensor() && type.dtype() && type.has_rank(), "plan output of no tensor type of known rank");
  io.spec.dtype = *type.dtype();
  for (const ir::Dim& dim : *type.shape()) {
    if (dim.is_static()) {
      io.spec.sizes.push_back(dim.value());
      io.spec.size_symbols.push_back(-1);
      continue;
    }
    const std::string what = "output " + std::to_string(index) + " has shape " + ir::shape_str(*type.shape());
    if (dim.is_unknown()) throw Error(what + ": a dim of unknown size, which a compiled model cannot return");
    if (dim.symbols().size() != 1 || dim.coefficient() < 1)
      throw Error(what + ": dim " + dim.str() + " is not a multiple of one dynamic dim, which a compiled model cannot return");
    const auto at = std::find(symbols.begin(), symbols.end(), dim.symbols()[0]);
    if (at == symbols.end()) throw Error(what + ": no input fixes " + dim.symbols()[0]);
    io.spec.sizes.push_back(dim.coefficient());
    io.spec.size_symbols.push_back(static_cast<int32_t>(at - symbols.begin()));
  }
  if (!rt::has_dynamic_dims(io.spec)) io.spec.size_symbols.clear();
  return io;
}

// options.gpu_archs sorted, without repeats, for --device cuda (empty for
// the CPU); a wick::Error saying what is wrong with the device or an
// architecture.
std::vector<int> checked_gpu_archs(const AotOptions& options) {
  if (options.device != "cpu" && options.device != "cuda")
    throw Error("unknown device '" + options.device + "' (expected cpu or cuda)");
  if (options.device == "cpu") return {};
  if (options.gpu_archs.empty()) throw Error("no GPU architecture given for --device cuda");
  std::vector<int> archs = options.gpu_archs;
  for (int sm : archs)
    if (sm < rt::kMinGpuSm || sm > rt::kMaxGpuSm)
      throw Error("bad GPU architecture " + rt::sm_name(sm) + " (expected sm_" + std::to_string(rt::kMinGpuSm) +
                  " to sm_" + std::to_string(rt::kMaxGpuSm) + ")");
  std::sort(archs.begin(), archs.end());
  archs.erase(std::unique(archs.begin(), archs.end()), archs.end());
  // wick generates code for sm_75 and newer (codegen/ptx_backend.h).
  if (archs.front() < 75)
    throw Error("GPU architecture " + rt::sm_name(archs.front()) +
                " is older than wick generates code for (sm_75 and newer)");
  return archs;
}

}  // namespace

AotResult aot_compile(const std::string& model_path, const std::vector<rt::TensorSpec>& inputs,
                      const std::string& out_dir, const AotOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  AotResult result;
  codegen::CompileOptions base;
  base.cache_dir = options.cache_dir;
  // The target and device first: a bad name should not wait for a model to compile.
  const codegen::AotTarget target = codegen::resolve_aot_target(options.target, base);
  const std::vector<int> gpu_archs = checked_gpu_archs(options);
  const bool cuda = !gpu_archs.empty();
  PlanMethodOptions plan_options;
  if (cuda) {
    // One PTX for the oldest architecture asked for, which the driver
    // compiles for any newer GPU; no GPU is needed to build it.
    plan_options.pipeline.device = passes::TargetDevice::cuda;
    plan_options.plan.device = rt::PlanDevice::cuda;
    plan_options.plan.gpu = codegen::gpu_target_for_device(gpu_archs.front() / 10, gpu_archs.front() % 10);
    plan_options.plan.gpu.cache_dir = options.cache_dir;
  }
  try {
    LoadOptions load;
    load.method = options.method;
    std::unique_ptr<ir::Module> module = load_torchscript(model_path, load);
    result.load_ms = ms_since(start);
    const ir::Graph* method = module->method(options.method);
    if (!method) throw Error("module has no method '" + options.method + "'");
    // Trailing Optional inputs left out read as None; the artifact does not take them.
    std::unique_ptr<ir::Graph> bound = bind_left_out_inputs(*method, std::vector<bool>(inputs.size(), true));
    if (bound) method = bound.get();
    const std::vector<ir::TypePtr> types = input_types(inputs, options.symbols);

    PlannedMethod planned = plan_method(*method, *module, types, plan_options);
    result.passes_ms = planned.passes_ms;
    result.plan_ms = planned.plan_ms;

    codegen::ArtifactSource source;
    source.built = &planned.built;
    source.model = std::filesystem::path(model_path).filename().string();
    source.method = options.method;
    if (cuda) {
      source.ptx_sm = plan_options.plan.gpu.sm;
      source.cubin_sms = gpu_archs;
    }
    const std::vector<Tensor> tensors = plan_tensors(planned.built.plan, *module);
    for (size_t i = 0; i < tensors.size(); ++i) {
      const std::string& name = planned.built.plan.tensors[i].second;
      bool seen = false;
      for (const auto& [n, t] : source.tensors) seen = seen || n == name;
      if (!seen) source.tensors.emplace_back(name, tensors[i]);
    }
    // The plan's input specs, which must be what was asked for: a dynamic dim
    // the plan builder cannot keep dynamic is its error, never a silent
    // static one.
    const rt::Plan& plan = planned.built.plan;
    WICK_ASSERT(plan.input_specs.size() == inputs.size(), "the plan has " + std::to_string(plan.input_specs.size()) +
                                                              " input specs for " + std::to_string(inputs.size()) + " inputs");
    for (size_t i = 0; i < method->inputs().size(); ++i) {
      rt::IoInfo io;
      io.name = method->inputs()[i]->has_name() ? method->inputs()[i]->name() : "input" + std::to_string(i);
      io.spec = plan.input_specs[i];
      WICK_ASSERT(rt::same_spec(io.spec, renumbered(inputs[i], options.symbols, plan.symbols)),
                  "the plan built input " + std::to_string(i) + " as " + rt::spec_text(io.spec, plan.symbols) + ", not " +
                      rt::spec_text(inputs[i], options.symbols));
      source.inputs.push_back(std::move(io));
    }
    // The plan's outputs: the graph's, less the Nones it leaves out.
    for (const ir::Value* v : planned.graph->outputs())
      if (v->type()->kind() != ir::TypeKind::None)
        source.outputs.push_back(output_of(v, source.outputs.size(), plan.symbols));

    result.artifact = codegen::write_artifact(source, out_dir, target, options.cc);
  } catch (const Error& e) {
    throw e.with_file(model_path);
  }
  result.total_ms = ms_since(start);
  return result;
}

}  // namespace wick

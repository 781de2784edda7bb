#include "api/plan_method.h"

#include "api/bind_inputs.h"

#include <chrono>

#include "passes/pipeline.h"

namespace wick {

namespace {
double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}
}  // namespace

PlannedMethod plan_method(const ir::Graph& method, const ir::Module& module,
                          const std::vector<ir::TypePtr>& input_types, const PlanMethodOptions& options) {
  auto start = std::chrono::steady_clock::now();
  PlannedMethod p;
  // Fewer input types than inputs: the rest are Optional inputs left out.
  if (options.run_pipeline && input_types.size() < method.inputs().size())
    p.graph = bind_left_out_inputs(method, std::vector<bool>(input_types.size(), true));
  if (!p.graph) p.graph = method.clone();
  p.graph->set_module(const_cast<ir::Module*>(&module));
  if (options.run_pipeline) passes::run_pipeline(*p.graph, &input_types, options.pipeline);
  p.passes_ms = ms_since(start);
  auto plan_start = std::chrono::steady_clock::now();
  p.built = codegen::build_plan(*p.graph, options.plan);
  p.plan_ms = ms_since(plan_start);
  return p;
}

std::vector<Tensor> plan_tensors(const rt::Plan& plan, const ir::Module& module) {
  std::vector<Tensor> tensors;
  for (const auto& [slot, name] : plan.tensors) {
    const ir::NamedTensor* t = module.find_tensor(name);
    if (!t || !t->data.defined()) throw Error("module tensor \"" + name + "\" has no data");
    tensors.push_back(t->data.is_contiguous() ? t->data : t->data.contiguous());
  }
  return tensors;
}

}  // namespace wick

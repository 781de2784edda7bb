// The compile steps that in-process compiles (compile_graph) and
// ahead-of-time builds (aot_compile) share: a copy of a method specialized to
// an input signature by the pass pipeline, the plan and kernels built from
// it, and the module tensors the plan reads.
#pragma once

#include <memory>
#include <vector>

#include "codegen/plan_builder.h"
#include "ir/module.h"
#include "passes/pipeline.h"
#include "support/tensor.h"

namespace wick {

struct PlannedMethod {
  std::unique_ptr<ir::Graph> graph;  // the specialized copy; its outputs have static types
  codegen::BuiltPlan built;
  double passes_ms = 0;
  double plan_ms = 0;
};

struct PlanMethodOptions {
  passes::PipelineOptions pipeline;
  codegen::PlanOptions plan;
  // False: `method` already went through the pass pipeline (a training
  // step, assembled between its stages) and is planned as it is.
  bool run_pipeline = true;
};

// `method` is left unchanged. Given fewer input types than `method` has
// inputs, the rest must be Optional and read as None (api/bind_inputs.h).
PlannedMethod plan_method(const ir::Graph& method, const ir::Module& module,
                          const std::vector<ir::TypePtr>& input_types, const PlanMethodOptions& options = {});

// The module tensors plan.tensors names, contiguous, in plan order. Throws
// wick::Error for a name the module has no data for.
std::vector<Tensor> plan_tensors(const rt::Plan& plan, const ir::Module& module);

}  // namespace wick

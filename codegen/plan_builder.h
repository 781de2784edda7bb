// Plan building: turns a graph whose types are fully static (after the pass
// pipeline specialized it to an input signature) into a runtime Plan and the
// kernels it calls. Pointwise, reduction and data-movement ops become
// generated kernels, views become restriding instructions with layouts
// computed here, GEMM/convolution/pooling become extern calls, and the
// remaining scalar ops and If/Loop nodes become executor instructions.
// Every op that cannot be lowered is reported in one error.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "codegen/gpu_kernel_gen.h"
#include "codegen/kernel_gen.h"
#include "ir/graph.h"
#include "runtime/plan.h"

namespace wick::codegen {

struct BuiltPlan {
  rt::Plan plan;
  std::vector<GeneratedKernel> kernels;  // CPU plans: parallel to plan.kernels
  std::vector<GpuKernel> gpu_kernels;    // CUDA plans: parallel to plan.kernels, PTX compiled
};

struct PlanOptions {
  // Module tensors change between runs (training updates them in place), so
  // libraries must not keep copies of them in their own layouts.
  bool mutable_tensors = false;
  // Called with every kernel group the plan generates code for, and with
  // the layout of every strided copy, before generating it: lets other code
  // generators (and their tests) see exactly the kernels a model needs.
  std::function<void(const KernelGroup&)> on_kernel_group;
  std::function<void(const TensorLayout&)> on_copy;
  // Where the plan runs. A CUDA plan's kernels are PTX for `gpu` (compiled
  // here), its GEMMs and convolutions cuBLASLt and cuDNN calls, which apply
  // an activation epilogue only where those libraries compute it exactly;
  // other activations become kernels of their own.
  rt::PlanDevice device = rt::PlanDevice::cpu;
  GpuTarget gpu;
};

BuiltPlan build_plan(const ir::Graph& graph, const PlanOptions& options = {});

}  // namespace wick::codegen

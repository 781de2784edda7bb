// The pass pipeline that prepares a method for code generation. It reads as
// the list of steps in pipeline.cpp. Setting WICK_PRINT_IR=1 prints the IR and
// the time after every step to stderr; WICK_PRINT_IR=<step> prints only after
// that step.
#pragma once

#include <vector>

#include "ir/graph.h"
#include "passes/fuse.h"

namespace wick::passes {

// The device code is generated for; it decides what fusion groups form.
enum class TargetDevice { cpu, cuda };

struct PipelineOptions {
  // Fold eval-mode batch norms into convolution weights at compile time:
  // right only while module tensors never change after compiling, so not for
  // graphs that read tensors a training step updates.
  bool fold_batch_norm = true;
  // The graph is differentiated after lower_stage (a training step), so
  // every op must stay one whose gradient needs no decomposition.
  bool differentiated = false;
  TargetDevice device = TargetDevice::cpu;
};

// The fusion options finish_stage uses for a device.
FuseOptions fuse_options(TargetDevice device);

// Specializes `graph` to `input_types` (when given) and lowers it to what
// codegen takes: static shapes, no tuples or lists, no composite ops.
void run_pipeline(ir::Graph& graph, const std::vector<ir::TypePtr>* input_types = nullptr,
                  const PipelineOptions& options = {});

// The stages run_pipeline strings together, in order, for callers that
// change the graph between them (a training step appends its loss after
// specialize_stage, its backward and update after lower_stage, then
// simplifies what it added).
void specialize_stage(ir::Graph& graph, const std::vector<ir::TypePtr>* input_types);  // types, folding
void lower_stage(ir::Graph& graph, const PipelineOptions& options = {});  // batch-norm folding, decompose
void simplify_stage(ir::Graph& graph);                                     // types, folding
void finish_stage(ir::Graph& graph, const PipelineOptions& options = {});  // CSE, DCE, fusion

}  // namespace wick::passes

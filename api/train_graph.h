// The graphs a Trainer compiles, assembled between the pass pipeline's
// stages for one input signature: the training step (the forward in
// training mode, the loss, the backward from passes::autodiff, the
// optimizer's update and every prim::StoreParam sunk to the end, returning
// the 0-d loss) and the eval-mode loss. The target is checked against the
// model's output once shapes are known, before anything is lowered.
#pragma once

#include <memory>
#include <vector>

#include "api/trainer.h"
#include "ir/module.h"
#include "passes/pipeline.h"

namespace wick::train {

// `method` belongs to `module`; `types` are its inputs' types and then the
// target's. Optimizer state tensors missing from `module` are added. The
// graph is lowered and fused for `device` (a GPU has no small-MLP kernel,
// and pools the CPU calls a library for become generated code there).
std::unique_ptr<ir::Graph> build_step_graph(const ir::Graph& method, ir::Module& module, const LossConfig& loss,
                                            const OptimizerConfig& optimizer, const std::vector<ir::TypePtr>& types,
                                            passes::TargetDevice device = passes::TargetDevice::cpu);

// The loss of `method`'s output against the target, nothing updated.
std::unique_ptr<ir::Graph> build_loss_graph(const ir::Graph& method, ir::Module& module, const LossConfig& loss,
                                            const std::vector<ir::TypePtr>& types,
                                            passes::TargetDevice device = passes::TargetDevice::cpu);

}  // namespace wick::train

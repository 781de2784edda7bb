// The loss of a training step: its names, the check that a target fits the
// model's output (made before anything compiles or updates, so a mismatch is
// a plain error), and the op that computes it, appended to the model's graph
// as an aten loss op that decomposes and fuses like any other.
#pragma once

#include <cstdint>
#include <vector>

#include "api/trainer.h"
#include "ir/builder.h"

namespace wick::train {

// Throws wick::Error when a target of `target_dtype` and `target_sizes`
// cannot be the target of `loss` for a model output of type `output`:
// mse, l1, smooth_l1, huber and bce_with_logits need a target of the
// output's shape and dtype; cross_entropy class indices (int64, the output's
// shape without the class dim 1) or class probabilities (the output's shape
// and dtype).
void check_target(const LossConfig& loss, const ir::Type& output, DType target_dtype,
                  const std::vector<int64_t>& target_sizes);

// Appends the loss of `output` against `target` with mean reduction; returns
// the 0-d loss.
ir::Value* append_loss(ir::Builder& b, const LossConfig& loss, ir::Value* output, ir::Value* target);

}  // namespace wick::train

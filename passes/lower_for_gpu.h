// lower_for_gpu: rewrites ops that the CUDA plan has no kernel or library
// call for into equivalent ones it has. Today: adaptive_avg_pool2d to an
// output of 1 x 1 (the global pooling of ResNet and MobileNet heads) becomes
// a mean over the last two dims with keepdim, which the GPU generator fuses
// as a row reduction. Other output sizes are left alone (the plan builder
// reports them). Expects inferred types (decompose has run).
#pragma once

#include "ir/graph.h"

namespace wick::passes {

void lower_for_gpu(ir::Graph& graph);

}  // namespace wick::passes

// decompose: rewrites every composite op of the op table (normalizations,
// softmax, dropout, losses, the generic _convolution, baddbmm, the fused
// attention ops) into primitive ops
// (pointwise, reduction, view, movement, extern) with PyTorch's numerics,
// inside nested blocks too. Training mode is supported where a training
// step needs it: batch_norm on batch statistics with prim::StoreParam
// updates of running statistics that are module tensors, and dropout
// drawing from the random stream of the module tensors wick::seed and
// wick::step (passes/training_state.h). Expects inferred types: ranks, the
// dtypes of loss inputs and the channel count of group_norm must be known,
// and flags such as `training` must be constants (batch_norm in training
// mode also needs static sizes). What wick cannot run yet (label smoothing,
// cumulative batch-norm averaging) is a
// wick::Error on the node, as is a composite op without a rule. With
// `for_gpu`, library calls the CUDA plan has no kernel for are rewritten
// too, into ones it has (conv3d as conv2d); on f64 tensors, which oneDNN
// and the CUDA plan's libraries do not take, pooling becomes sums and
// maxima over gathers that generated kernels compute, and for CUDA plans
// products and convolutions too (the CPU runtime multiplies and convolves
// f64 itself, gradients included). Normalizations, softmax,
// statistics and losses on f16/bf16 tensors decompose in f32 between casts,
// as ATen's CPU kernels compute them.
#pragma once

#include "ir/graph.h"

namespace wick::passes {

struct DecomposeOptions {
  bool for_gpu = false;
  // The graph is differentiated afterwards: a composite whose derivative
  // with respect to an input torch does not implement is refused where a
  // trained parameter reaches that input, as torch refuses it.
  bool differentiated = false;
};

void decompose(ir::Graph& graph, const DecomposeOptions& options = {});

}  // namespace wick::passes

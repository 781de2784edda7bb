// fold_batch_norm: in an eval-mode model, a batch norm reading a convolution's
// result becomes part of that convolution: its weight and bias are scaled
// and shifted at compile time (w' = w * g / sqrt(var + eps),
// b' = (b - mean) * g / sqrt(var + eps) + beta), so the normalization costs
// nothing at run time. Expects a graph in a module whose tensors have data,
// before decomposition; the folded tensors are added to the module as
// constants named after the convolution's weight.
#pragma once

#include "ir/graph.h"

namespace wick::passes {

void fold_batch_norm(ir::Graph& graph);

}  // namespace wick::passes

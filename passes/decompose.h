// decompose: rewrites every composite op of the op table (normalizations,
// softmax, dropout, losses, the generic _convolution) into primitive ops
// (pointwise, reduction, view, movement, extern) with PyTorch's eval-mode
// numerics, inside nested blocks too. Expects inferred types: ranks, the
// dtypes of loss inputs and the channel count of group_norm must be known,
// and flags such as `training` must be constants. What wick cannot run yet
// (training-mode dropout and batch_norm, label smoothing, transposed or 3-D
// convolution) is a wick::Error on the node, as is a composite op without a
// rule.
#pragma once

#include "ir/graph.h"

namespace wick::passes {

void decompose(ir::Graph& graph);

}  // namespace wick::passes

// squeeze_unit_batch: a pointwise kernel group over one image ([1, H, W, C]
// and the like) computes the same elements over [H, W, C]. The CPU executor
// splits a kernel across threads along dim 0 of its domain, which for a
// batch of one is a single row; with the unit dim squeezed away that dim is
// H, so the kernel splits. Each prim::FusionGroup[kind="kernel"] whose
// members are all pointwise ops (none that gathers) and whose outputs share
// a rank of at least 2 with a static 1 first and a size above 1 second gets
// its values of that rank typed without the unit dim; inputs of that rank
// pass through aten::squeeze.dim(x, 0) before the group, outputs through
// aten::unsqueeze(y, 0) after it: views, which move no data. Values of
// lower rank broadcast from the right as before. Expects a fused graph
// whose shapes are known.
#pragma once

#include "ir/graph.h"

namespace wick::passes {

// True when a group changed.
bool squeeze_unit_batch(ir::Graph& graph);

}  // namespace wick::passes

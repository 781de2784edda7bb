// eliminate_common_subexpressions: replaces a node by an earlier identical
// one that dominates it (earlier in the same block, or in an enclosing
// block): same op, same inputs, equal attributes (floats compared bit for
// bit, so 0.0 and -0.0 stay apart) and equal result types. This merges equal
// prim::Constant values and prim::Param reads of the same tensor; the earlier
// node and its value names stay. Nodes that own blocks, have no results or
// may be random (dropout) are left alone. Expects any graph that
// verifies.
#pragma once

#include "ir/graph.h"

namespace wick::passes {

void eliminate_common_subexpressions(ir::Graph& graph);

}  // namespace wick::passes

// eliminate_common_subexpressions: replaces a node by an earlier identical
// one that dominates it (earlier in the same block, or in an enclosing
// block): same op, same inputs, equal attributes (floats compared bit for
// bit, so 0.0 and -0.0 stay apart) and equal result types. This merges equal
// prim::Constant values and prim::Param reads of the same tensor; the earlier
// node and its value names stay. Nodes that own blocks, have no results
// (prim::StoreParam: two stores are two writes) or may be random (dropout)
// are left alone; wick::uniform nodes are pure functions of their inputs
// (distinct dropouts draw from distinct streams), so equal ones merge. A
// prim::Param read after a store to its tensor is not merged with a read
// from before the store.
// Expects any graph that verifies.
#pragma once

#include "ir/graph.h"

namespace wick::passes {

void eliminate_common_subexpressions(ir::Graph& graph);

}  // namespace wick::passes

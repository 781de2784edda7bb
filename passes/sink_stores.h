// sink_stores: moves every prim::StoreParam of the top block to its end, in
// order, so that a training step reads every module tensor (parameters,
// batch-norm statistics, optimizer state) before any of them is written:
// the plan may then run the forward, backward and update in any order their
// values allow. A read of a tensor after a store to it is first replaced by
// the stored value, so the graph computes what it did. Where several stores
// write one tensor, the last one wins. A store inside prim::If or
// prim::Loop is a wick::Error on it: an update that may or may not happen
// cannot move out of its block. Expects any graph that verifies.
#pragma once

#include "ir/graph.h"

namespace wick::passes {

void sink_stores(ir::Graph& graph);

}  // namespace wick::passes

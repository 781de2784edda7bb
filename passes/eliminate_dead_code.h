// eliminate_dead_code: removes every node whose results nothing needs and
// that has no side effect, inside nested blocks too. prim::If and prim::Loop
// lose the outputs nothing uses (with the matching block results); a loop
// also loses a carried value that is unused after the loop and, inside the
// body, only feeds its own next value (its input, block argument and result
// go with it). A control node with no outputs left and no side effect inside
// goes entirely. The side effects are prim::RaiseException and
// prim::StoreParam (and any node holding one in its blocks): a store and
// whatever computes its value stay. aten::warn changes no result and is removed
// like any other unused node. Graph inputs and outputs are kept. Expects any
// graph that verifies.
#pragma once

#include "ir/graph.h"

namespace wick::passes {

void eliminate_dead_code(ir::Graph& graph);

}  // namespace wick::passes

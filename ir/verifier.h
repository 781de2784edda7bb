// Checks a graph's invariants: every use is dominated by its definition,
// operand and result types match the op's schema, the op's type rule agrees
// with the declared output types, and control-flow nodes have well-formed
// blocks. Violations are wick::Error naming the node and its location. A
// type rule's contradiction inside a branch of an If is let pass: the
// branch may be dead, and shape inference raises it once the branch may run.
#pragma once

#include "ir/graph.h"
#include "ir/module.h"

namespace wick::ir {

void verify(const Graph& graph);
void verify(const Module& module);

}  // namespace wick::ir

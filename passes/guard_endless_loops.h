// guard_endless_loops: a while loop (a prim::Loop whose trip count is the
// largest int) whose condition cannot change from one trip to the next
// never ends once it has started, unless its body raises. Such a loop gets,
// at the end of its body, a prim::If on that condition that raises "this
// while loop never ends", so that running it fails after one trip instead
// of hanging. A condition cannot change when it is defined before the loop,
// is a carried value the body yields unchanged, or is computed in the body,
// by ops without blocks, from such values only. A loop whose body may
// already raise (a prim::RaiseException or an unsupported op inside) is left
// alone: raising may be how it ends, and the guard is such a raise itself,
// so a second run adds nothing. Returns whether a guard was added. Expects
// any graph that verifies.
#pragma once

#include "ir/graph.h"

namespace wick::passes {

bool guard_endless_loops(ir::Graph& graph);

}  // namespace wick::passes

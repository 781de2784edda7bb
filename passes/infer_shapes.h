// infer_shapes: gives every value the most precise type the op table's rules
// can derive, optionally after specializing the graph's inputs (the input
// signature a compile is for). Expects any graph that verifies. Branch
// results are unified into If outputs; loop-carried types are iterated to a
// fixed point. A contradiction (shapes that do not broadcast, a weight of the
// wrong size) is a wick::Error naming the op and its source line; with
// BranchErrors::defer, one inside a branch of an If is left for later (the
// branch keeps its old types), since folding may yet find that branch dead
// (a masked_fill on the boolean-mask path of a float mask).
#pragma once

#include <vector>

#include "ir/graph.h"

namespace wick::passes {

enum class BranchErrors { raise, defer };

// `input_types`, when given, replaces the types of the graph's inputs; each
// must be accepted by the input's current type.
void infer_shapes(ir::Graph& graph, const std::vector<ir::TypePtr>* input_types = nullptr,
                  BranchErrors branch_errors = BranchErrors::raise);

}  // namespace wick::passes

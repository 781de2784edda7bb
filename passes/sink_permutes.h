// sink_permutes: a pointwise op whose operands are all permuted one way
// computes in their memory order and permutes its result instead:
//   y = f(permute(a, p), permute(b, p))   becomes   y = permute(f(a, b), p)
// when every reader of y undoes p, is a 2-D pooling of an NHWC tensor
// viewed NCHW (p = [0, 3, 1, 2]; the plan pools it channels-last), or is a
// pointwise op that sinks the same way. An int8 network's concatenation
// of channels-last branches, viewed NCHW, is requantized so: its levels
// then feed the next convolutions without a permute (they fold in
// canonicalize), and its values the branch's pooling, channels-last.
// The mirror of hoist_permutes, for chains whose readers, not operands,
// hold the other order; a chain neither pass takes (a reader wanting the
// permuted order) is left as it is. Operands broadcast from 0-d are
// allowed. Works forwards, so a chain moves together. Expects shapes
// inferred; returns whether anything moved.
#pragma once

#include "ir/graph.h"

namespace wick::passes {

bool sink_permutes(ir::Graph& graph);

}  // namespace wick::passes

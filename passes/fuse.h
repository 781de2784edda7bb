// fuse: groups nodes that codegen compiles as one unit into prim::FusionGroup
// nodes:
//   - kind "kernel": chains of pointwise ops over one iteration domain,
//     optionally ending in one reduction over that domain (bias + activation
//     chains, residual adds, gelu, the exp-and-sum of a softmax, the squares
//     and mean of a layer norm). Intermediates stay in registers.
//   - kind "extern": a GEMM or convolution followed by the single activation
//     that consumes its result, applied inside the library call as an
//     epilogue (a oneDNN post-op).
// A node joins a group only when the group's values are not used between
// the group and the node, so moving the members to the group's place keeps
// every use after its definition. Expects static or symbolic types (after
// infer_shapes), composite ops decomposed. Groups of one node stay plain.
#pragma once

#include "ir/graph.h"

namespace wick::passes {

void fuse(ir::Graph& graph);

}  // namespace wick::passes

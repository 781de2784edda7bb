// hoist_permutes: a pointwise op whose every use permutes its result the
// same way computes in that order instead:
//   y = f(a, b); p = aten::permute(y, q)   becomes   p = f(permute(a, q), permute(b, q))
// when one of its operands is a permute that q undoes (or the only use of
// a pointwise op that has one), so that the op reads that operand in
// memory order. The channels-last views around int8
// convolutions are such permutes: a residual add between two of them then
// runs channels-last and fuses with the next layer's levels, rather than
// reading one operand across its memory and writing NCHW for the next
// layer to read across again. The permutes this leaves in pairs fold in
// canonicalize. Works from each block's end back, so a chain of such ops
// moves together. Ops that read no operand of the result's rank (fills,
// random numbers) and operands of another rank above 0 (broadcasting from
// fewer dims) are left alone. Expects shapes inferred; returns whether
// anything moved.
#pragma once

#include "ir/graph.h"

namespace wick::passes {

bool hoist_permutes(ir::Graph& graph);

}  // namespace wick::passes

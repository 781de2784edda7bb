// lower_nested_tensors: gives the nested tensors of nn.TransformerEncoder's
// path for a key padding mask (ir/nested_tensor.h) their padded form. A
// nested tensor made by _nested_tensor_from_mask(t, mask) holds, in row b,
// the first sum(mask[b]) positions of t (ATen's reading, which equals the
// kept positions when the mask is left-aligned; with mask_check, a mask
// that is not raises at run time). wick keeps it as t with every other
// position zeroed, plus the mask of the positions present: an encoder
// layer's fused op on it becomes the same op on the padded tensor with the
// positions absent as its key padding mask (mask_type 1), its result zeroed
// there again; to_padded_tensor becomes a `where` with the padding value.
// Without output_size, ATen's padded result is only as long as the longest
// row: wick computes it when some row has its last position present, and
// raises at run time otherwise. Type and device queries read the padded
// tensor; any other use of a nested tensor is a wick::Error naming it.
// Expects folded control flow (canonicalize) and inferred types.
#pragma once

#include "ir/builder.h"
#include "ir/graph.h"

namespace wick::passes {

void lower_nested_tensors(ir::Graph& graph);

// The positions of a nested tensor made from `mask` ([batch, seq], nonzero
// where present): true at the first sum(mask[b]) of row b.
ir::Value* leading_positions(ir::Builder& b, ir::Value* mask);

// Adds, at b's insertion point, a check that raises unless `mask` is
// left-aligned (each row's present positions come first), as ATen's
// mask_check does.
void require_left_aligned(ir::Builder& b, ir::Value* mask);

}  // namespace wick::passes

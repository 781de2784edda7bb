// Helpers of the passes that make f16/bf16 work compute in f32
// (widen_library_calls, decompose): not a pass of their own.
#pragma once

#include "ir/graph.h"

namespace wick::passes {

// A tensor of dtype f16 or bf16.
bool is_reduced_precision(const ir::Value* v);
// Whether any tensor `n` reads or writes is f16 or bf16.
bool touches_reduced_precision(const ir::Node& n);
// Replaces `n` by a copy of it that reads f32 where `n` read f16/bf16
// tensors (cast up in front of it) and whose f16/bf16 results are rounded
// back to their dtype; returns the copy. Its output types come from the op's
// type rule, so they are f32 where they followed the inputs' dtype.
ir::Node* compute_in_f32(ir::Graph& graph, ir::Node* n);

}  // namespace wick::passes

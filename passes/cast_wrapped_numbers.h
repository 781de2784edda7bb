// cast_wrapped_numbers: makes the type promotion of the numbers a trace
// recorded explicit. torch.jit.trace saves a Python number used in a tensor
// op (`loss * 0.1`, `ids + 1`) as a 0-d tensor among the archive's constants
// (CONSTANTS.cN: f64 for a float, i64 for an int, bool), and LibTorch runs
// such a constant as a wrapped number, which promotes as a scalar does: a
// 0-d f32 times it stays f32, an i64 tensor times a float becomes f32 (the
// default dtype), where a plain 0-d f64 tensor would make both f64. Where a
// pointwise op uses such a constant beside other tensors, this pass casts
// the constant to the dtype the op computes in under scalar promotion, so
// that the type rules, which see tensors, agree with LibTorch. Expects types
// inferred (infer_shapes); returns whether it cast anything.
#pragma once

#include "ir/graph.h"

namespace wick::passes {

bool cast_wrapped_numbers(ir::Graph& graph);

}  // namespace wick::passes

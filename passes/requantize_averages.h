// requantize_averages: an average of a quantized tensor (avg_pool2d,
// adaptive_avg_pool2d, mean over dims) is itself quantized in LibTorch,
// with its input's scale and zero point: the mean of the levels, rounded.
// wick holds quantized tensors as the f32 values they stand for
// (ir/ops_quantized.cpp), so an average of them lies between levels; this
// pass rounds it back by an aten::quantize_per_tensor after it with the
// scale, zero point and dtype of the op that quantized its input
// (passes/quantized_levels.h); an average of values that no such op
// quantized is left alone.
// Expects the graph before decomposition, with quantized ops as
// aten::quantize_per_tensor, quantized::* and wick::quantized_* nodes.
#pragma once

#include "ir/graph.h"

namespace wick::passes {

// Returns whether it inserted any rounding.
bool requantize_averages(ir::Graph& graph);

}  // namespace wick::passes

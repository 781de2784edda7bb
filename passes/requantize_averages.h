// requantize_averages: an average of a quantized tensor (avg_pool2d,
// adaptive_avg_pool2d, mean over dims) is itself quantized in LibTorch,
// with its input's scale and zero point. wick holds quantized tensors as
// the f32 values they stand for (ir/ops_quantized.cpp), so an average of
// them lies between levels; this pass rounds it back with the scale, zero
// point and dtype of the op that quantized its input
// (passes/quantized_levels.h), as the ATen kernel rounds that the input's
// memory order in LibTorch picks (torch_layout): a pool of a dense
// channels-last tensor averages the levels less the zero point, rounds,
// then adds it; other pools, and a mean over the innermost dims of a
// contiguous tensor, add the zero point before rounding; any other mean
// dequantizes as ATen does, sums in ATen's order where it can
// (wick::sum_in_order), divides and quantizes. An average of values that
// no such op quantized is left alone.
// Expects the graph before decomposition, with quantized ops as
// aten::quantize_per_tensor, quantized::* and wick::quantized_* nodes.
#pragma once

#include "ir/graph.h"

namespace wick::passes {

// Returns whether it inserted any rounding.
bool requantize_averages(ir::Graph& graph);

}  // namespace wick::passes

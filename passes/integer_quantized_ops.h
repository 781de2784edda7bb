// integer_quantized_ops: statically quantized ops whose inputs' scales are
// known when compiling become wick::quantized_* ops on integer levels,
// computed as LibTorch's onednn kernels compute them, so that every output
// lands on LibTorch's level. Held as floats, a quantized convolution would
// sum products of floats and put a result near a half between two levels
// on the other side now and then; in a deep model each such level moves
// the next layers' sums, and most outputs end up a level or two away.
//
// A convolution or linear (quantized::conv2d, linear and their _relu
// forms) becomes, with x's levels n = round(x / x_scale) and the weight's
// levels w = W - W_zero_point (f32 integers, exact in f32 sums below 2^24;
// an op whose zero points are all 0 reads W itself, int8):
//   acc = conv(n, w) + bias * s           (s = f32(1/x_scale) * f32(1/w_scale))
//   y   = clamp(acc * multiplier, lo, 255 - zero_point) + zero_point, rounded
//         (multiplier = f32(1/output_scale) / s; lo = -zero_point, or 0 with relu)
// per output channel, the constants computed here into the module (named
// after the weight). quantized::add and mul carry their inputs' scales and
// zero points into wick::quantized_add and quantized_mul, and
// quantized::layer_norm into wick::quantized_layer_norm, a quantized
// batch norm into wick::quantized_batch_norm with ATen's per-channel
// alpha and beta computed here, a product with a number into
// wick::quantized_rescale (the levels kept or reversed, rescaled), a sum
// with a number into one that moves the zero point; hardtanh, relu6
// and clamp of a quantized tensor clamp its levels between their bounds'
// levels (wick::quantized_clamp), as LibTorch's do
// (passes/decompose_quantized.cpp writes the arithmetic).
// An op whose input's levels are not found (passes/quantized_levels.h), or
// whose scales or weights are not known, is left as it was: computed in
// float and rounded, which differs from LibTorch now and then.
// Expects the graph before decomposition in a module whose tensors have
// data; run it before requantize_averages.
#pragma once

#include "ir/graph.h"

namespace wick::passes {

// Returns whether it rewrote any op.
bool integer_quantized_ops(ir::Graph& graph);

}  // namespace wick::passes

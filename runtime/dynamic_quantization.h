// Quantizing a float tensor to uint8 with parameters chosen from its own
// range, as LibTorch's x86 engines do for a dynamically quantized layer's
// input (quant_utils::ChooseQuantizationParams, then quantize_per_tensor):
// over [min(x, 0), max(x, 0)] and the levels 0..qmax (255, or 127 with
// reduce_range),
//   scale = (max - min) / qmax in double; 0.1 when its float has no finite
//           reciprocal; raised to 6.1e-5 (the range scaled to match) below it
//   zero  = round(-min / scale) or round(qmax - max / scale), whichever
//           adds the smaller terms, clamped to the levels
//   q     = clamp(round(x * (1 / scale) + zero), 0, 255), ties to even,
//           in f32: the uint8 range even with reduce_range, whose largest
//           value may land halfway to level 128 and round up to it (a
//           range of exactly [-1, 1], a saturated hidden state, does).
// passes/decompose_quantized.cpp writes the same steps as ops for the
// GPU; tests check the two against each other and against LibTorch.
// Internal to the runtime.
#pragma once

#include <cstdint>

namespace wick::rt {

struct QuantizationParams {
  float scale = 1.f;
  float zero_point = 0.f;  // an integer in [0, qmax]
};

QuantizationParams choose_quantization_params(float min, float max, int qmax);

// The parameters for x[0, n) and its levels written to q[0, n).
QuantizationParams quantize_dynamically(const float* x, int64_t n, int qmax, uint8_t* q);

}  // namespace wick::rt

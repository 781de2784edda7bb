// Which scale and zero point a quantized tensor's values are on: the
// parameters of the op that quantized it, found through the ops that keep
// values on their levels (relu, max pooling, views and reshapes,
// contiguous, clone, eval dropout, averages, which requantize_averages
// rounds back to their input's levels, and a cat of tensors all on the same
// levels). Shared by the passes that need an
// input's levels: requantize_averages and integer_quantized_ops.
#pragma once

#include <optional>

#include "ir/graph.h"

namespace wick::passes {

struct QuantizedLevels {
  ir::Value* scale = nullptr;
  ir::Value* zero = nullptr;
  ir::Value* dtype = nullptr;  // null: quint8
};

// The levels `v` holds, if an op upstream quantized it.
std::optional<QuantizedLevels> levels_of(ir::Value* v);

// How LibTorch holds a quantized tensor in memory. Its averages pick their
// kernel, and so their rounding, by it. Found from the strides LibTorch's
// ops give: quantized convolutions write channels-last tensors, most ops
// allocate their result in the order their input's strides suggest, pools
// write channels-last only from a dense channels-last input, slices,
// transposes and views keep their base's strides, and a reshape that
// cannot be a view copies into the default order. Where sizes are not all
// static, or an op is not one of these, the default order.
struct TorchLayout {
  bool contiguous = true;       // dense in the default order: is_contiguous()
  bool channels_last = false;   // dense in NHWC order: is_contiguous(ChannelsLast)
  bool suggests_nhwc = false;   // suggest_memory_format() is ChannelsLast
};
TorchLayout torch_layout(ir::Value* v);

// avg_pool2d, adaptive_avg_pool2d, mean over dims.
bool is_average(const ir::Node* n);

// A Float or Int known when compiling: a constant, or the number a module
// tensor of one element holds (`float(self.scale)`, as QuantStub reads it).
std::optional<double> known_number(const ir::Value* v);

}  // namespace wick::passes

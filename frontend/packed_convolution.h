// torch's quantized convolutions hold their weight packed, in an object of
// the C++ class Conv2dPackedParamsBase, and quantized::conv2d takes that
// object. wick holds such an object with the state the op takes in its
// place (ir/ops_quantized.cpp): (weight, bias, stride, padding, dilation,
// groups), the weight a quantized tensor of rank 4, stride, padding and
// dilation lists of two ints. A 1-d convolution's packed weight is a 2-d
// one over a height of 1, as conv1d_prepack makes it: the weight's dim 2
// and the lists' first element added (stride 1, padding 0, dilation 1).
//
// Such objects come from two places: an eager module's __setstate__ (its
// set_weight_bias call, frontend/module_setstate.h), and FX graph mode's
// `_packed_weight_N` attributes, saved through the class's own
// __getstate__ in one of the formats of ATen's conv_serialization.h:
//   1: (weight, bias, stride, padding, dilation, groups), ints as tensors
//   2: ("2", [config, weight], [bias]), config an int16 tensor
//   3: (3, config, [None, weight, bias]), config a list of ints
// config: the spatial rank, stride, padding, dilation and output padding
// (one per spatial dim each), groups, and the transpose flag (bit 0 in 3).
#pragma once

#include <string>
#include <vector>

#include "frontend/pickle_value.h"
#include "support/error.h"

namespace wick {

struct ConvolutionSettings {
  std::vector<int64_t> stride, padding, dilation;  // one per spatial dim
  int64_t groups = 1;
};

// wick's state for a packed 1-d or 2-d convolution weight. Errors read
// "cannot read the saved state of <cls>: ..." at `loc`.
PickleValue packed_convolution_state(const PickleValue& weight, const PickleValue& bias,
                                     const ConvolutionSettings& settings, const std::string& cls,
                                     const SourceLocation& loc);

// If `object` is a Conv2dPackedParamsBase holding the state torch saved,
// gives it wick's state instead.
void read_saved_packed_convolution(PickleValue& object, const SourceLocation& loc);

}  // namespace wick

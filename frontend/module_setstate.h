// Modules that torch saves through their own __getstate__ (the quantized
// convolutions of torch.ao.nn.quantized and torch.nn.intrinsic.quantized)
// are pickled with a tuple for a state, which their __setstate__ reads
// back. wick reads that method's plain assignments `self.NAME =
// (state)[i]` to give such an object the attributes its code uses, and
// its `set_weight_bias((state)[i], (state)[j])` as the packed weight that
// call would make: an object of torch's Conv2dPackedParamsBase class whose
// state is the quantized weight (passed to an op as its integers, scale and
// zero point), the bias, stride, padding, dilation and groups (padding 0
// where padding_mode is not "zeros", as the call does): the arguments
// quantized::conv2d takes in its place (ir/ops_quantized.cpp).
// Any other statement in such a __setstate__ is an error naming it. The
// packed convolution weights that FX graph mode saves as attributes get
// that state too (frontend/packed_convolution.h); errors in them name `file`.
#pragma once

#include <string>

#include "frontend/code_index.h"
#include "frontend/pickle_value.h"
#include "support/error.h"

namespace wick {

// Rewrites, in the object tree under `root`, every tuple state that a
// class's __setstate__ reads into the attribute dict described above.
void read_setstate_tuples(PickleValue& root, const CodeIndex& code, const SourceLocation& file);

}  // namespace wick

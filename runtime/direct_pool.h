// Pooling computed directly on the thread pool, for what oneDNN lacks:
// adaptive windows, a divisor override, and PyTorch's divisor for windows
// that overhang the padded input in ceil mode. Internal to the runtime.
#pragma once

#include "runtime/kernel_shapes.h"
#include "support/tensor.h"

namespace wick::rt {

// Average pooling with PyTorch's divisor rules; x and out are 4-D (NCHW, any
// strides) and out already has the right shape.
void avg_pool2d_direct(const Tensor& x, const AvgPool2dParams& p, const Tensor& out);

}  // namespace wick::rt

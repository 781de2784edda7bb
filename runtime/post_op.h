// The activations a library call (GEMM, convolution) applies to its result
// before writing it: shared by the extern kernels and the plan that names them.
#pragma once

#include <cstdint>

namespace wick::rt {

// An activation applied to the result inside the same kernel (a oneDNN
// post-op), so that a following pointwise op costs no extra pass over memory.
enum class PostOp : uint8_t {
  none,
  relu,       // alpha: negative slope (0 for relu, else leaky_relu)
  clip,       // clamp to [alpha, beta]: hardtanh, relu6
  gelu_erf,   // gelu(approximate='none')
  gelu_tanh,  // gelu(approximate='tanh')
  sigmoid,
  tanh,
  silu,
  hardswish,
};

}  // namespace wick::rt

// lower_complex: rewrites every complex tensor of a graph as two real ones, its
// real and imaginary parts, and every op on complex tensors as real ops on the
// parts: arithmetic, views and reductions part by part, log, sqrt and powers
// through magnitude and angle, products as four real products, torch.fft's
// transforms, stft and istft as calls of the runtime's FFT kernels
// (wick::fft_c2c, fft_r2c, fft_c2r on the parts as real pairs; wick::stft_r2c
// reading stft's windowed frames in place; istft's frames added into place by
// col2im), or, where no such kernel runs (`fft_kernels` false: CUDA plans), as
// discrete Fourier transforms: real matrix products with cos and sin of 2 pi jk
// / n along each dim, stft's frames times the windowed basis, istft a
// transposed 1-D convolution with it (the overlap-add); istft then divides by
// the window's envelope. After it no value is complex, so nothing later knows
// complex numbers exist. A graph whose inputs or outputs are complex, a complex
// value carried by control flow, and an op with no rule for complex operands
// are wick::Errors naming the op. Expects inferred types.
#pragma once

#include "ir/graph.h"

namespace wick::passes {

struct LowerComplexOptions {
  bool fft_kernels = true;
};

void lower_complex(ir::Graph& graph, const LowerComplexOptions& options = {});

}  // namespace wick::passes

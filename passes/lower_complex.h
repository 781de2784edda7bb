// lower_complex: rewrites every complex tensor of a graph as two real ones,
// its real and imaginary parts, and every op on complex tensors as real ops
// on the parts: arithmetic, views and reductions part by part, products as
// four real products, torch.fft's transforms as discrete Fourier transforms
// (a real matrix product with cos and sin of 2 pi jk / n along each dim),
// stft as a 1-D convolution with the windowed basis and istft as a
// transposed one (the overlap-add) divided by the window's envelope. After
// it no value is complex, so nothing later knows complex numbers exist.
// A graph whose inputs or outputs are complex, a complex value carried by
// control flow, and an op with no rule for complex operands are wick::Errors
// naming the op. Expects inferred types.
#pragma once

#include "ir/graph.h"

namespace wick::passes {

void lower_complex(ir::Graph& graph);

}  // namespace wick::passes

// Internal to the lower_complex pass: a complex value as its two real parts,
// and the rewrites of torch.fft's transforms and the short-time Fourier
// transforms (lower_complex_fourier.cpp), which emit in front of the node
// they replace through a decompose Emitter.
#pragma once

#include "passes/decompose_rules.h"

namespace wick::passes::complex_detail {

using decompose_detail::Emitter;

// A complex value's real and imaginary parts, each of the value's shape; a
// real tensor taken as complex has no imaginary part (im is null: zero).
struct Parts {
  ir::Value* re = nullptr;
  ir::Value* im = nullptr;
};

// aten::fft_* transforms of `x` as the node describes them: by the
// runtime's FFT kernels (`kernels`), or as products with a matrix of cos
// and sin, which any device runs.
Parts fourier_transform(Emitter& e, const Parts& x, bool kernels);
// aten::stft of a real signal: complex parts, or null parts and the real
// [..., 2] result in `real_result` when return_complex is false.
Parts short_time_transform(Emitter& e, ir::Value** real_result, bool kernels);
// aten::istft of a complex spectrogram: the real signal.
ir::Value* inverse_short_time_transform(Emitter& e, const Parts& spectrum, bool kernels);
// fft_fftfreq, fft_rfftfreq: the sample frequencies.
ir::Value* sample_frequencies(Emitter& e);
// fft_fftshift, fft_ifftshift of one real part.
ir::Value* spectrum_shift(Emitter& e, ir::Value* part);

}  // namespace wick::passes::complex_detail

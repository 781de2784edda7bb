// Fast Fourier transforms along one dim of a CPU tensor, the kernel behind
// torch.fft's transforms and stft (passes/lower_complex.cpp). Unnormalized:
// the caller scales. Complex values are real pairs, a trailing dim of 2
// (torch.view_as_real's layout), f32 or f64.
//
// A transform of n points runs as mixed-radix Stockham passes (radices 4,
// 2, 3, 5, then any other prime as a direct sum), or, when n has a prime
// factor above 64, as Bluestein's chirp convolution through a power-of-two
// transform. Many transforms run side by side in the lanes of a vector (16
// f32 or 8 f64 at once), compiled for several vector widths and picked at
// load time; a real signal shares a lane with another one (the two as the
// real and imaginary parts of one complex signal, separated afterwards).
// Groups of transforms are split across the thread pool. The twiddle tables
// are computed once per length and direction, in f64.
#pragma once

#include <cstdint>

#include "support/tensor.h"

namespace wick::rt {

enum class FftKind : int64_t {
  forward = 0,       // pairs [.., n, .., 2] -> pairs, sum_j x_j e^(-2 pi i jk / n)
  inverse = 1,       // pairs -> pairs, with e^(+2 pi i jk / n)
  real_forward = 2,  // real [.., n, ..] -> the half spectrum, pairs [.., n / 2 + 1, .., 2]
  real_inverse = 3,  // a half spectrum, pairs [.., n / 2 + 1, .., 2] -> the real signal [.., n, ..]
};

// The transform of `x` along `dim` (a dim of x other than the pairs' one)
// into `out`, contiguous and shaped as the result; x may have any strides.
// `n` is the signal length: x's size along dim except for real_inverse,
// whose input holds n / 2 + 1 bins (the imaginary parts of bin 0, and of
// bin n / 2 for an even n, are ignored, as torch ignores them). Shapes that
// disagree are a wick::Error naming `op`.
// With `weights` (n values of x's dtype), each signal is multiplied by them
// point by point as it is read (not for real_inverse).
void fourier_transform(const Tensor& x, int64_t dim, FftKind kind, int64_t n, Tensor& out, const char* op,
                       const Tensor* weights = nullptr);

// The half spectra of the windowed frames of `signal` [B, L]: frame t is
// samples t * hop .. t * hop + n_fft - 1 times `window` [n_fft], read in
// place (the frames overlap; none is copied out). out [B, n_fft / 2 + 1,
// frames, 2], frames = 1 + (L - n_fft) / hop.
void short_time_transform(const Tensor& signal, const Tensor& window, int64_t n_fft, int64_t hop, Tensor& out,
                          const char* op);

}  // namespace wick::rt

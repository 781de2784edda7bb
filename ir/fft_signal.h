// The transforms of torch.fft's functions: which dims they transform, the
// signal length along each, the direction and the normalization. Shared by
// their type rules (ir/shape_rules_complex.cpp) and by the pass that
// computes them (passes/lower_complex.cpp), so both read one definition.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace wick::ir {

enum class FftDomain {
  c2c,  // complex in, complex out (fft, ifft, fft2, fftn, ...)
  r2c,  // real in, the half spectrum out (rfft, ihfft, ...)
  c2r,  // a half spectrum in, real out (irfft, hfft, ...)
};

struct FftSignal {
  FftDomain domain = FftDomain::c2c;
  bool inverse = false;  // the exponent's sign is + (ifft, irfft, ihfft)
  std::string norm = "backward";
  // The dims transformed, wrapped into [0, rank), and the signal length n
  // along each: the input is trimmed or zero-padded to n (to n / 2 + 1
  // along the last dim of a c2r transform, whose output is n long).
  std::vector<int64_t> dims;
  std::vector<int64_t> lengths;
  // The scale torch's `norm` gives this direction: 1, 1 / sqrt(N) or 1 / N,
  // N the product of the lengths.
  double scale() const;
};

// Whether `kind` is one of aten's fft_* transforms (not fftshift, fftfreq).
bool is_fft_transform(const std::string& kind);

// The signal of an aten::fft_* transform node. Lengths not given by the
// call are the input's sizes, which must then be known: otherwise nullopt
// (also while the input's rank, or an argument, is not yet known). Bad
// arguments are user errors.
std::optional<FftSignal> fft_signal(const Node& node);

// The frames of aten::stft and aten::istft (inputs 1 to 4: n_fft,
// hop_length, win_length, window), with torch's defaults filled in and
// checked: a window of win_length samples sits centred in n_fft.
struct StftFrames {
  int64_t n_fft = 0;
  int64_t hop = 0;
  int64_t win_length = 0;
};
StftFrames stft_frames(const Node& node);

}  // namespace wick::ir

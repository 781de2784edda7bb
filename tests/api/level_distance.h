// How far quantized outputs are from LibTorch's: the elements of `got` not
// on the level of `want` (levels `scale` apart), and the largest distance
// in levels. Both f32, of one shape.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "support/tensor.h"

namespace wick::test {

struct LevelDistance {
  int64_t off = 0;
  double worst = 0;
};

inline LevelDistance level_distance(const Tensor& got, const Tensor& want, double scale) {
  const Tensor a = got.contiguous(), b = want.contiguous();
  LevelDistance d;
  for (int64_t i = 0; i < b.numel(); ++i) {
    const double levels = std::abs(a.data_as<float>()[i] - b.data_as<float>()[i]) / scale;
    d.worst = std::max(d.worst, levels);
    d.off += levels > 1e-3;
  }
  return d;
}

}  // namespace wick::test

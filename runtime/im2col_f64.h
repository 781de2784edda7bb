// im2col and col2im in f64 for the convolutions of products_f64.h: a
// group's input windows laid out as columns (a row per input channel and
// tap, a column per output position) and their sum back into the input's
// positions, over a range of output rows (one row: the positions of one
// (od, oh)) so that the columns of a large image go in bounded chunks.
// Internal to the runtime.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "support/tensor.h"

namespace wick::rt {

// A convolution's geometry with missing leading spatial dims as size 1.
struct ConvGeometry {
  int64_t channels = 0;  // per group
  std::array<int64_t, 3> in{1, 1, 1}, kernel{1, 1, 1}, out{1, 1, 1};
  std::array<int64_t, 3> stride{1, 1, 1}, padding{0, 0, 0}, dilation{1, 1, 1};
  std::array<int64_t, 3> x_stride{0, 0, 0};  // the input's spatial strides
  int64_t x_channel_stride = 0;

  int64_t taps() const { return kernel[0] * kernel[1] * kernel[2]; }
  int64_t depth() const { return channels * taps(); }  // rows of the columns
  int64_t rows() const { return out[0] * out[1]; }      // output rows
};

// The geometry of x [N, C, in...] (any strides), w [O, C / groups, k...]
// and an output of spatial sizes `out` over `spatial` (1 to 3) dims.
ConvGeometry conv_geometry(int spatial, const Tensor& x, const std::vector<int64_t>& w_sizes,
                           const std::vector<int64_t>& out, const int64_t* stride, const int64_t* padding,
                           const int64_t* dilation);

// How many output rows one chunk of columns holds (at least one).
int64_t rows_per_chunk(const ConvGeometry& g);

// A grow-only buffer per thread for the columns.
double* columns_buffer(size_t doubles);

// cols[depth, (row1 - row0) * out[2]] from the group's channels starting at
// `x` (the image's first channel of the group); padding reads as zeros.
void im2col(const ConvGeometry& g, const double* x, int64_t row0, int64_t row1, double* cols);

// The reverse: each column entry added to the input position it was read
// from (entries of the padding dropped).
void col2im(const ConvGeometry& g, const double* cols, int64_t row0, int64_t row1, double* x);

}  // namespace wick::rt

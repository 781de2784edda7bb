// Decomposition rules for sampling an input at grid positions:
//   grid_sampler(x, grid, mode, padding_mode, align_corners)
//       each output element a weighted sum of the input elements (taps)
//       around its grid position: the 2^k corners of its cell (bilinear,
//       trilinear), the nearest element (nearest, rounding half to even), or
//       4 x 4 taps weighted by Keys' cubic kernel (bicubic, 4-D only). The
//       grid's x, y[, z] in [-1, 1] are unnormalized to element
//       coordinates, then padded as ATen's CPU kernel pads them (border:
//       clamped into the input; reflection: reflected about its edges, then
//       clamped); a tap outside the input reads 0. Each tap is one gather
//       (wick::gather_flat of x's elements at (n C + c) prod(in) + the
//       tap's position), which fuses with the weighting of the taps into
//       one kernel. Gradients: gather_flat's (an accumulating index_put)
//       for x, the weights' for the grid (floor and round pass
//       none; a clamped coordinate passes none at or beyond the edge, as
//       in ATen).
//   affine_grid_generator(theta, size, align_corners)
//       base coordinates per spatial dim, linspace(-1, 1, n) (scaled by
//       (n - 1) / n without align_corners; 0 where n is 1), mapped by theta:
//       grid[..., j] = sum_k base_k theta[:, j, k] + theta[:, j, last].
//   im2col(x, kernel_size, dilation, padding, stride)       (F.unfold)
//       x padded, viewed [N, C, Hp Wp], gathered at every sliding block's
//       element positions (one gather), viewed [N, C kh kw, blocks].
//   col2im(x, output_size, kernel_size, dilation, padding, stride)  (F.fold)
//       the same positions, x's elements added into zeros there (one
//       accumulating scatter), the padding cut off.
// Spatial sizes must be known when compiling; the batch and channel dims
// may be dynamic (col2im's channels static).
#include <array>

#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Dim;
using ir::Value;

enum class Mode : int64_t { bilinear = 0, nearest = 1, bicubic = 2 };
enum class Padding : int64_t { zeros = 0, border = 1, reflection = 2 };

Value* add_scalar(Emitter& e, Value* v, double c) { return e.op("aten::add.Scalar", {v, e.float_(c), e.int_(1)}); }
Value* mul_scalar(Emitter& e, Value* v, double c) { return e.op("aten::mul.Scalar", {v, e.float_(c)}); }
Value* rsub_scalar(Emitter& e, Value* v, double c) { return e.op("aten::rsub.Scalar", {v, e.float_(c), e.int_(1)}); }

std::vector<int64_t> static_dims(Emitter& e, const std::vector<Dim>& dims, size_t from, size_t to, const char* what) {
  std::vector<int64_t> out;
  for (size_t i = from; i < to; ++i) {
    if (!dims[i].is_static())
      throw e.node().error(std::string("needs ") + what + " of known size, got a dim " + dims[i].str());
    out.push_back(dims[i].value());
  }
  return out;
}

int64_t product(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t x : v) p *= x;
  return p;
}

// A coordinate in [-1, 1] as an element position along an axis of `size`,
// in the order of operations of ATen's CPU kernels: the vectorized 2-D one
// computes (g + 1) (size - 1) / 2 with align_corners, else
// (g + 1) size / 2 - 0.5; the 3-D one ((g + 1) / 2) (size - 1), else
// ((g + 1) size - 1) / 2.
Value* unnormalize(Emitter& e, Value* g, int64_t size, bool align_corners, bool volume) {
  Value* shifted = add_scalar(e, g, 1.0);
  const double n = static_cast<double>(size);
  if (volume) {
    if (align_corners) return mul_scalar(e, mul_scalar(e, shifted, 0.5), n - 1);
    return mul_scalar(e, add_scalar(e, mul_scalar(e, shifted, n), -1.0), 0.5);
  }
  if (align_corners) return mul_scalar(e, shifted, (n - 1) / 2);
  return add_scalar(e, mul_scalar(e, shifted, n / 2), -0.5);
}

// c clamped into [0, size - 1], passing no gradient at or beyond the edges;
// NaN (and so an infinite coordinate reflected) goes to 0, as in ATen.
Value* clip(Emitter& e, Value* c, int64_t size) {
  Value* below_high = e.op("aten::where.ScalarOther", {e.op("aten::lt.Scalar", {c, e.int_(size - 1)}), c,
                                                       e.float_(static_cast<double>(size - 1))});
  return e.op("aten::where.ScalarOther", {e.op("aten::gt.Scalar", {c, e.int_(0)}), below_high, e.float_(0.0)});
}

// c reflected about twice_low / 2 and twice_high / 2 until it lies between.
Value* reflect(Emitter& e, Value* c, int64_t twice_low, int64_t twice_high) {
  if (twice_low == twice_high) return mul_scalar(e, c, 0.0);
  const double low = static_cast<double>(twice_low) / 2, span = static_cast<double>(twice_high - twice_low) / 2;
  Value* distance = e.op("aten::abs", {add_scalar(e, c, -low)});
  Value* flips = e.op("aten::floor", {e.op("aten::div.Scalar", {distance, e.float_(span)})});
  Value* extra = e.op("aten::fmod.Scalar", {distance, e.float_(span)});
  Value* even = e.op("aten::eq.Scalar", {e.op("aten::fmod.Scalar", {flips, e.float_(2.0)}), e.int_(0)});
  return add_scalar(e, e.op("aten::where.self", {even, extra, rsub_scalar(e, extra, span)}), low);
}

// An element position padded by the padding mode (ATen's compute_coordinates).
Value* pad_position(Emitter& e, Value* c, int64_t size, Padding padding, bool align_corners) {
  switch (padding) {
    case Padding::zeros: return c;
    case Padding::border: return clip(e, c, size);
    case Padding::reflection:
      return clip(e, align_corners ? reflect(e, c, 0, 2 * (size - 1)) : reflect(e, c, -1, 2 * size - 1), size);
  }
  return c;
}

// The input viewed for gathers, and the positions every gather shares.
struct Source {
  Value* whole;                 // x viewed [N C prod(in)]
  Value* base;                  // where each sample's channel starts: (n C + c) prod(in), [N, C, 1]
  std::vector<int64_t> in;      // spatial sizes, x's order (D, H, W)
  int64_t points;               // output positions per sample
  Value* grid;                  // for its dynamic batch size
};

Value* arange_view(Emitter& e, Value* of, int64_t dim, const std::vector<int64_t>& view) {
  const Dim& d = e.shape(of, "input")[static_cast<size_t>(dim)];
  Value* n = d.is_static() ? e.int_(d.value()) : e.op("aten::size.int", {of, e.int_(dim)});
  Value* range = e.op("aten::arange", {n, e.int_(4), e.none(), e.none(), e.none()});  // int64
  return e.op("aten::reshape", {range, e.ints(view)});
}

// [N, *out] viewed [N, 1, points].
Value* per_point(Emitter& e, const Source& s, Value* v) {
  return e.op("aten::reshape", {v, e.sizes(s.grid, {Size::dim_of(0), Size::fixed(1), Size::fixed(s.points)})});
}

// The input at integral positions (one [N, 1, points] float tensor per grid
// axis: x, y[, z]), 0 where any lies outside: [N, C, points].
Value* tap(Emitter& e, const Source& s, const std::vector<Value*>& position) {
  const size_t axes = s.in.size();
  Value* index = nullptr;
  Value* inside = nullptr;
  int64_t stride = 1;
  for (size_t a = 0; a < axes; ++a) {
    const int64_t size = s.in[axes - 1 - a];
    Value* p = position[a];
    Value* within = e.op("aten::logical_and", {e.op("aten::ge.Scalar", {p, e.int_(0)}),
                                               e.op("aten::le.Scalar", {p, e.int_(size - 1)})});
    inside = inside ? e.op("aten::logical_and", {inside, within}) : within;
    // Clamped before and after the cast, so no value (NaN included) reads
    // outside the input.
    Value* at = e.cast(e.op("aten::clamp", {p, e.int_(0), e.int_(size - 1)}), DType::i64);
    at = e.op("aten::clamp", {at, e.int_(0), e.int_(size - 1)});
    if (stride != 1) at = e.op("aten::mul.Scalar", {at, e.int_(stride)});
    index = index ? e.add(index, at) : at;
    stride *= size;
  }
  Value* values = e.op("wick::gather_flat", {s.whole, e.add(s.base, index)});
  return e.op("aten::where.ScalarOther", {inside, values, e.float_(0.0)});
}

// The 2^axes corners of each position's cell, weighted by the opposite
// sub-volume, x varying fastest (ATen's order: nw, ne, sw, se).
Value* linear(Emitter& e, const Source& s, const std::vector<Value*>& coord) {
  const size_t axes = coord.size();
  std::vector<Value*> low(axes), far(axes), near(axes);
  for (size_t a = 0; a < axes; ++a) {
    low[a] = e.op("aten::floor", {coord[a]});
    far[a] = e.sub(coord[a], low[a]);          // the weight of the upper neighbour
    near[a] = rsub_scalar(e, far[a], 1.0);     // of the lower one
  }
  Value* sum = nullptr;
  for (size_t corner = 0; corner < (size_t{1} << axes); ++corner) {
    std::vector<Value*> position(axes);
    Value* weight = nullptr;
    for (size_t k = 0; k < axes; ++k) {
      const size_t a = axes - 1 - k;  // the last axis varies slowest
      const bool upper = (corner >> a) & 1;
      position[a] = upper ? add_scalar(e, low[a], 1.0) : low[a];
      Value* w = upper ? far[a] : near[a];
      weight = weight ? e.mul(weight, w) : w;
    }
    Value* term = e.mul(tap(e, s, position), weight);
    sum = sum ? e.add(sum, term) : term;
  }
  return sum;
}

// Keys' cubic convolution over the 4 x 4 taps around each position, rows
// (x) first, then the column of row results (y), as ATen sums them. Each
// tap's position is padded on its own.
Value* bicubic(Emitter& e, const Source& s, const std::vector<Value*>& coord, Padding padding, bool align_corners) {
  std::array<Value*, 2> low{}, first{};
  std::array<std::array<Value*, 4>, 2> weights{};
  for (size_t a = 0; a < 2; ++a) {
    low[a] = e.op("aten::floor", {coord[a]});
    weights[a] = cubic_weights(e, e.sub(coord[a], low[a]));
    first[a] = add_scalar(e, low[a], -1.0);
  }
  auto position = [&](size_t a, int k) {
    const int64_t size = s.in[1 - a];
    return pad_position(e, k == 0 ? first[a] : add_scalar(e, first[a], k), size, padding, align_corners);
  };
  Value* sum = nullptr;
  for (int i = 0; i < 4; ++i) {
    Value* row = nullptr;
    for (int j = 0; j < 4; ++j) {
      Value* term = e.mul(tap(e, s, {position(0, j), position(1, i)}), weights[0][static_cast<size_t>(j)]);
      row = row ? e.add(row, term) : term;
    }
    Value* term = e.mul(row, weights[1][static_cast<size_t>(i)]);
    sum = sum ? e.add(sum, term) : term;
  }
  return sum;
}

// grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners).
Value* grid_sampler(Emitter& e) {
  Value *x = e.input(0), *grid = e.input(1);
  const std::vector<Dim>& xs = e.shape(x, "input");
  const std::vector<Dim>& gs = e.shape(grid, "grid");
  const int64_t mode_code = e.constant_int(2, "interpolation_mode");
  const int64_t padding_code = e.constant_int(3, "padding_mode");
  if (mode_code < 0 || mode_code > 2 || padding_code < 0 || padding_code > 2)
    throw e.node().error("unknown interpolation or padding mode");
  const Mode mode = static_cast<Mode>(mode_code);
  const Padding padding = static_cast<Padding>(padding_code);
  const bool align_corners = e.constant_bool(4, "align_corners");
  e.float_dtype(x, "input");
  const size_t axes = xs.size() - 2;
  Source s;
  s.in = static_dims(e, xs, 2, xs.size(), "an input of spatial dims");
  for (int64_t size : s.in)
    if (size == 0) throw e.node().error("needs a non-empty input");
  const std::vector<int64_t> out = static_dims(e, gs, 1, gs.size() - 1, "a grid of spatial dims");
  s.points = product(out);
  s.grid = grid;
  s.whole = e.op("aten::reshape", {x, e.ints({-1})});
  const Dim& channels = xs[1];
  Value* c = channels.is_static() ? e.int_(channels.value()) : e.op("aten::size.int", {x, e.int_(1)});
  Value* first = e.add(e.op("aten::mul.Scalar", {arange_view(e, x, 0, {-1, 1, 1}), c}), arange_view(e, x, 1, {1, -1, 1}));
  s.base = e.op("aten::mul.Scalar", {first, e.int_(product(s.in))});

  std::vector<Value*> coord(axes);
  for (size_t a = 0; a < axes; ++a) {
    // Per-point values are [N, 1, points] from the start, so that they
    // broadcast over the channels with no view between (fusion can then
    // compute them in the kernel that gathers the taps).
    Value* g = per_point(e, s, e.op("aten::select.int", {grid, e.int_(-1), e.int_(static_cast<int64_t>(a))}));
    const int64_t size = s.in[axes - 1 - a];
    coord[a] = unnormalize(e, g, size, align_corners, axes == 3);
    if (mode != Mode::bicubic) coord[a] = pad_position(e, coord[a], size, padding, align_corners);
  }
  Value* result;
  if (mode == Mode::nearest) {
    for (Value*& c : coord) c = e.op("aten::round", {c});
    result = tap(e, s, coord);
  } else if (mode == Mode::bicubic) {
    if (axes != 2) throw e.node().error("bicubic sampling needs a 4-D input");
    result = bicubic(e, s, coord, padding, align_corners);
  } else {
    result = linear(e, s, coord);
  }
  std::vector<Size> shape{Size::dim_of(0), Size::dim_of(1)};
  for (int64_t n : out) shape.push_back(Size::fixed(n));
  return e.op("aten::reshape", {result, e.sizes(x, shape)});
}

// linspace(-1, 1, n) in dtype t as ATen computes it (the first half up
// from -1, the rest down from 1, by a step rounded to t), times (n - 1) / n
// without align_corners; 0 for n = 1. Viewed along dim `at` of `rank`.
Value* base_coordinates(Emitter& e, int64_t n, bool align_corners, DType t, size_t at, size_t rank) {
  std::vector<int64_t> view(rank, 1);
  if (n <= 1) {
    return e.op("aten::zeros", {e.ints(view), e.int_(*torch_code_of(t)), e.none(), e.none(), e.none()});
  }
  view[at] = -1;
  const double step = t == DType::f32 ? static_cast<double>(2.0f / static_cast<float>(n - 1)) : 2.0 / static_cast<double>(n - 1);
  Value* i = e.op("aten::arange", {e.int_(n), e.int_(*torch_code_of(t)), e.none(), e.none(), e.none()});
  Value* up = add_scalar(e, mul_scalar(e, i, step), -1.0);
  Value* down = rsub_scalar(e, mul_scalar(e, rsub_scalar(e, i, static_cast<double>(n - 1)), step), 1.0);
  Value* r = e.op("aten::where.self", {e.op("aten::lt.Scalar", {i, e.int_(n / 2)}), up, down});
  if (!align_corners) r = e.op("aten::div.Scalar", {mul_scalar(e, r, static_cast<double>(n - 1)), e.int_(n)});
  return e.op("aten::reshape", {r, e.ints(view)});
}

// affine_grid_generator(theta, size, align_corners).
Value* affine_grid(Emitter& e) {
  Value* theta = e.input(0);
  const DType t = e.float_dtype(theta, "theta");
  const ir::Type& result = *e.node().output()->type();
  if (!result.has_rank()) throw e.node().error("needs a size list known when compiling");
  const std::vector<Dim>& out = *result.shape();
  const size_t rank = out.size();
  const size_t axes = rank - 2;
  const bool align_corners = e.constant_bool(2, "align_corners");
  const std::vector<int64_t> spatial = static_dims(e, out, 1, rank - 1, "a size of spatial dims");
  // theta^T's row k ([N, axes]) viewed [N, 1, ..., 1, axes].
  Value* rows = e.op("aten::transpose.int", {theta, e.int_(1), e.int_(2)});
  auto row = [&](int64_t k) {
    std::vector<Size> view{Size::dim_of(0)};
    for (size_t i = 0; i < axes; ++i) view.push_back(Size::fixed(1));
    view.push_back(Size::fixed(static_cast<int64_t>(axes)));
    return e.op("aten::reshape", {e.op("aten::select.int", {rows, e.int_(1), e.int_(k)}), e.sizes(theta, view)});
  };
  Value* grid = row(static_cast<int64_t>(axes));
  for (size_t k = 0; k < axes; ++k) {
    const size_t at = rank - 2 - k;  // x runs along the last spatial dim
    Value* base = base_coordinates(e, spatial[at - 1], align_corners, t, at, rank);
    grid = e.add(e.mul(base, row(static_cast<int64_t>(k))), grid);
  }
  return grid;
}

// The sliding blocks of im2col / col2im over a plane of `in` = (H, W).
struct Blocks {
  std::array<int64_t, 2> kernel{}, dilation{}, padding{}, stride{}, in{}, padded{}, count{};
  int64_t area() const { return kernel[0] * kernel[1]; }
  int64_t blocks() const { return count[0] * count[1]; }
};

Blocks blocks_of(Emitter& e, size_t at, int64_t h, int64_t w) {
  Blocks b;
  const char* names[] = {"kernel_size", "dilation", "padding", "stride"};
  std::array<int64_t, 2>* fields[] = {&b.kernel, &b.dilation, &b.padding, &b.stride};
  for (size_t i = 0; i < 4; ++i) {
    const std::vector<int64_t> v = e.constant_ints(at + i, 2, names[i]);
    *fields[i] = {v[0], v[1]};
  }
  b.in = {h, w};
  for (size_t a = 0; a < 2; ++a) {
    b.padded[a] = b.in[a] + 2 * b.padding[a];
    b.count[a] = (b.padded[a] - b.dilation[a] * (b.kernel[a] - 1) - 1) / b.stride[a] + 1;
  }
  return b;
}

// Where each block element lies in the padded plane flattened, in
// im2col's order (kernel offset (i, j), then block (y, x)):
// (y sh + i dh) Wp + x sw + j dw, viewed [1, 1, kh kw blocks].
Value* block_positions(Emitter& e, const Blocks& b) {
  auto along = [&](int64_t n, int64_t at, int64_t scale) {
    std::vector<int64_t> view(4, 1);
    view[static_cast<size_t>(at)] = -1;
    Value* r = e.op("aten::arange", {e.int_(n), e.int_(4), e.none(), e.none(), e.none()});  // int64
    return e.op("aten::mul.Scalar", {e.op("aten::reshape", {r, e.ints(view)}), e.int_(scale)});
  };
  Value* row = e.add(along(b.count[0], 2, b.stride[0]), along(b.kernel[0], 0, b.dilation[0]));
  Value* column = e.add(along(b.count[1], 3, b.stride[1]), along(b.kernel[1], 1, b.dilation[1]));
  Value* at = e.add(e.op("aten::mul.Scalar", {row, e.int_(b.padded[1])}), column);
  return e.op("aten::reshape", {at, e.ints({1, 1, -1})});
}

// im2col(x, kernel_size, dilation, padding, stride).
Value* im2col(Emitter& e) {
  Value* x = e.input(0);
  const std::vector<Dim>& xs = e.shape(x, "input");
  if (xs.size() != 4) throw e.node().error("needs a 4-D input");
  const std::vector<int64_t> plane = static_dims(e, xs, 2, 4, "an input of spatial dims");
  const Blocks b = blocks_of(e, 1, plane[0], plane[1]);
  if (b.padding[0] || b.padding[1])
    x = e.op("aten::constant_pad_nd", {x, e.ints({b.padding[1], b.padding[1], b.padding[0], b.padding[0]}), e.int_(0)});
  Value* flat = e.op("aten::reshape", {x, e.sizes(e.input(0), {Size::dim_of(0), Size::dim_of(1),
                                                               Size::fixed(b.padded[0] * b.padded[1])})});
  Value* at = e.list({arange_view(e, e.input(0), 0, {-1, 1, 1}), arange_view(e, e.input(0), 1, {1, -1, 1}),
                      block_positions(e, b)});
  Value* gathered = e.op("aten::index.Tensor", {flat, at});
  return e.op("aten::reshape",
              {gathered, e.sizes(e.input(0), {Size::dim_of(0), Size::fixed(-1), Size::fixed(b.blocks())})});
}

// col2im(x, output_size, kernel_size, dilation, padding, stride).
Value* col2im(Emitter& e) {
  Value* x = e.input(0);
  const std::vector<Dim>& xs = e.shape(x, "input");
  if (xs.size() != 3) throw e.node().error("needs a 3-D input");
  const std::vector<int64_t> size = e.constant_ints(1, 2, "output_size");
  const Blocks b = blocks_of(e, 2, size[0], size[1]);
  if (!xs[1].is_static()) throw e.node().error("needs an input whose dim 1 is known when compiling");
  const int64_t channels = xs[1].value() / b.area();
  const DType dtype = e.float_dtype(x, "input");
  Value* values = e.op("aten::reshape", {x, e.sizes(x, {Size::dim_of(0), Size::fixed(channels),
                                                        Size::fixed(b.area() * b.blocks())})});
  Value* zeros = e.op("aten::zeros", {e.sizes(x, {Size::dim_of(0), Size::fixed(channels),
                                                  Size::fixed(b.padded[0] * b.padded[1])}),
                                      e.int_(*torch_code_of(dtype)), e.none(), e.none(), e.none()});
  Value* channel = e.op("aten::reshape", {e.op("aten::arange", {e.int_(channels), e.int_(4), e.none(), e.none(),
                                                                 e.none()}),
                                          e.ints({1, -1, 1})});
  Value* at = e.list({arange_view(e, x, 0, {-1, 1, 1}), channel, block_positions(e, b)});
  Value* sums = e.op("aten::index_put", {zeros, at, values, e.bool_(true)});
  Value* plane = e.op("aten::reshape", {sums, e.sizes(x, {Size::dim_of(0), Size::fixed(channels),
                                                          Size::fixed(b.padded[0]), Size::fixed(b.padded[1])})});
  for (size_t a = 0; a < 2; ++a) {
    if (b.padding[a] == 0) continue;
    plane = e.op("aten::slice.Tensor", {plane, e.int_(static_cast<int64_t>(a) + 2), e.int_(b.padding[a]),
                                        e.int_(b.padding[a] + b.in[a]), e.int_(1)});
  }
  return plane;
}

}  // namespace

std::vector<NamedRule> sampling_rules() {
  return {{"aten::grid_sampler", grid_sampler},
          {"aten::grid_sampler_2d", grid_sampler},
          {"aten::grid_sampler_3d", grid_sampler},
          {"aten::affine_grid_generator", affine_grid},
          {"aten::im2col", im2col},
          {"aten::col2im", col2im}};
}

}  // namespace wick::passes::decompose_detail

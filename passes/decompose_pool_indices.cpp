// Decomposition rules for max pooling with torch's indices, and for its
// inverse:
//   max_pool1d/2d/3d_with_indices(x, kernel, stride, padding, dilation,
//                                 ceil_mode) -> (values, indices)
//   adaptive_max_pool1d/2d/3d(x, output_size) whose indices are used
//   max_unpool2d(x, indices, output_size)
//   max_unpool3d(x, indices, output_size, stride, padding)
//
// A window's maximum and where it is are separable: the pooled dims are
// taken one at a time from the innermost out. Along one, each window's
// positions inside the input (in order; a shorter window repeats its last
// one) are gathered by one index_select into [..., k, out, ...] and
// compared in order, a later element taking over when it is greater or NaN,
// as torch's loops do: the index is the first maximum in row-major order,
// or the last NaN. Positions are written with arange arithmetic (torch's
// window bounds), so a window clipped by padding or ceil_mode never reads
// outside the input. An index counts in the flattened pooled dims of the
// input: a dim's position times the sizes of the pooled dims inside it,
// plus the index carried from those. A pool whose indices nobody reads is
// the plain pool, a library call on both devices.
//
// max_unpool writes each value at its index into zeros of the output size,
// the pooled dims flattened: a scatter along them, so an index past the
// output is an error, and repeated indices keep one of the values.
#include <algorithm>
#include <functional>

#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Dim;
using ir::Value;

Value* arange(Emitter& e, int64_t n) {
  return e.op("aten::arange", {e.int_(n), e.int_(4), e.none(), e.none(), e.none()});  // int64
}
Value* reshape(Emitter& e, Value* x, const std::vector<int64_t>& sizes) {
  return e.op("aten::reshape", {x, e.ints(sizes)});
}
Value* add_int(Emitter& e, Value* x, int64_t c) { return e.op("aten::add.Scalar", {x, e.int_(c), e.int_(1)}); }
Value* mul_int(Emitter& e, Value* x, int64_t c) { return e.op("aten::mul.Scalar", {x, e.int_(c)}); }
Value* floor_div_int(Emitter& e, Value* x, int64_t c) { return e.op("aten::floor_divide.Scalar", {x, e.int_(c)}); }

// Positions [k, out] of torch's fixed windows along a dim of `length`:
// window o starts at o * stride - padding and takes every dilation-th
// element; those inside the input, first to last, then the last again.
Value* fixed_window_positions(Emitter& e, int64_t length, int64_t out, int64_t k, int64_t s, int64_t p, int64_t d) {
  Value* o = reshape(e, arange(e, out), {1, out});
  Value* start = add_int(e, mul_int(e, o, s), -p);
  // The first and last offsets inside: ceil((p - o s) / d) and
  // floor((length - 1 + p - o s) / d), within the kernel.
  Value* back = mul_int(e, o, -s);
  Value* first = e.op("aten::clamp_min", {floor_div_int(e, add_int(e, back, p + d - 1), d), e.int_(0)});
  Value* last = e.op("aten::clamp_max", {floor_div_int(e, add_int(e, back, length - 1 + p), d), e.int_(k - 1)});
  Value* i = reshape(e, arange(e, k), {k, 1});
  Value* offset = e.op("aten::minimum", {e.add(i, first), last});
  return e.add(mul_int(e, offset, d), start);
}

// Positions [k, size] of adaptive windows along a dim of `length`: window
// o covers [floor(o length / size), ceil((o + 1) length / size)).
Value* adaptive_window_positions(Emitter& e, int64_t length, int64_t size) {
  int64_t k = 1;
  for (int64_t o = 0; o < size; ++o) k = std::max(k, ((o + 1) * length + size - 1) / size - o * length / size);
  Value* o = reshape(e, arange(e, size), {1, size});
  Value* start = floor_div_int(e, mul_int(e, o, length), size);
  Value* end = floor_div_int(e, add_int(e, mul_int(e, o, length), length + size - 1), size);
  Value* i = reshape(e, arange(e, k), {k, 1});
  return e.op("aten::minimum", {e.add(start, i), add_int(e, end, -1)});
}

struct Pooled {
  Value* values;
  Value* indices;
};

// One pooled dim: the maximum of each window and its index (`inner` is
// the product of the input sizes of the pooled dims inside this one;
// `carried` the index found along them, or null for the innermost).
Pooled max_along(Emitter& e, Value* x, Value* carried, int64_t dim, Value* positions, int64_t inner) {
  const std::vector<Dim>& pshape = e.shape(positions, "positions");
  const int64_t k = pshape[0].value(), out = pshape[1].value();
  const int64_t rank = static_cast<int64_t>(e.shape(x, "input").size());
  Value* values = gather_windows(e, x, dim, positions, k, out);
  Value* indices = carried ? gather_windows(e, carried, dim, positions, k, out) : nullptr;
  std::vector<int64_t> view(static_cast<size_t>(rank), 1);
  view[static_cast<size_t>(dim)] = out;
  Pooled best{nullptr, nullptr};
  for (int64_t i = 0; i < k; ++i) {
    Value* v = e.op("aten::select.int", {values, e.int_(dim), e.int_(i)});
    Value* at = reshape(e, e.op("aten::select.int", {positions, e.int_(0), e.int_(i)}), view);
    if (inner != 1) at = mul_int(e, at, inner);
    if (indices) at = e.add(at, e.op("aten::select.int", {indices, e.int_(dim), e.int_(i)}));
    if (!best.values) {
      best = {v, at};
      continue;
    }
    Value* take = e.op("aten::logical_or", {e.op("aten::gt.Tensor", {v, best.values}), e.op("aten::isnan", {v})});
    best.values = e.op("aten::where.self", {take, v, best.values});
    best.indices = e.op("aten::where.self", {take, at, best.indices});
  }
  // A one-element window leaves the positions unbroadcast.
  std::vector<Size> all;
  for (int64_t i = 0; i < rank; ++i) all.push_back(Size::dim_of(static_cast<int>(i)));
  best.indices = e.op("aten::expand", {best.indices, e.sizes(best.values, all), e.bool_(false)});
  return best;
}

// The pooled dims of x (the last n), innermost first, each with its
// window positions.
std::vector<Value*> max_with_indices(Emitter& e, Value* x, size_t n,
                                     const std::function<Value*(size_t, int64_t)>& positions_of) {
  const std::vector<Dim>& shape = e.shape(x, "input");
  const int64_t rank = static_cast<int64_t>(shape.size());
  if (rank != static_cast<int64_t>(n) + 1 && rank != static_cast<int64_t>(n) + 2)
    throw e.node().error("needs a " + std::to_string(n + 1) + "-D or " + std::to_string(n + 2) +
                         "-D input, got rank " + std::to_string(rank));
  Pooled p{x, nullptr};
  int64_t inner = 1;
  for (size_t j = n; j-- > 0;) {
    const int64_t dim = rank - static_cast<int64_t>(n) + static_cast<int64_t>(j);
    const Dim& length = shape[static_cast<size_t>(dim)];
    if (!length.is_static()) throw e.node().error("needs the pooled dims known, got " + length.str());
    if (length.value() <= 0) throw e.node().error("cannot pool an empty dim");
    p = max_along(e, p.values, p.indices, dim, positions_of(j, length.value()), inner);
    inner *= length.value();
  }
  return {p.values, p.indices};
}

size_t pooled_dims(const std::string& name) {
  if (name.find("1d") != std::string::npos) return 1;
  return name.find("2d") != std::string::npos ? 2 : 3;
}

// max_pool1d/2d/3d(_with_indices)(x, kernel, stride, padding, dilation,
// ceil_mode) by windows: {values, indices}.
std::vector<Value*> max_pool_by_windows(Emitter& e) {
  const size_t n = pooled_dims(e.node().op().schema.name);
  const std::vector<int64_t> k = e.constant_ints(1, n, "kernel_size");
  const std::vector<int64_t> s = e.constant_ints(2, n, "stride", &k);
  const std::vector<int64_t> p = e.constant_ints(3, n, "padding");
  const std::vector<int64_t> d = e.constant_ints(4, n, "dilation");
  const std::vector<Dim>& out = e.shape(e.node().output(0), "result");
  return max_with_indices(e, e.input(0), n, [&](size_t j, int64_t length) {
    const Dim& o = out[out.size() - n + j];
    if (!o.is_static()) throw e.node().error("needs the pooled sizes known, got " + o.str());
    return fixed_window_positions(e, length, o.value(), k[j], s[j], p[j], d[j]);
  });
}

std::vector<Value*> max_pool_with_indices(Emitter& e) {
  if (!e.node().output(1)->has_uses()) {
    const size_t n = pooled_dims(e.node().op().schema.name);
    const char* plain = n == 1 ? "aten::max_pool1d" : n == 2 ? "aten::max_pool2d" : "aten::max_pool3d";
    return {e.op(plain, {e.input(0), e.input(1), e.input(2), e.input(3), e.input(4), e.input(5)}), nullptr};
  }
  return max_pool_by_windows(e);
}

Value* max_unpool(Emitter& e) {
  const size_t n = pooled_dims(e.node().op().schema.name);
  Value* x = e.input(0);
  const std::vector<Dim>& shape = e.shape(x, "input");
  const std::vector<int64_t> size = e.constant_ints(2, n, "output_size");
  const int64_t lead = static_cast<int64_t>(shape.size() - n);
  std::vector<Size> flat_in, flat_out, unflat;
  for (int64_t i = 0; i < lead; ++i) {
    flat_in.push_back(Size::dim_of(static_cast<int>(i)));
    unflat.push_back(Size::dim_of(static_cast<int>(i)));
  }
  flat_out = flat_in;
  int64_t outputs = 1;
  for (int64_t v : size) {
    outputs *= v;
    unflat.push_back(Size::fixed(v));
  }
  flat_in.push_back(Size::fixed(-1));
  flat_out.push_back(Size::fixed(outputs));
  Value* values = e.op("aten::reshape", {x, e.sizes(x, flat_in)});
  Value* indices = e.op("aten::reshape", {e.input(1), e.sizes(x, flat_in)});
  Value* zeros = e.op("aten::new_zeros", {x, e.sizes(x, flat_out), e.none(), e.none(), e.none(), e.none()});
  Value* out = e.op("aten::scatter.src", {zeros, e.int_(lead), indices, values});
  return e.op("aten::reshape", {out, e.sizes(x, unflat)});
}

}  // namespace

Value* gather_windows(Emitter& e, Value* x, int64_t dim, Value* positions, int64_t k, int64_t out) {
  Value* flat = reshape(e, positions, {k * out});
  Value* g = e.op("aten::index_select", {x, e.int_(dim), flat});
  const int64_t rank = static_cast<int64_t>(e.shape(x, "input").size());
  std::vector<Size> sizes;
  for (int64_t i = 0; i < rank; ++i) {
    if (i != dim) {
      sizes.push_back(Size::dim_of(static_cast<int>(i)));
      continue;
    }
    sizes.push_back(Size::fixed(k));
    sizes.push_back(Size::fixed(out));
  }
  return e.op("aten::reshape", {g, e.sizes(g, sizes)});
}

Value* max_pool_values(Emitter& e) { return max_pool_by_windows(e)[0]; }

std::vector<Value*> adaptive_max_with_indices(Emitter& e, Value* x, const std::vector<int64_t>& sizes) {
  return max_with_indices(e, x, sizes.size(), [&](size_t j, int64_t length) {
    if (sizes[j] <= 0) throw e.node().error("needs positive sizes to pool to, got " + std::to_string(sizes[j]));
    return adaptive_window_positions(e, length, sizes[j]);
  });
}

std::vector<NamedRule> unpool_rules() {
  return {{"aten::max_unpool2d", max_unpool}, {"aten::max_unpool3d", max_unpool}};
}

std::vector<NamedMultiRule> pool_indices_multi_rules() {
  return {{"aten::max_pool1d_with_indices", max_pool_with_indices},
          {"aten::max_pool2d_with_indices", max_pool_with_indices},
          {"aten::max_pool3d_with_indices", max_pool_with_indices}};
}

}  // namespace wick::passes::decompose_detail

// Decomposition rules for layout ops PyTorch users call by name:
//   narrow(x, d, start, n)   = slice(x, d, start, start + n)
//   roll(x, shifts, dims)    = cat of the two slices each shift swaps (no
//                              dims: over x flattened, viewed back)
//   flip(x, dims)            = index_select with reversed positions per dim
//   constant_pad_nd / pad    = cat with blocks of the value (a negative pad
//                              slices); reflect, replicate and circular
//                              padding (pad, reflection_pad, replication_pad)
//                              = index_select of the positions each reads
//   repeat(x, r)             = x viewed [1, s0, 1, s1, ...], expanded to
//                              [r0, s0, r1, s1, ...], reshaped [r0 s0, ...]
//   pixel_shuffle(x, r)      = [.., C r r, H, W] viewed [.., C, r, r, H, W],
//                              permuted to [.., C, H, r, W, r], reshaped
//   unflatten(x, d, sizes)   = reshape
//   pad_sequence(xs, bf, v)  = each sequence padded with v to the longest
//   eye(n, m)                = triu(tril(ones([n, m])))
//                              (constant_pad_nd), stacked on dim 0 or 1
//   upsample_nearest1d/2d    = index_select per dim, the source of output
//                              position o being min(floor(o * scale), in - 1)
//                              in f32 with scale 1 / scale_factor, or in / out
//                              for an output_size, as ATen's kernel computes it
//   upsample_bilinear2d      = per spatial dim, the two neighbours of each
//                              source position weighted by distance
#include <array>
#include <cmath>

#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Dim;
using ir::Value;

// The static size of x's dim d, which an op moving elements along it needs.
int64_t static_size(Emitter& e, const std::vector<Dim>& shape, int64_t d) {
  if (!shape[static_cast<size_t>(d)].is_static())
    throw e.node().error("needs the size of dim " + std::to_string(d) + ", got " + shape[static_cast<size_t>(d)].str());
  return shape[static_cast<size_t>(d)].value();
}

const std::vector<Dim>& static_shape(Emitter& e, Value* x) {
  const std::vector<Dim>& shape = e.shape(x, "input");
  for (const Dim& d : shape)
    if (!d.is_static()) throw e.node().error("needs an input of known shape, got a dim " + d.str());
  return shape;
}

int64_t wrap(Emitter& e, int64_t d, int64_t rank) {
  if (d < -rank || d >= rank) throw e.node().error("dim " + std::to_string(d) + " out of range for rank " + std::to_string(rank));
  return d < 0 ? d + rank : d;
}

std::vector<int64_t> ints_at(Emitter& e, size_t i, const char* what) {
  auto v = ir::constant_int_list(e.input(i));
  if (!v) throw e.node().error(std::string(what) + " must be a constant list");
  return *v;
}

Value* slice(Emitter& e, Value* x, int64_t dim, int64_t start, int64_t end) {
  return e.op("aten::slice.Tensor", {x, e.int_(dim), e.int_(start), e.int_(end), e.int_(1)});
}

Value* cat(Emitter& e, const std::vector<Value*>& parts, int64_t dim) {
  return parts.size() == 1 ? parts[0] : e.op("aten::cat", {e.list(parts), e.int_(dim)});
}

Value* reshape(Emitter& e, Value* x, const std::vector<int64_t>& sizes) {
  return e.op("aten::reshape", {x, e.ints(sizes)});
}

Value* narrow(Emitter& e) {
  Value* x = e.input(0);
  const auto& shape = e.shape(x, "input");
  const int64_t rank = static_cast<int64_t>(shape.size());
  const int64_t dim = wrap(e, e.constant_int(1, "dim"), rank);
  int64_t start = e.constant_int(2, "start");
  const int64_t length = e.constant_int(3, "length");
  if (start < 0) {
    if (!shape[dim].is_static()) throw e.node().error("a negative start needs the dim's size");
    start += shape[dim].value();
  }
  return slice(e, x, dim, start, start + length);
}

Value* roll_dim(Emitter& e, Value* x, int64_t dim, int64_t size, int64_t shift) {
  if (size == 0) return x;
  const int64_t s = ((shift % size) + size) % size;
  if (s == 0) return x;
  return cat(e, {slice(e, x, dim, size - s, size), slice(e, x, dim, 0, size - s)}, dim);
}

Value* roll(Emitter& e) {
  Value* x = e.input(0);
  const std::vector<Dim>& shape = e.shape(x, "input");
  const int64_t rank = static_cast<int64_t>(shape.size());
  const std::vector<int64_t> shifts = ints_at(e, 1, "shifts");
  const std::vector<int64_t> dims = ints_at(e, 2, "dims");
  if (dims.empty()) {
    if (shifts.size() != 1) throw e.node().error("without dims roll takes one shift");
    static_shape(e, x);  // the flattened tensor rolls as one dim
    int64_t n = 1;
    std::vector<int64_t> sizes;
    for (const Dim& d : shape) {
      n *= d.value();
      sizes.push_back(d.value());
    }
    Value* rolled = roll_dim(e, reshape(e, x, {n}), 0, n, shifts[0]);
    return reshape(e, rolled, sizes);
  }
  if (shifts.size() != dims.size())
    throw e.node().error("shifts and dims differ in length: " + std::to_string(shifts.size()) + " and " +
                         std::to_string(dims.size()));
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = wrap(e, dims[i], rank);
    x = roll_dim(e, x, d, static_size(e, shape, d), shifts[i]);
  }
  return x;
}

Value* flip(Emitter& e) {
  Value* x = e.input(0);
  const std::vector<Dim>& shape = e.shape(x, "input");
  const int64_t rank = static_cast<int64_t>(shape.size());
  for (int64_t d : ints_at(e, 1, "dims")) {
    d = wrap(e, d, rank);
    const int64_t n = static_size(e, shape, d);
    if (n <= 1) continue;
    Value* reversed = e.op("aten::arange.start_step", {e.int_(n - 1), e.int_(-1), e.int_(-1),
                                                       e.int_(*torch_code_of(DType::i64)), e.none(), e.none(), e.none()});
    x = e.op("aten::index_select", {x, e.int_(d), reversed});
  }
  return x;
}

// Pads the dims from the last backwards by the pairs of `pads` with `value`.
Value* pad_constant(Emitter& e, Value* x, const std::vector<int64_t>& pads, Value* value) {
  const std::vector<Dim> shape = e.shape(x, "input");
  const int64_t rank = static_cast<int64_t>(shape.size());
  bool all_static = true;
  for (const Dim& d : shape) all_static = all_static && d.is_static();
  if (pads.size() % 2 != 0 || static_cast<int64_t>(pads.size() / 2) > rank)
    throw e.node().error("pad needs pairs of sizes for at most " + std::to_string(rank) + " dims");
  const auto dtype = x->type()->dtype();
  if (!dtype) throw e.node().error("needs an input of known dtype");
  for (size_t i = 0; i < pads.size() / 2; ++i) {
    const int64_t d = rank - 1 - static_cast<int64_t>(i);
    int64_t before = pads[2 * i], after = pads[2 * i + 1];
    const int64_t size = static_size(e, e.shape(x, "input"), d);
    // Negative pads cut.
    if (before < 0 || after < 0) {
      x = slice(e, x, d, before < 0 ? -before : 0, after < 0 ? size + after : size);
      before = std::max<int64_t>(before, 0);
      after = std::max<int64_t>(after, 0);
    }
    auto block = [&](int64_t n) {
      std::vector<int64_t> sizes;
      for (const Dim& s : e.shape(x, "input")) sizes.push_back(s.value());
      sizes[d] = n;
      return e.op("aten::full", {e.ints(sizes), value, e.int_(*torch_code_of(*dtype)), e.none(), e.none(), e.none()});
    };
    if (!all_static) {
      // Other dims not known (a dynamic batch): the padded dim's positions
      // read clamped, then `value` where they fall outside.
      if (before == 0 && after == 0) continue;
      Value* sources = e.op("aten::arange.start", {e.int_(-before), e.int_(size + after),
                                                   e.int_(*torch_code_of(DType::i64)), e.none(), e.none(), e.none()});
      Value* read = e.op("aten::index_select",
                         {x, e.int_(d), e.op("aten::clamp", {sources, e.int_(0), e.int_(size - 1)})});
      Value* inside = e.op("aten::logical_and", {e.op("aten::ge.Scalar", {sources, e.int_(0)}),
                                                 e.op("aten::lt.Scalar", {sources, e.int_(size)})});
      std::vector<int64_t> along(static_cast<size_t>(rank - d), 1);
      along[0] = -1;
      x = e.op("aten::where.ScalarOther", {e.op("aten::view", {inside, e.ints(along)}), read, value});
      continue;
    }
    std::vector<Value*> parts;
    if (before > 0) parts.push_back(block(before));
    parts.push_back(x);
    if (after > 0) parts.push_back(block(after));
    x = cat(e, parts, d);
  }
  return x;
}

Value* constant_pad_nd(Emitter& e) { return pad_constant(e, e.input(0), ints_at(e, 1, "pad"), e.input(2)); }

// The positions [0, n + before + after) of a dim padded by `mode` mapped to
// the source positions in [0, n) they read, i = position - before:
//   reflect: n-1 - |n-1 - |i||; replicate: clamp(i, 0, n-1); circular: i mod n
Value* padded_sources(Emitter& e, const std::string& mode, int64_t n, int64_t before, int64_t after) {
  if (before < 0 || after < 0) throw e.node().error(mode + " padding must not be negative");
  const bool reflect = mode == "reflect";
  if ((reflect && (before >= n || after >= n)) || (mode == "circular" && (before > n || after > n)))
    throw e.node().error(mode + " padding of " + std::to_string(std::max(before, after)) + " is too large for a dim of " +
                         std::to_string(n));
  Value* i = e.op("aten::arange.start", {e.int_(-before), e.int_(n + after), e.int_(*torch_code_of(DType::i64)), e.none(),
                                         e.none(), e.none()});
  if (reflect) {
    Value* folded = e.op("aten::rsub.Scalar", {e.op("aten::abs", {i}), e.int_(n - 1), e.int_(1)});
    return e.op("aten::rsub.Scalar", {e.op("aten::abs", {folded}), e.int_(n - 1), e.int_(1)});
  }
  if (mode == "replicate") return e.op("aten::clamp", {i, e.int_(0), e.int_(n - 1)});
  if (mode == "circular") return e.op("aten::remainder.Scalar", {i, e.int_(n)});
  throw e.node().error("unknown padding mode '" + mode + "'");
}

// Pads the dims from the last backwards by the pairs of `pads`, reading
// the positions `mode` maps each padded position to.
// Only the padded dims need known sizes (a batch may stay dynamic).
Value* pad_by_index(Emitter& e, Value* x, const std::vector<int64_t>& pads, const std::string& mode) {
  const std::vector<Dim> shape = e.shape(x, "input");
  const int64_t rank = static_cast<int64_t>(shape.size());
  if (pads.size() % 2 != 0 || static_cast<int64_t>(pads.size() / 2) > rank)
    throw e.node().error("pad needs pairs of sizes for at most " + std::to_string(rank) + " dims");
  for (size_t i = 0; i < pads.size() / 2; ++i) {
    const int64_t d = rank - 1 - static_cast<int64_t>(i);
    if (pads[2 * i] == 0 && pads[2 * i + 1] == 0) continue;
    Value* sources = padded_sources(e, mode, static_size(e, shape, d), pads[2 * i], pads[2 * i + 1]);
    x = e.op("aten::index_select", {x, e.int_(d), sources});
  }
  return x;
}

Value* pad(Emitter& e) {
  const ir::AttrValue* mode = ir::constant_attr(e.input(2));
  const std::string* name = mode ? std::get_if<std::string>(mode) : nullptr;
  if (!name) throw e.node().error("the padding mode must be a constant");
  if (*name == "constant") return pad_constant(e, e.input(0), ints_at(e, 1, "pad"), e.absent(3) ? e.int_(0) : e.input(3));
  if (*name != "reflect" && *name != "replicate" && *name != "circular")
    throw e.node().error("padding mode '" + *name + "' is not supported");
  return pad_by_index(e, e.input(0), ints_at(e, 1, "pad"), *name);
}

// reflection_pad1d/2d/3d and replication_pad1d/2d/3d(x, padding), as traces record F.pad.
Value* named_pad(Emitter& e) {
  const std::string& name = e.node().op().schema.name;
  return pad_by_index(e, e.input(0), ints_at(e, 1, "padding"), name.rfind("reflection", 0) == 0 ? "reflect" : "replicate");
}

Value* repeat(Emitter& e) {
  Value* x = e.input(0);
  const std::vector<Dim>& shape = static_shape(e, x);
  const std::vector<int64_t> reps = ints_at(e, 1, "repeats");
  if (reps.size() < shape.size())
    throw e.node().error("repeat needs at least as many repeats as the input has dims");
  const size_t lead = reps.size() - shape.size();
  std::vector<int64_t> spread, expanded, out;
  for (size_t i = 0; i < reps.size(); ++i) {
    const int64_t s = i < lead ? 1 : shape[i - lead].value();
    spread.insert(spread.end(), {1, s});
    expanded.insert(expanded.end(), {reps[i], s});
    out.push_back(reps[i] * s);
  }
  Value* wide = e.op("aten::expand", {reshape(e, x, spread), e.ints(expanded), e.bool_(false)});
  return reshape(e, wide, out);
}

Value* pixel_shuffle(Emitter& e) {
  Value* x = e.input(0);
  const std::vector<Dim>& shape = static_shape(e, x);
  const int64_t r = e.constant_int(1, "upscale_factor");
  const size_t lead = shape.size() - 3;
  std::vector<int64_t> batch;
  for (size_t i = 0; i < lead; ++i) batch.push_back(shape[i].value());
  const int64_t c = shape[lead].value() / (r * r), h = shape[lead + 1].value(), w = shape[lead + 2].value();
  std::vector<int64_t> split = batch, order, out = batch;
  split.insert(split.end(), {c, r, r, h, w});
  for (size_t i = 0; i < lead; ++i) order.push_back(static_cast<int64_t>(i));
  const int64_t b = static_cast<int64_t>(lead);
  order.insert(order.end(), {b, b + 3, b + 1, b + 4, b + 2});
  out.insert(out.end(), {c, h * r, w * r});
  Value* moved = e.op("aten::permute", {reshape(e, x, split), e.ints(order)});
  return reshape(e, moved, out);
}

Value* unflatten(Emitter& e) {
  const ir::Type& t = *e.node().output()->type();
  if (!t.has_rank()) throw e.node().error("needs a result of known shape");
  std::vector<int64_t> sizes;
  for (const Dim& d : *t.shape()) {
    if (!d.is_static()) throw e.node().error("needs a result of known shape, got a dim " + d.str());
    sizes.push_back(d.value());
  }
  return reshape(e, e.input(0), sizes);
}

// Positions [0, out) mapped to their nearest source in [0, in): floor(o *
// scale), or with `exact` (mode nearest-exact) floor((o + 0.5) * scale).
Value* nearest_sources(Emitter& e, int64_t in, int64_t out, std::optional<double> scale_factor, bool exact) {
  const float scale = scale_factor && *scale_factor > 0 ? static_cast<float>(1.0 / *scale_factor)
                                                        : static_cast<float>(in) / static_cast<float>(out);
  Value* positions = e.op("aten::arange", {e.int_(out), e.int_(*torch_code_of(DType::f32)), e.none(), e.none(), e.none()});
  if (exact) positions = e.op("aten::add.Scalar", {positions, e.float_(0.5), e.int_(1)});
  Value* source = e.op("aten::floor", {e.op("aten::mul.Scalar", {positions, e.float_(scale)})});
  return e.op("aten::clamp_max", {e.cast(source, DType::i64), e.int_(in - 1)});
}

// Where output position o reads along a dim, as ATen's
// area_pixel_compute_source_index computes it in f32: with align_corners
// o * (in-1)/(out-1), else (o + 0.5) * scale - 0.5 (clamped at 0 unless
// cubic), scale 1 / scale_factor or in / out.
Value* source_positions(Emitter& e, int64_t in, int64_t out, bool align_corners, std::optional<double> scale_factor,
                        bool cubic) {
  Value* o = e.op("aten::arange", {e.int_(out), e.int_(*torch_code_of(DType::f32)), e.none(), e.none(), e.none()});
  if (align_corners) {
    const float scale = out > 1 ? static_cast<float>(in - 1) / static_cast<float>(out - 1) : 0.0f;
    return e.op("aten::mul.Scalar", {o, e.float_(scale)});
  }
  const float scale = scale_factor && *scale_factor > 0 ? static_cast<float>(1.0 / *scale_factor)
                                                        : static_cast<float>(in) / static_cast<float>(out);
  Value* centered = e.op("aten::sub.Scalar", {e.op("aten::mul.Scalar", {e.op("aten::add.Scalar", {o, e.float_(0.5), e.int_(1)}),
                                                                       e.float_(scale)}),
                                              e.float_(0.5), e.int_(1)});
  return cubic ? centered : e.op("aten::clamp_min", {centered, e.int_(0)});
}

// The rows of x along dim d at `index` (clamped into [0, in)), weighted by
// `weight` ([out], broadcast along d).
Value* weighted_rows(Emitter& e, Value* x, int64_t d, int64_t rank, int64_t in, Value* index, Value* weight) {
  index = e.op("aten::clamp", {index, e.int_(0), e.int_(in - 1)});
  std::vector<int64_t> view(static_cast<size_t>(rank - d), 1);
  view[0] = -1;
  return e.mul(e.op("aten::index_select", {x, e.int_(d), index}), reshape(e, weight, view));
}

// Linear interpolation along dim d of x from `in` to `out` positions: the
// two neighbours of each source position weighted by the distance, in f32.
Value* linear_along(Emitter& e, Value* x, int64_t d, int64_t rank, int64_t in, int64_t out, bool align_corners,
                    std::optional<double> scale_factor) {
  Value* source = source_positions(e, in, out, align_corners, scale_factor, false);
  Value* low = e.op("aten::clamp_max", {e.cast(e.op("aten::floor", {source}), DType::i64), e.int_(in - 1)});
  Value* high = e.op("aten::add.Scalar", {low, e.int_(1), e.int_(1)});
  Value* far = e.sub(source, e.cast(low, DType::f32));       // weight of high
  Value* near = e.op("aten::rsub.Scalar", {far, e.int_(1), e.int_(1)});  // weight of low
  return e.add(weighted_rows(e, x, d, rank, in, low, near), weighted_rows(e, x, d, rank, in, high, far));
}

// Cubic convolution along dim d (Keys' kernel with A = -0.75, as ATen's
// bicubic): the four rows around each source position, clamped at the
// borders, weighted by the kernel at their distances.
Value* cubic_along(Emitter& e, Value* x, int64_t d, int64_t rank, int64_t in, int64_t out, bool align_corners,
                   std::optional<double> scale_factor) {
  Value* source = source_positions(e, in, out, align_corners, scale_factor, true);
  Value* floor = e.op("aten::floor", {source});
  const std::array<Value*, 4> weights = cubic_weights(e, e.sub(source, floor));
  Value* base = e.cast(floor, DType::i64);
  Value* sum = nullptr;
  for (int64_t k = 0; k < 4; ++k) {
    Value* index = e.op("aten::add.Scalar", {base, e.int_(k - 1), e.int_(1)});
    Value* term = weighted_rows(e, x, d, rank, in, index, weights[static_cast<size_t>(k)]);
    sum = sum ? e.add(sum, term) : term;
  }
  return sum;
}

}  // namespace

std::array<Value*, 4> cubic_weights(Emitter& e, Value* t) {
  constexpr double A = -0.75;
  auto scalar = [&](const char* op, Value* v, double c) { return e.op(op, {v, e.float_(c), e.int_(1)}); };
  auto mul = [&](Value* v, double c) { return e.op("aten::mul.Scalar", {v, e.float_(c)}); };
  // |x| <= 1: ((A + 2) x - (A + 3)) x^2 + 1; 1 < |x| < 2: ((A x - 5A) x + 8A) x - 4A.
  auto near = [&](Value* v) {
    return scalar("aten::add.Scalar", e.mul(scalar("aten::sub.Scalar", mul(v, A + 2), A + 3), e.mul(v, v)), 1.0);
  };
  auto far = [&](Value* v) {
    Value* inner = e.mul(scalar("aten::sub.Scalar", mul(v, A), 5 * A), v);
    return scalar("aten::sub.Scalar", e.mul(scalar("aten::add.Scalar", inner, 8 * A), v), 4 * A);
  };
  Value* one_minus_t = e.op("aten::rsub.Scalar", {t, e.int_(1), e.int_(1)});
  return {far(scalar("aten::add.Scalar", t, 1.0)), near(t), near(one_minus_t),
          far(scalar("aten::add.Scalar", one_minus_t, 1.0))};
}

// The scale of each of the last n dims: from the list scale_factors at
// `at` (.vec overloads), or from n optional floats there (the older ones).
std::vector<std::optional<double>> upsample_scales(Emitter& e, size_t at, size_t n) {
  std::vector<std::optional<double>> scales(n);
  if (e.node().op().schema.overload == "vec") {
    if (e.absent(at)) return scales;
    auto v = ir::constant_double_list(e.input(at));
    if (!v) throw e.node().error("scale_factors must be constants");
    if (v->size() != n) throw e.node().error("scale_factors needs " + std::to_string(n) + " values");
    for (size_t i = 0; i < n; ++i) scales[i] = (*v)[i];
    return scales;
  }
  for (size_t i = 0; i < n; ++i) {
    if (e.absent(at + i)) continue;
    auto v = ir::constant_double(e.input(at + i));
    if (!v) throw e.node().error("scales must be constants");
    scales[i] = *v;
  }
  return scales;
}

namespace {

// upsample_linear1d / bilinear2d / trilinear3d / bicubic2d(x, output_size,
// align_corners, scales...) and their .vec(x, output_size?, align_corners,
// scale_factors?): one dim at a time.
Value* upsample_interpolated(Emitter& e) {
  Value* x = e.input(0);
  const std::vector<Dim>& in = static_shape(e, x);
  const ir::Type& t = *e.node().output()->type();
  if (!t.has_rank()) throw e.node().error("needs a result of known shape");
  const std::string& name = e.node().op().schema.name;
  const int64_t n = name[name.size() - 2] - '0';
  const bool cubic = name == "upsample_bicubic2d";
  const bool align_corners = e.constant_bool(2, "align_corners");
  const auto scales = upsample_scales(e, 3, static_cast<size_t>(n));
  const int64_t rank = static_cast<int64_t>(in.size());
  for (int64_t i = 0; i < n; ++i) {
    const int64_t d = rank - n + i;
    const Dim& out = (*t.shape())[static_cast<size_t>(d)];
    if (!out.is_static()) throw e.node().error("needs a result of known shape");
    const std::optional<double> scale = scales[static_cast<size_t>(i)];
    const int64_t size = in[static_cast<size_t>(d)].value();
    x = (cubic ? cubic_along : linear_along)(e, x, d, rank, size, out.value(), align_corners, scale);
  }
  return x;
}

// upsample_nearest{1,2,3}d and _upsample_nearest_exact{1,2,3}d, .vec(x,
// output_size?, scale_factors?) or (x, output_size, scales...).
Value* upsample_nearest(Emitter& e) {
  Value* x = e.input(0);
  const std::vector<Dim>& in = static_shape(e, x);
  const ir::Type& t = *e.node().output()->type();
  if (!t.has_rank()) throw e.node().error("needs a result of known shape");
  const std::string& name = e.node().op().schema.name;
  const size_t n = static_cast<size_t>(name[name.size() - 2] - '0');
  const bool exact = name.rfind("_upsample_nearest_exact", 0) == 0;
  const auto scales = upsample_scales(e, 2, n);
  for (size_t i = 0; i < n; ++i) {
    const size_t d = in.size() - n + i;
    const Dim& out = (*t.shape())[d];
    if (!out.is_static()) throw e.node().error("needs a result of known shape");
    const std::optional<double> scale = scales[i];
    if (out.value() == in[d].value() && !scale) continue;
    x = e.op("aten::index_select",
             {x, e.int_(static_cast<int64_t>(d)), nearest_sources(e, in[d].value(), out.value(), scale, exact)});
  }
  return x;
}

// eye(n, [m,] dtype...): ones([n, m]) with tril and triu of diagonal 0.
Value* eye(Emitter& e) {
  const ir::Type& t = *e.node().output()->type();
  if (!t.dtype() || !t.has_rank()) throw e.node().error("needs a dtype known when compiling");
  std::vector<int64_t> sizes;
  for (const Dim& d : *t.shape()) {
    if (!d.is_static()) throw e.node().error("needs sizes known when compiling");
    sizes.push_back(d.value());
  }
  Value* ones = e.op("aten::ones", {e.ints(sizes), e.int_(*torch_code_of(*t.dtype())), e.none(), e.none(), e.none()});
  return e.op("aten::triu", {e.op("aten::tril", {ones, e.int_(0)}), e.int_(0)});
}

Value* pad_sequence(Emitter& e) {
  const ir::Node* list = e.input(0)->node();
  if (!list->is("prim::ListConstruct")) throw e.node().error("needs its sequences as a list built in the graph");
  const ir::Type& t = *e.node().output()->type();
  if (!t.has_rank()) throw e.node().error("needs sequences of known shapes");
  const bool batch_first = e.constant_bool(1, "batch_first");
  const Dim& longest = (*t.shape())[batch_first ? 1 : 0];
  if (!longest.is_static()) throw e.node().error("needs sequences whose lengths are known when compiling");
  std::vector<Value*> padded;
  for (Value* x : list->inputs()) {
    const std::vector<Dim>& s = e.shape(x, "sequence");
    std::vector<int64_t> widths(2 * s.size(), 0);  // (before, after) pairs from the last dim
    widths.back() = longest.value() - s[0].value();
    padded.push_back(widths.back() == 0 ? x : e.op("aten::constant_pad_nd", {x, e.ints(widths), e.input(2)}));
  }
  return e.op("aten::stack", {e.list(padded), e.int_(batch_first ? 0 : 1)});
}

}  // namespace

std::vector<NamedRule> layout_rules() {
  return {{"aten::narrow", narrow},
          {"aten::roll", roll},
          {"aten::flip", flip},
          {"aten::constant_pad_nd", constant_pad_nd},
          {"aten::pad", pad},
          {"aten::repeat", repeat},
          {"aten::pixel_shuffle", pixel_shuffle},
          {"aten::unflatten.int", unflatten},
          {"aten::pad_sequence", pad_sequence},
          {"aten::eye", eye},
          {"aten::eye.m", eye},
          {"aten::reflection_pad1d", named_pad},
          {"aten::reflection_pad2d", named_pad},
          {"aten::replication_pad1d", named_pad},
          {"aten::replication_pad2d", named_pad},
          {"aten::reflection_pad3d", named_pad},
          {"aten::replication_pad3d", named_pad},
          {"aten::upsample_linear1d.vec", upsample_interpolated},
          {"aten::upsample_linear1d", upsample_interpolated},
          {"aten::upsample_bilinear2d.vec", upsample_interpolated},
          {"aten::upsample_bilinear2d", upsample_interpolated},
          {"aten::upsample_trilinear3d.vec", upsample_interpolated},
          {"aten::upsample_trilinear3d", upsample_interpolated},
          {"aten::upsample_bicubic2d.vec", upsample_interpolated},
          {"aten::upsample_bicubic2d", upsample_interpolated},
          {"aten::upsample_nearest1d.vec", upsample_nearest},
          {"aten::upsample_nearest1d", upsample_nearest},
          {"aten::upsample_nearest2d.vec", upsample_nearest},
          {"aten::upsample_nearest2d", upsample_nearest},
          {"aten::upsample_nearest3d.vec", upsample_nearest},
          {"aten::upsample_nearest3d", upsample_nearest},
          {"aten::_upsample_nearest_exact1d.vec", upsample_nearest},
          {"aten::_upsample_nearest_exact1d", upsample_nearest},
          {"aten::_upsample_nearest_exact2d.vec", upsample_nearest},
          {"aten::_upsample_nearest_exact2d", upsample_nearest},
          {"aten::_upsample_nearest_exact3d.vec", upsample_nearest},
          {"aten::_upsample_nearest_exact3d", upsample_nearest}};
}

}  // namespace wick::passes::decompose_detail

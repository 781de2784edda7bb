// Decomposition rules for antialiased resizing (F.interpolate with
// antialias=True):
//   _upsample_bilinear2d_aa / _upsample_bicubic2d_aa(x, output_size,
//   align_corners, scales...) and their .vec overloads
//
// One dim at a time, as ATen's separable kernel: output o is a normalized
// weighted sum of the inputs within `support` of its center scale * (o +
// 0.5), where support is half the filter's width (2 for the triangle, 4 for
// the cubic with a = -0.5) stretched by the scale when shrinking, and each
// input's weight is the filter at its distance from the center (shrunk by
// the scale likewise). The window bounds, distances and weights are written
// with arange arithmetic in the input's dtype, rounding where ATen rounds
// (the bounds truncated in f64); the K positions of every window are
// gathered by one index_select into [..., K, out, ...], weighted and summed
// over K. Positions past a window's end weigh 0.
#include <cmath>

#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Dim;
using ir::Value;

Value* scalar(Emitter& e, const char* op, Value* x, double c) { return e.op(op, {x, e.float_(c), e.int_(1)}); }
Value* times(Emitter& e, Value* x, double c) { return e.op("aten::mul.Scalar", {x, e.float_(c)}); }
Value* reshape(Emitter& e, Value* x, const std::vector<int64_t>& sizes) {
  return e.op("aten::reshape", {x, e.ints(sizes)});
}
Value* arange(Emitter& e, int64_t n, DType t) {
  return e.op("aten::arange", {e.int_(n), e.int_(*torch_code_of(t)), e.none(), e.none(), e.none()});
}
// trunc(f64(v) + 0.5) as i64, as ATen's static_cast<int64_t>(v + 0.5).
Value* truncated_half_up(Emitter& e, Value* v) {
  return e.cast(e.op("aten::trunc", {scalar(e, "aten::add.Scalar", e.cast(v, DType::f64), 0.5)}), DType::i64);
}

// ATen's aa filters of |t|: the triangle, or Keys' cubic with a = -0.5.
Value* filter(Emitter& e, Value* t, bool cubic) {
  Value* u = e.op("aten::abs", {t});
  if (!cubic) return e.op("aten::clamp_min", {e.op("aten::rsub.Scalar", {u, e.int_(1), e.int_(1)}), e.int_(0)});
  constexpr double a = -0.5;
  Value* u2 = e.mul(u, u);
  // |t| < 1: ((a + 2) u - (a + 3)) u^2 + 1; |t| < 2: (((u - 5) u + 8) u - 4) a.
  Value* near = scalar(e, "aten::add.Scalar", e.mul(scalar(e, "aten::sub.Scalar", times(e, u, a + 2), a + 3), u2), 1.0);
  Value* far = times(e, scalar(e, "aten::sub.Scalar",
                               e.mul(scalar(e, "aten::add.Scalar", e.mul(scalar(e, "aten::sub.Scalar", u, 5.0), u), 8.0), u),
                               4.0),
                     a);
  Value* zero = e.op("aten::zeros_like", {u, e.none(), e.none(), e.none(), e.none(), e.none()});
  Value* outer = e.op("aten::where.self", {e.op("aten::lt.Scalar", {u, e.float_(2.0)}), far, zero});
  return e.op("aten::where.self", {e.op("aten::lt.Scalar", {u, e.float_(1.0)}), near, outer});
}

// Antialiased resizing of dim d of x from `in` to `out`.
Value* antialiased_along(Emitter& e, Value* x, int64_t d, int64_t rank, int64_t in, int64_t out, DType t, bool cubic,
                         bool align_corners, std::optional<double> scale_factor) {
  // ATen's area_pixel_compute_scale and support, in the input's dtype.
  auto as_t = [&](double v) { return t == DType::f32 ? static_cast<double>(static_cast<float>(v)) : v; };
  double scale;
  if (align_corners) scale = out > 1 ? as_t(static_cast<double>(in - 1) / static_cast<double>(out - 1)) : 0.0;
  else if (scale_factor && *scale_factor > 0) scale = as_t(1.0 / *scale_factor);
  else scale = as_t(static_cast<double>(in) / static_cast<double>(out));
  const double interp = cubic ? 4.0 : 2.0;
  const double support = as_t(scale >= 1.0 ? interp * 0.5 * scale : interp * 0.5);
  const double invscale = scale >= 1.0 ? as_t(1.0 / scale) : 1.0;
  const int64_t k = static_cast<int64_t>(std::ceil(support)) * 2 + 1;

  Value* o = reshape(e, arange(e, out, t), {1, out});
  Value* center = times(e, scalar(e, "aten::add.Scalar", o, 0.5), scale);
  Value* first = e.op("aten::clamp_min", {truncated_half_up(e, scalar(e, "aten::sub.Scalar", center, support)), e.int_(0)});
  Value* end = e.op("aten::clamp_max", {truncated_half_up(e, scalar(e, "aten::add.Scalar", center, support)), e.int_(in)});
  Value* j = reshape(e, arange(e, k, DType::i64), {k, 1});
  Value* pos = e.add(first, j);                                  // [k, out]
  Value* inside = e.op("aten::lt.Tensor", {pos, end});
  // (pos - center + 0.5) * invscale: the difference in the dtype, the rest in f64.
  Value* distance = e.cast(times(e, scalar(e, "aten::add.Scalar", e.cast(e.sub(e.cast(pos, t), center), DType::f64), 0.5),
                                 invscale),
                           t);
  Value* w = filter(e, distance, cubic);
  w = e.op("aten::where.self", {inside, w, e.op("aten::zeros_like", {w, e.none(), e.none(), e.none(), e.none(), e.none()})});
  w = e.div(w, e.sum(w, {0}, true));

  Value* rows = gather_windows(e, x, d, e.op("aten::clamp_max", {pos, e.int_(in - 1)}), k, out);
  std::vector<int64_t> view(static_cast<size_t>(rank + 1 - d), 1);
  view[0] = k;
  view[1] = out;
  return e.sum(e.mul(rows, reshape(e, w, view)), {d}, false);
}

// _upsample_bilinear2d_aa / _upsample_bicubic2d_aa(x, output_size,
// align_corners, scales_h, scales_w) and .vec(x, output_size?,
// align_corners, scale_factors?).
Value* upsample_antialiased(Emitter& e) {
  Value* x = e.input(0);
  const std::vector<Dim>& in = e.shape(x, "input");
  const ir::Type& result = *e.node().output()->type();
  if (!result.has_rank()) throw e.node().error("needs a result of known shape");
  const bool cubic = e.node().op().schema.name == "_upsample_bicubic2d_aa";
  const bool align_corners = e.constant_bool(2, "align_corners");
  const auto scales = upsample_scales(e, 3, 2);
  const DType t = e.float_dtype(x, "input");
  const int64_t rank = static_cast<int64_t>(in.size());
  for (int64_t i = 0; i < 2; ++i) {
    const int64_t d = rank - 2 + i;
    const Dim& size = in[static_cast<size_t>(d)];
    const Dim& out = (*result.shape())[static_cast<size_t>(d)];
    if (!size.is_static() || !out.is_static()) throw e.node().error("needs the resized dims known");
    if (size.value() <= 0 || out.value() <= 0) throw e.node().error("cannot resize an empty dim");
    x = antialiased_along(e, x, d, rank, size.value(), out.value(), t, cubic, align_corners,
                          scales[static_cast<size_t>(i)]);
  }
  return x;
}

}  // namespace

std::vector<NamedRule> antialias_rules() {
  return {{"aten::_upsample_bilinear2d_aa.vec", upsample_antialiased},
          {"aten::_upsample_bilinear2d_aa", upsample_antialiased},
          {"aten::_upsample_bicubic2d_aa.vec", upsample_antialiased},
          {"aten::_upsample_bicubic2d_aa", upsample_antialiased}};
}

}  // namespace wick::passes::decompose_detail

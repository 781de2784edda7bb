// Decomposition rules for dynamically quantized layers (ir/ops_quantized.cpp).
// linear_dynamic(x, w, w_scale, w_zero, b, reduce_range) quantizes x to the
// uint8 levels 0..qmax (255, or 127 with reduce_range) with parameters
// chosen from x itself and multiplies them with the weight's integers. On
// the CPU that is one library call, wick::quantized_linear_dynamic
// (runtime/dynamic_quantization.h says how the parameters are chosen, as
// LibTorch's x86 engines choose them). On the GPU it is written with ops:
//   scale = (max - min) / qmax in double over [min(x, 0), max(x, 0)]; 0.1
//           when its float has no finite reciprocal; raised to 6.1e-5 (the
//           range scaled to match) below it
//   zero  = round(-min / scale) or round(qmax - max / scale), whichever
//           adds the smaller terms, clamped to the levels
//   q     = clamp(round(x * (1 / scale) + zero), 0, 255), ties to even
//           (the uint8 range, also with reduce_range)
// then the float product linear((q - zero) * scale, (w - w_zero) * w_scale,
// b), equal up to float rounding. linear_relu_dynamic adds a relu. No
// gradient flows back through x, as none does in LibTorch.
//
// Statically quantized ops hold quantized tensors as the f32 values they
// stand for; each computes in float and rounds its result to its output's
// levels, as LibTorch's quantize does:
//   q = clamp(round(y * (1 / scale)) + zero_point, lo, hi), ties to even,
//       1 / scale in f32 (quint8: 0..255, qint8: -128..127)
//   values = (q - zero_point) * scale
// quantize_per_tensor is that rounding, dequantize the values themselves;
// quantized::conv2d, linear, add and mul (and their _relu forms) are the
// float op, its relu, then the rounding to (output_scale, output_zero_point)
// in quint8, weights read as (W - W_zero) * W_scale. Their wick::quantized_*
// forms (passes/integer_quantized_ops.h) compute on the inputs' integer
// levels as LibTorch's onednn kernels do.
#include <algorithm>
#include <string>
#include <utility>

#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Value;

// Scales below this are raised to it (fp16's smallest normal number).
constexpr float kSmallScale = 6.1e-5f;

// x's levels as f32 integers, with the f32 scale and zero point they read as.
struct Levels {
  Value* q;
  Value* scale;
  Value* zero;
};

Levels dynamically_quantized(Emitter& e, Value* x, double qmax) {
  const std::vector<ir::Dim>& shape = e.shape(x, "input");
  std::vector<int64_t> all(shape.size());
  for (size_t d = 0; d < all.size(); ++d) all[d] = static_cast<int64_t>(d);
  auto f64 = [&](Value* v) { return e.cast(v, DType::f64); };
  auto f32 = [&](Value* v) { return e.cast(v, DType::f32); };
  auto where = [&](Value* c, Value* a, Value* b) { return e.op("aten::where.self", {c, a, b}); };
  auto is_zero = [&](Value* v) { return e.op("aten::eq.Scalar", {v, e.float_(0)}); };

  Value* lo = e.op("aten::clamp_max", {e.op("aten::amin", {x, e.ints(all), e.bool_(false)}), e.float_(0)});
  Value* hi = e.op("aten::clamp_min", {e.op("aten::amax", {x, e.ints(all), e.bool_(false)}), e.float_(0)});
  Value* scale = e.op("aten::div.Scalar", {e.sub(f64(hi), f64(lo)), e.float_(qmax)});
  Value* unusable = e.op("aten::isinf", {e.op("aten::reciprocal", {f32(scale)})});
  scale = e.op("aten::where.ScalarSelf", {unusable, e.float_(0.1), scale});

  // A small scale is raised; the range grows to match, in float.
  Value* small = e.op("aten::lt.Scalar", {scale, e.float_(kSmallScale)});
  Value* old_scale = f32(scale);
  Value* floor_scale =
      e.op("aten::full_like", {old_scale, e.float_(kSmallScale), e.none(), e.none(), e.none(), e.none(), e.none()});
  Value* amplifier = e.div(floor_scale, old_scale);
  Value* span = e.op("aten::mul.Scalar", {floor_scale, e.float_(qmax)});
  Value* lo_small = where(is_zero(lo), lo, where(is_zero(hi), e.op("aten::neg", {span}), e.mul(lo, amplifier)));
  Value* hi_small = where(is_zero(lo), span, where(is_zero(hi), hi, e.mul(hi, amplifier)));
  lo = where(small, lo_small, lo);
  hi = where(small, hi_small, hi);
  scale = where(small, f64(floor_scale), scale);

  // The zero point from whichever end adds the smaller terms.
  Value* from_lo = e.div(f64(lo), scale);  // zero = -from_lo
  Value* from_hi = e.div(f64(hi), scale);  // zero = qmax - from_hi
  Value* lo_error = e.op("aten::neg", {e.op("aten::abs", {from_lo})});
  Value* hi_error = e.op("aten::rsub.Scalar", {e.op("aten::abs", {from_hi}), e.float_(qmax), e.int_(1)});
  Value* zero = where(e.op("aten::lt.Tensor", {lo_error, hi_error}), e.op("aten::neg", {from_lo}),
                      e.op("aten::rsub.Scalar", {from_hi, e.float_(qmax), e.int_(1)}));
  zero = f32(e.op("aten::clamp", {e.op("aten::round", {zero}), e.float_(0), e.float_(qmax)}));

  Value* scale32 = f32(scale);
  Value* levels = e.add(e.mul(x, e.op("aten::reciprocal", {scale32})), zero);
  return {e.op("aten::clamp", {e.op("aten::round", {levels}), e.float_(0), e.float_(255)}), scale32, zero};
}

Value* linear_dynamic(Emitter& e) {
  const int64_t qmax = e.constant_bool(5, "reduce_range") ? 127 : 255;
  Value *w = e.input(1), *w_scale = e.input(2), *w_zero = e.input(3), *bias = e.input(4);
  if (!e.options().for_gpu)
    return e.op("wick::quantized_linear_dynamic", {e.input(0), w, w_scale, w_zero, bias, e.int_(qmax)});
  // LibTorch's quantized ops have no gradient: what comes before them
  // receives none (and its parameters no update) when a model trains.
  const Levels l = dynamically_quantized(e, e.op("aten::detach", {e.input(0)}), static_cast<double>(qmax));
  Value* x_floats = e.mul(e.sub(l.q, l.zero), l.scale);
  Value* w_floats = e.mul(e.sub(e.cast(w, DType::f32), w_zero), w_scale);
  return e.op("aten::linear", {x_floats, w_floats, bias});
}

Value* linear_relu_dynamic(Emitter& e) { return e.op("aten::relu", {linear_dynamic(e)}); }

// The levels of torch's quantized dtypes (c10::ScalarType codes).
std::pair<double, double> level_range(Emitter& e, size_t at) {
  switch (e.constant_int(at, "dtype")) {
    case 12: return {-128, 127};               // torch.qint8
    case 13: return {0, 255};                  // torch.quint8
    case 14: return {-2147483648.0, 2147483647.0};  // torch.qint32
    default: throw e.node().error("quantizing supports torch.quint8, torch.qint8 and torch.qint32");
  }
}

// y rounded to the levels of (scale, zero) within [lo, hi], as the f32
// values those levels stand for.
Value* requantized(Emitter& e, Value* y, Value* scale, Value* zero, std::pair<double, double> range) {
  Value* scaled;
  if (const auto s = ir::constant_double(scale)) {
    scaled = e.op("aten::mul.Scalar", {y, e.float_(1.0f / static_cast<float>(*s))});
  } else {
    Value* s32 = e.op("aten::full", {e.ints({}), scale, e.int_(static_cast<int64_t>(6)), e.none(), e.none(), e.none()});
    scaled = e.mul(y, e.op("aten::reciprocal", {s32}));
  }
  Value* levels = e.add_scalar(e.op("aten::round", {scaled}), zero);
  levels = e.op("aten::clamp", {levels, e.float_(range.first), e.float_(range.second)});
  return e.op("aten::mul.Scalar", {e.op("aten::sub.Scalar", {levels, zero, e.int_(1)}), scale});
}

constexpr std::pair<double, double> kQuint8 = {0, 255};

Value* quantize_per_tensor(Emitter& e) {
  return requantized(e, e.op("aten::detach", {e.input(0)}), e.input(1), e.input(2), level_range(e, 3));
}

// The forms canonicalize rewrites before the quantized passes run (for
// graphs that reach decompose without it): quantize_per_tensor with its
// scale and zero point in tensors, and conv1d as conv2d over a height of 1.
Value* quantize_with_tensor_parameters(Emitter& e) {
  return e.op("aten::quantize_per_tensor", {e.input(0), e.op("aten::Float.Tensor", {e.input(1)}),
                                            e.op("aten::Int.Tensor", {e.input(2)}), e.input(3)});
}

template <bool Relu>
Value* conv1d(Emitter& e) {
  std::vector<Value*> inputs = e.node().inputs();
  Value* height = e.int_(2);
  inputs[0] = e.op("aten::unsqueeze", {e.input(0), height});
  Value* y = e.op(Relu ? "quantized::conv2d_relu.new" : "quantized::conv2d.new", inputs);
  return e.op("aten::squeeze.dim", {y, height});
}

Value* dequantize(Emitter& e) { return e.input(0); }

// A quantized weight's floats, (W - W_zero_point) * W_scale.
Value* weight_floats(Emitter& e, size_t w_at) {
  return e.mul(e.sub(e.cast(e.input(w_at), DType::f32), e.input(w_at + 2)), e.input(w_at + 1));
}

template <bool Relu>
Value* conv2d(Emitter& e) {
  Value* y = e.op("aten::conv2d", {e.input(0), weight_floats(e, 1), e.input(4), e.input(5), e.input(6), e.input(7),
                                   e.input(8)});
  if (Relu) y = e.op("aten::relu", {y});
  return requantized(e, y, e.input(9), e.input(10), kQuint8);
}

template <bool Relu>
Value* linear(Emitter& e) {
  Value* y = e.op("aten::linear", {e.input(0), weight_floats(e, 1), e.input(4)});
  if (Relu) y = e.op("aten::relu", {y});
  return requantized(e, y, e.input(5), e.input(6), kQuint8);
}

double constant_number(Emitter& e, size_t at, const char* what) {
  const auto v = ir::constant_double(e.input(at));
  if (!v) throw e.node().error(std::string(what) + " must be known when compiling");
  return *v;
}

// x's levels less its zero point, round(x / scale): exact integers, as x
// holds (q - zero_point) * scale.
Value* levels_of_values(Emitter& e, size_t x_at, size_t scale_at) {
  return e.op("aten::round", {e.op("aten::div.Scalar", {e.input(x_at), e.input(scale_at)})});
}

// The values of the quint8 levels that oneDNN makes of v (a sum times its
// multiplier): v + zero_point rounded, ties to even, saturated; a relu
// first. Clamping v before the add is the same, and keeps LLVM from fusing
// the multiply into the add, which would round once where oneDNN rounds
// twice.
Value* saturated_levels(Emitter& e, Value* v, size_t zero_at, size_t scale_at, bool relu) {
  const int64_t zero = e.constant_int(zero_at, "the output zero point");
  const double lo = relu ? std::max<double>(0.0, -static_cast<double>(zero)) : -static_cast<double>(zero);
  Value* held = e.op("aten::clamp", {v, e.float_(lo), e.float_(255.0 - static_cast<double>(zero))});
  Value* levels = e.op("aten::round", {e.add_scalar(held, e.input(zero_at))});
  return e.op("aten::mul.Scalar", {e.op("aten::sub.Scalar", {levels, e.input(zero_at), e.int_(1)}),
                                   e.input(scale_at)});
}

// The sums times each output channel's multiplier (input `at + 1`), after
// the bias in the sums' units (input `at`) is added, then rounded to the
// output's levels; `per_channel` lays a channel vector along the sums.
template <typename PerChannel>
Value* requantized_sums(Emitter& e, Value* sums, size_t at, size_t y_at, PerChannel per_channel) {
  if (!e.absent(at)) sums = e.add(sums, per_channel(e.input(at)));
  return saturated_levels(e, e.mul(sums, per_channel(e.input(at + 1))), y_at + 1, y_at,
                          e.constant_bool(y_at + 2, "relu"));
}

// Whether `v` holds integers within [0, 255]: clamp(integers, lo, hi) with
// 0 <= lo, hi <= 255 (requantized), or round(clamp(v, lo, hi) + z) with the
// bounds plus z within them (saturated_levels).
bool uint8_integers(const Value* v) {
  const ir::Node* n = v->node();
  auto bounds_within = [](const ir::Node* clamp, double shift) {
    const auto lo = ir::constant_double(clamp->input(1)), hi = ir::constant_double(clamp->input(2));
    return lo && hi && *lo + shift >= 0 && *hi + shift <= 255;
  };
  if (n->is("aten::clamp")) {
    const ir::Node* sum = n->input(0)->node();
    return bounds_within(n, 0) && sum->is("aten::add.Scalar") && sum->input(0)->node()->is("aten::round") &&
           ir::constant_int(sum->input(1)).has_value();
  }
  if (!n->is("aten::round") || !n->input(0)->node()->is("aten::add.Scalar")) return false;
  const ir::Node* sum = n->input(0)->node();
  const auto z = ir::constant_int(sum->input(1));
  return z && sum->input(0)->node()->is("aten::clamp") &&
         bounds_within(sum->input(0)->node(), static_cast<double>(*z));
}

// The levels x was made from, when the op before requantized to this op's
// input scale and zero point: x is (L - zero point) * scale (seen through a
// permute), L integers in [0, 255]. They are what LibTorch's next op reads;
// reading them here saves taking x back to them.
Value* requantized_levels(Emitter& e, Value* x, double scale, int64_t zero) {
  const ir::Node* n = x->node();
  if (n->is("aten::permute")) {
    Value* inner = requantized_levels(e, n->input(0), scale, zero);
    return inner ? e.op("aten::permute", {inner, n->input(1)}) : nullptr;
  }
  if (!n->is("aten::mul.Scalar") || ir::constant_double(n->input(1)) != scale) return nullptr;
  const ir::Node* shift = n->input(0)->node();
  if (!shift->is("aten::sub.Scalar") || ir::constant_int(shift->input(1)) != zero ||
      ir::constant_int(shift->input(2)) != 1)
    return nullptr;
  return uint8_integers(shift->input(0)) ? shift->input(0) : nullptr;
}

// x's levels (values at input 1's scale, zero point input 2) as uint8. x
// holds (level - zero point) * scale, within an ulp: times the reciprocal
// of the scale it is within 255 * 3 ulp of that integer, which rounds back
// to it as a division would, at a fraction of a division's cost.
Value* uint8_levels(Emitter& e, Value* x) {
  const double scale = constant_number(e, 1, "the input's scale");
  const int64_t zero = e.constant_int(2, "the input's zero point");
  if (Value* levels = requantized_levels(e, x, scale, zero)) return e.cast(levels, DType::u8);
  Value* levels = e.op("aten::round", {e.op("aten::mul.Scalar", {x, e.float_(1.0 / scale)})});
  levels = e.op("aten::clamp", {e.add_scalar(levels, e.input(2)), e.float_(0), e.float_(255)});
  return e.cast(levels, DType::u8);
}

// wick::quantized_conv2d on the CPU with int8 weights: the levels in
// channels-last uint8, summed by oneDNN's int8 convolution, requantized
// channels-last and viewed back as NCHW. Views, not copies: the kernel that
// makes the levels reads x through the permutation, and what reads the
// result reads it through the other.
Value* int8_convolution(Emitter& e) {
  Value* levels = uint8_levels(e, e.op("aten::permute", {e.input(0), e.ints({0, 2, 3, 1})}));
  Value* sums =
      e.op("wick::conv2d_int8", {levels, e.input(2), e.input(3), e.input(6), e.input(7), e.input(8), e.input(9)});
  Value* y = requantized_sums(e, sums, 4, 10, [](Value* v) { return v; });
  return e.op("aten::permute", {y, e.ints({0, 3, 1, 2})});
}

// wick::quantized_linear on the CPU with int8 weights: the rows of levels
// [M, K] as an [M, 1, 1, K] image, convolved 1 x 1 by the weight [N, K]
// viewed as [N, K, 1, 1].
Value* int8_linear(Emitter& e) {
  const std::vector<ir::Dim>& xs = e.shape(e.input(0), "input");
  const std::vector<ir::Dim>& ws = e.shape(e.input(3), "weight");
  if (!ws[0].is_static() || !ws[1].is_static()) throw e.node().error("the weight's sizes must be known when compiling");
  const int64_t n = ws[0].value(), k = ws[1].value();
  Value* rows = e.op("aten::reshape", {uint8_levels(e, e.input(0)), e.ints({-1, 1, 1, k})});
  Value* w = e.op("aten::view", {e.input(3), e.ints({n, k, 1, 1})});
  Value* ones = e.ints({1, 1});
  Value* sums = e.op("wick::conv2d_int8", {rows, e.input(2), w, ones, e.ints({0, 0}), ones, e.int_(1)});
  std::vector<Size> out;
  for (size_t d = 0; d + 1 < xs.size(); ++d) out.push_back(Size::dim_of(static_cast<int>(d)));
  out.push_back(Size::fixed(n));
  sums = e.op("aten::reshape", {sums, e.sizes(e.input(0), out)});
  return requantized_sums(e, sums, 4, 6, [](Value* v) { return v; });
}

// wick::quantized_conv2d / quantized_linear (passes/integer_quantized_ops.h):
// the input's levels times the weight's, plus the bias in the sums' units,
// each channel times its multiplier.
template <bool Conv>
Value* integer_product(Emitter& e) {
  const size_t w_at = 3;
  const bool int8_weight = *e.input(w_at)->type()->dtype() == DType::i8;
  const ir::Type& x = *e.input(0)->type();
  if (int8_weight && !e.options().for_gpu && x.has_rank() && (Conv ? x.rank() == 4 : x.rank() >= 1))
    return Conv ? int8_convolution(e) : int8_linear(e);
  Value* levels = levels_of_values(e, 0, 1);
  Value* w = int8_weight ? e.cast(e.input(w_at), DType::f32) : e.input(w_at);
  // The sums exact (integers in f32), the bias added once after them: a
  // library call given the bias may start its sums from it.
  Value* sums = Conv ? e.op("aten::conv2d", {levels, w, e.none(), e.input(6), e.input(7), e.input(8), e.input(9)})
                     : e.op("aten::linear", {levels, w, e.none()});
  return requantized_sums(e, sums, w_at + 1, Conv ? 10 : 6,
                          [&](Value* v) { return Conv ? e.op("aten::view", {v, e.ints({-1, 1, 1})}) : v; });
}

// An operand at `at` (values, scale, zero point) as ATen's vectorized
// kernels dequantize a level q: q * scale - zero_point * scale, computed as
// one fused multiply-add. Written as wick::fma, not as a multiply and an add
// that LLVM may or may not contract: one rounding apart, a sum within an
// ulp of a level's half lands on the other level.
Value* dequantized_as_aten(Emitter& e, size_t at) {
  const double exact_scale = constant_number(e, at + 1, "an operand's scale");
  const float scale = static_cast<float>(exact_scale);
  const int64_t zero = e.constant_int(at + 2, "an operand's zero point");
  // +0, not -0, for a zero point of 0: LLVM folds fma(q, s, -0) into a
  // multiply, which it may then contract with the add that follows.
  const float premultiplied = zero == 0 ? 0.0f : -(static_cast<float>(zero) * scale);
  Value* q = requantized_levels(e, e.input(at), exact_scale, zero);
  if (!q) q = e.add_scalar(levels_of_values(e, at, at + 1), e.int_(zero));
  return e.op("wick::fma", {q, e.float_(scale), e.float_(premultiplied)});
}

// wick::quantized_add(qa, a_scale, a_zero_point, qb, ..., scale, zero_point,
// relu): ATen's quantized add dequantizes both operands, adds them, applies
// the relu and rounds at the output's scale.
Value* integer_add(Emitter& e) {
  Value* a = dequantized_as_aten(e, 0);
  Value* y = e.add(a, dequantized_as_aten(e, 3));
  if (e.constant_bool(8, "relu")) y = e.op("aten::relu", {y});
  return requantized(e, y, e.input(6), e.input(7), kQuint8);
}

// min(max(x + 3, 0), 6), as ATen's quantized hardswish and hardsigmoid
// compute it.
Value* relu6_of_x_plus_3(Emitter& e, Value* x) {
  return e.op("aten::clamp", {e.add_scalar(x, e.float_(3.0)), e.float_(0.0), e.float_(6.0)});
}

// wick::quantized_hardswish(qx, x_scale, x_zero_point, scale, zero_point):
// x * min(max(x + 3, 0), 6) / 6, rounded to the output's levels (the
// product with 1 / scale in double, as ATen's kernel rounds it).
Value* integer_hardswish(Emitter& e) {
  Value* x = dequantized_as_aten(e, 0);
  Value* y = e.op("aten::div.Scalar", {e.mul(x, relu6_of_x_plus_3(e, x)), e.float_(6.0)});
  // Its quantize multiplies by 1 / scale in double.
  const double scale = constant_number(e, 3, "the output scale");
  Value* scaled = e.op("aten::mul.Scalar", {e.cast(y, DType::f64), e.float_(1.0 / scale)});
  Value* levels = e.add_scalar(e.cast(e.op("aten::round", {scaled}), DType::f32), e.input(4));
  levels = e.op("aten::clamp", {levels, e.float_(0.0), e.float_(255.0)});
  return e.op("aten::mul.Scalar", {e.op("aten::sub.Scalar", {levels, e.input(4), e.int_(1)}), e.input(3)});
}

// wick::quantized_hardsigmoid: min(max(x + 3, 0), 6) / 6, rounded.
Value* integer_hardsigmoid(Emitter& e) {
  Value* x = dequantized_as_aten(e, 0);
  Value* y = e.op("aten::div.Scalar", {relu6_of_x_plus_3(e, x), e.float_(6.0)});
  return requantized(e, y, e.input(3), e.input(4), kQuint8);
}

// quantized::hardswish on values whose levels are not known: the float
// hardswish, rounded.
Value* hardswish(Emitter& e) {
  return requantized(e, e.op("aten::hardswish", {e.input(0)}), e.input(1), e.input(2), kQuint8);
}

// wick::quantized_layer_norm(qx, x_scale, x_zero_point, normalized_shape,
// weight, bias, eps, output_scale, output_zero_point), as ATen's quantized
// kernel computes it from the levels L of each row of N elements: the sums
// of L and L * L exact (integers), then in f32
//   m = sum / N, var = max(sum_sq / N - m * m, 0)
//   s = x_scale / sqrt(var * x_scale * x_scale + eps)   (the root in double)
//   y = (L - zero_point - (m - zero_point)) * s * weight + bias
// and y rounded to the output's levels. Its multiply-adds are fused as
// its build for AVX2 fuses them, which LLVM's contraction does here too.
// The statistics ATen's quantized normalize kernel takes of each row of
// `count` levels L (the input's levels at x_scale and zero, reduced over
// `dims`): the levels less the zero point, less the row's mean less the
// zero point, and the f32 factor x_scale / sqrt(var * x_scale^2 + eps),
// var = max(mean(L^2) - mean(L)^2, 0).
struct RowStatistics {
  Value* centered;
  Value* factor;
};

RowStatistics row_statistics(Emitter& e, Value* levels, int64_t zero, double x_scale, const std::vector<int64_t>& dims,
                             double count, double eps) {
  // Sums of integers, exact in f64, then read as f32 as the kernel reads its int sums.
  auto exact_sum = [&](Value* v) { return e.cast(e.sum(e.cast(v, DType::f64), dims, true), DType::f32); };
  Value* mean = e.op("aten::div.Scalar", {exact_sum(levels), e.float_(count)});
  Value* mean_sq = e.op("aten::div.Scalar", {exact_sum(e.mul(levels, levels)), e.float_(count)});
  // mean_sq - mean * mean in one rounding, as the kernel's fused
  // multiply-add gives it: exact in f64 (the product of two f32 is), then
  // rounded once to f32.
  auto f64 = [&](Value* v) { return e.cast(v, DType::f64); };
  Value* spread = e.cast(e.sub(f64(mean_sq), e.mul(f64(mean), f64(mean))), DType::f32);
  Value* var = e.op("aten::clamp_min", {spread, e.float_(0.0)});
  const float scale = static_cast<float>(x_scale);
  Value* scaled_var = e.op("aten::mul.Scalar", {e.op("aten::mul.Scalar", {var, e.float_(scale)}), e.float_(scale)});
  Value* root = e.op("aten::sqrt", {e.op("aten::add.Scalar", {e.cast(scaled_var, DType::f64), e.float_(eps), e.int_(1)})});
  Value* factor = e.cast(e.op("aten::reciprocal", {e.op("aten::div.Scalar", {root, e.float_(scale)})}), DType::f32);
  return {e.sub(e.add_scalar(levels, e.int_(-zero)), e.add_scalar(mean, e.int_(-zero))), factor};
}

Value* input_levels_at(Emitter& e, double x_scale, int64_t zero) {
  Value* levels = requantized_levels(e, e.input(0), x_scale, zero);
  return levels ? levels : e.add_scalar(levels_of_values(e, 0, 1), e.int_(zero));
}

Value* integer_layer_norm(Emitter& e) {
  const double x_scale = constant_number(e, 1, "the input's scale");
  const int64_t zero = e.constant_int(2, "the input's zero point");
  const std::vector<ir::Dim>& shape = e.shape(e.input(0), "input");
  const auto normalized = ir::constant_int_list(e.input(3));
  if (!normalized || normalized->size() > shape.size())
    throw e.node().error("normalized_shape must be a list of the input's last sizes");
  std::vector<int64_t> dims;
  double count = 1;
  for (size_t i = 0; i < normalized->size(); ++i) {
    dims.push_back(static_cast<int64_t>(shape.size() - normalized->size() + i));
    count *= static_cast<double>((*normalized)[i]);
  }
  const RowStatistics row = row_statistics(e, input_levels_at(e, x_scale, zero), zero, x_scale, dims, count,
                                           constant_number(e, 6, "eps"));
  Value* y = e.mul(row.centered, row.factor);
  if (!e.absent(4)) y = e.mul(y, e.input(4));
  if (!e.absent(5)) y = e.add(y, e.input(5));
  return requantized(e, y, e.input(7), e.input(8), kQuint8);
}

// wick::quantized_group_norm(qx, x_scale, x_zero_point, num_groups, weight,
// bias, eps, output_scale, output_zero_point): the same statistics over
// each group of channels (all but the batch dim static), then per channel
// c ATen's (L - z - (mean - z)) * (factor * weight[c]) + bias[c], the
// product of factor and weight rounded first. Instance norm is the group
// norm of one channel a group.
Value* integer_group_norm(Emitter& e) {
  const double x_scale = constant_number(e, 1, "the input's scale");
  const int64_t zero = e.constant_int(2, "the input's zero point");
  const int64_t groups = e.constant_int(3, "num_groups");
  const std::vector<ir::Dim>& shape = e.shape(e.input(0), "input");
  int64_t per_channel = 1;
  for (size_t d = 2; d < shape.size(); ++d) {
    if (!shape[d].is_static()) throw e.node().error("a quantized group norm needs static sizes past the batch");
    per_channel *= shape[d].value();
  }
  if (shape.size() < 2 || !shape[1].is_static() || groups <= 0 || shape[1].value() % groups != 0)
    throw e.node().error("a quantized group norm needs a static channel count that divides into its groups");
  const int64_t channels = shape[1].value(), per_group = channels / groups;
  Value* grouped = e.op("aten::reshape", {input_levels_at(e, x_scale, zero), e.ints({-1, groups, per_group, per_channel})});
  const RowStatistics row = row_statistics(e, grouped, zero, x_scale, {2, 3},
                                           static_cast<double>(per_group * per_channel), constant_number(e, 6, "eps"));
  auto per_channel_view = [&](size_t at) { return e.op("aten::reshape", {e.input(at), e.ints({1, groups, per_group, 1})}); };
  Value* y = e.absent(4) ? e.mul(row.centered, row.factor) : e.mul(row.centered, e.mul(row.factor, per_channel_view(4)));
  if (!e.absent(5)) y = e.add(y, per_channel_view(5));
  return e.op("aten::reshape_as", {requantized(e, y, e.input(7), e.input(8), kQuint8), e.input(0)});
}

// quantized::group_norm and instance_norm on values whose levels are not
// known: the float norms, rounded.
Value* group_norm(Emitter& e) {
  Value* y = e.op("aten::group_norm", {e.input(0), e.input(1), e.input(2), e.input(3), e.input(4), e.bool_(false)});
  return requantized(e, y, e.input(5), e.input(6), kQuint8);
}

Value* instance_norm(Emitter& e) {
  Value* y = e.op("aten::instance_norm", {e.input(0), e.input(1), e.input(2), e.none(), e.none(), e.bool_(true),
                                          e.float_(0.1), e.input(3), e.bool_(false)});
  return requantized(e, y, e.input(4), e.input(5), kQuint8);
}

// wick::quantized_batch_norm(qx, x_scale, x_zero_point, alpha, beta,
// output_scale, output_zero_point, relu), as ATen's kernel: per channel c,
// from the input's levels L, round(alpha[c] * (L - x_zero_point) + beta[c])
// in one fused multiply-add (which LLVM's contraction makes of it here),
// plus the output's zero point; with relu at least that zero point.
Value* integer_batch_norm(Emitter& e) {
  const double scale = constant_number(e, 1, "the input's scale");
  const int64_t zero = e.constant_int(2, "the input's zero point");
  const int rank = static_cast<int>(e.shape(e.input(0), "input").size());
  Value* levels = requantized_levels(e, e.input(0), scale, zero);
  if (!levels) levels = e.add_scalar(levels_of_values(e, 0, 1), e.int_(zero));
  Value* centered = e.add_scalar(levels, e.int_(-zero));
  Value* y = e.add(e.mul(centered, e.channel_view(e.input(3), rank)), e.channel_view(e.input(4), rank));
  const int64_t out_zero = e.constant_int(6, "the output zero point");
  Value* out = e.add_scalar(e.op("aten::round", {y}), e.input(6));
  const double lo = e.constant_bool(7, "relu") ? static_cast<double>(std::max<int64_t>(out_zero, 0)) : 0.0;
  out = e.op("aten::clamp", {out, e.float_(lo), e.float_(255.0)});
  return e.op("aten::mul.Scalar", {e.op("aten::sub.Scalar", {out, e.input(6), e.int_(1)}), e.input(5)});
}

// quantized::batch_norm* on values whose levels are not known: the float
// batch norm (its relu), rounded.
template <bool Relu>
Value* batch_norm(Emitter& e) {
  Value* y = e.op("aten::batch_norm", {e.input(0), e.input(1), e.input(2), e.input(3), e.input(4), e.bool_(false),
                                       e.float_(0.1), e.input(5), e.bool_(false)});
  if (Relu) y = e.op("aten::relu", {y});
  return requantized(e, y, e.input(6), e.input(7), kQuint8);
}

// wick::quantized_rescale(qx, x_scale, x_zero_point, shift, multiplier,
// relu, scale, zero_point): from the input's levels L, zero_point +
// round((L - x_zero_point + shift) * multiplier), saturated (at least
// zero_point with relu), read at the new scale and zero point.
Value* integer_rescale(Emitter& e) {
  const double scale = constant_number(e, 1, "the input's scale");
  const int64_t zero = e.constant_int(2, "the input's zero point");
  const int64_t shift = e.constant_int(3, "the shift");
  Value* levels = requantized_levels(e, e.input(0), scale, zero);
  if (!levels) levels = e.add_scalar(levels_of_values(e, 0, 1), e.int_(zero));
  Value* moved = e.op("aten::mul.Scalar", {e.add_scalar(levels, e.int_(shift - zero)), e.input(4)});
  Value* out = e.add_scalar(e.op("aten::round", {moved}), e.input(7));
  const int64_t out_zero = e.constant_int(7, "the output zero point");
  const double lo = e.constant_bool(5, "relu") ? static_cast<double>(std::max<int64_t>(out_zero, 0)) : 0.0;
  out = e.op("aten::clamp", {out, e.float_(lo), e.float_(255.0)});
  return e.op("aten::mul.Scalar", {e.op("aten::sub.Scalar", {out, e.input(7), e.int_(1)}), e.input(6)});
}

// quantized::mul.Scalar on values whose levels are not known: the float
// product (its relu), which LibTorch's rescaled levels equal up to rounding.
template <bool Relu>
Value* mul_scalar(Emitter& e) {
  Value* y = e.op("aten::mul.Scalar", {e.input(0), e.input(1)});
  return Relu ? e.op("aten::relu", {y}) : y;
}

// quantized::add.Scalar on values whose levels are not known: the float
// sum (its relu).
template <bool Relu>
Value* add_scalar(Emitter& e) {
  Value* y = e.op("aten::add.Scalar", {e.input(0), e.input(1), e.int_(1)});
  return Relu ? e.op("aten::relu", {y}) : y;
}

// wick::quantized_clamp(qx, x_scale, x_zero_point, min_level, max_level).
Value* integer_clamp(Emitter& e) {
  const double scale = constant_number(e, 1, "the input's scale");
  const int64_t zero = e.constant_int(2, "the input's zero point");
  Value* levels = requantized_levels(e, e.input(0), scale, zero);
  if (!levels) levels = e.add_scalar(levels_of_values(e, 0, 1), e.int_(zero));
  levels = e.op("aten::clamp", {levels, e.input(3), e.input(4)});
  return e.op("aten::mul.Scalar", {e.op("aten::sub.Scalar", {levels, e.input(2), e.int_(1)}), e.input(1)});
}

// quantized::layer_norm on values whose levels are not known: the float
// layer_norm, rounded.
Value* layer_norm(Emitter& e) {
  Value* y = e.op("aten::layer_norm", {e.input(0), e.input(1), e.input(2), e.input(3), e.input(4), e.bool_(false)});
  return requantized(e, y, e.input(5), e.input(6), kQuint8);
}

// prim::is_quantized that integer_quantized_ops did not answer.
Value* is_quantized(Emitter& e) {
  throw e.node().error("wick cannot tell here whether this tensor is quantized");
}

// quantized::cat: the inputs requantized to the output's levels (those
// already on them stay), then concatenated.
Value* cat(Emitter& e) {
  if (e.absent(2) || e.absent(3))
    throw e.node().error("a quantized cat without an output scale and zero point is not supported");
  return requantized(e, e.op("aten::cat", {e.input(0), e.input(1)}), e.input(2), e.input(3), kQuint8);
}

// wick::quantized_mul: ATen's quantized mul multiplies the levels (less
// their zero points) as integers and takes the product to the output's
// levels with one f32 multiplier, a_scale * b_scale * (1 / scale).
Value* integer_mul(Emitter& e) {
  const float a_scale = static_cast<float>(constant_number(e, 1, "an operand's scale"));
  const float b_scale = static_cast<float>(constant_number(e, 4, "an operand's scale"));
  const float scale = static_cast<float>(constant_number(e, 6, "the output scale"));
  const float multiplier = a_scale * b_scale * (1.0f / scale);
  Value* a = levels_of_values(e, 0, 1);
  Value* product = e.mul(a, levels_of_values(e, 3, 4));
  Value* levels = e.add_scalar(e.op("aten::round", {e.op("aten::mul.Scalar", {product, e.float_(multiplier)})}),
                               e.input(7));
  const double zero = static_cast<double>(e.constant_int(7, "the output zero point"));
  levels = e.op("aten::clamp", {levels, e.float_(e.constant_bool(8, "relu") ? zero : 0.0), e.float_(255)});
  return e.op("aten::mul.Scalar", {e.op("aten::sub.Scalar", {levels, e.input(7), e.int_(1)}), e.input(6)});
}

template <bool Mul, bool Relu>
Value* binary(Emitter& e) {
  Value* y = Mul ? e.mul(e.input(0), e.input(1)) : e.add(e.input(0), e.input(1));
  if (Relu) y = e.op("aten::relu", {y});
  return requantized(e, y, e.input(2), e.input(3), kQuint8);
}

}  // namespace

std::vector<NamedRule> quantized_rules() {
  return {{"quantized::linear_dynamic", linear_dynamic},
          {"quantized::linear_relu_dynamic", linear_relu_dynamic},
          {"aten::quantize_per_tensor", quantize_per_tensor},
          {"aten::quantize_per_tensor.tensor_qparams", quantize_with_tensor_parameters},
          {"aten::dequantize.self", dequantize},
          {"quantized::conv1d", conv1d<false>},
          {"quantized::conv1d_relu", conv1d<true>},
          {"quantized::conv2d.new", conv2d<false>},
          {"quantized::conv2d_relu.new", conv2d<true>},
          {"quantized::linear", linear<false>},
          {"quantized::linear_relu", linear<true>},
          {"quantized::add", binary<false, false>},
          {"quantized::add_relu", binary<false, true>},
          {"quantized::mul", binary<true, false>},
          {"quantized::mul_relu", binary<true, true>},
          {"wick::quantized_conv2d", integer_product<true>},
          {"wick::quantized_linear", integer_product<false>},
          {"wick::quantized_add", integer_add},
          {"wick::quantized_mul", integer_mul},
          {"wick::quantized_hardswish", integer_hardswish},
          {"wick::quantized_hardsigmoid", integer_hardsigmoid},
          {"quantized::hardswish", hardswish},
          {"wick::quantized_layer_norm", integer_layer_norm},
          {"quantized::layer_norm", layer_norm},
          {"wick::quantized_group_norm", integer_group_norm},
          {"quantized::group_norm", group_norm},
          {"quantized::instance_norm", instance_norm},
          {"wick::quantized_clamp", integer_clamp},
          {"wick::quantized_batch_norm", integer_batch_norm},
          {"wick::quantized_rescale", integer_rescale},
          {"quantized::mul.Scalar", mul_scalar<false>},
          {"quantized::mul_scalar", mul_scalar<false>},
          {"quantized::mul_relu.Scalar", mul_scalar<true>},
          {"quantized::mul_scalar_relu", mul_scalar<true>},
          {"quantized::add.Scalar", add_scalar<false>},
          {"quantized::add_scalar", add_scalar<false>},
          {"quantized::add_relu.Scalar", add_scalar<true>},
          {"quantized::add_scalar_relu", add_scalar<true>},
          {"quantized::batch_norm", batch_norm<false>},
          {"quantized::batch_norm1d", batch_norm<false>},
          {"quantized::batch_norm2d", batch_norm<false>},
          {"quantized::batch_norm3d", batch_norm<false>},
          {"quantized::batch_norm_relu", batch_norm<true>},
          {"quantized::batch_norm1d_relu", batch_norm<true>},
          {"quantized::batch_norm2d_relu", batch_norm<true>},
          {"quantized::batch_norm3d_relu", batch_norm<true>},
          {"quantized::cat", cat},
          {"prim::is_quantized", is_quantized}};
}

}  // namespace wick::passes::decompose_detail

// Gradient rules of the elementwise ops of ops_math.cpp, with torch's
// conventions: rounding and sign give zero gradients, frac and fmod pass
// the gradient to self, the shrinkage and threshold ops pass it only where
// they pass self, nan_to_num only where self is finite, logit with eps none
// outside [eps, 1 - eps]. The three-operand ops sum each gradient back to
// its operand's shape.
#include <cmath>

#include "ir/gradient_rule.h"

namespace wick::ir {
namespace {

using Grads = std::vector<Value*>;

Value* cmp(GradContext& c, const char* op, Value* x, Value* s) {
  return c.op((std::string("aten::") + op + (s->type()->is_tensor() ? ".Tensor" : ".Scalar")).c_str(), {x, s});
}

Value* both(GradContext& c, Value* a, Value* b) { return c.op("aten::__and__.Tensor", {a, b}); }
Value* square(GradContext& c, Value* x) { return c.mul(x, x); }

Grads zero_gradient(GradContext& c) { return c.no_grads(); }
Grads identity(GradContext& c) { return c.only_first(c.grad()); }

// g * f'(x) for f' built from x and the result y.
Grads expm1(GradContext& c) { return c.only_first(c.mul(c.grad(), c.add_scalar(c.output(), 1.0))); }
Grads exp2(GradContext& c) { return c.only_first(c.scale(c.mul(c.grad(), c.output()), M_LN2)); }
Grads log2(GradContext& c) { return c.only_first(c.div(c.grad(), c.scale(c.input(0), M_LN2))); }
Grads log10(GradContext& c) { return c.only_first(c.div(c.grad(), c.scale(c.input(0), M_LN10))); }
Grads log1p(GradContext& c) { return c.only_first(c.div(c.grad(), c.add_scalar(c.input(0), 1.0))); }
Grads tan(GradContext& c) { return c.only_first(c.mul(c.grad(), c.add_scalar(square(c, c.output()), 1.0))); }
Grads atan(GradContext& c) { return c.only_first(c.div(c.grad(), c.add_scalar(square(c, c.input(0)), 1.0))); }
Value* sqrt(GradContext& c, Value* x) { return c.op("aten::sqrt", {x}); }
// 1 - x^2 and x^2 + s for the inverse functions.
Value* one_minus_square(GradContext& c, Value* x) { return c.rsub_scalar(1.0, square(c, x)); }
Grads asin(GradContext& c) { return c.only_first(c.div(c.grad(), sqrt(c, one_minus_square(c, c.input(0))))); }
Grads acos(GradContext& c) { return c.only_first(c.neg(c.div(c.grad(), sqrt(c, one_minus_square(c, c.input(0)))))); }
Grads sinh(GradContext& c) { return c.only_first(c.mul(c.grad(), c.op("aten::cosh", {c.input(0)}))); }
Grads cosh(GradContext& c) { return c.only_first(c.mul(c.grad(), c.op("aten::sinh", {c.input(0)}))); }
Grads asinh(GradContext& c) {
  return c.only_first(c.div(c.grad(), sqrt(c, c.add_scalar(square(c, c.input(0)), 1.0))));
}
Grads acosh(GradContext& c) {
  return c.only_first(c.div(c.grad(), sqrt(c, c.add_scalar(square(c, c.input(0)), -1.0))));
}
Grads atanh(GradContext& c) { return c.only_first(c.div(c.grad(), one_minus_square(c, c.input(0)))); }
Grads square_rule(GradContext& c) { return c.only_first(c.mul(c.grad(), c.scale(c.input(0), 2.0))); }

// atan2(y, x): d/dy = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2).
Grads atan2(GradContext& c) {
  Grads r = c.no_grads();
  Value *y = c.input(0), *x = c.input(1);
  Value* scaled = c.div(c.grad(), c.add(square(c, x), square(c, y)));
  if (c.needs_grad(0)) r[0] = c.sum_to_shape(c.mul(scaled, x), y);
  if (c.needs_grad(1)) r[1] = c.sum_to_shape(c.neg(c.mul(scaled, y)), x);
  return r;
}

// logit: 1 / (x (1 - x)); with eps, zero where x was clamped.
Grads logit(GradContext& c) {
  Value* x = c.input(0);
  Value* d = c.div(c.grad(), c.mul(x, c.rsub_scalar(1.0, x)));
  if (c.is_none(1)) return c.only_first(d);
  const double eps = c.constant_double(1, "eps");
  Value* inside = both(c, cmp(c, "ge", x, c.float_(eps)), cmp(c, "le", x, c.float_(1.0 - eps)));
  return c.only_first(c.where_zero(inside, d));
}

// fmod(x, y) = x - trunc(x / y) * y.
Grads fmod_tensor(GradContext& c) {
  Grads r = c.no_grads();
  Value *x = c.input(0), *y = c.input(1), *g = c.grad();
  if (c.needs_grad(0)) r[0] = c.sum_to_shape(g, x);
  if (c.needs_grad(1)) {
    Value* q = c.op("aten::div.Tensor_mode", {x, y, c.str("trunc")});
    r[1] = c.sum_to_shape(c.mul(c.neg(g), q), y);
  }
  return r;
}

// The gradient passes where the op passes self.
Grads hardshrink(GradContext& c) {
  Value* x = c.input(0);
  const double lambd = c.constant_double(1, "lambd");
  Value* inside = both(c, cmp(c, "ge", x, c.float_(-lambd)), cmp(c, "le", x, c.float_(lambd)));
  return c.only_first(c.where(inside, c.zeros_like(x), c.grad()));
}

Grads threshold(GradContext& c) {
  return c.only_first(c.where(cmp(c, "le", c.input(0), c.input(1)), c.zeros_like(c.input(0)), c.grad()));
}

Grads nan_to_num(GradContext& c) { return c.only_first(c.where_zero(c.op("aten::isfinite", {c.input(0)}), c.grad())); }

// addcmul(s, a, b, value) = s + value * a * b.
Grads addcmul(GradContext& c) {
  Grads r = c.no_grads();
  Value *a = c.input(1), *b = c.input(2), *value = c.input(3);
  Value* g = c.scale(c.grad(), value);
  if (c.needs_grad(0)) r[0] = c.sum_to_shape(c.grad(), c.input(0));
  if (c.needs_grad(1)) r[1] = c.sum_to_shape(c.mul(g, b), a);
  if (c.needs_grad(2)) r[2] = c.sum_to_shape(c.mul(g, a), b);
  return r;
}

// addcdiv(s, a, b, value) = s + value * a / b.
Grads addcdiv(GradContext& c) {
  Grads r = c.no_grads();
  Value *a = c.input(1), *b = c.input(2), *value = c.input(3);
  Value* g = c.scale(c.grad(), value);
  if (c.needs_grad(0)) r[0] = c.sum_to_shape(c.grad(), c.input(0));
  if (c.needs_grad(1)) r[1] = c.sum_to_shape(c.div(g, b), a);
  if (c.needs_grad(2)) r[2] = c.sum_to_shape(c.neg(c.div(c.mul(g, a), square(c, b))), b);
  return r;
}

// lerp(s, e, w) = s + w (e - s).
Grads lerp(GradContext& c) {
  Grads r = c.no_grads();
  Value *s = c.input(0), *e = c.input(1), *w = c.input(2), *g = c.grad();
  const bool tensor_weight = w->type()->is_tensor();
  Value* gw = tensor_weight ? c.mul(g, w) : c.scale(g, w);
  if (c.needs_grad(0)) r[0] = c.sum_to_shape(c.sub(g, gw), s);
  if (c.needs_grad(1)) r[1] = c.sum_to_shape(gw, e);
  if (tensor_weight && c.needs_grad(2)) r[2] = c.sum_to_shape(c.mul(g, c.sub(e, s)), w);
  return r;
}

// clamp with tensor bounds: self where min <= x <= max; a bound where it
// was taken (max wins where min > max, as min(max(x, min), max) does).
Grads clamp_tensor(GradContext& c, Value* lo, Value* hi, size_t lo_at, size_t hi_at) {
  Grads r = c.no_grads();
  Value *x = c.input(0), *g = c.grad();
  Value* above_lo = lo ? cmp(c, "ge", x, lo) : nullptr;
  Value* below_hi = hi ? cmp(c, "le", x, hi) : nullptr;
  Value* lo_ok = lo && hi ? cmp(c, "le", lo, hi) : nullptr;
  Value* inside = above_lo && below_hi ? both(c, above_lo, below_hi) : above_lo ? above_lo : below_hi;
  if (c.needs_grad(0)) r[0] = c.sum_to_shape(c.where_zero(inside, g), x);
  if (lo && c.needs_grad(lo_at)) {
    Value* taken = c.op("aten::logical_not", {above_lo});
    if (lo_ok) taken = both(c, taken, lo_ok);
    r[lo_at] = c.sum_to_shape(c.where_zero(taken, g), lo);
  }
  if (hi && c.needs_grad(hi_at)) {
    Value* taken = c.op("aten::logical_not", {below_hi});
    if (lo_ok) taken = c.op("aten::logical_or", {taken, c.op("aten::logical_not", {lo_ok})});
    r[hi_at] = c.sum_to_shape(c.where_zero(taken, g), hi);
  }
  return r;
}

Grads clamp(GradContext& c) {
  return clamp_tensor(c, c.is_none(1) ? nullptr : c.input(1), c.is_none(2) ? nullptr : c.input(2), 1, 2);
}
Grads clamp_min(GradContext& c) { return clamp_tensor(c, c.input(1), nullptr, 1, 0); }
Grads clamp_max(GradContext& c) { return clamp_tensor(c, nullptr, c.input(1), 0, 1); }

}  // namespace

void add_math_gradients(OpTableBuilder& t) {
  t.set_gradient("aten::expm1", {expm1});
  t.set_gradient("aten::exp2", {exp2});
  t.set_gradient("aten::log2", {log2});
  t.set_gradient("aten::log10", {log10});
  t.set_gradient("aten::log1p", {log1p});
  t.set_gradient("aten::tan", {tan});
  t.set_gradient("aten::atan", {atan});
  t.set_gradient("aten::atan2", {atan2});
  t.set_gradient("aten::arctan", {atan});
  t.set_gradient("aten::arctan2", {atan2});
  for (const char* name : {"aten::asin", "aten::arcsin"}) t.set_gradient(name, {asin});
  for (const char* name : {"aten::acos", "aten::arccos"}) t.set_gradient(name, {acos});
  for (const char* name : {"aten::asinh", "aten::arcsinh"}) t.set_gradient(name, {asinh});
  for (const char* name : {"aten::acosh", "aten::arccosh"}) t.set_gradient(name, {acosh});
  for (const char* name : {"aten::atanh", "aten::arctanh"}) t.set_gradient(name, {atanh});
  t.set_gradient("aten::sinh", {sinh});
  t.set_gradient("aten::cosh", {cosh});
  t.set_gradient("aten::logit", {logit});
  t.set_gradient("aten::square", {square_rule});
  for (const char* op : {"aten::trunc", "aten::round", "aten::round.decimals", "aten::sign", "aten::sgn",
                         "aten::full_like"})
    t.set_gradient(op, {zero_gradient});
  t.set_gradient("aten::frac", {identity});
  t.set_gradient("aten::fmod.Tensor", {fmod_tensor});
  t.set_gradient("aten::fmod.Scalar", {identity});
  t.set_gradient("aten::hardshrink", {hardshrink});
  t.set_gradient("aten::softshrink", {hardshrink});
  t.set_gradient("aten::threshold", {threshold});
  t.set_gradient("aten::nan_to_num", {nan_to_num});
  t.set_gradient("aten::addcmul", {addcmul});
  t.set_gradient("aten::addcdiv", {addcdiv});
  t.set_gradient("aten::lerp.Scalar", {lerp});
  t.set_gradient("aten::lerp.Tensor", {lerp});
  t.set_gradient("aten::clamp.Tensor", {clamp});
  t.set_gradient("aten::clamp_min.Tensor", {clamp_min});
  t.set_gradient("aten::clamp_max.Tensor", {clamp_max});
}

}  // namespace wick::ir

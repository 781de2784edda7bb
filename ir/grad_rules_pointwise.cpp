// Gradient rules of the elementwise ops, with PyTorch's conventions where the
// derivative is not defined: relu and leaky_relu take the x <= 0 side at 0,
// clamp passes the gradient at its bounds, hardtanh, relu6 and hardsigmoid do
// not, hardswish takes the right side at 3, maximum/minimum split it evenly on
// ties, abs has 0 at 0, and pow's
// exponent 0 gives a zero gradient. Binary ops sum the gradient back to each
// input's shape. floor_divide has no derivative (as in torch), comparisons and
// logical ops give bools; they have no rule.
#include <cmath>

#include "ir/constant_value.h"
#include "ir/gradient_rule.h"

namespace wick::ir {
namespace {

using Grads = std::vector<Value*>;

bool is_one(const Value* v) {
  auto d = constant_double(v);
  return d && *d == 1.0;
}

// g * s for a Scalar operand s, skipping a constant 1.
Value* times(GradContext& c, Value* g, Value* s) { return is_one(s) ? g : c.scale(g, s); }

// 0 where cond holds, else x.
Value* zero_where(GradContext& c, Value* cond, Value* x) {
  return c.op("aten::where.ScalarSelf", {cond, c.float_(0.0), x});
}

Value* cmp(GradContext& c, const char* op, Value* x, Value* s) {
  return c.op((std::string("aten::") + op + ".Scalar").c_str(), {x, s});
}

Value* both(GradContext& c, Value* a, Value* b) { return c.op("aten::__and__.Tensor", {a, b}); }

// ---- arithmetic ----

Grads add_tensor(GradContext& c) {
  Grads r = c.no_grads();
  if (c.needs_grad(0)) r[0] = c.sum_to_shape(c.grad(), c.input(0));
  if (c.needs_grad(1)) r[1] = c.sum_to_shape(times(c, c.grad(), c.input(2)), c.input(1));
  return r;
}

Grads sub_tensor(GradContext& c) {
  Grads r = c.no_grads();
  if (c.needs_grad(0)) r[0] = c.sum_to_shape(c.grad(), c.input(0));
  if (c.needs_grad(1)) r[1] = c.sum_to_shape(c.neg(times(c, c.grad(), c.input(2))), c.input(1));
  return r;
}

// rsub(self, other, alpha) = other - alpha * self.
Grads rsub_tensor(GradContext& c) {
  Grads r = c.no_grads();
  if (c.needs_grad(0)) r[0] = c.sum_to_shape(c.neg(times(c, c.grad(), c.input(2))), c.input(0));
  if (c.needs_grad(1)) r[1] = c.sum_to_shape(c.grad(), c.input(1));
  return r;
}

Grads rsub_scalar(GradContext& c) { return c.only_first(c.neg(times(c, c.grad(), c.input(2)))); }
Grads identity(GradContext& c) { return c.only_first(c.grad()); }
// detach: the value passes, its gradient stops.
Grads stop(GradContext& c) { return c.no_grads(); }

Grads mul_tensor(GradContext& c) {
  Grads r = c.no_grads();
  if (c.needs_grad(0)) r[0] = c.sum_to_shape(c.mul(c.grad(), c.input(1)), c.input(0));
  if (c.needs_grad(1)) r[1] = c.sum_to_shape(c.mul(c.grad(), c.input(0)), c.input(1));
  return r;
}

Grads mul_scalar(GradContext& c) { return c.only_first(c.scale(c.grad(), c.input(1))); }

Grads div_tensor(GradContext& c) {
  Grads r = c.no_grads();
  Value *x = c.input(0), *y = c.input(1), *g = c.grad();
  if (c.needs_grad(0)) r[0] = c.sum_to_shape(c.div(g, y), x);
  if (c.needs_grad(1)) r[1] = c.sum_to_shape(c.div(c.mul(c.neg(g), x), c.mul(y, y)), y);
  return r;
}

Grads div_scalar(GradContext& c) { return c.only_first(c.op("aten::div.Scalar", {c.grad(), c.input(1)})); }

// div with rounding_mode: true division's gradient without a mode, zeros
// for "trunc" and "floor" (as torch defines them, a step function's).
Grads div_mode(GradContext& c, Grads (*true_division)(GradContext&)) {
  if (c.is_none(2)) return true_division(c);
  Grads r = c.no_grads();
  if (c.needs_grad(0)) r[0] = c.zeros_like(c.input(0));
  if (c.needs_grad(1) && c.input(1)->type()->is_tensor()) r[1] = c.zeros_like(c.input(1));
  return r;
}
Grads div_tensor_mode(GradContext& c) { return div_mode(c, div_tensor); }
Grads div_scalar_mode(GradContext& c) { return div_mode(c, div_scalar); }

// remainder(x, y) = x - floor(x / y) * y.
Grads remainder_tensor(GradContext& c) {
  Grads r = c.no_grads();
  Value *x = c.input(0), *y = c.input(1), *g = c.grad();
  if (c.needs_grad(0)) r[0] = c.sum_to_shape(g, x);
  if (c.needs_grad(1)) r[1] = c.sum_to_shape(c.mul(c.neg(g), c.op("aten::floor", {c.div(x, y)})), y);
  return r;
}

// ---- powers ----

// x^e with a Scalar exponent: e * x^(e-1), and 0 for e == 0.
Grads pow_tensor_scalar(GradContext& c) {
  const Value* e = c.input(1);
  const double ev = c.constant_double(1, "the exponent");
  if (ev == 0.0) return c.no_grads();
  Value* em1 = e->type()->kind() == TypeKind::Int ? c.int_(static_cast<int64_t>(ev) - 1) : c.float_(ev - 1);
  Value* d = c.scale(c.op("aten::pow.Tensor_Scalar", {c.input(0), em1}), c.input(1));
  return c.only_first(c.mul(c.grad(), d));
}

Grads pow_tensor_tensor(GradContext& c) {
  Grads r = c.no_grads();
  Value *x = c.input(0), *e = c.input(1), *g = c.grad();
  if (c.needs_grad(0)) {
    Value* em1 = c.op("aten::sub.Scalar", {e, c.int_(1)});
    Value* d = c.mul(g, c.mul(e, c.op("aten::pow.Tensor_Tensor", {x, em1})));
    r[0] = c.sum_to_shape(zero_where(c, cmp(c, "eq", e, c.float_(0.0)), d), x);
  }
  if (c.needs_grad(1)) {
    // x == 0 with e >= 0 has a zero gradient, not 0 * log(0).
    Value* zero_base = both(c, cmp(c, "eq", x, c.float_(0.0)), cmp(c, "ge", e, c.float_(0.0)));
    Value* d = zero_where(c, zero_base, c.mul(c.output(), c.op("aten::log", {x})));
    r[1] = c.sum_to_shape(c.mul(g, d), e);
  }
  return r;
}

// base^e with a Scalar base: base^e * log(base).
Grads pow_scalar(GradContext& c) {
  Grads r = c.no_grads();
  const double base = c.constant_double(0, "the base");
  Value* d = c.scale(c.mul(c.grad(), c.output()), std::log(base));
  if (base == 0.0) d = zero_where(c, cmp(c, "ge", c.input(1), c.float_(0.0)), d);
  r[1] = d;
  return r;
}

// max(x, y) and min(x, y): the larger (smaller) side gets the gradient; ties
// split it evenly.
Grads extremum(GradContext& c, bool is_max) {
  Grads r = c.no_grads();
  Value *x = c.input(0), *y = c.input(1), *g = c.grad();
  Value* half = c.where(c.op("aten::eq.Tensor", {x, y}), c.scale(g, 0.5), g);
  const char* x_loses = is_max ? "aten::lt.Tensor" : "aten::gt.Tensor";
  const char* y_loses = is_max ? "aten::gt.Tensor" : "aten::lt.Tensor";
  if (c.needs_grad(0)) r[0] = c.sum_to_shape(zero_where(c, c.op(x_loses, {x, y}), half), x);
  if (c.needs_grad(1)) r[1] = c.sum_to_shape(zero_where(c, c.op(y_loses, {x, y}), half), y);
  return r;
}
Grads maximum(GradContext& c) { return extremum(c, true); }
Grads minimum(GradContext& c) { return extremum(c, false); }

// where(cond, self, other): each branch gets the gradient where it was taken.
Grads where(GradContext& c) {
  Grads r = c.no_grads();
  Value *cond = c.input(0), *g = c.grad();
  const std::string& overload = c.node().op().schema.overload;
  if ((overload == "self" || overload == "ScalarOther") && c.needs_grad(1))
    r[1] = c.sum_to_shape(c.where_zero(cond, g), c.input(1));
  if ((overload == "self" || overload == "ScalarSelf") && c.needs_grad(2))
    r[2] = c.sum_to_shape(zero_where(c, cond, g), c.input(2));
  return r;
}

// masked_fill(self, mask, value): self's gradient where the mask is off, the
// value's (a 0-d tensor) the sum of it where the mask is on.
Grads masked_fill(GradContext& c) {
  Grads r = c.no_grads();
  Value *mask = c.input(1), *g = c.grad();
  if (c.needs_grad(0)) r[0] = c.sum_to_shape(zero_where(c, mask, g), c.input(0));
  if (c.node().op().schema.overload == "Tensor" && c.needs_grad(2))
    r[2] = c.sum_to_shape(c.where_zero(mask, g), c.input(2));
  return r;
}

// triu / tril: the same triangle of the gradient.
Grads triangle(GradContext& c) { return c.only_first(c.op(c.node().kind().c_str(), {c.grad(), c.input(1)})); }

// ---- unary math ----

Grads neg(GradContext& c) { return c.only_first(c.neg(c.grad())); }

Grads abs(GradContext& c) {
  Value *x = c.input(0), *g = c.grad();
  Value* negative = c.where_zero(cmp(c, "lt", x, c.float_(0.0)), c.neg(g));
  return c.only_first(c.where(cmp(c, "gt", x, c.float_(0.0)), g, negative));
}

Grads exp(GradContext& c) { return c.only_first(c.mul(c.grad(), c.output())); }
Grads log(GradContext& c) { return c.only_first(c.div(c.grad(), c.input(0))); }
Grads sqrt(GradContext& c) { return c.only_first(c.div(c.grad(), c.scale(c.output(), 2.0))); }

Grads rsqrt(GradContext& c) {
  Value* cube = c.op("aten::pow.Tensor_Scalar", {c.output(), c.int_(3)});
  return c.only_first(c.scale(c.mul(c.grad(), cube), -0.5));
}

Grads reciprocal(GradContext& c) {
  Value* y = c.output();
  return c.only_first(c.mul(c.neg(c.grad()), c.mul(y, y)));
}

Grads erf(GradContext& c) {
  Value* x = c.input(0);
  Value* d = c.scale(c.op("aten::exp", {c.neg(c.mul(x, x))}), M_2_SQRTPI);
  return c.only_first(c.mul(c.grad(), d));
}

Grads sin(GradContext& c) { return c.only_first(c.mul(c.grad(), c.op("aten::cos", {c.input(0)}))); }
Grads cos(GradContext& c) { return c.only_first(c.mul(c.grad(), c.neg(c.op("aten::sin", {c.input(0)})))); }

// floor, ceil, zeros_like, ones_like: the result does not change with small
// changes of the input.
Grads zero_gradient(GradContext& c) { return c.no_grads(); }

// clamp passes the gradient where min <= x <= max, bounds included.
Grads clamp(GradContext& c) {
  Value *x = c.input(0), *g = c.grad();
  Value* lo = c.is_none(1) ? nullptr : cmp(c, "ge", x, c.input(1));
  Value* hi = c.is_none(2) ? nullptr : cmp(c, "le", x, c.input(2));
  Value* mask = lo && hi ? both(c, lo, hi) : lo ? lo : hi;
  return c.only_first(mask ? c.where_zero(mask, g) : g);
}

Grads clamp_min(GradContext& c) { return c.only_first(c.where_zero(cmp(c, "ge", c.input(0), c.input(1)), c.grad())); }
Grads clamp_max(GradContext& c) { return c.only_first(c.where_zero(cmp(c, "le", c.input(0), c.input(1)), c.grad())); }

// ---- activations ----

Grads sigmoid(GradContext& c) {
  Value* y = c.output();
  return c.only_first(c.mul(c.mul(c.grad(), c.rsub_scalar(1.0, y)), y));
}

Grads tanh(GradContext& c) {
  Value* y = c.output();
  return c.only_first(c.mul(c.grad(), c.rsub_scalar(1.0, c.mul(y, y))));
}

Grads relu(GradContext& c) { return c.only_first(c.where_zero(cmp(c, "gt", c.output(), c.float_(0.0)), c.grad())); }

// The gradient passes strictly inside (lo, hi): hardtanh and relu6.
Grads pass_inside(GradContext& c, Value* lo, Value* hi) {
  Value* x = c.input(0);
  Value* inside = both(c, cmp(c, "gt", x, lo), cmp(c, "lt", x, hi));
  return c.only_first(c.where_zero(inside, c.grad()));
}
Grads relu6(GradContext& c) { return pass_inside(c, c.float_(0.0), c.float_(6.0)); }
Grads hardtanh(GradContext& c) { return pass_inside(c, c.input(1), c.input(2)); }

Grads leaky_relu(GradContext& c) {
  Value* g = c.grad();
  return c.only_first(c.where(cmp(c, "gt", c.input(0), c.float_(0.0)), g, c.scale(g, c.input(1))));
}

// hardswish: x / 3 + 1/2 on [-3, 3), 1 from 3 on (torch's vectorized kernel;
// its scalar tail takes the slope at exactly 3).
Grads hardswish(GradContext& c) {
  Value *x = c.input(0), *g = c.grad();
  Value* slope = c.add_scalar(c.op("aten::div.Scalar", {x, c.float_(3.0)}), 0.5);
  Value* inner = c.where(cmp(c, "ge", x, c.float_(3.0)), g, c.mul(g, slope));
  return c.only_first(zero_where(c, cmp(c, "lt", x, c.float_(-3.0)), inner));
}

Grads hardsigmoid(GradContext& c) {
  Value* x = c.input(0);
  Value* inside = both(c, cmp(c, "gt", x, c.float_(-3.0)), cmp(c, "lt", x, c.float_(3.0)));
  return c.only_first(c.where_zero(inside, c.op("aten::div.Scalar", {c.grad(), c.float_(6.0)})));
}

// elu(x, alpha, scale, input_scale): scale for x > 0, else
// input_scale * alpha * scale * exp(x * input_scale).
Grads elu(GradContext& c) {
  Value *x = c.input(0), *g = c.grad();
  Value *alpha = c.input(1), *scale = c.input(2), *input_scale = c.input(3);
  Value* e = c.op("aten::exp", {times(c, x, input_scale)});
  Value* negative = times(c, times(c, times(c, c.mul(g, e), input_scale), alpha), scale);
  return c.only_first(c.where(cmp(c, "le", x, c.float_(0.0)), negative, times(c, g, scale)));
}

// softplus(x, beta, threshold): linear above the threshold, else
// exp(x * beta) / (exp(x * beta) + 1).
Grads softplus(GradContext& c) {
  Value *g = c.grad();
  Value* bx = times(c, c.input(0), c.input(1));
  Value* z = c.op("aten::exp", {bx});
  Value* d = c.mul(g, c.div(z, c.add_scalar(z, 1.0)));
  return c.only_first(c.where(c.op("aten::gt.Scalar", {bx, c.input(2)}), g, d));
}

Grads gelu(GradContext& c) {
  Value *x = c.input(0), *g = c.grad();
  const AttrValue* a = constant_attr(c.input(1));
  const std::string* approximate = a ? std::get_if<std::string>(a) : nullptr;
  if (!approximate) throw c.error("differentiating needs gelu's `approximate` to be a constant");
  if (*approximate == "tanh") {
    const double beta = M_SQRT2 * M_2_SQRTPI * 0.5, kappa = 0.044715;
    Value* x2 = c.mul(x, x);
    Value* inner = c.scale(c.add(x, c.scale(c.mul(x2, x), kappa)), beta);
    Value* t = c.op("aten::tanh", {inner});
    Value* left = c.scale(x, 0.5);
    Value* left_d = c.scale(c.add_scalar(t, 1.0), 0.5);
    Value* right_d = c.mul(c.scale(c.rsub_scalar(1.0, c.mul(t, t)), beta), c.add_scalar(c.scale(x2, 3 * kappa), 1.0));
    return c.only_first(c.mul(g, c.add(left_d, c.mul(left, right_d))));
  }
  if (*approximate != "none") throw c.error("gelu approximation \"" + *approximate + "\" is unknown");
  Value* cdf = c.scale(c.add_scalar(c.op("aten::erf", {c.scale(x, M_SQRT1_2)}), 1.0), 0.5);
  Value* pdf = c.scale(c.op("aten::exp", {c.scale(c.mul(x, x), -0.5)}), M_2_SQRTPI * M_SQRT1_2 * 0.5);
  return c.only_first(c.mul(g, c.add(cdf, c.mul(x, pdf))));
}

Grads silu(GradContext& c) {
  Value *x = c.input(0), *g = c.grad();
  Value* s = c.op("aten::sigmoid", {x});
  Value* d = c.add_scalar(c.mul(x, c.rsub_scalar(1.0, s)), 1.0);
  return c.only_first(c.mul(c.mul(g, s), d));
}

}  // namespace

void add_pointwise_gradients(OpTableBuilder& t) {
  // Arithmetic.
  t.set_gradient("aten::add.Tensor", {add_tensor});
  t.set_gradient("aten::add.Scalar", {identity});
  t.set_gradient("aten::sub.Tensor", {sub_tensor});
  t.set_gradient("aten::sub.Scalar", {identity});
  t.set_gradient("aten::rsub.Tensor", {rsub_tensor});
  t.set_gradient("aten::rsub.Scalar", {rsub_scalar});
  t.set_gradient("aten::mul.Tensor", {mul_tensor});
  t.set_gradient("aten::mul.Scalar", {mul_scalar});
  t.set_gradient("wick::fma", {mul_scalar});  // x * factor + addend
  t.set_gradient("aten::div.Tensor", {div_tensor});
  t.set_gradient("aten::div.Scalar", {div_scalar});
  t.set_gradient("aten::div.Tensor_mode", {div_tensor_mode});
  t.set_gradient("aten::div.Scalar_mode", {div_scalar_mode});
  t.set_gradient("aten::remainder.Tensor", {remainder_tensor});
  t.set_gradient("aten::remainder.Scalar", {identity});
  t.set_gradient("aten::pow.Tensor_Tensor", {pow_tensor_tensor});
  t.set_gradient("aten::pow.Tensor_Scalar", {pow_tensor_scalar});
  t.set_gradient("aten::pow.Scalar", {pow_scalar});
  t.set_gradient("aten::maximum", {maximum});
  t.set_gradient("aten::minimum", {minimum});
  t.set_gradient("aten::max.other", {maximum});
  t.set_gradient("aten::min.other", {minimum});
  t.set_gradient("aten::where.self", {where});
  t.set_gradient("aten::where.ScalarSelf", {where});
  t.set_gradient("aten::where.ScalarOther", {where});
  t.set_gradient("aten::masked_fill.Scalar", {masked_fill});
  t.set_gradient("aten::masked_fill.Tensor", {masked_fill});
  t.set_gradient("aten::triu", {triangle});
  t.set_gradient("aten::tril", {triangle});
  // Unary math.
  t.set_gradient("aten::neg", {neg});
  t.set_gradient("aten::abs", {abs});
  t.set_gradient("aten::exp", {exp});
  t.set_gradient("aten::log", {log});
  t.set_gradient("aten::sqrt", {sqrt});
  t.set_gradient("aten::rsqrt", {rsqrt});
  t.set_gradient("aten::reciprocal", {reciprocal});
  t.set_gradient("aten::floor", {zero_gradient});
  t.set_gradient("aten::ceil", {zero_gradient});
  t.set_gradient("aten::erf", {erf});
  t.set_gradient("aten::sin", {sin});
  t.set_gradient("aten::cos", {cos});
  t.set_gradient("aten::clamp", {clamp});
  t.set_gradient("aten::clamp_min", {clamp_min});
  t.set_gradient("aten::clamp_max", {clamp_max});
  // Activations.
  t.set_gradient("aten::sigmoid", {sigmoid});
  t.set_gradient("aten::tanh", {tanh});
  t.set_gradient("aten::relu", {relu});
  t.set_gradient("aten::relu6", {relu6});
  t.set_gradient("aten::leaky_relu", {leaky_relu});
  t.set_gradient("aten::hardtanh", {hardtanh});
  t.set_gradient("aten::hardswish", {hardswish});
  t.set_gradient("aten::hardsigmoid", {hardsigmoid});
  t.set_gradient("aten::elu", {elu});
  t.set_gradient("aten::softplus", {softplus});
  t.set_gradient("aten::gelu", {gelu});
  t.set_gradient("aten::silu", {silu});
  // Conversions (autodiff casts the gradient back to the input's dtype) and
  // fills.
  for (const char* to : {"aten::to.dtype", "aten::to.prim_dtype", "aten::to.device", "aten::to.prim_Device",
                         "aten::to.dtype_layout", "aten::to.other", "aten::type_as", "aten::as_tensor", "aten::cpu"})
    t.set_gradient(to, {identity});
  t.set_gradient("aten::clone", {identity});
  t.set_gradient("aten::detach", {stop});
  t.set_gradient("aten::zeros_like", {zero_gradient});
  t.set_gradient("aten::ones_like", {zero_gradient});
  t.set_gradient("aten::empty_like", {zero_gradient});
}

}  // namespace wick::ir

// Decomposition rules for elementwise functions written with others:
//   logaddexp(a, b)   = a + log(2) where a == b (infinities included), else
//                       max(a, b) + log1p(exp(-|a - b|)); logaddexp2 the
//                       same in base 2
//   hypot(a, b)       = sqrt(a a + b b)
//   copysign(a, b)    = |a| or -|a| by b's sign bit (b < 0, or b a negative
//                       zero: 1 / b < 0)
//   signbit(x)        = the same test on x (false for bools)
//   heaviside(x, v)   = v where x == 0, else x > 0
//   xlogy(x, y)       = NaN where y is NaN, else 0 where x == 0, else x log y;
//                       xlog1py the same with log1p
//   sinc(x)           = 1 where x == 0, else sin(pi x) / (pi x)
//   deg2rad, rad2deg  = x times pi / 180, 180 / pi
//   isclose(a, b, rtol, atol, equal_nan)
//                     = a == b, or both finite and |a - b| <= atol + rtol |b|,
//                       or (equal_nan) both NaN
//   fmax(a, b)        = a where a >= b or b is NaN, else b (a NaN only where
//                       both are); fmin the same with <=, so that the
//                       gradient goes wholly to a at ties, as torch's does
//   isin(e, t, invert)= any(e[.., None] == t flattened, -1), negated by invert
//   isreal(x)         = imag(x) == 0, true for real dtypes
//   positive(x)       = x (refused for bools, as in torch)
// Integer inputs compute in f32 where torch's result is floating.
#include <cmath>

#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Value;

Value* floating(Emitter& e, Value* x) {
  const auto& t = x->type()->dtype();
  if (!x->type()->is_tensor() || !t || is_floating(*t)) return x;
  return e.cast(x, DType::f32);
}

Value* scalar_mul(Emitter& e, Value* x, double c) { return e.op("aten::mul.Scalar", {x, e.float_(c)}); }

Value* log_add_exp(Emitter& e, bool base2) {
  Value *a = floating(e, e.input(0)), *b = floating(e, e.input(1));
  Value* largest = e.op("aten::maximum", {a, b});
  Value* gap = e.op("aten::neg", {e.op("aten::abs", {e.sub(a, b)})});
  Value* rest = base2 ? scalar_mul(e, e.op("aten::log1p", {e.op("aten::exp2", {gap})}), 1.0 / std::log(2.0))
                      : e.op("aten::log1p", {e.op("aten::exp", {gap})});
  Value* same = e.op("aten::add.Scalar", {a, e.float_(base2 ? 1.0 : std::log(2.0)), e.int_(1)});
  return e.op("aten::where.self", {e.op("aten::eq.Tensor", {a, b}), same, e.add(largest, rest)});
}

Value* logaddexp(Emitter& e) { return log_add_exp(e, false); }
Value* logaddexp2(Emitter& e) { return log_add_exp(e, true); }

Value* hypot(Emitter& e) {
  Value *a = floating(e, e.input(0)), *b = floating(e, e.input(1));
  return e.op("aten::sqrt", {e.add(e.mul(a, a), e.mul(b, b))});
}

// x's sign bit set: x < 0, or a negative zero (1 / x is -inf); a bool tensor.
Value* sign_bit(Emitter& e, Value* x) {
  const auto& t = x->type()->dtype();
  if (t && *t == DType::b8) return e.op("aten::zeros_like", {x, e.none(), e.none(), e.none(), e.none(), e.none()});
  Value* negative = e.op("aten::lt.Scalar", {x, e.int_(0)});
  if (t && !is_floating(*t)) return negative;
  Value* negative_zero = e.op("aten::logical_and", {e.op("aten::eq.Scalar", {x, e.int_(0)}),
                                                    e.op("aten::lt.Scalar", {e.op("aten::reciprocal", {x}), e.int_(0)})});
  return e.op("aten::logical_or", {negative, negative_zero});
}

Value* signbit(Emitter& e) {
  Value* bits = sign_bit(e, e.input(0));
  const auto& t = bits->type()->dtype();
  return t && *t == DType::b8 ? bits : e.cast(bits, DType::b8);
}

Value* copysign(Emitter& e) {
  Value* magnitude = e.op("aten::abs", {floating(e, e.input(0))});
  Value* sign = e.input(1);
  if (!sign->type()->is_tensor()) {
    auto v = ir::constant_double(sign);
    if (!v) throw e.node().error("needs a constant sign");
    return std::signbit(*v) ? e.op("aten::neg", {magnitude}) : magnitude;
  }
  return e.op("aten::where.self", {sign_bit(e, sign), e.op("aten::neg", {magnitude}), magnitude});
}

Value* heaviside(Emitter& e) {
  Value *x = e.input(0), *values = e.input(1);
  const DType t = *e.node().output()->type()->dtype();
  Value* step = e.cast(e.op("aten::gt.Scalar", {x, e.int_(0)}), t);
  if (values->type()->dtype() != e.node().output()->type()->dtype()) values = e.cast(values, t);
  return e.op("aten::where.self", {e.op("aten::eq.Scalar", {x, e.int_(0)}), values, step});
}

// x log(y), or x log1p(y) for xlog1py.
Value* x_log(Emitter& e, bool plus_one) {
  Value* x = floating(e, e.input(0));
  Value* y = e.input(1);
  const char* log = plus_one ? "aten::log1p" : "aten::log";
  if (!y->type()->is_tensor()) {
    auto v = ir::constant_double(y);
    if (!v) throw e.node().error("needs a constant y");
    if (std::isnan(*v)) return e.op("aten::mul.Scalar", {x, e.float_(*v)});
    Value* product = scalar_mul(e, x, plus_one ? std::log1p(*v) : std::log(*v));
    return e.op("aten::where.ScalarSelf", {e.op("aten::eq.Scalar", {x, e.int_(0)}), e.float_(0.0), product});
  }
  y = floating(e, y);
  Value* product = e.mul(x, e.op(log, {y}));
  Value* zero_x = e.op("aten::where.ScalarSelf", {e.op("aten::eq.Scalar", {x, e.int_(0)}), e.float_(0.0), product});
  return e.op("aten::where.self", {e.op("aten::isnan", {y}), y, zero_x});
}

Value* xlogy(Emitter& e) { return x_log(e, false); }
Value* xlog1py(Emitter& e) { return x_log(e, true); }

Value* sinc(Emitter& e) {
  Value* x = floating(e, e.input(0));
  Value* px = scalar_mul(e, x, M_PI);
  return e.op("aten::where.ScalarSelf",
              {e.op("aten::eq.Scalar", {x, e.int_(0)}), e.float_(1.0), e.div(e.op("aten::sin", {px}), px)});
}

Value* deg2rad(Emitter& e) { return scalar_mul(e, floating(e, e.input(0)), M_PI / 180.0); }
Value* rad2deg(Emitter& e) { return scalar_mul(e, floating(e, e.input(0)), 180.0 / M_PI); }

Value* isclose(Emitter& e) {
  Value *a = e.input(0), *b = e.input(1);
  auto rtol = ir::constant_double(e.input(2));
  auto atol = ir::constant_double(e.input(3));
  if (!rtol || !atol) throw e.node().error("rtol and atol must be constants");
  if (*rtol < 0 || *atol < 0) throw e.node().error("rtol and atol must be >= 0");
  const bool equal_nan = e.constant_bool(4, "equal_nan");
  if (a->type()->dtype() != b->type()->dtype()) throw e.node().error("needs a and b of one dtype");
  Value* same = e.op("aten::eq.Tensor", {a, b});
  const auto& t = a->type()->dtype();
  if (t && *t == DType::b8) return same;
  if (t && !is_floating(*t)) {
    a = e.cast(a, DType::f64);
    b = e.cast(b, DType::f64);
  }
  Value* bound = e.op("aten::add.Scalar", {scalar_mul(e, e.op("aten::abs", {b}), *rtol), e.float_(*atol), e.int_(1)});
  Value* near = e.op("aten::le.Tensor", {e.op("aten::abs", {e.sub(a, b)}), bound});
  near = e.op("aten::logical_and", {near, e.op("aten::logical_and", {e.op("aten::isfinite", {a}), e.op("aten::isfinite", {b})})});
  Value* close = e.op("aten::logical_or", {same, near});
  if (equal_nan)
    close = e.op("aten::logical_or", {close, e.op("aten::logical_and", {e.op("aten::isnan", {a}), e.op("aten::isnan", {b})})});
  return close;
}

}  // namespace

Value* nan_ignoring(Emitter& e, const char* compare) {
  Value *a = e.input(0), *b = e.input(1);
  Value* keep_a = e.op("aten::logical_or", {e.op(compare, {a, b}), e.op("aten::isnan", {b})});
  return e.op("aten::where.self", {keep_a, a, b});
}

Value* fmax(Emitter& e) { return nan_ignoring(e, "aten::ge.Tensor"); }
Value* fmin(Emitter& e) { return nan_ignoring(e, "aten::le.Tensor"); }

Value* isin(Emitter& e) {
  Value *elements = e.input(0), *test = e.input(1);
  const bool invert = e.constant_bool(3, "invert");
  Value* found = nullptr;
  if (!test->type()->is_tensor()) {
    found = e.op("aten::eq.Scalar", {elements, test});
  } else {
    Value* flat = e.op("aten::reshape", {test, e.ints({-1})});
    if (elements->type()->is_tensor()) {
      Value* pairs = e.op("aten::eq.Tensor", {e.op("aten::unsqueeze", {elements, e.int_(-1)}), flat});
      found = e.op("aten::any.dim", {pairs, e.int_(-1), e.bool_(false)});
    } else {
      found = e.op("aten::any", {e.op("aten::eq.Scalar", {flat, elements})});
    }
  }
  return invert ? e.op("aten::logical_not", {found}) : found;
}

Value* isreal(Emitter& e) {
  Value* x = e.input(0);
  const auto& t = x->type()->dtype();
  if (t && is_complex(*t)) return e.op("aten::eq.Scalar", {e.op("aten::imag", {x}), e.int_(0)});
  return e.op("aten::ones_like", {x, e.int_(*torch_code_of(DType::b8)), e.none(), e.none(), e.none(), e.none()});
}

Value* positive(Emitter& e) {
  const auto& t = e.input(0)->type()->dtype();
  if (t && *t == DType::b8) throw e.node().error("positive of a bool tensor is not supported, as in torch");
  return e.input(0);
}

std::vector<NamedRule> elementwise_rules() {
  return {{"aten::logaddexp", logaddexp},       {"aten::logaddexp2", logaddexp2}, {"aten::hypot", hypot},
          {"aten::copysign.Tensor", copysign},  {"aten::copysign.Scalar", copysign}, {"aten::signbit", signbit},
          {"aten::heaviside", heaviside},       {"aten::xlogy.Tensor", xlogy},    {"aten::xlogy.Scalar_Other", xlogy},
          {"aten::special_xlog1py", xlog1py},   {"aten::special_xlog1py.other_scalar", xlog1py},
          {"aten::sinc", sinc},                 {"aten::deg2rad", deg2rad},       {"aten::rad2deg", rad2deg},
          {"aten::isclose", isclose},           {"aten::fmax", fmax},             {"aten::fmin", fmin},
          {"aten::isin.Tensor_Tensor", isin},   {"aten::isin.Tensor_Scalar", isin}, {"aten::isin.Scalar_Tensor", isin},
          {"aten::isreal", isreal},             {"aten::positive", positive}};
}

}  // namespace wick::passes::decompose_detail

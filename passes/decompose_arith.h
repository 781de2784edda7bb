// Internal to the decompose pass: tensors of a rewrite with arithmetic
// written as arithmetic, for the rules that compute a function from many
// elementwise ops (the special functions, the Bessel functions, the
// orthogonal polynomials). Each operator emits one aten op in front of the
// node being rewritten.
#pragma once

#include <cmath>

#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {

struct X {
  Emitter* e;
  ir::Value* v;
  X op(const char* name) const { return {e, e->op(name, {v})}; }
  X call(const char* name, double c) const { return {e, e->op(name, {v, e->float_(c)})}; }
  X call(const char* name, X other) const { return {e, e->op(name, {v, other.v})}; }
};

inline X operator+(X a, X b) { return {a.e, a.e->add(a.v, b.v)}; }
inline X operator-(X a, X b) { return {a.e, a.e->sub(a.v, b.v)}; }
inline X operator*(X a, X b) { return {a.e, a.e->mul(a.v, b.v)}; }
inline X operator/(X a, X b) { return {a.e, a.e->div(a.v, b.v)}; }
inline X operator+(X a, double c) {
  return {a.e, a.e->op("aten::add.Scalar", {a.v, a.e->float_(c), a.e->int_(1)})};
}
inline X operator-(X a, double c) { return a + (-c); }
inline X operator*(X a, double c) { return a.call("aten::mul.Scalar", c); }
inline X operator/(X a, double c) { return a.call("aten::div.Scalar", c); }
inline X operator+(double c, X a) { return a + c; }
inline X operator*(double c, X a) { return a * c; }
inline X operator-(double c, X a) {
  return {a.e, a.e->op("aten::rsub.Scalar", {a.v, a.e->float_(c), a.e->int_(1)})};
}
inline X operator/(double c, X a) { return a.op("aten::reciprocal") * c; }
inline X operator-(X a) { return a.op("aten::neg"); }
inline X operator<(X a, double c) { return a.call("aten::lt.Scalar", c); }
inline X operator<=(X a, double c) { return a.call("aten::le.Scalar", c); }
inline X operator>(X a, double c) { return a.call("aten::gt.Scalar", c); }
inline X operator>=(X a, double c) { return a.call("aten::ge.Scalar", c); }
inline X operator<(X a, X b) { return a.call("aten::lt.Tensor", b); }
inline X operator<=(X a, X b) { return a.call("aten::le.Tensor", b); }
inline X operator>(X a, X b) { return a.call("aten::gt.Tensor", b); }
inline X operator==(X a, X b) { return a.call("aten::eq.Tensor", b); }
inline X operator==(X a, double c) { return a.call("aten::eq.Scalar", c); }
inline X operator!=(X a, double c) { return a.call("aten::ne.Scalar", c); }
inline X operator&&(X a, X b) { return a.call("aten::logical_and", b); }
inline X operator||(X a, X b) { return a.call("aten::logical_or", b); }
inline X operator!(X a) { return a.op("aten::logical_not"); }

inline X where(X cond, X a, X b) { return {a.e, a.e->op("aten::where.self", {cond.v, a.v, b.v})}; }
inline X where(X cond, double a, X b) {
  return {b.e, b.e->op("aten::where.ScalarSelf", {cond.v, b.e->float_(a), b.v})};
}
inline X where(X cond, X a, double b) {
  return {a.e, a.e->op("aten::where.ScalarOther", {cond.v, a.v, a.e->float_(b)})};
}
inline X min(X a, double c) { return a.call("aten::clamp_max", c); }
inline X max(X a, double c) { return a.call("aten::clamp_min", c); }
inline X abs(X a) { return a.op("aten::abs"); }
inline X pow(X a, X b) { return a.call("aten::pow.Tensor_Tensor", b); }

// A mask that is false everywhere `like` is defined (NaN included).
inline X none_of(X like) { return like < -INFINITY; }

// sum_{k <= n} c[k] z^(n - k): a polynomial, highest power first.
inline X polynomial(X z, const double* c, int n) {
  X r = z * c[0] + c[1];
  for (int k = 2; k <= n; ++k) r = r * z + c[k];
  return r;
}

// The input in f64, and the type to round the result back to (torch's
// float result type: the input's own, or f32 for integers and bools).
struct InF64 {
  X x;
  DType result;
};

inline InF64 input_f64(Emitter& e, size_t i) {
  ir::Value* v = e.input(i);
  const auto& dtype = v->type()->dtype();
  if (!dtype) throw e.node().error("needs an input of known dtype");
  const DType result = is_floating(*dtype) ? *dtype : DType::f32;
  return {{&e, *dtype == DType::f64 ? v : e.cast(v, DType::f64)}, result};
}

inline ir::Value* rounded(Emitter& e, X y, DType to) { return to == DType::f64 ? y.v : e.cast(y.v, to); }

constexpr double kPi = 3.14159265358979323846;

}  // namespace wick::passes::decompose_detail

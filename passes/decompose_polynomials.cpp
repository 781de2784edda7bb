// Decomposition rules for the orthogonal polynomials of torch.special,
// P_n(x) with the degree n a tensor or a number, computed in f64 as ATen
// computes them and rounded back to the result's type:
//   chebyshev_polynomial_t/u/v/w   the three-term recurrence
//                                  P_(k+1) = 2x P_k - P_(k-1); for |x| < 1
//                                  and n past a small degree (6 for T, 8
//                                  for U, V, W) the trigonometric closed
//                                  form in acos(x); the values at +-1 exactly
//   shifted_chebyshev_polynomial_* the same in 2x - 1 (ATen's thresholds: 6,
//                                  6, 6, 4), its values at 0 and 1 exactly
//   hermite_polynomial_h, _he      H_(k+1) = 2x H_k - 2k H_(k-1),
//                                  He_(k+1) = x He_k - k He_(k-1)
//   laguerre_polynomial_l          ((2k + 1 - x) L_k - k L_(k-1)) / (k + 1); 1 at 0
//   legendre_polynomial_p          ((2k + 1) x P_k - k P_(k-1)) / (k + 1); +-1 at +-1
// The degree is truncated to an integer, as ATen casts it; a negative
// degree (or NaN) gives 0. The recurrence is a prim::Loop over the steps
// the largest degree needs, each element stepping while its own degree
// asks for more (a constant degree gives a constant trip count, which
// canonicalize unrolls when small). A degree above kMaxDegree is refused
// while running. torch 1.13 gives these functions no gradient: the
// inputs are detached first.
#include <cmath>
#include <string>
#include <vector>

#include "ir/constant_value.h"
#include "passes/decompose_arith.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Value;

// The largest degree the recurrence steps to: each step is a pass over the
// tensor, so this bounds the time a call may take.
constexpr int64_t kMaxDegree = int64_t{1} << 20;

enum class Family { t, u, v, w, hermite_h, hermite_he, laguerre, legendre };

struct Polynomial {
  Family family;
  bool shifted = false;  // in 2x - 1 (the Chebyshev kinds only)
};

// x and the truncated degree n in f64, both of the broadcast shape, and
// the type to round the result to.
struct Operands {
  X x, n, ones;
  DType to;
  std::optional<int64_t> constant_degree;
};

// An operand in f64: a tensor cast, a number filled out to `like`'s shape.
X as_f64(Emitter& e, Value* v, Value* like) {
  if (v->type()->is_tensor()) {
    const auto& dtype = v->type()->dtype();
    if (!dtype) throw e.node().error("needs inputs of known dtype");
    return {&e, *dtype == DType::f64 ? v : e.cast(v, DType::f64)};
  }
  Value* f64 = e.int_(*torch_code_of(DType::f64));
  return {&e, e.op("aten::full_like", {like, v, f64, e.none(), e.none(), e.none(), e.none()})};
}

Operands operands(Emitter& e) {
  Value* x = e.op("aten::detach", {e.input(0)->type()->is_tensor() ? e.input(0) : e.input(1)});
  const auto& out = e.node().output()->type()->dtype();
  if (!out) throw e.node().error("needs inputs of known dtype");
  Value* xv = e.input(0)->type()->is_tensor() ? x : e.input(0);
  Value* nv = e.input(1)->type()->is_tensor() ? e.op("aten::detach", {e.input(1)}) : e.input(1);
  X xf = as_f64(e, xv, x);
  X nf = as_f64(e, nv, x);
  // Ones of the broadcast shape give both operands that shape, which the
  // values the loop carries keep.
  X ones = {&e, e.op("aten::ones_like", {xf.v, e.none(), e.none(), e.none(), e.none(), e.none()})};
  ones = ones * X{&e, e.op("aten::ones_like", {nf.v, e.none(), e.none(), e.none(), e.none(), e.none()})};
  Operands o{xf * ones, (nf * ones).op("aten::trunc"), ones, *out, std::nullopt};
  if (!e.input(1)->type()->is_tensor()) {
    if (auto c = ir::constant_int(e.input(1))) o.constant_degree = *c;
    else if (auto f = ir::constant_double(e.input(1))) o.constant_degree = static_cast<int64_t>(std::trunc(*f));
  }
  return o;
}

// The argument the polynomial is in: x, or 2x - 1 for the shifted kinds
// (as ATen writes it, x + x - 1).
X argument(const Polynomial& p, X x) { return p.shifted ? x + x - 1.0 : x; }

// P_1 of the family.
X first(const Polynomial& p, X x) {
  X y = argument(p, x);
  switch (p.family) {
    case Family::t: return y;
    case Family::u: return y + y;
    case Family::v: return y + y - 1.0;
    case Family::w: return y + y + 1.0;
    case Family::hermite_h: return x + x;
    case Family::hermite_he: return x;
    case Family::laguerre: return 1.0 - x;
    case Family::legendre: return x;
  }
  return x;
}

// P_(s+1) from P_s = q and P_(s-1) = p, s the step's number (an Int).
X step(const Polynomial& poly, X x, X p, X q, Value* s) {
  Emitter& e = *x.e;
  auto times = [&](X a, Value* k) { return X{&e, e.op("aten::mul.Scalar", {a.v, k})}; };
  auto plus = [&](X a, Value* k) { return X{&e, e.op("aten::add.Scalar", {a.v, k, e.int_(1)})}; };
  auto over = [&](X a, Value* k) { return X{&e, e.op("aten::div.Scalar", {a.v, k})}; };
  Value* two_s = e.op("aten::mul.int", {s, e.int_(2)});
  Value* s_plus_1 = e.op("aten::add.int", {s, e.int_(1)});
  X y = argument(poly, x);
  switch (poly.family) {
    case Family::hermite_h: return (x + x) * q - times(p, two_s);
    case Family::hermite_he: return x * q - times(p, s);
    case Family::laguerre: return over(plus(1.0 - x, two_s) * q - times(p, s), s_plus_1);
    case Family::legendre: return over(times(x, e.op("aten::add.int", {two_s, e.int_(1)})) * q - times(p, s), s_plus_1);
    default: return (y + y) * q - p;
  }
}

// The degree past which ATen uses the closed form for |y| < 1 (0: never).
int closed_form_degree(const Polynomial& p) {
  switch (p.family) {
    case Family::t: return 6;
    case Family::u: return p.shifted ? 6 : 8;
    case Family::v: return p.shifted ? 6 : 8;
    case Family::w: return p.shifted ? 4 : 8;
    default: return 0;
  }
}

// ATen's closed forms in theta = acos(y), with their guards.
X closed_form(const Polynomial& p, X y, X n, X even, X ones) {
  X theta = y.op("aten::acos");
  X two_n_1 = n * 2.0 + 1.0;
  X alternating = where(even, two_n_1, -two_n_1);
  switch (p.family) {
    case Family::t: return (n * theta).op("aten::cos");
    case Family::u: {
      X s = theta.op("aten::sin");
      X n1 = n + 1.0;
      return where(s != 0.0, (n1 * theta).op("aten::sin") / s, n1 * (n1 * theta).op("aten::cos") / y);
    }
    case Family::v: {
      X half = theta / 2.0;
      return where(half.op("aten::sin") != 1.0, ((n + 0.5) * theta).op("aten::cos") / half.op("aten::cos"), alternating);
    }
    default: {  // w
      X half = theta / 2.0;
      X sign = where(even, ones, -ones);
      X guard = p.shifted ? sign : where(y > 0.0, two_n_1, sign);
      return where(half.op("aten::cos") != 1.0, ((n + 0.5) * theta).op("aten::sin") / half.op("aten::sin"), guard);
    }
  }
}

// Values ATen gives at the ends without the recurrence: at +-1 for the
// Chebyshev kinds and Legendre, at 0 and 1 (of x) for the shifted kinds,
// at 0 for Laguerre. `rest` where none applies.
X end_values(const Polynomial& p, X x, X n, X even, X one, X rest) {
  X two_n_1 = n * 2.0 + 1.0;
  X n1 = n + 1.0;
  auto sign_even = [&](X v) { return where(even, v, -v); };
  if (p.family == Family::laguerre) return where(abs(x) == 0.0, 1.0, rest);
  if (p.family == Family::hermite_h || p.family == Family::hermite_he) return rest;
  if (p.shifted) {
    X at_one, at_zero;
    switch (p.family) {
      case Family::t: at_one = one; at_zero = sign_even(one); break;
      case Family::u: at_one = n1; at_zero = sign_even(n1); break;
      case Family::v: at_one = one; at_zero = sign_even(two_n_1); break;
      default: at_one = two_n_1; at_zero = sign_even(one); break;
    }
    return where(x == 1.0, at_one, where(x == 0.0, at_zero, rest));
  }
  X positive = x > 0.0;
  X value;
  switch (p.family) {
    case Family::u: value = where(positive || even, n1, -n1); break;
    case Family::v: value = where(positive, one, sign_even(two_n_1)); break;
    case Family::w: value = where(positive, two_n_1, sign_even(one)); break;
    default: value = where(positive || even, one, -one); break;  // t, legendre
  }
  return where(abs(x) == 1.0, value, rest);
}

// Where the recurrence decides the value (everything else is an end value,
// a closed form, or degree 0 or 1).
X recurs(const Polynomial& p, X x, X n) {
  X needs = n >= 2.0;
  if (p.family == Family::hermite_h || p.family == Family::hermite_he) return needs;
  if (p.family == Family::laguerre) return needs && (abs(x) != 0.0);
  X y = argument(p, x);
  X at_end = p.shifted ? (x == 1.0 || x == 0.0) : (abs(x) == 1.0);
  needs = needs && !at_end;
  if (int d = closed_form_degree(p)) needs = needs && !((n > static_cast<double>(d)) && (abs(y) < 1.0));
  return needs;
}

Value* evaluate(Emitter& e, const Polynomial& poly) {
  Operands o = operands(e);
  X x = o.x, n = o.n;
  X p = o.ones;
  X q = first(poly, x);
  // Steps: n - 1 for the elements that recur, the most any of them needs;
  // all of them for a constant degree, unless a closed form may take over.
  Value* trips = nullptr;
  const int closed_from = closed_form_degree(poly);
  if (o.constant_degree && !(closed_from && *o.constant_degree > closed_from)) {
    if (*o.constant_degree > kMaxDegree)
      throw e.node().error("degree " + std::to_string(*o.constant_degree) + " is more than supported (" +
                           std::to_string(kMaxDegree) + ")");
    if (*o.constant_degree >= 2) trips = e.int_(*o.constant_degree - 1);
  } else {
    // Clamped past the limit first, so that a huge degree converts to Int
    // exactly (and is refused).
    X degrees = min(where(recurs(poly, x, n), n, 1.0), static_cast<double>(kMaxDegree + 1));
    Value* most = e.op("aten::Int.Tensor", {e.op("aten::max", {degrees.v})});
    Value* steps = e.op("prim::max.int", {e.op("aten::sub.int", {most, e.int_(1)}), e.int_(0)});
    e.raise_if(e.op("aten::gt.int", {steps, e.int_(kMaxDegree - 1)}),
               "a degree is more than supported (" + std::to_string(kMaxDegree) + ")");
    trips = steps;
  }
  if (trips) {
    auto next = e.loop(trips, {p.v, q.v}, [&](Value* trip, const std::vector<Value*>& carried) {
      X pc{&e, carried[0]}, qc{&e, carried[1]};
      Value* s = e.op("aten::add.int", {trip, e.int_(1)});
      X active{&e, e.op("aten::gt.Scalar", {n.v, s})};
      X r = step(poly, x, pc, qc, s);
      return Emitter::LoopBody{{where(active, qc, pc).v, where(active, r, qc).v}};
    });
    q = {&e, next[1]};
  }
  X even = n.call("aten::remainder.Scalar", 2.0) == 0.0;
  X y = where(n == 0.0, 1.0, q);
  if (closed_from) {
    X arg = argument(poly, x);
    y = where((n > static_cast<double>(closed_from)) && (abs(arg) < 1.0), closed_form(poly, arg, n, even, o.ones), y);
  }
  y = end_values(poly, x, n, even, o.ones, y);
  y = where(!(n >= 0.0), 0.0, y);  // negative, or NaN
  return rounded(e, y, o.to);
}

template <Family F, bool Shifted = false>
Value* polynomial_rule(Emitter& e) {
  return evaluate(e, Polynomial{F, Shifted});
}

// torch.special's names, in the order of the rules below.
std::vector<std::string> polynomial_names() {
  return {"chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
          "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
          "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
          "legendre_polynomial_p"};
}

}  // namespace

std::vector<NamedRule> orthogonal_polynomial_rules() {
  static const Rule rules[] = {
      polynomial_rule<Family::t>,          polynomial_rule<Family::u>,
      polynomial_rule<Family::v>,          polynomial_rule<Family::w>,
      polynomial_rule<Family::t, true>,    polynomial_rule<Family::u, true>,
      polynomial_rule<Family::v, true>,    polynomial_rule<Family::w, true>,
      polynomial_rule<Family::hermite_h>,  polynomial_rule<Family::hermite_he>,
      polynomial_rule<Family::laguerre>,   polynomial_rule<Family::legendre>};
  static std::vector<std::string> kinds;
  if (kinds.empty())
    for (const std::string& name : polynomial_names())
      for (const char* overload : {"", ".x_scalar", ".n_scalar"}) kinds.push_back("aten::special_" + name + overload);
  std::vector<NamedRule> out;
  for (size_t i = 0; i < kinds.size(); ++i) out.push_back({kinds[i].c_str(), rules[i / 3]});
  return out;
}

}  // namespace wick::passes::decompose_detail

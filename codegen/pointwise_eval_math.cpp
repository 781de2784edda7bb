// The expression functions that take more than one MLIR op: pow, floordiv,
// mod, fmod, trunc, roundeven and the shifts, written to match torch's CPU kernels (Python floor semantics;
// special exponents as torch specializes them). Integer division never
// traps: a zero divisor gives 0 and -1 is handled without dividing, since
// torch raises on the first and x86 faults on INT_MIN / -1.
#include <cmath>
#include <limits>

#include "codegen/pointwise_eval.h"
#include "support/error.h"

namespace wick::codegen {

namespace {

std::string operands(const Scalar& a, const Scalar& b) {
  return " " + a.ssa + ", " + b.ssa + " : " + register_type(a.dtype);
}

// An integer divisor made safe to divide by: `safe` is b with 0 (and, when
// signed, -1) replaced by 1; the caller patches the lanes where b was 0
// (`b_zero`) or -1 (`b_minus_one`, null for u8).
struct IntDivisor {
  Scalar zero, one, b_zero, b_minus_one, safe;
};

IntDivisor guard_divisor(MlirWriter& w, const Scalar& b) {
  const DType t = b.dtype;
  IntDivisor d;
  d.zero = w.int_constant(t, 0);
  d.one = w.int_constant(t, 1);
  d.b_zero = w.op("arith.cmpi eq," + operands(b, d.zero), DType::b8);
  Scalar unsafe = d.b_zero;
  if (t != DType::u8) {
    d.b_minus_one = w.op("arith.cmpi eq," + operands(b, w.int_constant(t, -1)), DType::b8);
    unsafe = w.op("arith.ori" + operands(d.b_zero, d.b_minus_one), DType::b8);
  }
  d.safe = w.select(unsafe, d.one, b);
  return d;
}

// Whether a signed remainder r of division by `divisor` is off Python's
// floor convention: nonzero with the sign opposite the divisor's.
Scalar needs_floor_adjust(MlirWriter& w, const Scalar& r, const Scalar& divisor, const Scalar& zero) {
  Scalar r_nonzero = w.op("arith.cmpi ne," + operands(r, zero), DType::b8);
  Scalar r_neg = w.op("arith.cmpi slt," + operands(r, zero), DType::b8);
  Scalar b_neg = w.op("arith.cmpi slt," + operands(divisor, zero), DType::b8);
  return w.op("arith.andi" + operands(r_nonzero, w.op("arith.xori" + operands(r_neg, b_neg), DType::b8)), DType::b8);
}

}  // namespace

Scalar PointwiseEval::pow(const Operand& base, const Operand& exponent, DType t) {
  Scalar x = in(base, t);
  if (!is_floating(t)) return int_pow(x, in(exponent, t));
  const std::string ty = register_type(t);
  if (exponent.kind == Operand::Kind::number) {
    // torch computes these exponents without pow.
    const double e = exponent.is_int ? static_cast<double>(exponent.integer) : exponent.number;
    auto mul = [&](const Scalar& a, const Scalar& b) { return w_.op("arith.mulf" + operands(a, b), t); };
    auto recip = [&](const Scalar& a) { return w_.op("arith.divf" + operands(w_.number(t, 1, 1, true), a), t); };
    if (e == 1) return x;
    if (e == 2) return mul(x, x);
    if (e == 3) return mul(mul(x, x), x);
    if (e == 0.5) return w_.op("math.sqrt " + x.ssa + " : " + ty, t);
    if (e == -0.5) return w_.op("math.rsqrt " + x.ssa + " : " + ty, t);
    if (e == -1) return recip(x);
    if (e == -2) return recip(mul(x, x));
  }
  Scalar y = in(exponent, t);
  return w_.op("math.powf" + operands(x, y), t);
}

// Square and multiply over the exponent's bits.
Scalar PointwiseEval::int_pow(const Scalar& base, const Scalar& exponent) {
  const DType t = base.dtype;
  WICK_ASSERT(t != DType::b8, "pow of bools");
  const std::string ty = register_type(t);
  Scalar one = w_.int_constant(t, 1);
  std::vector<Scalar> carried;
  w_.begin_for(0, bit_width(t), {one, base, exponent}, &carried);
  const Scalar& acc = carried[0];
  const Scalar& b = carried[1];
  const Scalar& e = carried[2];
  Scalar bit = w_.op("arith.andi" + operands(e, one), t);
  Scalar odd = w_.op("arith.cmpi ne," + operands(bit, w_.int_constant(t, 0)), DType::b8);
  Scalar times = w_.op("arith.muli" + operands(acc, b), t);
  Scalar next_acc = w_.select(odd, times, acc);
  Scalar next_b = w_.op("arith.muli" + operands(b, b), t);
  Scalar next_e = w_.op("arith.shrui" + operands(e, one), t);
  Scalar result = w_.end_for({next_acc, next_b, next_e})[0];
  if (t == DType::u8) return result;
  // Negative exponents: 1 and -1 keep a value, every other base gives 0.
  Scalar zero = w_.int_constant(t, 0);
  Scalar minus_one = w_.int_constant(t, -1);
  Scalar negative = w_.op("arith.cmpi slt," + operands(exponent, zero), DType::b8);
  Scalar base_one = w_.op("arith.cmpi eq," + operands(base, one), DType::b8);
  Scalar base_minus_one = w_.op("arith.cmpi eq," + operands(base, minus_one), DType::b8);
  Scalar odd_exp = w_.op("arith.cmpi ne," + operands(w_.op("arith.andi" + operands(exponent, one), t), zero), DType::b8);
  Scalar sign = w_.select(odd_exp, minus_one, one);
  Scalar neg_result = w_.select(base_one, one, w_.select(base_minus_one, sign, zero));
  return w_.select(negative, neg_result, result);
}

Scalar PointwiseEval::floordiv(const Scalar& a, const Scalar& b) {
  const DType t = a.dtype;
  WICK_ASSERT(t != DType::b8, "floor division of bools");
  if (is_floating(t)) {
    // torch's div_floor_floating.
    Scalar zero = w_.number(t, 0, 0, true);
    Scalar one = w_.number(t, 1, 1, true);
    Scalar half = w_.number(t, 0.5, 0, false);
    Scalar quotient = w_.op("arith.divf" + operands(a, b), t);
    Scalar m = w_.op("arith.remf" + operands(a, b), t);
    Scalar div = w_.op("arith.divf" + operands(w_.op("arith.subf" + operands(a, m), t), b), t);
    Scalar m_nonzero = w_.op("arith.cmpf une," + operands(m, zero), DType::b8);
    Scalar b_neg = w_.op("arith.cmpf olt," + operands(b, zero), DType::b8);
    Scalar m_neg = w_.op("arith.cmpf olt," + operands(m, zero), DType::b8);
    Scalar signs_differ = w_.op("arith.xori" + operands(b_neg, m_neg), DType::b8);
    Scalar adjust = w_.op("arith.andi" + operands(m_nonzero, signs_differ), DType::b8);
    div = w_.select(adjust, w_.op("arith.subf" + operands(div, one), t), div);
    Scalar fl = w_.op("math.floor " + div.ssa + " : " + register_type(t), t);
    Scalar frac = w_.op("arith.subf" + operands(div, fl), t);
    Scalar round_up = w_.op("arith.cmpf ogt," + operands(frac, half), DType::b8);
    fl = w_.select(round_up, w_.op("arith.addf" + operands(fl, one), t), fl);
    // copysign(0, quotient) by the sign bit: the GPU lowering has no math.copysign.
    const DType bits = t == DType::f64 ? DType::i64 : DType::i32;
    Scalar q_bits = w_.op("arith.bitcast " + quotient.ssa + " : " + register_type(t) + " to " + register_type(bits), bits);
    Scalar q_negative = w_.op("arith.cmpi slt," + operands(q_bits, w_.int_constant(bits, 0)), DType::b8);
    Scalar signed_zero = w_.select(q_negative, w_.number(t, -0.0, 0, false), zero);
    Scalar div_nonzero = w_.op("arith.cmpf une," + operands(div, zero), DType::b8);
    Scalar r = w_.select(div_nonzero, fl, signed_zero);
    Scalar b_zero = w_.op("arith.cmpf oeq," + operands(b, zero), DType::b8);
    return w_.select(b_zero, quotient, r);
  }
  const IntDivisor d = guard_divisor(w_, b);
  if (t == DType::u8) return w_.select(d.b_zero, d.zero, w_.op("arith.divui" + operands(a, d.safe), t));
  Scalar q = w_.op("arith.divsi" + operands(a, d.safe), t);
  Scalar r = w_.op("arith.remsi" + operands(a, d.safe), t);
  q = w_.select(needs_floor_adjust(w_, r, d.safe, d.zero), w_.op("arith.subi" + operands(q, d.one), t), q);
  q = w_.select(d.b_minus_one, w_.op("arith.subi" + operands(d.zero, a), t), q);
  return w_.select(d.b_zero, d.zero, q);
}

// torch's div_trunc: the quotient rounded toward zero.
Scalar PointwiseEval::truncdiv(const Scalar& a, const Scalar& b) {
  const DType t = a.dtype;
  WICK_ASSERT(t != DType::b8, "truncating division of bools");
  if (is_floating(t)) {
    // trunc(q) as q < 0 ? -floor(-q) : floor(q): the GPU lowering has no
    // math.trunc (nor math.copysign).
    const std::string ty = register_type(t);
    auto neg = [&](const Scalar& v) { return w_.op("arith.negf " + v.ssa + " : " + ty, t); };
    auto floor = [&](const Scalar& v) { return w_.op("math.floor " + v.ssa + " : " + ty, t); };
    Scalar q = w_.op("arith.divf" + operands(a, b), t);
    Scalar negative = w_.op("arith.cmpf olt," + operands(q, w_.number(t, 0, 0, true)), DType::b8);
    return w_.select(negative, neg(floor(neg(q))), floor(q));
  }
  const IntDivisor d = guard_divisor(w_, b);
  if (t == DType::u8) return w_.select(d.b_zero, d.zero, w_.op("arith.divui" + operands(a, d.safe), t));
  Scalar q = w_.op("arith.divsi" + operands(a, d.safe), t);
  q = w_.select(d.b_minus_one, w_.op("arith.subi" + operands(d.zero, a), t), q);
  return w_.select(d.b_zero, d.zero, q);
}

Scalar PointwiseEval::mod(const Scalar& a, const Scalar& b) {
  const DType t = a.dtype;
  WICK_ASSERT(t != DType::b8, "remainder of bools");
  if (is_floating(t)) {
    Scalar zero = w_.number(t, 0, 0, true);
    Scalar m = w_.op("arith.remf" + operands(a, b), t);
    Scalar m_nonzero = w_.op("arith.cmpf une," + operands(m, zero), DType::b8);
    Scalar b_neg = w_.op("arith.cmpf olt," + operands(b, zero), DType::b8);
    Scalar m_neg = w_.op("arith.cmpf olt," + operands(m, zero), DType::b8);
    Scalar adjust = w_.op("arith.andi" + operands(m_nonzero, w_.op("arith.xori" + operands(b_neg, m_neg), DType::b8)),
                          DType::b8);
    return w_.select(adjust, w_.op("arith.addf" + operands(m, b), t), m);
  }
  const IntDivisor d = guard_divisor(w_, b);
  if (t == DType::u8) return w_.select(d.b_zero, d.zero, w_.op("arith.remui" + operands(a, d.safe), t));
  // The 1 that stands for -1 leaves 0, the right remainder; for 0 too (see the header).
  Scalar r = w_.op("arith.remsi" + operands(a, d.safe), t);
  return w_.select(needs_floor_adjust(w_, r, d.safe, d.zero), w_.op("arith.addi" + operands(r, d.safe), t), r);
}

// C's fmod: the remainder of the quotient truncated toward zero, with the
// dividend's sign.
Scalar PointwiseEval::fmod(const Scalar& a, const Scalar& b) {
  const DType t = a.dtype;
  WICK_ASSERT(t != DType::b8, "fmod of bools");
  if (is_floating(t)) return w_.op("arith.remf" + operands(a, b), t);
  const IntDivisor d = guard_divisor(w_, b);
  if (t == DType::u8) return w_.select(d.b_zero, d.zero, w_.op("arith.remui" + operands(a, d.safe), t));
  return w_.op("arith.remsi" + operands(a, d.safe), t);  // 0 for the divisors 1 stands for (header)
}

// atan in f32 as Cephes' atanf (within 2e-7): |x| reduced to [0, tan(pi/8)]
// by pi/2 - atan(1/|x|) above tan(3pi/8) and pi/4 + atan((|x|-1)/(|x|+1))
// above tan(pi/8), then an odd polynomial; the sign put back, -0 kept.
// MLIR's polynomial approximation of math.atan is off by up to 4e-6. In f64
// math.atan stays: libm on the CPU, libdevice on the GPU.
Scalar PointwiseEval::atan(const Scalar& x) {
  const DType t = x.dtype;
  const std::string ty = register_type(t);
  if (t != DType::f32) return w_.op("math.atan " + x.ssa + " : " + ty, t);
  auto number = [&](double v) { return w_.float_constant(t, v); };
  auto arith = [&](const char* op, const Scalar& a, const Scalar& b) { return w_.op(std::string(op) + operands(a, b), t); };
  auto cmp = [&](const char* pred, const Scalar& a, const Scalar& b) {
    return w_.op(std::string("arith.cmpf ") + pred + "," + operands(a, b), DType::b8);
  };
  const Scalar ax = w_.op("math.absf " + x.ssa + " : " + ty, t);
  const Scalar big = cmp("ogt", ax, number(2.414213562373095));
  const Scalar mid = cmp("ogt", ax, number(0.4142135623730950));
  const Scalar one = number(1.0);
  const Scalar reduced = w_.select(big, arith("arith.divf", number(-1.0), ax),
                                   w_.select(mid, arith("arith.divf", arith("arith.subf", ax, one), arith("arith.addf", ax, one)), ax));
  const Scalar base = w_.select(big, number(M_PI / 2), w_.select(mid, number(M_PI / 4), number(0.0)));
  const Scalar z = arith("arith.mulf", reduced, reduced);
  Scalar p = number(8.05374449538e-2);
  for (double c : {-1.38776856032e-1, 1.99777106478e-1, -3.33329491539e-1})
    p = arith("arith.addf", arith("arith.mulf", p, z), number(c));
  p = arith("arith.addf", arith("arith.mulf", arith("arith.mulf", p, z), reduced), reduced);
  const Scalar r = arith("arith.addf", base, p);
  const Scalar signed_r = w_.select(cmp("olt", x, number(0.0)), w_.op("arith.negf " + r.ssa + " : " + ty, t), r);
  return w_.select(cmp("oeq", x, number(0.0)), x, signed_r);
}

// atan2 from atan(y / x), with C's quadrants and signed zeros: x < 0 (or
// -0) adds pi with the sign of y; both zero gives +-0 or +-pi, both infinite
// +-pi/4 or +-3pi/4. math.atan2's polynomial approximation gets the
// infinities and -0 wrong, and the GPU lowering has atan (1 / v < 0 tells
// -0 from +0).
Scalar PointwiseEval::atan2(const Scalar& y, const Scalar& x) {
  const DType t = y.dtype;
  const std::string ty = register_type(t);
  auto number = [&](double v) { return w_.float_constant(t, v); };
  auto cmp = [&](const char* pred, const Scalar& a, const Scalar& b) {
    return w_.op(std::string("arith.cmpf ") + pred + "," + operands(a, b), DType::b8);
  };
  auto both = [&](const Scalar& a, const Scalar& b) { return w_.op("arith.andi" + operands(a, b), DType::b8); };
  auto negative = [&](const Scalar& v) {
    Scalar inverse = w_.op("arith.divf" + operands(number(1.0), v), t);
    return w_.op("arith.ori" + operands(cmp("olt", v, number(0.0)), cmp("olt", inverse, number(0.0))), DType::b8);
  };
  auto signed_by_y = [&](const Scalar& y_negative, double v) { return w_.select(y_negative, number(-v), number(v)); };
  auto is_inf = [&](const Scalar& v) { return cmp("oeq", w_.op("math.absf " + v.ssa + " : " + ty, t), number(INFINITY)); };
  const Scalar x_negative = negative(x), y_negative = negative(y);
  const Scalar angle = atan(w_.op("arith.divf" + operands(y, x), t));
  const Scalar turned = w_.op("arith.addf" + operands(angle, signed_by_y(y_negative, M_PI)), t);
  Scalar r = w_.select(x_negative, turned, angle);
  const Scalar zeros = both(cmp("oeq", y, number(0.0)), cmp("oeq", x, number(0.0)));
  r = w_.select(zeros, w_.select(x_negative, signed_by_y(y_negative, M_PI), y), r);
  const Scalar infinities = both(is_inf(y), is_inf(x));
  const Scalar diagonal = w_.select(x_negative, signed_by_y(y_negative, 0.75 * M_PI), signed_by_y(y_negative, 0.25 * M_PI));
  return w_.select(infinities, diagonal, r);
}

// math.trunc and math.roundeven on the CPU. On the GPU, whose lowering has
// neither, built from floor alone. Ties to even: of the two neighbours
// floor(x) and floor(x) + 1 at distance 0.5, the even one. Infinities and
// NaN come back as they are (the distance is NaN, no compare holds, and
// inf + 1 is inf).
Scalar PointwiseEval::round(bool toward_zero, const Scalar& a) {
  const DType t = a.dtype;
  const std::string ty = register_type(t);
  if (!b_.for_gpu()) return w_.op(std::string(toward_zero ? "math.trunc " : "math.roundeven ") + a.ssa + " : " + ty, t);
  auto floor = [&](const Scalar& v) { return w_.op("math.floor " + v.ssa + " : " + ty, t); };
  auto cmp = [&](const char* pred, const Scalar& x, const Scalar& y) {
    return w_.op(std::string("arith.cmpf ") + pred + "," + operands(x, y), DType::b8);
  };
  if (toward_zero) {
    auto neg = [&](const Scalar& v) { return w_.op("arith.negf " + v.ssa + " : " + ty, t); };
    return w_.select(cmp("olt", a, w_.number(t, 0, 0, true)), neg(floor(neg(a))), floor(a));
  }
  const Scalar half = w_.float_constant(t, 0.5);
  const Scalar lower = floor(a);
  const Scalar upper = w_.op("arith.addf" + operands(lower, w_.float_constant(t, 1.0)), t);
  const Scalar distance = w_.op("arith.subf" + operands(a, lower), t);
  // lower is even when lower / 2 has no fraction.
  const Scalar halved = w_.op("arith.mulf" + operands(lower, half), t);
  const Scalar lower_even = cmp("oeq", floor(halved), halved);
  const Scalar tie = w_.select(lower_even, lower, upper);
  const Scalar nearer = w_.select(cmp("olt", distance, half), lower, upper);
  // NaN distance (infinities, NaN): upper, which is a itself then.
  return w_.select(cmp("oeq", distance, half), tie, w_.select(cmp("uno", distance, distance), a, nearer));
}

Scalar PointwiseEval::largest(DType t) {
  if (t == DType::f64) return w_.float_constant(t, std::numeric_limits<double>::max());
  if (is_floating(t)) return w_.float_constant(t, std::numeric_limits<float>::max());
  if (t == DType::b8) return w_.bool_constant(true);
  if (t == DType::u8) return w_.int_constant(t, 255);
  const int bits = bit_width(t);
  return w_.int_constant(t, bits == 64 ? std::numeric_limits<int64_t>::max() : (int64_t{1} << (bits - 1)) - 1);
}

// bitand, bitor, bitxor on integers and bools (on bools: and, or, xor).
Scalar PointwiseEval::bitwise(const std::string& fn, const Scalar& a, const Scalar& b) {
  const char* name = fn == "bitand" ? "arith.andi" : fn == "bitor" ? "arith.ori" : "arith.xori";
  WICK_ASSERT(fn == "bitand" || fn == "bitor" || fn == "bitxor", "unknown bitwise function " + fn);
  return w_.op(name + operands(a, b), a.dtype);
}

// x << n and x >> n as torch's CPU kernels compute them: types narrower
// than 32 bits shift as C's int (so i8 127 << 3 wraps to -8, and -128 >> 9
// is -1), >> is arithmetic for signed types. A count outside [0, bits) is
// undefined in torch (C++); here << gives 0 and >> the sign fill, never
// the poison value MLIR's shifts give for such counts.
Scalar PointwiseEval::shift(bool left, const Scalar& a, const Scalar& b) {
  const DType t = a.dtype;
  WICK_ASSERT(!is_floating(t) && t != DType::b8, "shift of a non-integer");
  const DType wide = bit_width(t) < 32 ? DType::i32 : t;
  Scalar x = w_.convert(a, wide), n = w_.convert(b, wide);
  const int64_t bits = static_cast<int64_t>(bit_width(wide));
  Scalar out_of_range = w_.op("arith.cmpi uge," + operands(n, w_.int_constant(wide, bits)), DType::b8);
  Scalar r;
  if (left) {
    Scalar shifted = w_.op("arith.shli" + operands(x, w_.select(out_of_range, w_.int_constant(wide, 0), n)), wide);
    r = w_.select(out_of_range, w_.int_constant(wide, 0), shifted);
  } else {
    Scalar count = w_.select(out_of_range, w_.int_constant(wide, bits - 1), n);
    r = w_.op((t == DType::u8 ? "arith.shrui" : "arith.shrsi") + operands(x, count), wide);
    if (t == DType::u8) r = w_.select(out_of_range, w_.int_constant(wide, 0), r);
  }
  return w_.convert(r, t);
}

}  // namespace wick::codegen

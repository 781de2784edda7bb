// Decomposition rules for the special functions, computed in f64 from the
// elementwise ops wick has and rounded back to the input's float type, so
// that f32 results are as close to torch's (libm's float functions) as the
// rounding allows:
//   lgamma(x)  = Lanczos' series (g = 7, 9 terms) for x >= 0.5; below,
//                the reflection log(pi / |sin(pi x)|) - lgamma(1 - x);
//                +inf at the poles (0, -1, -2, ...) and at +-inf
//   digamma(x) = psi(x + 10) - sum_{k<10} 1 / (x + k), psi(x + 10) by its
//                asymptotic series; below 0, the reflection
//                psi(1 - x) - pi / tan(pi frac(x)); NaN at the negative
//                integers, -inf at +0 and +inf at -0, as in torch
//   erfinv(y)  = torch's rational first guess (central range and tails)
//                and two Newton steps; +-inf at +-1, NaN beyond
//   erfc(x)    = 1 - erf(x) below 3; above, exp(-x^2) / sqrt(pi) over a
//                continued fraction of 30 terms (1 - erf would cancel)
//   i0(x), i1(x) = the power series (40 terms) for |x| < 20, else the
//                asymptotic series (20 terms) times e^|x| / sqrt(2 pi |x|);
//                in f32, +-inf from |x| = 88.72 on, where torch's float
//                e^|x| overflows; NaN at +-inf, as torch's; i0e, i1e the
//                same times e^-|x|, which the large branch never forms
//   erfcx(x)   = e^(x^2) erfc(x), the continued fraction alone above 3
//   ndtr(x)    = erfc(-x / sqrt 2) / 2; log_ndtr its logarithm, from the
//                continued fraction's form far below 0
//   entr(x)    = -x log x (0 at 0, -inf below)
//   zeta(x, q) = Cephes' Hurwitz zeta as ATen has it: the sum of
//                (q + k)^-x for k to 9 (or until q + k > 9, for q down to
//                -31), then the Euler-Maclaurin correction
//   polygamma(n, x) = digamma for n = 0, ATen's trigamma for n = 1, else
//                (-1)^(n+1) n! zeta(n + 1, x)
//   ndtri(p)   = Cephes' rational fits, in the central range and two tails
//   mvlgamma(x, p) = the sum of lgamma(x - i / 2), i < p, plus
//                p (p - 1) / 4 log(pi), in x's type
//   special_erf, special_expit, special_softmax, ... = the ops wick has
//                under those names
//   float_power(a, b) = pow in f64 (the result is f64, as in torch)
//   ldexp(x, e)       = x * 2^e
//   frexp(x)          = (m, e) with x = m 2^e, 0.5 <= |m| < 1, e int32;
//                       (x, 0) for 0, infinities and NaN
// Each branch of a `where` reads its argument clamped to its own range, so
// that the branch not taken computes finite values and passes no NaN
// gradient back.
#include <cmath>
#include <map>
#include <string>

#include "passes/decompose_arith.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Value;

// Lanczos' approximation for z >= 0.5 (g = 7, 9 coefficients).
X lanczos_lgamma(X z) {
  static const double c[] = {0.99999999999980993,  676.5203681218851,     -1259.1392167224028,
                             771.32342877765313,   -176.61502916214059,   12.507343278686905,
                             -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};
  X w = z - 1.0;
  X a = c[1] / (w + 1.0);
  for (int i = 2; i < 9; ++i) a = a + c[i] / (w + static_cast<double>(i));
  a = a + c[0];
  X t = w + 7.5;
  return (w + 0.5) * t.op("aten::log") - t + a.op("aten::log") + 0.5 * std::log(2 * kPi);
}

Value* lgamma(Emitter& e) {
  auto [x, to] = input_f64(e, 0);
  X reflect = x < 0.5;
  X z = where(reflect, 1.0 - x, x);
  X lg = lanczos_lgamma(z);
  X xr = where(reflect, x, 0.25);  // the reflection's own argument, never a pole when not taken
  X sin_pi = (xr * kPi).op("aten::sin").op("aten::abs");
  X reflected = (kPi / sin_pi).op("aten::log") - lg;
  X y = where(reflect, reflected, lg);
  X pole = (x <= 0.0 && x == x.op("aten::floor")) || x.op("aten::isinf");
  y = where(x == 1.0 || x == 2.0, 0.0, y);  // exactly, as libm's
  return rounded(e, where(pole, INFINITY, y), to);
}

// Terms the Hurwitz zeta's direct sum may take: Cephes takes 9, or more
// until q + terms > 9, so q down to 9 - kZetaTerms is summed as there.
constexpr int kZetaTerms = 40;

// Cephes' Hurwitz zeta, as ATen computes it in f64: the sum of (q + k)^-x
// for k up to 9 (further while q + k <= 9), then Euler-Maclaurin's
// correction with 12 Bernoulli terms; either stops early, as there, once a
// term falls below 2^-53 of the sum. Where it would need more than
// kZetaTerms terms (q below -31, x an integer) the result is NaN.
X hurwitz_zeta(X x, X q) {
  static const double bernoulli[] = {12.0,
                                     -720.0,
                                     30240.0,
                                     -1209600.0,
                                     47900160.0,
                                     -1.8924375803183791606e9,
                                     7.47242496e10,
                                     -2.950130727918164224e12,
                                     1.1646782814350067249e14,
                                     -4.5979787224074726105e15,
                                     1.8152105401943546773e17,
                                     -7.1661652561756670113e18};
  constexpr double kMachEp = 1.11022302462515654042e-16;
  X at_pole = x == 1.0;
  X below_one = x < 1.0;
  X q_nonpositive = q <= 0.0;
  X q_integer = q == q.op("aten::floor");
  X x_integer = x == x.op("aten::floor");
  X q_pole = q_nonpositive && q_integer;
  X undefined = q_nonpositive && !x_integer;
  // The series reads arguments it is defined for, so that no branch it
  // does not take makes a NaN.
  X bad = at_pole || below_one || q_pole || undefined;
  X xs = where(bad, 2.0, x);
  X qs = where(bad, 1.0, q);
  X minus_x = -xs;
  X s = pow(qs, minus_x);
  X a = qs;
  X b = where(none_of(xs), xs, 0.0);
  X done = none_of(xs);
  for (int i = 0; i < kZetaTerms; ++i) {
    X active = i < 9 ? !done : (!done && (a <= 9.0));
    a = where(active, a + 1.0, a);
    b = where(active, pow(a, minus_x), b);
    s = where(active, s + b, s);
    // Cephes' test: -eps s < b < eps s (never true for a negative sum).
    done = done || (active && (b < s * kMachEp) && (s * -kMachEp < b));
  }
  X too_few_terms = !done && (a <= 9.0);
  X w = a;
  s = where(done, s, s + b * w / (xs - 1.0) - b * 0.5);
  X factor = where(none_of(xs), xs, 1.0);
  double k = 0;
  for (double c : bernoulli) {
    factor = factor * (xs + k);
    b = b / w;
    X t = factor * b / c;
    s = where(done, s, s + t);
    done = done || (abs(t) < abs(s) * kMachEp);
    k += 1;
    factor = factor * (xs + k);
    b = b / w;
    k += 1;
  }
  X y = where(too_few_terms || undefined || below_one, NAN, s);
  return where(at_pole || (q_pole && !below_one), INFINITY, y);
}

// zeta(x, q), either argument possibly a Python number: that one is
// filled out to the other's shape.
Value* zeta(Emitter& e) {
  const bool x_scalar = !e.input(0)->type()->is_tensor(), q_scalar = !e.input(1)->type()->is_tensor();
  auto as_f64 = [&](size_t i, size_t like) -> X {
    Value* f64 = e.int_(*torch_code_of(DType::f64));
    return {&e, e.op("aten::full_like", {e.input(like), e.input(i), f64, e.none(), e.none(), e.none(), e.none()})};
  };
  if (x_scalar) {
    auto [q, to] = input_f64(e, 1);
    return rounded(e, hurwitz_zeta(as_f64(0, 1), q), to);
  }
  auto [x, x_to] = input_f64(e, 0);
  if (q_scalar) return rounded(e, hurwitz_zeta(x, as_f64(1, 0)), x_to);
  auto [q, q_to] = input_f64(e, 1);
  return rounded(e, hurwitz_zeta(x, q), promote(x_to, q_to));
}

// ATen's trigamma in f64: the reflection below 1/2, six steps of the
// recurrence, then the asymptotic series.
X trigamma(X x) {
  X reflect = x < 0.5;
  X xr = where(reflect, x, 0.25);
  X sin_pi = (xr * kPi).op("aten::sin");
  X z = where(reflect, 1.0 - x, x);
  X sum = 1.0 / (z * z);
  for (int i = 1; i < 6; ++i) {
    X zi = z + static_cast<double>(i);
    sum = sum + 1.0 / (zi * zi);
  }
  z = z + 6.0;
  X ixx = 1.0 / (z * z);
  X inner = 1.0 / 30 - ixx * (1.0 / 42);
  X series = (ixx * (1.0 / 6 - ixx * inner) + 1.0 / (z * 2.0) + 1.0) / z;
  X positive = sum + series;
  return where(reflect, kPi * kPi / (sin_pi * sin_pi) - positive, positive);
}

Value* polygamma(Emitter& e) {
  const int64_t n = e.constant_int(0, "n");
  if (n < 0) throw e.node().error("polygamma(n, x) does not support negative n");
  if (n == 0) return e.op("aten::digamma", {e.input(1)});
  auto [x, to] = input_f64(e, 1);
  if (n == 1) return rounded(e, trigamma(x), to);
  const double nd = static_cast<double>(n);
  X order = where(none_of(x), x, nd + 1.0);
  return rounded(e, hurwitz_zeta(order, x) * ((n % 2 ? 1.0 : -1.0) * std::exp(std::lgamma(nd + 1.0))), to);
}

// Cephes' ndtri as ATen has it: a rational function of y - 1/2 in the
// central range, else of 1 / sqrt(-2 log y) for the tail (two fits, split
// at y = e^-32), the upper tail by symmetry.
Value* ndtri(Emitter& e) {
  auto [p, to] = input_f64(e, 0);
  static const double p0[] = {-5.99633501014107895267E1, 9.80010754185999661536E1, -5.66762857469070293439E1,
                              1.39312609387279679503E1, -1.23916583867381258016E0};
  static const double q0[] = {1.0, 1.95448858338141759834E0, 4.67627912898881538453E0,
                              8.63602421390890590575E1, -2.25462687854119370527E2, 2.00260212380060660359E2,
                              -8.20372256168333339912E1, 1.59056225126211695515E1, -1.18331621121330003142E0};
  static const double p1[] = {4.05544892305962419923E0, 3.15251094599893866154E1, 5.71628192246421288162E1,
                              4.40805073893200834700E1, 1.46849561928858024014E1, 2.18663306850790267539E0,
                              -1.40256079171354495875E-1, -3.50424626827848203418E-2, -8.57456785154685413611E-4};
  static const double q1[] = {1.0, 1.57799883256466749731E1, 4.53907635128879210584E1,
                              4.13172038254672030440E1, 1.50425385692907503408E1, 2.50464946208309415979E0,
                              -1.42182922854787788574E-1, -3.80806407691578277194E-2, -9.33259480895457427372E-4};
  static const double p2[] = {3.23774891776946035970E0, 6.91522889068984211695E0, 3.93881025292474443415E0,
                              1.33303460815807542389E0, 2.01485389549179081538E-1, 1.23716634817820021358E-2,
                              3.01581553508235416007E-4, 2.65806974686737550832E-6, 6.23974539184983293730E-9};
  static const double q2[] = {1.0, 6.02427039364742014255E0, 3.67983563856160859403E0,
                              1.37702099489081330271E0, 2.16236993594496635890E-1, 1.34204006088543189037E-2,
                              3.28014464682127739104E-4, 2.89247864745380683936E-6, 6.79019408009981274425E-9};
  constexpr double kExpMinus2 = 0.13533528323661269189;
  constexpr double kSqrt2Pi = 2.50662827463100050242;
  X upper = p > 1.0 - kExpMinus2;
  X y = where(upper, 1.0 - p, p);
  X central = y > kExpMinus2;
  X c = where(central, y, 0.5) - 0.5;
  X c2 = c * c;
  X near = (c + c * (c2 * polynomial(c2, p0, 4) / polynomial(c2, q0, 8))) * kSqrt2Pi;
  X t = where(central || (y <= 0.0), 0.5, y);
  X r = (t.op("aten::log") * -2.0).op("aten::sqrt");
  X r0 = r - r.op("aten::log") / r;
  X z = 1.0 / r;
  X fit = where(r < 8.0, z * polynomial(z, p1, 8) / polynomial(z, q1, 8), z * polynomial(z, p2, 8) / polynomial(z, q2, 8));
  X tail = r0 - fit;
  X far = where(upper, tail, -tail);
  X v = where(central, near, far);
  v = where(p == 0.0, -INFINITY, where(p == 1.0, INFINITY, v));
  return rounded(e, where(p < 0.0 || p > 1.0, NAN, v), to);
}

// psi(x) for x > 0 (x = 0 gives -inf, and -0 gives +inf, through 1 / x).
X digamma_positive(X x) {
  X shifted = x + 10.0;
  X sum = 1.0 / x;
  for (int k = 1; k < 10; ++k) sum = sum + 1.0 / (x + static_cast<double>(k));
  // Asymptotic series: log s - 1 / (2 s) - sum B_2k / (2k s^2k).
  static const double a[] = {8.33333333333333333333E-2, -2.10927960927960927961E-2, 7.57575757575757575758E-3,
                             -4.16666666666666666667E-3, 3.96825396825396825397E-3, -8.33333333333333333333E-3,
                             8.33333333333333333333E-2};
  X zz = 1.0 / (shifted * shifted);
  X poly = zz * a[0] + a[1];
  for (int i = 2; i < 7; ++i) poly = poly * zz + a[i];
  return shifted.op("aten::log") - 0.5 / shifted - zz * poly - sum;
}

Value* digamma(Emitter& e) {
  auto [x, to] = input_f64(e, 0);
  X negative = x < 0.0;
  X integer = x == x.op("aten::trunc");
  X psi = digamma_positive(where(negative, 1.0 - x, x));
  // tan(pi r) of x's fraction r is more precise than tan(pi x).
  X xr = where(negative && (integer.op("aten::logical_not")), x, -0.5);
  X reflected = psi - kPi / ((xr - xr.op("aten::trunc")) * kPi).op("aten::tan");
  X y = where(negative, reflected, psi);
  return rounded(e, where(negative && integer, NAN, y), to);
}

Value* erfinv(Emitter& e) {
  auto [y, to] = input_f64(e, 0);
  static const double a[] = {0.886226899, -1.645349621, 0.914624893, -0.140543331};
  static const double b[] = {-2.118377725, 1.442710462, -0.329097515, 0.012229801};
  static const double c[] = {-1.970840454, -1.624906493, 3.429567803, 1.641345311};
  static const double d[] = {3.543889200, 1.637067800};
  X ay = y.op("aten::abs");
  X central = ay <= 0.7;
  // Central range: y times a ratio of polynomials in y^2.
  X yc = where(central, y, 0.0);
  X z = yc * yc;
  X num = ((z * a[3] + a[2]) * z + a[1]) * z + a[0];
  X den = (((z * b[3] + b[2]) * z + b[1]) * z + b[0]) * z + 1.0;
  X guess_central = yc * num / den;
  // Tails: a ratio in sqrt(-log((1 - |y|) / 2)), signed as y.
  X at = where(central, 0.85, min(ay, 0.9999999999999999));
  X t = (-((1.0 - at) / 2.0).op("aten::log")).op("aten::sqrt");
  X tnum = ((t * c[3] + c[2]) * t + c[1]) * t + c[0];
  X tden = (t * d[1] + d[0]) * t + 1.0;
  X guess_tail = tnum / tden * y.op("aten::sign");
  X x = where(central, guess_central, guess_tail);
  for (int step = 0; step < 2; ++step)
    x = x - (x.op("aten::erf") - y) / ((-(x * x)).op("aten::exp") * (2.0 / std::sqrt(kPi)));
  x = where(y == 1.0, INFINITY, x);
  x = where(y == -1.0, -INFINITY, x);
  return rounded(e, where(ay > 1.0, NAN, x), to);
}

// Laplace's continued fraction x + (1/2) / (x + 1 / (x + (3/2) / ...)), 30
// terms, for x >= 3: erfc(x) = e^(-x^2) / (sqrt(pi) f).
X erfc_fraction(X x) {
  X f = x;
  for (int k = 30; k >= 1; --k) f = x + (static_cast<double>(k) / 2.0) / f;
  return f;
}

// erfc of an f64 tensor: 1 - erf below 3, the continued fraction above.
X erfc_f64(X x) {
  X direct = 1.0 - min(x, 3.0).op("aten::erf");
  X far = max(x, 3.0);
  X tail = (-(far * far)).op("aten::exp") / std::sqrt(kPi) / erfc_fraction(far);
  return where(x < 3.0, direct, tail);
}

Value* erfc(Emitter& e) {
  auto [x, to] = input_f64(e, 0);
  return rounded(e, erfc_f64(x), to);
}

// erfcx(x) = e^(x^2) erfc(x): 1 / (sqrt(pi) f) above 3, without the
// exponentials that would overflow and underflow there.
Value* erfcx(Emitter& e) {
  auto [x, to] = input_f64(e, 0);
  X near = min(x, 3.0);
  X direct = (near * near).op("aten::exp") * (1.0 - near.op("aten::erf"));
  X tail = 1.0 / (erfc_fraction(max(x, 3.0)) * std::sqrt(kPi));
  return rounded(e, where(x < 3.0, direct, tail), to);
}

// ndtr(x) = erfc(-x / sqrt 2) / 2, the normal distribution function.
Value* ndtr(Emitter& e) {
  auto [x, to] = input_f64(e, 0);
  return rounded(e, erfc_f64(x * -M_SQRT1_2) * 0.5, to);
}

// log_ndtr(x): log1p(-erfc(x / sqrt 2) / 2) for x >= 0; below, with
// t = -x / sqrt 2, log(erfc(t) / 2), and from t = 3 on the logarithm of the
// continued fraction's form, -t^2 - log(2 sqrt(pi) f), which never underflows.
Value* log_ndtr(Emitter& e) {
  auto [x, to] = input_f64(e, 0);
  X upper = (erfc_f64(max(x, 0.0) * M_SQRT1_2) * -0.5).op("aten::log1p");
  X t = min(x, 0.0) * -M_SQRT1_2;
  X middle = ((1.0 - min(t, 3.0).op("aten::erf")) * 0.5).op("aten::log");
  X far = max(t, 3.0);
  X tail = -(far * far) - (erfc_fraction(far) * (2.0 * std::sqrt(kPi))).op("aten::log");
  X lower = where(t < 3.0, middle, tail);
  return rounded(e, where(x.call("aten::ge.Scalar", 0.0), upper, lower), to);
}

// entr(x) = -x log x; 0 at 0, -inf below, NaN for NaN.
Value* entr(Emitter& e) {
  auto [x, to] = input_f64(e, 0);
  X positive = max(x, 1e-300);
  X y = -(positive * positive.op("aten::log"));
  y = where(x == 0.0, 0.0, y);
  y = where(x < 0.0, -INFINITY, y);
  return rounded(e, y, to);
}

// mvlgamma(x, p) = sum_{i<p} lgamma(x - i / 2) + p (p - 1) / 4 log(pi), in
// x's float type, as ATen sums it (from x - (p - 1) / 2 up to x).
Value* mvlgamma(Emitter& e) {
  Value* x = e.input(0);
  const auto& dtype = x->type()->dtype();
  if (dtype && !is_floating(*dtype)) x = e.cast(x, DType::f32);
  const int64_t p = e.constant_int(1, "p");
  if (p < 1) throw e.node().error("p has to be greater than or equal to 1, got " + std::to_string(p));
  if (p > 1024) throw e.node().error("p of " + std::to_string(p) + " is more than supported (1024)");
  Value* total = nullptr;
  for (int64_t i = p - 1; i >= 0; --i) {
    Value* arg = i == 0 ? x : e.op("aten::sub.Scalar", {x, e.float_(static_cast<double>(i) / 2.0), e.int_(1)});
    Value* term = e.op("aten::lgamma", {arg});
    total = total ? e.add(total, term) : term;
  }
  const double c = static_cast<double>(p * (p - 1)) / 4.0 * std::log(kPi);
  return e.op("aten::add.Scalar", {total, e.float_(c), e.int_(1)});
}

// I0 or I1 of x (order 0 or 1), times e^-|x| when `scaled`: the power
// series (40 terms) for |x| < 20, else the asymptotic series (20 terms)
// times e^|x| / sqrt(2 pi |x|). I1 is odd.
X bessel_i(X x, int order, bool scaled) {
  X ax = x.op("aten::abs");
  X xs = min(ax, 20.0);
  X q = xs * xs / 4.0;
  // sum_k q^k / (k! (k + order)!), nested from the last term.
  X series = 1.0 + q / (40.0 * (40.0 + order));
  for (int k = 39; k >= 1; --k) series = 1.0 + series * q / static_cast<double>(k * (k + order));
  if (order == 1) series = series * xs / 2.0;
  if (scaled) series = series * (-xs).op("aten::exp");
  // sum_k c_k / x^k with c_k / c_(k-1) = ((2k - 1)^2 - 4 order^2) / (8k).
  X xl = max(ax, 20.0);
  const double mu = 4.0 * order * order;
  auto ratio = [&](int k) { return (static_cast<double>((2 * k - 1) * (2 * k - 1)) - mu) / (8.0 * k); };
  X asym = 1.0 + ratio(20) / xl;
  for (int k = 19; k >= 1; --k) asym = 1.0 + asym * ratio(k) / xl;
  X large = asym / (xl * (2 * kPi)).op("aten::sqrt");
  if (!scaled) large = large * xl.op("aten::exp");
  X y = where(ax < 20.0, series, large);
  if (order == 1) y = y * x.op("aten::sign");
  return y;
}

Value* bessel(Emitter& e, int order, bool scaled) {
  auto [x, to] = input_f64(e, 0);
  X y = bessel_i(x, order, scaled);
  if (!scaled) {
    // torch's f32 I0 and I1 multiply by a float e^|x|, which overflows first.
    if (to == DType::f32) {
      X big = x.op("aten::abs").call("aten::ge.Scalar", 88.72283935546875);
      y = where(order == 1 ? big && x > 0.0 : big, INFINITY, y);
      if (order == 1) y = where(big && x < 0.0, -INFINITY, y);
    }
    y = where(x.op("aten::isinf"), NAN, y);  // torch's e^|x| / sqrt(|x|) is inf / inf there
  }
  return rounded(e, y, to);
}

Value* i0(Emitter& e) { return bessel(e, 0, false); }
Value* i0e(Emitter& e) { return bessel(e, 0, true); }
Value* i1(Emitter& e) { return bessel(e, 1, false); }
Value* i1e(Emitter& e) { return bessel(e, 1, true); }

// float_power(self, exponent): Tensor_Tensor, Tensor_Scalar, Scalar.
Value* float_power(Emitter& e) {
  auto as_f64 = [&](Value* v) {
    if (!v->type()->is_tensor()) return v;
    return v->type()->dtype() == DType::f64 ? v : e.cast(v, DType::f64);
  };
  Value* a = as_f64(e.input(0));
  Value* b = as_f64(e.input(1));
  const std::string& overload = e.node().op().schema.overload;
  if (overload == "Tensor_Tensor") return e.op("aten::pow.Tensor_Tensor", {a, b});
  if (overload == "Tensor_Scalar") return e.op("aten::pow.Tensor_Scalar", {a, b});
  return e.op("aten::pow.Scalar", {a, b});
}

Value* ldexp(Emitter& e) {
  Value* x = e.input(0);
  const auto& dtype = x->type()->dtype();
  if (dtype && !is_floating(*dtype)) x = e.cast(x, DType::f32);
  return e.mul(x, e.op("aten::pow.Scalar", {e.float_(2.0), e.input(1)}));
}

std::vector<Value*> frexp(Emitter& e) {
  Value* input = e.input(0);
  const auto& dtype = input->type()->dtype();
  if (!dtype || !is_floating(*dtype)) throw e.node().error("takes a floating-point tensor");
  auto [x, to] = input_f64(e, 0);
  X ax = x.op("aten::abs");
  X special = ax == 0.0 || x.op("aten::isinf") || (x == x).op("aten::logical_not");
  X safe = where(special, 1.0, ax);
  // log2 may round across a power of two: one correction each way.
  X exponent = safe.op("aten::log2").op("aten::floor") + 1.0;
  X m = safe / X{&e, e.op("aten::pow.Scalar", {e.float_(2.0), exponent.v})};
  exponent = where(m < 0.5, exponent - 1.0, exponent);
  exponent = where(m.call("aten::ge.Scalar", 1.0), exponent + 1.0, exponent);
  X mantissa = safe / X{&e, e.op("aten::pow.Scalar", {e.float_(2.0), exponent.v})} * x.op("aten::sign");
  mantissa = where(special, x, mantissa);
  exponent = where(special, 0.0, exponent);
  return {rounded(e, mantissa, to), e.cast(exponent.v, DType::i32)};
}

// torch.special's other names for ops wick has.
const std::map<std::string, std::string>& alias_targets() {
  static const std::map<std::string, std::string> targets = {
      {"aten::special_erf", "aten::erf"},
      {"aten::special_exp2", "aten::exp2"},
      {"aten::special_expm1", "aten::expm1"},
      {"aten::special_expit", "aten::sigmoid"},
      {"aten::special_log1p", "aten::log1p"},
      {"aten::special_logit", "aten::logit"},
      {"aten::special_round", "aten::round.decimals"},
      {"aten::special_sinc", "aten::sinc"},
      {"aten::special_xlogy", "aten::xlogy.Tensor"},
      {"aten::special_xlogy.other_scalar", "aten::xlogy.Scalar_Other"},
      {"aten::special_logsumexp", "aten::logsumexp"},
      {"aten::special_softmax", "aten::softmax.int"},
      {"aten::special_log_softmax", "aten::log_softmax.int"}};
  return targets;
}

Value* alias(Emitter& e) {
  const ir::Node& n = e.node();
  return e.op(alias_targets().at(n.kind()).c_str(), {n.inputs().begin(), n.inputs().end()});
}

}  // namespace

std::vector<NamedRule> special_function_rules() {
  std::vector<NamedRule> rules = {{"aten::lgamma", lgamma},
          {"aten::digamma", digamma},
          {"aten::erfinv", erfinv},
          {"aten::erfc", erfc},
          {"aten::i0", i0},
          {"aten::special_gammaln", lgamma},
          {"aten::special_digamma", digamma},
          {"aten::special_psi", digamma},
          {"aten::special_erfinv", erfinv},
          {"aten::special_erfc", erfc},
          {"aten::special_i0", i0},
          {"aten::special_i0e", i0e},
          {"aten::special_i1", i1},
          {"aten::special_i1e", i1e},
          {"aten::special_erfcx", erfcx},
          {"aten::special_ndtr", ndtr},
          {"aten::special_log_ndtr", log_ndtr},
          {"aten::special_entr", entr},
          {"aten::special_ndtri", ndtri},
          {"aten::special_zeta", zeta},
          {"aten::special_zeta.other_scalar", zeta},
          {"aten::special_zeta.self_scalar", zeta},
          {"aten::polygamma", polygamma},
          {"aten::special_polygamma", polygamma},
          {"aten::mvlgamma", mvlgamma},
          {"aten::special_multigammaln", mvlgamma},
          {"aten::float_power.Tensor_Tensor", float_power},
          {"aten::float_power.Tensor_Scalar", float_power},
          {"aten::float_power.Scalar", float_power},
          {"aten::ldexp.Tensor", ldexp}};
  for (const auto& [name, target] : alias_targets()) rules.push_back({name.c_str(), alias});
  return rules;
}

std::vector<NamedMultiRule> special_function_multi_rules() { return {{"aten::frexp.Tensor", frexp}}; }

}  // namespace wick::passes::decompose_detail

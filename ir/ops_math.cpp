// More elementwise math, as aten spells it: logarithms and exponentials of
// other bases, trigonometry, rounding, shrinkage activations, tests for NaN
// and infinity, and the three-operand forms (addcmul, addcdiv, lerp,
// clamp with tensor bounds). Each is one expression, as in ops_pointwise.cpp;
// their gradients are in grad_rules_math.cpp.
#include <string>

#include "ir/op_table.h"
#include "ir/shape_rules.h"

namespace wick::ir {

namespace {

// clamp with bounds that may be absent, as in ops_pointwise.cpp.
constexpr const char* kClamp =
    "defined(max) ? min(defined(min) ? max(self, min) : self, max) : (defined(min) ? max(self, min) : self)";

}  // namespace

void add_math_ops(OpTableBuilder& t) {
  using namespace shape;
  t.pointwise("aten::expm1(Tensor self) -> Tensor", unary_float, "expm1(self)");
  t.pointwise("aten::exp2(Tensor self) -> Tensor", unary_float, "exp2(self)");
  t.pointwise("aten::log2(Tensor self) -> Tensor", unary_float, "log2(self)");
  t.pointwise("aten::log10(Tensor self) -> Tensor", unary_float, "log10(self)");
  t.pointwise("aten::log1p(Tensor self) -> Tensor", unary_float, "log1p(self)");
  t.pointwise("aten::tan(Tensor self) -> Tensor", unary_float, "tan(self)");
  t.pointwise("aten::atan(Tensor self) -> Tensor", unary_float, "atan(self)");
  t.pointwise("aten::atan2(Tensor self, Tensor other) -> Tensor", binary_true_divide, "atan2(self, other)");
  // The inverse and hyperbolic functions, from atan, exp, expm1 and log1p in
  // forms that keep their precision near 0 and near +-1 (ln 2 = 0.693...
  // where asinh and acosh of large arguments would square them). sinh and
  // cosh overflow where torch's do, past |x| = 88.7 in f32. Outside [-1, 1]
  // asin, acos and atanh are NaN, as in torch, since sqrt and log1p are.
  // Each under its name and numpy's (arcsin, ...): two ops in TorchScript.
  auto unary_twice = [&](const char* name, const char* expr) {
    for (const std::string& n : {std::string(name), "arc" + std::string(name).substr(1)})
      t.pointwise(("aten::" + n + "(Tensor self) -> Tensor").c_str(), unary_float, expr);
  };
  unary_twice("asin", "atan2(self, sqrt((1 - self) * (1 + self)))");
  unary_twice("acos", "atan2(sqrt((1 - self) * (1 + self)), self)");
  unary_twice("asinh",
              "abs(self) > 4096 ? (self < 0 ? -(log(-self) + 0.6931471805599453) : log(self) + 0.6931471805599453)"
              " : (self < 0 ? -log1p(-self + self * self / (1 + sqrt(1 + self * self)))"
              " : log1p(self + self * self / (1 + sqrt(1 + self * self))))");
  unary_twice("acosh", "self > 4096 ? log(self) + 0.6931471805599453 : log1p((self - 1) + sqrt((self - 1) * (self + 1)))");
  unary_twice("atanh", "self < 0 ? -0.5 * log1p(-2 * self / (1 + self)) : 0.5 * log1p(2 * self / (1 - self))");
  t.pointwise("aten::sinh(Tensor self) -> Tensor", unary_float,
              "abs(self) < 1 ? (expm1(self) - expm1(-self)) * 0.5 : (exp(self) - exp(-self)) * 0.5");
  t.pointwise("aten::cosh(Tensor self) -> Tensor", unary_float, "(exp(self) + exp(-self)) * 0.5");
  t.pointwise("aten::arctan(Tensor self) -> Tensor", unary_float, "atan(self)");
  t.pointwise("aten::arctan2(Tensor self, Tensor other) -> Tensor", binary_true_divide, "atan2(self, other)");
  // logit(x, eps) = log(z / (1 - z)), z = x clamped to [eps, 1 - eps] when eps is given.
  t.pointwise("aten::logit(Tensor self, float? eps=None) -> Tensor", unary_float,
        "defined(eps) ? log(min(max(self, eps), 1 - eps) / (1 - min(max(self, eps), 1 - eps)))"
        " : log(self / (1 - self))");
  t.pointwise("aten::square(Tensor self) -> Tensor", same_as_input, "self * self");
  // Rounding: round ties to even, as torch does.
  t.pointwise("aten::trunc(Tensor self) -> Tensor", same_as_input, "trunc(self)");
  t.pointwise("aten::round(Tensor self) -> Tensor", same_as_input, "roundeven(self)");
  t.pointwise("aten::round.decimals(Tensor self, *, int decimals) -> Tensor", same_as_input,
        "decimals >= 0 ? roundeven(self * pow(10, decimals)) / pow(10, decimals)"
        " : roundeven(self / pow(10, -decimals)) * pow(10, -decimals)");
  t.pointwise("aten::frac(Tensor self) -> Tensor", same_as_input, "self - trunc(self)");
  // sign(NaN) is 0, as in torch.
  t.pointwise("aten::sign(Tensor self) -> Tensor", same_as_input, "self > 0 ? 1 : (self < 0 ? -1 : 0)");
  t.pointwise("aten::sgn(Tensor self) -> Tensor", same_as_input, "self > 0 ? 1 : (self < 0 ? -1 : 0)");
  t.pointwise("aten::fmod.Tensor(Tensor self, Tensor other) -> Tensor", binary_broadcast, "fmod(self, other)");
  t.pointwise("aten::fmod.Scalar(Tensor self, Scalar other) -> Tensor", binary_broadcast, "fmod(self, other)");
  // Shrinkage and thresholds.
  t.pointwise("aten::hardshrink(Tensor self, Scalar lambd=0.5) -> Tensor", same_as_input,
        "self >= -lambd && self <= lambd ? 0 : self");
  t.pointwise("aten::softshrink(Tensor self, Scalar lambd=0.5) -> Tensor", same_as_input,
        "self > lambd ? self - lambd : (self < -lambd ? self + lambd : 0)");
  t.pointwise("aten::threshold(Tensor self, Scalar threshold, Scalar value) -> Tensor", same_as_input,
        "self <= threshold ? value : self");
  // NaN and infinity.
  t.pointwise_on_inputs("aten::isnan(Tensor self) -> Tensor", compare_broadcast_unary, "self != self");
  t.pointwise_on_inputs("aten::isinf(Tensor self) -> Tensor", compare_broadcast_unary, "isinf(self)");
  t.pointwise_on_inputs("aten::isfinite(Tensor self) -> Tensor", compare_broadcast_unary, "self == self && !isinf(self)");
  t.pointwise_on_inputs("aten::isposinf(Tensor self) -> Tensor", compare_broadcast_unary, "isinf(self) && self > 0");
  t.pointwise_on_inputs("aten::isneginf(Tensor self) -> Tensor", compare_broadcast_unary, "isinf(self) && self < 0");
  t.pointwise("aten::nan_to_num(Tensor self, float? nan=None, float? posinf=None, float? neginf=None) -> Tensor",
        same_as_input,
        "self != self ? (defined(nan) ? nan : 0)"
        " : (isinf(self) ? (self > 0 ? (defined(posinf) ? posinf : largest()) : (defined(neginf) ? neginf : -largest()))"
        " : self)");
  // Three operands, broadcast together.
  t.pointwise("aten::addcmul(Tensor self, Tensor tensor1, Tensor tensor2, *, Scalar value=1) -> Tensor", broadcast_all,
        "self + value * tensor1 * tensor2");
  t.pointwise("aten::addcdiv(Tensor self, Tensor tensor1, Tensor tensor2, *, Scalar value=1) -> Tensor", broadcast_all,
        "self + value * (tensor1 / tensor2)");
  // torch's lerp: from the nearer end, so that weight 1 gives `end` exactly.
  t.pointwise("aten::lerp.Scalar(Tensor self, Tensor end, Scalar weight) -> Tensor", broadcast_all,
        "abs(weight) < 0.5 ? self + weight * (end - self) : end - (end - self) * (1 - weight)");
  t.pointwise("aten::lerp.Tensor(Tensor self, Tensor end, Tensor weight) -> Tensor", broadcast_all,
        "abs(weight) < 0.5 ? self + weight * (end - self) : end - (end - self) * (1 - weight)");
  t.pointwise("aten::clamp.Tensor(Tensor self, Tensor? min=None, Tensor? max=None) -> Tensor", broadcast_all, kClamp);
  t.pointwise("aten::clamp_min.Tensor(Tensor self, Tensor min) -> Tensor", broadcast_all, "max(self, min)");
  t.pointwise("aten::clamp_max.Tensor(Tensor self, Tensor max) -> Tensor", broadcast_all, "min(self, max)");
  t.pointwise("aten::full_like(Tensor self, Scalar fill_value, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None, MemoryFormat? memory_format=None) -> Tensor",
        full_like, "fill_value");
  // Elementwise functions written with others (decompose_elementwise.cpp).
  constexpr Lowering C = Lowering::composite;
  for (const char* name : {"logaddexp", "logaddexp2", "hypot", "copysign.Tensor", "xlogy.Tensor"})
    t.add({(std::string("aten::") + name + "(Tensor self, Tensor other) -> Tensor").c_str(), C, binary_true_divide});
  t.add({"aten::heaviside(Tensor self, Tensor values) -> Tensor", C, binary_broadcast});
  t.add({"aten::copysign.Scalar(Tensor self, Scalar other) -> Tensor", C, binary_true_divide});
  t.add({"aten::xlogy.Scalar_Other(Tensor self, Scalar other) -> Tensor", C, binary_true_divide});
  for (const char* name : {"sinc", "deg2rad", "rad2deg"})
    t.add({(std::string("aten::") + name + "(Tensor self) -> Tensor").c_str(), C, unary_float});
  t.add({"aten::signbit(Tensor self) -> Tensor", C, compare_broadcast_unary});
  t.add({"aten::fmax(Tensor self, Tensor other) -> Tensor", C, binary_broadcast});
  t.add({"aten::fmin(Tensor self, Tensor other) -> Tensor", C, binary_broadcast});
  t.add({"aten::isreal(Tensor self) -> Tensor", C, compare_broadcast_unary});
  t.add({"aten::positive(Tensor(a) self) -> Tensor(a)", C, same_as_input});
  t.add({"aten::isin.Tensor_Tensor(Tensor elements, Tensor test_elements, *, bool assume_unique=False, bool invert=False) -> Tensor",
         C, isin});
  t.add({"aten::isin.Tensor_Scalar(Tensor elements, Scalar test_element, *, bool assume_unique=False, bool invert=False) -> Tensor",
         C, isin});
  t.add({"aten::isin.Scalar_Tensor(Scalar element, Tensor test_elements, *, bool assume_unique=False, bool invert=False) -> Tensor",
         C, isin});
  t.add({"aten::isclose(Tensor self, Tensor other, float rtol=1e-05, float atol=1e-08, bool equal_nan=False) -> Tensor", C,
         compare_broadcast});
  // Special functions, computed in f64 (decompose_special.cpp), under their
  // names and torch.special's.
  for (const char* name : {"lgamma", "digamma", "erfinv", "erfc", "i0", "special_gammaln", "special_digamma",
                           "special_psi", "special_erfinv", "special_erfc", "special_i0", "special_i0e", "special_i1",
                           "special_i1e", "special_erfcx", "special_ndtr", "special_log_ndtr", "special_entr",
                           "special_ndtri"})
    t.add({(std::string("aten::") + name + "(Tensor self) -> Tensor").c_str(), C, unary_float});
  // The Bessel functions (decompose_bessel.cpp).
  for (const char* name : {"special_bessel_j0(Tensor self)", "special_bessel_j1(Tensor self)",
                           "special_bessel_y0(Tensor self)", "special_bessel_y1(Tensor self)",
                           "special_modified_bessel_i0(Tensor self)", "special_modified_bessel_i1(Tensor self)",
                           "special_modified_bessel_k0(Tensor self)", "special_modified_bessel_k1(Tensor self)",
                           "special_scaled_modified_bessel_k0(Tensor x)", "special_scaled_modified_bessel_k1(Tensor x)",
                           "special_spherical_bessel_j0(Tensor x)", "special_airy_ai(Tensor x)"})
    t.add({(std::string("aten::") + name + " -> Tensor").c_str(), C, unary_float});
  // The regularized incomplete gamma functions (decompose_igamma.cpp).
  for (const char* name : {"igamma", "igammac", "special_gammainc", "special_gammaincc"})
    t.add({(std::string("aten::") + name + "(Tensor self, Tensor other) -> Tensor").c_str(), C, binary_true_divide});
  // The orthogonal polynomials P_n(x) (decompose_polynomials.cpp).
  for (const char* name : {"chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
                           "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
                           "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "hermite_polynomial_h",
                           "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p"}) {
    const std::string op = std::string("aten::special_") + name;
    t.add({(op + "(Tensor x, Tensor n) -> Tensor").c_str(), C, binary_true_divide});
    t.add({(op + ".x_scalar(Scalar x, Tensor n) -> Tensor").c_str(), C, unary_float_of_second});
    t.add({(op + ".n_scalar(Tensor x, Scalar n) -> Tensor").c_str(), C, unary_float});
  }
  t.add({"aten::special_zeta(Tensor self, Tensor other) -> Tensor", C, binary_true_divide});
  t.add({"aten::special_zeta.other_scalar(Tensor self, Scalar other) -> Tensor", C, unary_float});
  t.add({"aten::special_zeta.self_scalar(Scalar self, Tensor other) -> Tensor", C, unary_float_of_second});
  t.add({"aten::polygamma(int n, Tensor self) -> Tensor", C, unary_float_of_second});
  t.add({"aten::special_polygamma(int n, Tensor self) -> Tensor", C, unary_float_of_second});
  t.add({"aten::float_power.Tensor_Tensor(Tensor self, Tensor exponent) -> Tensor", C, float_power});
  t.add({"aten::float_power.Tensor_Scalar(Tensor self, Scalar exponent) -> Tensor", C, float_power});
  t.add({"aten::float_power.Scalar(Scalar self, Tensor exponent) -> Tensor", C, float_power});
  t.add({"aten::ldexp.Tensor(Tensor self, Tensor other) -> Tensor", C, binary_true_divide});
  t.add({"aten::frexp.Tensor(Tensor self) -> (Tensor mantissa, Tensor exponent)", C, frexp});
  t.add({"aten::mvlgamma(Tensor self, int p) -> Tensor", C, unary_float});
  // torch.special's names for ops above and elsewhere.
  for (const char* name : {"special_erf", "special_exp2", "special_expm1", "special_expit", "special_log1p", "special_sinc"})
    t.add({(std::string("aten::") + name + "(Tensor self) -> Tensor").c_str(), C, unary_float});
  t.add({"aten::special_logit(Tensor self, float? eps=None) -> Tensor", C, unary_float});
  t.add({"aten::special_round(Tensor self, *, int decimals=0) -> Tensor", C, same_as_input});
  t.add({"aten::special_xlogy(Tensor self, Tensor other) -> Tensor", C, binary_true_divide});
  t.add({"aten::special_xlogy.other_scalar(Tensor self, Scalar other) -> Tensor", C, binary_true_divide});
  t.add({"aten::special_logsumexp(Tensor self, int[1] dim, bool keepdim=False) -> Tensor", C, reduce_float_1_2});
  t.add({"aten::special_softmax(Tensor self, int dim, ScalarType? dtype=None) -> Tensor", C, same_shape_with_dtype_arg});
  t.add({"aten::special_log_softmax(Tensor self, int dim, *, ScalarType? dtype=None) -> Tensor", C,
         same_shape_with_dtype_arg});
  t.add({"aten::special_multigammaln(Tensor self, int p) -> Tensor", C, unary_float});
  t.add({"aten::special_xlog1py(Tensor self, Tensor other) -> Tensor", C, binary_true_divide});
  t.add({"aten::special_xlog1py.other_scalar(Tensor self, Scalar other) -> Tensor", C, binary_true_divide});
}

}  // namespace wick::ir

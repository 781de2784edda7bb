#include "codegen/f64_math_approximation.h"

#include <cstdint>
#include <limits>

#include <mlir/Dialect/Arith/IR/Arith.h>
#include <mlir/Dialect/Math/IR/Math.h>
#include <mlir/IR/BuiltinAttributes.h>
#include <mlir/IR/BuiltinTypes.h>
#include <mlir/IR/TypeUtilities.h>

namespace wick::codegen {
namespace {

using Pred = mlir::arith::CmpFPredicate;

constexpr double kLog2e = 1.4426950408889634;
// ln 2 = kLn2Hi + kLn2Lo; kLn2Hi ends in 21 zero bits, so k * kLn2Hi is exact.
constexpr double kLn2Hi = 6.93147180369123816490e-01;
constexpr double kLn2Lo = 1.90821492927058770002e-10;
constexpr double kInf = std::numeric_limits<double>::infinity();
// exp's argument is clamped to [kExpLow, kExpHigh]: below, the result
// rounds to 0; above, it overflows. Both keep 2^k's halves normal.
constexpr double kExpLow = -746.0;
constexpr double kExpHigh = 710.0;
// expm1 adds 2^k - 1 exactly while |k| <= kSmallK; beyond, exp(x) - 1.
constexpr int64_t kSmallK = 60;

constexpr double inverse_factorial(int n) {
  double f = 1;
  for (int i = 2; i <= n; ++i) f *= i;  // exact up to 18!
  return 1 / f;
}

// Builds arith ops on f64 or vector<...xf64> `type` and its i64 twin.
class Emitter {
 public:
  Emitter(mlir::PatternRewriter& rw, mlir::Location loc, mlir::Type type) : rw_(rw), loc_(loc), type_(type) {
    auto vector = mlir::dyn_cast<mlir::VectorType>(type);
    int_type_ = vector ? mlir::Type(mlir::VectorType::get(vector.getShape(), rw.getI64Type())) : rw.getI64Type();
  }

  mlir::Value f(double v) { return splat(type_, rw_.getF64FloatAttr(v)); }
  mlir::Value i(int64_t v) { return splat(int_type_, rw_.getI64IntegerAttr(v)); }

  mlir::Value add(mlir::Value a, mlir::Value b) { return make<mlir::arith::AddFOp>(a, b); }
  mlir::Value sub(mlir::Value a, mlir::Value b) { return make<mlir::arith::SubFOp>(a, b); }
  mlir::Value mul(mlir::Value a, mlir::Value b) { return make<mlir::arith::MulFOp>(a, b); }
  mlir::Value div(mlir::Value a, mlir::Value b) { return make<mlir::arith::DivFOp>(a, b); }
  mlir::Value fma(mlir::Value a, mlir::Value b, mlir::Value c) { return make<mlir::math::FmaOp>(a, b, c); }
  mlir::Value cmp(Pred p, mlir::Value a, mlir::Value b) { return make<mlir::arith::CmpFOp>(p, a, b); }
  mlir::Value icmp(mlir::arith::CmpIPredicate p, mlir::Value a, mlir::Value b) {
    return make<mlir::arith::CmpIOp>(p, a, b);
  }
  mlir::Value select(mlir::Value c, mlir::Value a, mlir::Value b) { return make<mlir::arith::SelectOp>(c, a, b); }
  mlir::Value iadd(mlir::Value a, mlir::Value b) { return make<mlir::arith::AddIOp>(a, b); }
  mlir::Value isub(mlir::Value a, mlir::Value b) { return make<mlir::arith::SubIOp>(a, b); }
  mlir::Value to_bits(mlir::Value a) { return make<mlir::arith::BitcastOp>(int_type_, a); }
  mlir::Value from_bits(mlir::Value a) { return make<mlir::arith::BitcastOp>(type_, a); }
  mlir::Value to_int(mlir::Value a) { return make<mlir::arith::FPToSIOp>(int_type_, a); }
  mlir::Value to_float(mlir::Value a) { return make<mlir::arith::SIToFPOp>(type_, a); }
  mlir::Value shift_right(mlir::Value a, int64_t n) { return make<mlir::arith::ShRSIOp>(a, i(n)); }

  // Clamps to [low, high]; NaN passes through.
  mlir::Value clamp(mlir::Value x, double low, double high) {
    x = select(cmp(Pred::OGT, x, f(high)), f(high), x);
    return select(cmp(Pred::OLT, x, f(low)), f(low), x);
  }

  // 2^k for integer k in [-1022, 1023].
  mlir::Value pow2(mlir::Value k) {
    return from_bits(make<mlir::arith::ShLIOp>(iadd(k, i(1023)), i(52)));
  }

  // e^r - 1 for |r| <= ln(2) / 2.
  mlir::Value expm1_reduced(mlir::Value r) {
    mlir::Value p = f(inverse_factorial(13));
    for (int n = 12; n >= 2; --n) p = fma(p, r, f(inverse_factorial(n)));
    return fma(p, mul(r, r), r);
  }

  // Splits x in [kExpLow, kExpHigh] into k (integral, as f64 and as i64) and
  // r = x - k ln 2.
  struct Reduced {
    mlir::Value k, k_int, r;
  };
  Reduced reduce(mlir::Value x) {
    mlir::Value k = make<mlir::math::RoundEvenOp>(mul(x, f(kLog2e)));
    mlir::Value r = fma(k, f(-kLn2Hi), x);
    return {k, to_int(k), fma(k, f(-kLn2Lo), r)};
  }

  // p * 2^k as p * 2^(k >> 1) * 2^(k - (k >> 1)): each factor stays normal
  // for k in [-1076, 1024], and the product rounds once into the subnormals.
  mlir::Value scale(mlir::Value p, mlir::Value k_int) {
    mlir::Value half = shift_right(k_int, 1);
    return mul(mul(p, pow2(half)), pow2(isub(k_int, half)));
  }

  mlir::Value exp(mlir::Value x) {
    Reduced red = reduce(clamp(x, kExpLow, kExpHigh));
    mlir::Value y = scale(add(expm1_reduced(red.r), f(1)), red.k_int);
    return select(cmp(Pred::UNO, x, x), x, y);
  }

  // `nonpositive`: x is known to be <= 0 (or NaN), so k is never large.
  mlir::Value expm1(mlir::Value x, bool nonpositive) {
    Reduced red = reduce(clamp(x, kExpLow, kExpHigh));
    mlir::Value q = expm1_reduced(red.r);
    mlir::Value k_small = red.k_int;
    k_small = select(icmp(mlir::arith::CmpIPredicate::sgt, k_small, i(kSmallK)), i(kSmallK), k_small);
    k_small = select(icmp(mlir::arith::CmpIPredicate::slt, k_small, i(-kSmallK)), i(-kSmallK), k_small);
    mlir::Value t = pow2(k_small);
    mlir::Value y = fma(q, t, sub(t, f(1)));
    if (!nonpositive) {
      mlir::Value big = sub(scale(add(q, f(1)), red.k_int), f(1));
      y = select(icmp(mlir::arith::CmpIPredicate::sgt, red.k_int, i(kSmallK)), big, y);
    }
    // x itself for NaN and for +-0, whose sign the reduction loses.
    return select(cmp(Pred::UEQ, x, f(0)), x, y);
  }

  mlir::Value tanh(mlir::Value x) {
    mlir::Value a = make<mlir::math::AbsFOp>(x);
    mlir::Value u = expm1(mul(a, f(-2)), /*nonpositive=*/true);
    mlir::Value t = div(make<mlir::arith::NegFOp>(u), add(u, f(2)));
    return make<mlir::math::CopySignOp>(t, x);
  }

  mlir::Value log(mlir::Value x) {
    // Subnormals are scaled into the normal range first.
    mlir::Value tiny = cmp(Pred::OLT, x, f(std::numeric_limits<double>::min()));
    mlir::Value xs = select(tiny, mul(x, f(0x1p54)), x);
    // m in [sqrt(1/2), sqrt(2)) and k with x = m 2^k, found by offsetting
    // the bits so that the exponent field steps at sqrt(2).
    constexpr int64_t kSqrtHalfBits = 0x3fe6a09e667f3bcd;
    constexpr int64_t kOneBits = 0x3ff0000000000000;
    constexpr int64_t kMantissa = 0x000fffffffffffff;
    mlir::Value bits = iadd(to_bits(xs), i(kOneBits - kSqrtHalfBits));
    mlir::Value k = isub(shift_right(bits, 52), select(tiny, i(1023 + 54), i(1023)));
    mlir::Value m = from_bits(iadd(make<mlir::arith::AndIOp>(bits, i(kMantissa)), i(kSqrtHalfBits)));
    // log(1 + f) = f - (hfsq - s (hfsq + R)), s = f / (2 + f),
    // R = 2 s^2/3 + 2 s^4/5 + ... + 2 s^20/21.
    mlir::Value fr = sub(m, f(1));  // exact: m is within a factor 2 of 1
    mlir::Value hfsq = mul(mul(f(0.5), fr), fr);
    mlir::Value s = div(fr, add(fr, f(2)));
    mlir::Value s2 = mul(s, s);
    mlir::Value poly = f(2.0 / 21);
    for (int n = 19; n >= 3; n -= 2) poly = fma(poly, s2, f(2.0 / n));
    mlir::Value big_r = mul(s2, poly);
    mlir::Value dk = to_float(k);
    mlir::Value inner = fma(dk, f(kLn2Lo), mul(s, add(hfsq, big_r)));
    mlir::Value y = fma(dk, f(kLn2Hi), make<mlir::arith::NegFOp>(sub(sub(hfsq, inner), fr)));
    y = select(cmp(Pred::OEQ, x, f(kInf)), x, y);
    y = select(cmp(Pred::OEQ, x, f(0)), f(-kInf), y);
    return select(cmp(Pred::ULT, x, f(0)), f(std::numeric_limits<double>::quiet_NaN()), y);
  }

  // log1p(x) = log(u) x / (u - 1) with u = 1 + x (Goldberg): the quotient
  // cancels the rounding of u; x itself where u rounds to 1 (x tiny, or
  // +-0), log(u) where u - 1 rounds back to u (x huge, or infinite).
  mlir::Value log1p(mlir::Value x) {
    mlir::Value u = add(f(1), x);
    mlir::Value u_minus_1 = sub(u, f(1));
    mlir::Value log_u = log(u);
    mlir::Value y = mul(log_u, div(x, u_minus_1));
    y = select(cmp(Pred::OEQ, u_minus_1, u), log_u, y);
    return select(cmp(Pred::OEQ, u, f(1)), x, y);
  }

 private:
  template <typename Op, typename... Args>
  mlir::Value make(Args&&... args) {
    return rw_.create<Op>(loc_, std::forward<Args>(args)...).getResult();
  }

  mlir::Value splat(mlir::Type t, mlir::TypedAttr scalar) {
    mlir::TypedAttr a = scalar;
    if (auto v = mlir::dyn_cast<mlir::VectorType>(t)) a = mlir::DenseElementsAttr::get(v, mlir::Attribute(scalar));
    return rw_.create<mlir::arith::ConstantOp>(loc_, t, a);
  }

  mlir::PatternRewriter& rw_;
  mlir::Location loc_;
  mlir::Type type_;
  mlir::Type int_type_;
};

// Rewrites Op on f64 with `body`.
template <typename Op>
struct F64Approximation : public mlir::OpRewritePattern<Op> {
  using Body = mlir::Value (*)(Emitter&, mlir::Value);
  F64Approximation(mlir::MLIRContext* context, Body body)
      : mlir::OpRewritePattern<Op>(context, /*benefit=*/2), body_(body) {}

  mlir::LogicalResult matchAndRewrite(Op op, mlir::PatternRewriter& rw) const override {
    if (!mlir::getElementTypeOrSelf(op.getType()).isF64()) return mlir::failure();
    Emitter e(rw, op.getLoc(), op.getType());
    rw.replaceOp(op, body_(e, op.getOperand()));
    return mlir::success();
  }

  Body body_;
};

}  // namespace

void populate_f64_math_approximation(mlir::RewritePatternSet& patterns) {
  mlir::MLIRContext* context = patterns.getContext();
  patterns.add<F64Approximation<mlir::math::ExpOp>>(context, [](Emitter& e, mlir::Value x) { return e.exp(x); });
  patterns.add<F64Approximation<mlir::math::ExpM1Op>>(
      context, [](Emitter& e, mlir::Value x) { return e.expm1(x, /*nonpositive=*/false); });
  patterns.add<F64Approximation<mlir::math::LogOp>>(context, [](Emitter& e, mlir::Value x) { return e.log(x); });
  patterns.add<F64Approximation<mlir::math::Log1pOp>>(context, [](Emitter& e, mlir::Value x) { return e.log1p(x); });
  patterns.add<F64Approximation<mlir::math::TanhOp>>(context, [](Emitter& e, mlir::Value x) { return e.tanh(x); });
}

}  // namespace wick::codegen

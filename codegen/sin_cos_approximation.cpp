#include "codegen/sin_cos_approximation.h"

#include <mlir/Dialect/Arith/IR/Arith.h>
#include <mlir/Dialect/Math/IR/Math.h>
#include <mlir/IR/BuiltinAttributes.h>
#include <mlir/IR/BuiltinTypes.h>
#include <mlir/IR/TypeUtilities.h>

namespace wick::codegen {
namespace {

constexpr double kTwoOverPi = 0.63661977236758134308;
// pi / 2 = kPiOver2Hi + kPiOver2Lo, each an f64.
constexpr double kPiOver2Hi = 1.5707963267948966192;
constexpr double kPiOver2Lo = 6.123233995736766036e-17;
constexpr float kPiOver4 = 0.785398163397448309f;
// Cephes' sinf and cosf on [-pi/4, pi/4].
constexpr float kSin[] = {-1.9515295891e-4f, 8.3321608736e-3f, -1.6666654611e-1f};
constexpr float kCos[] = {2.443315711809948e-5f, -1.388731625493765e-3f, 4.166664568298827e-2f};

template <typename Op, bool kCosine>
struct SinCosApproximation : public mlir::OpRewritePattern<Op> {
  explicit SinCosApproximation(mlir::MLIRContext* context) : mlir::OpRewritePattern<Op>(context, /*benefit=*/2) {}

  mlir::LogicalResult matchAndRewrite(Op op, mlir::PatternRewriter& rw) const override {
    const mlir::Type type = op.getType();
    if (!mlir::getElementTypeOrSelf(type).isF32()) return mlir::failure();
    auto vector = mlir::dyn_cast<mlir::VectorType>(type);
    auto like = [&](mlir::Type element) {
      return vector ? mlir::Type(mlir::VectorType::get(vector.getShape(), element)) : element;
    };
    const mlir::Type f64_type = like(rw.getF64Type()), i32_type = like(rw.getI32Type());
    const mlir::Location loc = op.getLoc();
    auto splat = [&](mlir::Type t, mlir::TypedAttr scalar) -> mlir::Value {
      mlir::TypedAttr a = scalar;
      if (auto v = mlir::dyn_cast<mlir::VectorType>(t)) a = mlir::DenseElementsAttr::get(v, mlir::Attribute(scalar));
      return rw.create<mlir::arith::ConstantOp>(loc, t, a);
    };
    auto f = [&](float v) { return splat(type, rw.getF32FloatAttr(v)); };
    auto d = [&](double v) { return splat(f64_type, rw.getF64FloatAttr(v)); };
    auto i = [&](int32_t v) { return splat(i32_type, rw.getI32IntegerAttr(v)); };
    auto fma = [&](mlir::Value a, mlir::Value b, mlir::Value c) {
      return rw.create<mlir::math::FmaOp>(loc, a, b, c).getResult();
    };
    auto mul = [&](mlir::Value a, mlir::Value b) { return rw.create<mlir::arith::MulFOp>(loc, a, b).getResult(); };
    auto select = [&](mlir::Value c, mlir::Value a, mlir::Value b) {
      return rw.create<mlir::arith::SelectOp>(loc, c, a, b).getResult();
    };
    auto ieq = [&](mlir::Value a, int32_t v) {
      return rw.create<mlir::arith::CmpIOp>(loc, mlir::arith::CmpIPredicate::eq, a, i(v)).getResult();
    };

    const mlir::Value x = op.getOperand();
    // One reduction step in f64: v - k pi / 2 and k mod 4 (exact while
    // |k| < 2^53). Where |x| is so large that k's rounding leaves more than
    // pi / 4 (past 2^53), further steps bring it into range, so that the
    // result stays a sine, if not the exact one.
    auto reduce = [&](mlir::Value v, mlir::Value& quadrant_sum) {
      const mlir::Value k = rw.create<mlir::math::RoundEvenOp>(loc, mul(v, d(kTwoOverPi)));
      const mlir::Value minus_k = rw.create<mlir::arith::NegFOp>(loc, k);
      const mlir::Value k_over_4 = rw.create<mlir::math::FloorOp>(loc, mul(k, d(0.25)));
      const mlir::Value k_mod_4 = fma(k_over_4, d(-4.0), k);
      quadrant_sum = quadrant_sum ? rw.create<mlir::arith::AddFOp>(loc, quadrant_sum, k_mod_4).getResult() : k_mod_4;
      return fma(minus_k, d(kPiOver2Lo), fma(minus_k, d(kPiOver2Hi), v));
    };
    mlir::Value quadrant_sum;
    mlir::Value rd = rw.create<mlir::arith::ExtFOp>(loc, f64_type, x);
    for (int step = 0; step < 3; ++step) rd = reduce(rd, quadrant_sum);
    const mlir::Value k_mod_4 =
        fma(rw.create<mlir::math::FloorOp>(loc, mul(quadrant_sum, d(0.25))), d(-4.0), quadrant_sum);
    // |x| <= pi/4 takes x itself: exact, and -0 keeps its sign.
    const mlir::Value small =
        rw.create<mlir::arith::CmpFOp>(loc, mlir::arith::CmpFPredicate::OLE, rw.create<mlir::math::AbsFOp>(loc, x),
                                       f(kPiOver4));
    const mlir::Value r = select(small, x, rw.create<mlir::arith::TruncFOp>(loc, type, rd));
    // NaN (from NaN or an infinite x) would not convert: 0 there, the
    // result being NaN in every quadrant.
    const mlir::Value ordered =
        rw.create<mlir::arith::CmpFOp>(loc, mlir::arith::CmpFPredicate::ORD, k_mod_4, k_mod_4);
    const mlir::Value k_bits = rw.create<mlir::arith::FPToSIOp>(loc, i32_type, select(ordered, k_mod_4, d(0.0)));
    const mlir::Value quadrant = select(small, i(0), k_bits);
    // sin(r) = r + r^3 P(r^2), cos(r) = 1 - r^2 / 2 + r^4 Q(r^2).
    const mlir::Value z = mul(r, r);
    mlir::Value sp = fma(fma(f(kSin[0]), z, f(kSin[1])), z, f(kSin[2]));
    // r itself where r^2 is 0 (r tiny, or +-0: the sign of -0 stays).
    const mlir::Value z_zero = rw.create<mlir::arith::CmpFOp>(loc, mlir::arith::CmpFPredicate::OEQ, z, f(0.0f));
    const mlir::Value s = select(z_zero, r, fma(mul(r, z), sp, r));
    mlir::Value cq = fma(fma(f(kCos[0]), z, f(kCos[1])), z, f(kCos[2]));
    const mlir::Value c = fma(mul(z, z), cq, fma(z, f(-0.5f), f(1.0f)));
    const mlir::Value neg_s = rw.create<mlir::arith::NegFOp>(loc, s), neg_c = rw.create<mlir::arith::NegFOp>(loc, c);
    // sin by quadrant: s, c, -s, -c; cos: c, -s, -c, s.
    mlir::Value y = kCosine ? select(ieq(quadrant, 1), neg_s, c) : select(ieq(quadrant, 1), c, s);
    y = select(ieq(quadrant, 2), kCosine ? neg_c : neg_s, y);
    y = select(ieq(quadrant, 3), kCosine ? s : neg_c, y);
    rw.replaceOp(op, y);
    return mlir::success();
  }
};

}  // namespace

void populate_sin_cos_approximation(mlir::RewritePatternSet& patterns) {
  patterns.add<SinCosApproximation<mlir::math::SinOp, false>>(patterns.getContext());
  patterns.add<SinCosApproximation<mlir::math::CosOp, true>>(patterns.getContext());
}

}  // namespace wick::codegen

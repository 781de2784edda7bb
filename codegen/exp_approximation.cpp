#include "codegen/exp_approximation.h"

#include <cmath>
#include <limits>

#include <mlir/Dialect/Arith/IR/Arith.h>
#include <mlir/Dialect/Math/IR/Math.h>
#include <mlir/IR/BuiltinAttributes.h>
#include <mlir/IR/BuiltinTypes.h>
#include <mlir/IR/TypeUtilities.h>

namespace wick::codegen {
namespace {

// e^r on [-ln2/2, ln2/2]: c0 + c1 r + ... + c6 r^6, fitted for the least
// maximum relative error (2e-9 before rounding).
constexpr float kPoly[] = {1.0f, 1.0f, 0.4999999403953552f, 0.16666431725025177f,
                           0.04166800156235695f, 0.00837415549904108f, 0.0013843653723597527f};
constexpr float kLog2e = 1.44269504088896341f;
// ln 2 = kLn2Hi + kLn2Lo, kLn2Hi with few enough bits that k * kLn2Hi is exact.
constexpr float kLn2Hi = 0.693359375f;
constexpr float kLn2Lo = -2.12194440e-4f;
// Above: the result overflows. Below: 2^k would leave the normal range
// (k < -125), and the result is under 2e-38.
constexpr float kOverflow = 88.72283935546875f;
constexpr float kUnderflow = -86.9f;

struct ExpApproximation : public mlir::OpRewritePattern<mlir::math::ExpOp> {
  explicit ExpApproximation(mlir::MLIRContext* context) : OpRewritePattern(context, /*benefit=*/2) {}

  mlir::LogicalResult matchAndRewrite(mlir::math::ExpOp op, mlir::PatternRewriter& rw) const override {
    const mlir::Type type = op.getType();
    if (!mlir::getElementTypeOrSelf(type).isF32()) return mlir::failure();
    auto vector = mlir::dyn_cast<mlir::VectorType>(type);
    const mlir::Type i32 = rw.getI32Type();
    const mlir::Type int_type = vector ? mlir::Type(mlir::VectorType::get(vector.getShape(), i32)) : i32;
    const mlir::Location loc = op.getLoc();
    auto splat = [&](mlir::Type t, mlir::TypedAttr scalar) -> mlir::Value {
      mlir::TypedAttr a = scalar;
      if (auto v = mlir::dyn_cast<mlir::VectorType>(t)) a = mlir::DenseElementsAttr::get(v, mlir::Attribute(scalar));
      return rw.create<mlir::arith::ConstantOp>(loc, t, a);
    };
    auto f = [&](float v) { return splat(type, rw.getF32FloatAttr(v)); };
    auto fma = [&](mlir::Value a, mlir::Value b, mlir::Value c) {
      return rw.create<mlir::math::FmaOp>(loc, a, b, c).getResult();
    };

    const mlir::Value x = op.getOperand();
    mlir::Value k = rw.create<mlir::math::RoundEvenOp>(loc, rw.create<mlir::arith::MulFOp>(loc, x, f(kLog2e)));
    mlir::Value r = fma(k, f(-kLn2Hi), x);
    r = fma(k, f(-kLn2Lo), r);
    mlir::Value p = f(kPoly[6]);
    for (int i = 5; i >= 0; --i) p = fma(p, r, f(kPoly[i]));
    // p * 2^k: k added to p's exponent (p is in [0.7, 1.5], k in [-125, 128]).
    mlir::Value shift = rw.create<mlir::arith::ShLIOp>(loc, rw.create<mlir::arith::FPToSIOp>(loc, int_type, k),
                                                       splat(int_type, rw.getI32IntegerAttr(23)));
    mlir::Value bits = rw.create<mlir::arith::AddIOp>(loc, rw.create<mlir::arith::BitcastOp>(loc, int_type, p), shift);
    mlir::Value y = rw.create<mlir::arith::BitcastOp>(loc, type, bits);
    // Out of range the lanes above hold garbage, replaced here.
    auto where = [&](mlir::arith::CmpFPredicate pred, mlir::Value a, mlir::Value b, mlir::Value then) {
      mlir::Value c = rw.create<mlir::arith::CmpFOp>(loc, pred, a, b);
      y = rw.create<mlir::arith::SelectOp>(loc, c, then, y);
    };
    // One compare for NaN and overflow: x + inf is NaN for NaN, inf above.
    const mlir::Value inf = f(std::numeric_limits<float>::infinity());
    where(mlir::arith::CmpFPredicate::UGT, x, f(kOverflow), rw.create<mlir::arith::AddFOp>(loc, x, inf));
    where(mlir::arith::CmpFPredicate::OLT, x, f(kUnderflow), f(0.0f));
    rw.replaceOp(op, y);
    return mlir::success();
  }
};

}  // namespace

void populate_exp_approximation(mlir::RewritePatternSet& patterns) {
  patterns.add<ExpApproximation>(patterns.getContext());
}

}  // namespace wick::codegen

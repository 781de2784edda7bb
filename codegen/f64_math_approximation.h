// exp, expm1, log, log1p and tanh on f64 (scalars and vectors) as arith ops that
// vectorize. MLIR's polynomial approximations cover f32 only, so without
// these an f64 math op becomes one libm call per element and the loop
// around it stays scalar.
//
//   exp(x)   = 2^k e^r, k = round(x / ln 2), r = x - k ln 2 (ln 2 in two
//              parts, so r is exact), e^r - 1 by its Taylor series to r^13
//              (|r| <= 0.347: truncation under 2e-17 relative), 2^k applied
//              as two factors so that subnormal results round gradually;
//   expm1(x) = 2^k (e^r - 1) + (2^k - 1), exact in r when k is 0;
//   log(x)   = k ln 2 + log(m), m in [sqrt(1/2), sqrt(2)), log(m) =
//              2 atanh(s) with s = (m - 1) / (m + 1), |s| <= 0.172, by its
//              series to s^21, arranged as fdlibm arranges it;
//   log1p(x) = log(u) x / (u - 1), u = 1 + x, whose quotient cancels the
//              rounding of u (MLIR's own f64 lowering is log(1 + x), which
//              loses every digit of a tiny x);
//   tanh(x)  = sign(x) * -u / (u + 2) with u = expm1(-2|x|): no overflow,
//              and relative accuracy near 0.
//
// Each is within a few units in the last place of the C library's result;
// infinities, NaN, signed zeros and subnormals come out as libm's.
#pragma once

#include <mlir/IR/PatternMatch.h>

namespace wick::codegen {

void populate_f64_math_approximation(mlir::RewritePatternSet& patterns);

}  // namespace wick::codegen

// sin and cos on f32 (scalars and vectors) as arith ops that vectorize, with
// the argument reduced in f64: k = round(x 2 / pi), r = x - k pi / 2 with
// pi / 2 in two f64 parts (exact to far below an f32 ulp while |x| < 2^40),
// then Cephes' sinf and cosf polynomials on r rounded to f32 (|r| <= pi / 4)
// and the quadrant k mod 4 picking and signing one of them. MLIR's own
// approximation reduces in f32, which loses 2.8e-5 at |x| = 1e3 and 2.8e-3
// at 1e5 (a transformer's positional encoding takes sines of positions in
// the thousands). Within 2 ulp of the correctly rounded result for |x| up to
// 2^40 (past 2^53 the reduction is repeated, so that the result stays in
// [-1, 1], but it is not the exact one); infinities and NaN give NaN, and
// sin(-0) is -0.
#pragma once

#include <mlir/IR/PatternMatch.h>

namespace wick::codegen {

// Adds the rewrites, with a benefit above MLIR's polynomial approximations so
// that they win where both apply.
void populate_sin_cos_approximation(mlir::RewritePatternSet& patterns);

}  // namespace wick::codegen

// exp on f32 (scalars and vectors) as arith ops that vectorize: exp(x) =
// 2^k * e^r with k = round(x / ln 2) and r = x - k ln 2 (in two steps, so r
// is exact), e^r by a degree-6 polynomial (about 1 ulp), and 2^k added into
// the exponent bits. It replaces MLIR's own approximation of exp, which
// costs three more multiplies per element: in a memory-bound chain such as
// sigmoid's 1 / (1 + exp(-x)), the multiplies decide the speed at one thread.
// Overflow gives +inf, x below -86.9 gives 0 (torch's exp gives subnormals
// there, under 2e-38), NaN stays NaN.
#pragma once

#include <mlir/IR/PatternMatch.h>

namespace wick::codegen {

// Adds the rewrite, with a benefit above MLIR's polynomial approximations so
// that it wins where both apply.
void populate_exp_approximation(mlir::RewritePatternSet& patterns);

}  // namespace wick::codegen

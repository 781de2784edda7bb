// value_digest: a name for what a value computes, the same for two values
// built by the same ops from the same graph inputs, module tensors and
// constants, seen through fusion groups and through a leading unit dim
// squeezed or put back. Shape rules name a data-dependent size by it (the count of a
// mask's true elements), so that `pred[mask] - target[mask]` has operands of
// one size even where the mask is computed twice. Values it cannot follow
// (results of control flow, of random ops, or past a long chain) get a name
// of their own. The digest assumes values do not change: before in-place
// writes are made functional two reads of one tensor may differ, so the
// runtime checks that sizes named alike agree when they are bound.
#pragma once

#include <string>

#include "ir/graph.h"

namespace wick::ir {

// Sixteen hex digits.
std::string value_digest(const Value* v);

}  // namespace wick::ir

// Compile-time evaluation of scalar ops (int/float/bool/str arithmetic,
// comparisons and conversions) whose operands are constants. Used by
// canonicalize; kept apart because it is a table of small rules.
#pragma once

#include <optional>

#include "ir/attribute.h"
#include "ir/graph.h"

namespace wick::passes {

// The value `node` computes, when its op is a scalar op it knows and every
// operand is a prim::Constant. Division by zero and the like are user
// errors on the node.
std::optional<ir::AttrValue> fold_scalar(const ir::Node& node);

// For int()/float()/bool() of a tensor (aten::Int.Tensor, ...; a traced
// file's annotate(number, t) too): the value,
// when the tensor is a 0-dim computation on known numbers, as traced models
// write shape arithmetic: prim::NumToTensor of constants, constant 0-dim
// module tensors, and arithmetic on those.
std::optional<ir::AttrValue> fold_tensor_to_scalar(const ir::Node& node);

}  // namespace wick::passes

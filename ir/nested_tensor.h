// Nested tensors: PyTorch's batches of sequences of different lengths,
// which nn.TransformerEncoder makes from a key padding mask in eval mode
// (aten::_nested_tensor_from_mask) and turns back into a padded tensor
// after its layers (aten::to_padded_tensor). wick has them only along that
// path: the layers' fused op is the one op that may take them, and
// passes/lower_nested_tensors gives them their padded form.
#pragma once

#include <optional>

#include "ir/graph.h"

namespace wick::ir {

// Whether `v` is a nested tensor: made by _nested_tensor_from_mask, or by
// an encoder layer's fused op from one. Unknown while `v` comes out of
// control flow (an If or Loop output, a block argument) not yet folded.
std::optional<bool> is_nested(const Value* v);

// The _nested_tensor_from_mask node that a nested `v` comes from.
Node* nested_source(const Value* v);

}  // namespace wick::ir

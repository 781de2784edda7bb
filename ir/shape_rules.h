// Shape and dtype rules shared by op table entries. Each rule reads the
// node's input types (and constant inputs such as dims) and returns the
// output types, keeping whatever is unknown unknown. Contradictions (shapes
// that do not broadcast, a dim out of range) are user errors on the node.
#pragma once

#include <optional>
#include <vector>

#include "ir/graph.h"
#include "ir/type.h"

namespace wick::ir::shape {

// Building blocks.
std::optional<std::vector<Dim>> broadcast(const Node& node, const Type& a, const Type& b);
// dtype of `a op b` where either may be a tensor or a scalar (Int/Float/Bool/Number).
std::optional<DType> result_dtype(const Type& a, const Type& b);
// Wraps a possibly negative dim into [0, rank); error when out of range.
int64_t normalize_dim(const Node& node, int64_t dim, int64_t rank);
const Type& input_type(const Node& node, size_t i);

// Rules used directly as OpSpec::infer.
std::vector<TypePtr> same_as_input(const Node& node);      // relu, neg, ...
std::vector<TypePtr> unary_float(const Node& node);        // exp, sigmoid: ints become f32
std::vector<TypePtr> binary_broadcast(const Node& node);   // add, mul, ...
std::vector<TypePtr> binary_true_divide(const Node& node); // div: ints become f32
std::vector<TypePtr> compare_broadcast(const Node& node);  // eq, lt, ...: bool
std::vector<TypePtr> reduce_all(const Node& node);         // sum(x), mean(x)
std::vector<TypePtr> reduce_dims(const Node& node);        // sum(x, dims, keepdim, dtype)
std::vector<TypePtr> matmul(const Node& node);
std::vector<TypePtr> linear(const Node& node);

}  // namespace wick::ir::shape

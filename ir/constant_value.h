// Reading compile-time values out of the graph: the attribute of a
// prim::Constant, or a prim::ListConstruct whose elements are all constants.
// Shape rules use these to read dims, keepdim flags and the like.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "ir/attribute.h"
#include "ir/graph.h"

namespace wick::ir {

const AttrValue* constant_attr(const Value* v);  // null unless v is a prim::Constant output
bool is_none(const Value* v);
std::optional<int64_t> constant_int(const Value* v);
std::optional<double> constant_double(const Value* v);  // Int constants widen
std::optional<bool> constant_bool(const Value* v);
// An int list from a constant list or a ListConstruct of constant ints.
std::optional<std::vector<int64_t>> constant_int_list(const Value* v);
// A float list likewise (int elements widen).
std::optional<std::vector<double>> constant_double_list(const Value* v);

// Python's `a is b` where the graph tells: None is None; a value that
// cannot be None is not None; one value is one object; two tensors each
// either an input of the graph or the result of an op that always makes a
// new tensor are two objects. Inputs are taken to be distinct objects even
// though a caller may pass one tensor twice: the `query is key` checks of
// nn.MultiheadAttention, what `is` on tensors is for in TorchScript code,
// pick between paths that compute the same. Else nullopt.
std::optional<bool> known_identity(const Value* a, const Value* b);

// The value of an Int as a dim, possibly symbolic: constants, sizes of
// tensors whose shape is known (`x.size(0)` of a [B, 14] tensor is B), and
// products and exact quotients of those. Unknown values give nullopt.
std::optional<Dim> symbolic_int(const Value* v);
// A list of such ints; elements that are unknown become Dim::unknown().
// Nullopt when the list itself is not a constant or a ListConstruct.
std::optional<std::vector<Dim>> symbolic_int_list(const Value* v);

}  // namespace wick::ir

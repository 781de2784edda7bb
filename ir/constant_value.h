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

// The value of an Int as a dim, possibly symbolic: constants, sizes of
// tensors whose shape is known (`x.size(0)` of a [B, 14] tensor is B), and
// products and exact quotients of those. Unknown values give nullopt.
std::optional<Dim> symbolic_int(const Value* v);
// A list of such ints; elements that are unknown become Dim::unknown().
// Nullopt when the list itself is not a constant or a ListConstruct.
std::optional<std::vector<Dim>> symbolic_int_list(const Value* v);

}  // namespace wick::ir

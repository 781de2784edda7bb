// What hoist_permutes and sink_permutes read of aten::permute nodes: their
// constant orders, whether one undoes another, and the types they give.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "ir/graph.h"

namespace wick::passes {

// The dims of a permute's input its result takes, from 0; nothing unless
// `n` is an aten::permute of a constant order over a tensor of rank `rank`.
std::optional<std::vector<int64_t>> permute_order(const ir::Node* n, int64_t rank);

// Whether permuting by `then` after `first` gives back the original order.
bool undoes(const std::vector<int64_t>& first, const std::vector<int64_t>& then);

// The tensor type `t` permuted by `order`.
ir::TypePtr permuted(const ir::Type& t, const std::vector<int64_t>& order);

// The tensor type that `order` permutes into `t`.
ir::TypePtr unpermuted(const ir::Type& t, const std::vector<int64_t>& order);

}  // namespace wick::passes

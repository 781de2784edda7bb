// unroll_loops: replaces each for-loop whose trip count is a constant (a
// prim::Loop whose start condition and body condition are constant true)
// by that many copies of its body, the counter a constant in each, the
// carried values threaded through. A loop is left alone when it has more
// than `max_trips` trips or the copies would hold more than `max_nodes`
// nodes (nested blocks counted); loops inside other loops' bodies are
// unrolled with them. Returns whether anything changed. canonicalize
// unrolls with small limits, so that what a body computes from the counter
// folds; a training step unrolls with larger ones, since autodiff goes
// through no loop. Expects any graph that verifies.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ir/graph.h"

namespace wick::passes {

struct UnrollLimits {
  int64_t max_trips = 64;
  size_t max_nodes = 4096;
};

// The limits canonicalize uses, and those of a training step. A loop that
// carries a list (`outputs.append(y)` each trip) has to unroll, since plans
// hold tensors only: canonicalize gives it the larger limits.
inline constexpr UnrollLimits kCanonicalUnroll{64, 4096};
inline constexpr UnrollLimits kListUnroll{4096, 1 << 16};
inline constexpr UnrollLimits kTrainingUnroll{4096, 1 << 18};

bool unroll_loops(ir::Graph& graph, const UnrollLimits& limits);

// Unrolls one loop node (dropping it when it never runs) when `limits`
// allow; returns whether it did.
bool unroll_loop(ir::Node* loop, const UnrollLimits& limits);

}  // namespace wick::passes

// Structural checks on a value tree read from a pickle.
//
// The memo lets a pickle share values and mutate them after sharing, so it can
// build a cycle (a list containing itself) or a chain nested a million deep.
// Anything that walks such a value recursively would loop forever or overflow
// the stack, so the reader checks the result once, without recursion.
#pragma once

#include <unordered_set>

#include "frontend/pickle_value.h"

namespace wick {

// Throws wick::Error when `root` contains a cycle or is nested more than
// `max_depth` levels; otherwise returns the identities of every container
// reachable from it. Linear in the number of distinct nodes and edges.
std::unordered_set<const void*> check_pickle_graph(const PickleValue& root, int max_depth);

}  // namespace wick

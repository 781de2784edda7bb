// The IR's text form. Everything the printer writes, the parser reads back
// to an equal graph that prints the same text. See docs/ir.md for the syntax.
#pragma once

#include <string>

#include "ir/graph.h"
#include "ir/module.h"

namespace wick::ir {

std::string print(const Graph& graph);
// A module with no name and no tensors prints as its bare graphs.
std::string print(const Module& module);
std::string print(const Node& node);  // one node (and its blocks), for messages

}  // namespace wick::ir

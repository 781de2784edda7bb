// The pass pipeline that prepares a method for code generation. It reads as
// the list of steps in pipeline.cpp. Setting WICK_PRINT_IR=1 prints the IR and
// the time after every step to stderr; WICK_PRINT_IR=<step> prints only after
// that step.
#pragma once

#include <vector>

#include "ir/graph.h"

namespace wick::passes {

// Specializes `graph` to `input_types` (when given) and lowers it to what
// codegen takes: static shapes, no tuples or lists, no composite ops.
void run_pipeline(ir::Graph& graph, const std::vector<ir::TypePtr>* input_types = nullptr);

}  // namespace wick::passes

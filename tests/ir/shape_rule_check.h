// Test helper: parses a one-graph text whose last node is the op under test
// and returns the types its rule infers, printed.
#pragma once

#include <string>

namespace wick::testing {

// `body` holds node lines (constants, then the op); `params` the graph's
// parameter list. Returns the inferred result types joined by ", ".
std::string inferred_types(const std::string& body, const std::string& params);

}  // namespace wick::testing

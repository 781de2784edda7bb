// Reads the IR text form (see docs/ir.md) into a Module. Errors are
// wick::Error with the file, line and column of the offending token. The
// parser checks syntax, names and op names; semantic checks (dominance,
// schemas, block arities) are the verifier's.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "ir/module.h"

namespace wick::ir {

// Either `module [@name] { tensors... graphs... }` or one or more bare graphs,
// which land in a module with no name.
std::unique_ptr<Module> parse_module(std::string_view text, const std::string& file_name);

}  // namespace wick::ir

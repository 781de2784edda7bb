// Parses the TorchScript source of one `code/**/*.py` archive entry into a
// syntax tree (see ts_ast.h).
//
// The accepted language is what torch.jit.save writes (PyTorch 1.x and 2.x):
// classes with attribute annotations, defs with annotated parameters,
// if/elif/else, for, while, with, return, raise, assert, del, imports, and
// Python expressions without comprehensions or lambdas. Anything else is a
// wick::Error naming file:line:column, what was expected and what was found,
// and quoting the line. Nesting (brackets, chained operators, blocks) is
// limited to kMaxNestingDepth so that no input can exhaust the stack, here or
// in a later pass that walks the tree recursively: the parser then needs at
// most about 300 KB of stack. Saved code nests far less (under 10 levels).
#pragma once

#include <string>
#include <string_view>

#include "frontend/ts_ast.h"

namespace wick::ts {

inline constexpr int kMaxNestingDepth = 100;

SourceFile parse_torchscript(std::string_view source, const std::string& file_name);

}  // namespace wick::ts

// Two printers for the TorchScript syntax tree.
//
// dump() shows structure for tests and debugging: statements one per line,
// indented by block, expressions as s-expressions, e.g.
//   def forward(self: (. __torch__ Net), x: Tensor) -> Tensor
//     assign y = (call (. torch relu) x)
//     return y
// to_source() writes Python that parse_torchscript() reads back into an equal
// tree (parentheses only where precedence needs them); it is also the natural
// way to name a type annotation or an expression in an error message.
// (dump is in ts_ast_print.cpp, to_source in ts_ast_source.cpp.)
#pragma once

#include <string>

#include "frontend/ts_ast.h"

namespace wick::ts {

std::string dump(const SourceFile& file);
std::string dump(const Stmt& stmt, int indent = 0);  // ends with a newline
std::string dump(const Expr& expr);

std::string to_source(const SourceFile& file);
std::string to_source(const Expr& expr);

// Shortest text that reads back as the same double, with a '.' or an
// exponent so that it is never an integer ("1.0", "1e-05", "inf", "nan").
std::string format_float(double v);
// A double-quoted literal that the lexer reads back byte for byte; control
// and non-ASCII bytes become octal escapes.
std::string quote_string(const std::string& value);

}  // namespace wick::ts

// The expression of a pointwise op (PointwiseRule::expr in op_table.h),
// parsed into a small tree that code generators walk. Parsing happens once
// per op and is cached; identifiers are resolved to the op's schema
// arguments, so a tree names each operand by its position.
//
// Grammar, loosest first (C precedence; `?:` groups to the right):
//   ternary  := or ('?' ternary ':' ternary)?
//   or       := and ('||' and)*         and := equality ('&&' equality)*
//   equality := relational (('=='|'!=') relational)*
//   relational := additive (('<'|'<='|'>'|'>=') additive)*
//   additive := term (('+'|'-') term)*  term := unary (('*'|'/') unary)*
//   unary    := ('-'|'!') unary | primary
//   primary  := number | "string" | name | name '(' args ')' | '(' ternary ')'
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace wick::ir {

struct OpDef;

struct PointwiseExpr {
  enum class Kind { number, string, arg, unary, binary, ternary, call };
  Kind kind;
  // number: its value, and whether it was written without '.' or exponent.
  double number = 0;
  bool integer_literal = false;
  // string: the literal's text; arg: the argument's name; unary/binary: the
  // operator ("-", "!", "+", "==", "&&", ...); call: the function's name.
  std::string text;
  int arg_index = -1;  // arg: position in the op's schema
  std::vector<std::unique_ptr<PointwiseExpr>> operands;

  const PointwiseExpr& operand(size_t i) const { return *operands.at(i); }
};

// Parses `text`; identifiers must be among `arg_names` (their position becomes
// arg_index). Malformed text raises wick::InternalError: expressions are
// wick's own data.
std::unique_ptr<PointwiseExpr> parse_pointwise_expr(std::string_view text,
                                                    const std::vector<std::string>& arg_names);

// The parsed expression of a pointwise op, parsed on first use.
const PointwiseExpr& pointwise_expr(const OpDef& op);

// Whether an op's expression depends on the element's position in its
// result (the `uniform` builtin: element i of a random stream; the
// `lower_triangle(d)` and `upper_triangle(d)` builtins: whether column minus
// row of the last two dims is at most, at least d, for tril and triu; the
// `position()` builtin: the index of an element of a 1-D result, for
// arange), so that a kernel computing it must index whole tensors, never
// slices of them.
bool reads_position(const OpDef& op);

// The arguments an op's expression reads whole rather than at the element's
// index: the first operand of the `gather(source, index)` builtin, a 1-D
// tensor read at the position `index` gives (clamped into the tensor). Such
// an argument must be a kernel input (never a value computed in the same
// kernel), passed unsliced.
std::vector<int> gathered_args(const OpDef& op);
bool gathers(const OpDef& op);  // !gathered_args(op).empty()

// Fully parenthesized text, for tests and messages: "(self + (alpha * other))".
std::string to_string(const PointwiseExpr& e);

// The functions the language knows, with their arity.
int pointwise_function_arity(std::string_view name);  // -1 when unknown

}  // namespace wick::ir

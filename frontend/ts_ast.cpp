#include "frontend/ts_ast.h"

namespace wick::ts {

std::vector<const ClassDef*> SourceFile::classes() const {
  std::vector<const ClassDef*> out;
  for (const StmtPtr& s : body) {
    if (auto c = s->get_if<ClassDef>()) out.push_back(c);
  }
  return out;
}

std::vector<const FunctionDef*> SourceFile::functions() const {
  std::vector<const FunctionDef*> out;
  for (const StmtPtr& s : body) {
    if (auto f = s->get_if<FunctionDef>()) out.push_back(f);
  }
  return out;
}

const char* op_spelling(UnaryOp op) {
  switch (op) {
    case UnaryOp::Neg: return "-";
    case UnaryOp::Pos: return "+";
    case UnaryOp::Invert: return "~";
    case UnaryOp::Not: return "not";
  }
  return "?";
}

const char* op_spelling(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add: return "+";
    case BinaryOp::Sub: return "-";
    case BinaryOp::Mul: return "*";
    case BinaryOp::Div: return "/";
    case BinaryOp::FloorDiv: return "//";
    case BinaryOp::Mod: return "%";
    case BinaryOp::Pow: return "**";
    case BinaryOp::MatMul: return "@";
    case BinaryOp::LShift: return "<<";
    case BinaryOp::RShift: return ">>";
    case BinaryOp::BitAnd: return "&";
    case BinaryOp::BitOr: return "|";
    case BinaryOp::BitXor: return "^";
  }
  return "?";
}

const char* op_spelling(BoolOp op) { return op == BoolOp::And ? "and" : "or"; }

const char* op_spelling(CompareOp op) {
  switch (op) {
    case CompareOp::Eq: return "==";
    case CompareOp::NotEq: return "!=";
    case CompareOp::Lt: return "<";
    case CompareOp::LtE: return "<=";
    case CompareOp::Gt: return ">";
    case CompareOp::GtE: return ">=";
    case CompareOp::Is: return "is";
    case CompareOp::IsNot: return "is not";
    case CompareOp::In: return "in";
    case CompareOp::NotIn: return "not in";
  }
  return "?";
}

const char* expr_kind_name(ExprKind kind) {
  switch (kind) {
    case ExprKind::Name: return "name";
    case ExprKind::Attribute: return "attribute";
    case ExprKind::Call: return "call";
    case ExprKind::Subscript: return "subscript";
    case ExprKind::Slice: return "slice";
    case ExprKind::Int: return "integer literal";
    case ExprKind::Float: return "float literal";
    case ExprKind::Imaginary: return "imaginary literal";
    case ExprKind::String: return "string literal";
    case ExprKind::Bool: return "bool literal";
    case ExprKind::None: return "None";
    case ExprKind::Ellipsis: return "Ellipsis";
    case ExprKind::Unary: return "unary operation";
    case ExprKind::Binary: return "binary operation";
    case ExprKind::BoolOp: return "boolean operation";
    case ExprKind::Compare: return "comparison";
    case ExprKind::Conditional: return "conditional expression";
    case ExprKind::List: return "list";
    case ExprKind::Tuple: return "tuple";
    case ExprKind::Dict: return "dict";
  }
  return "expression";
}

const char* stmt_kind_name(StmtKind kind) {
  switch (kind) {
    case StmtKind::Expr: return "expression statement";
    case StmtKind::Assign: return "assignment";
    case StmtKind::AugAssign: return "augmented assignment";
    case StmtKind::If: return "if statement";
    case StmtKind::For: return "for loop";
    case StmtKind::While: return "while loop";
    case StmtKind::Return: return "return statement";
    case StmtKind::Raise: return "raise statement";
    case StmtKind::Assert: return "assert statement";
    case StmtKind::Pass: return "pass statement";
    case StmtKind::Break: return "break statement";
    case StmtKind::Continue: return "continue statement";
    case StmtKind::Del: return "del statement";
    case StmtKind::Global: return "global statement";
    case StmtKind::With: return "with statement";
    case StmtKind::Import: return "import statement";
    case StmtKind::ImportFrom: return "from-import statement";
    case StmtKind::FunctionDef: return "function definition";
    case StmtKind::ClassDef: return "class definition";
  }
  return "statement";
}

}  // namespace wick::ts

// to_source(): the syntax tree back to Python text that parses to an equal
// tree, with parentheses only where Python's precedence requires them.
#include <cmath>

#include "frontend/ts_ast_print.h"

namespace wick::ts {

namespace {

// Python precedence, lowest first.
enum Prec : int {
  kConditional = 1,
  kOr,
  kAnd,
  kNot,
  kCompare,
  kBitOr,
  kBitXor,
  kBitAnd,
  kShift,
  kArith,
  kTerm,
  kUnary,
  kPower,
  kPrimary,
  kAtom,
};

int binary_prec(BinaryOp op) {
  switch (op) {
    case BinaryOp::BitOr: return kBitOr;
    case BinaryOp::BitXor: return kBitXor;
    case BinaryOp::BitAnd: return kBitAnd;
    case BinaryOp::LShift:
    case BinaryOp::RShift: return kShift;
    case BinaryOp::Add:
    case BinaryOp::Sub: return kArith;
    case BinaryOp::Pow: return kPower;
    default: return kTerm;
  }
}

bool is_number(const Expr& e) {
  return e.is<IntExpr>() || e.is<FloatExpr>() || e.is<ImaginaryExpr>();
}

// Negative literals print with a leading '-' and so bind like unary minus.
bool is_negative_literal(const Expr& e) {
  if (auto i = e.get_if<IntExpr>()) return i->value < 0;
  if (auto f = e.get_if<FloatExpr>()) return std::signbit(f->value);
  return false;
}

int precedence(const Expr& e) {
  switch (e.kind) {
    case ExprKind::Conditional: return kConditional;
    case ExprKind::BoolOp: return e.as<BoolOpExpr>().op == BoolOp::Or ? kOr : kAnd;
    case ExprKind::Unary: return e.as<UnaryExpr>().op == UnaryOp::Not ? kNot : kUnary;
    case ExprKind::Compare: return kCompare;
    case ExprKind::Binary: return binary_prec(e.as<BinaryExpr>().op);
    case ExprKind::Attribute:
    case ExprKind::Call:
    case ExprKind::Subscript: return kPrimary;
    default: return is_negative_literal(e) ? kUnary : kAtom;
  }
}

std::string float_source(double v) {
  if (std::isinf(v)) return v < 0 ? "-1e999" : "1e999";  // reads back as inf
  return format_float(v);
}

void emit(const Expr& e, int min_prec, std::string& out);

void emit_list(const std::vector<ExprPtr>& elts, std::string& out) {
  for (size_t i = 0; i < elts.size(); ++i) {
    if (i) out += ", ";
    emit(*elts[i], kConditional, out);
  }
}

// The base of `.x`, `(...)` or `[...]`: a bare number would lex badly (`1.x`).
void emit_base(const Expr& e, std::string& out) {
  if (is_number(e)) {
    out += "(";
    emit(e, kConditional, out);
    out += ")";
  } else {
    emit(e, kPrimary, out);
  }
}

void emit_slice_part(const ExprPtr& e, std::string& out) {
  if (e) emit(*e, kConditional, out);
}

void emit(const Expr& e, int min_prec, std::string& out) {
  bool paren = precedence(e) < min_prec;
  if (paren) out += "(";
  switch (e.kind) {
    case ExprKind::Name: out += e.as<NameExpr>().id; break;
    case ExprKind::Attribute: {
      const auto& a = e.as<AttributeExpr>();
      emit_base(*a.value, out);
      out += "." + a.attr;
      break;
    }
    case ExprKind::Call: {
      const auto& c = e.as<CallExpr>();
      emit_base(*c.func, out);
      out += "(";
      emit_list(c.args, out);
      for (size_t i = 0; i < c.keywords.size(); ++i) {
        if (i || !c.args.empty()) out += ", ";
        out += c.keywords[i].name + "=";
        emit(*c.keywords[i].value, kConditional, out);
      }
      out += ")";
      break;
    }
    case ExprKind::Subscript: {
      const auto& s = e.as<SubscriptExpr>();
      emit_base(*s.value, out);
      out += "[";
      emit_list(s.indices, out);
      out += "]";
      break;
    }
    case ExprKind::Slice: {
      const auto& s = e.as<SliceExpr>();
      emit_slice_part(s.lower, out);
      out += ":";
      emit_slice_part(s.upper, out);
      if (s.step) {
        out += ":";
        emit_slice_part(s.step, out);
      }
      break;
    }
    case ExprKind::Int: out += std::to_string(e.as<IntExpr>().value); break;
    case ExprKind::Float: out += float_source(e.as<FloatExpr>().value); break;
    case ExprKind::Imaginary: out += float_source(e.as<ImaginaryExpr>().value) + "j"; break;
    case ExprKind::String: out += quote_string(e.as<StringExpr>().value); break;
    case ExprKind::Bool: out += e.as<BoolExpr>().value ? "True" : "False"; break;
    case ExprKind::None: out += "None"; break;
    case ExprKind::Ellipsis: out += "..."; break;
    case ExprKind::Unary: {
      const auto& u = e.as<UnaryExpr>();
      if (u.op == UnaryOp::Not) {
        out += "not ";
        emit(*u.operand, kNot, out);
        break;
      }
      out += op_spelling(u.op);
      // `-(5)` must not read back as the literal -5.
      if (u.op == UnaryOp::Neg && is_number(*u.operand) && !is_negative_literal(*u.operand)) {
        out += "(";
        emit(*u.operand, kConditional, out);
        out += ")";
      } else {
        emit(*u.operand, kUnary, out);
      }
      break;
    }
    case ExprKind::Binary: {
      const auto& b = e.as<BinaryExpr>();
      int p = binary_prec(b.op);
      if (b.op == BinaryOp::Pow) {
        emit(*b.lhs, kPrimary, out);
        out += " ** ";
        emit(*b.rhs, kUnary, out);
      } else {
        emit(*b.lhs, p, out);
        out += std::string(" ") + op_spelling(b.op) + " ";
        emit(*b.rhs, p + 1, out);
      }
      break;
    }
    case ExprKind::BoolOp: {
      const auto& b = e.as<BoolOpExpr>();
      int p = b.op == BoolOp::Or ? kOr : kAnd;
      emit(*b.lhs, p, out);
      out += std::string(" ") + op_spelling(b.op) + " ";
      emit(*b.rhs, p + 1, out);
      break;
    }
    case ExprKind::Compare: {
      const auto& c = e.as<CompareExpr>();
      emit(*c.left, kBitOr, out);
      for (size_t i = 0; i < c.ops.size(); ++i) {
        out += std::string(" ") + op_spelling(c.ops[i]) + " ";
        emit(*c.comparators[i], kBitOr, out);
      }
      break;
    }
    case ExprKind::Conditional: {
      const auto& c = e.as<ConditionalExpr>();
      emit(*c.then_value, kOr, out);
      out += " if ";
      emit(*c.cond, kOr, out);
      out += " else ";
      emit(*c.else_value, kConditional, out);
      break;
    }
    case ExprKind::List:
      out += "[";
      emit_list(e.as<ListExpr>().elts, out);
      out += "]";
      break;
    case ExprKind::Tuple: {
      const auto& elts = e.as<TupleExpr>().elts;
      out += "(";
      emit_list(elts, out);
      out += elts.size() == 1 ? ",)" : ")";
      break;
    }
    case ExprKind::Dict: {
      const auto& d = e.as<DictExpr>();
      out += "{";
      for (size_t i = 0; i < d.keys.size(); ++i) {
        if (i) out += ", ";
        emit(*d.keys[i], kConditional, out);
        out += ": ";
        emit(*d.values[i], kConditional, out);
      }
      out += "}";
      break;
    }
  }
  if (paren) out += ")";
}

std::string src(const Expr& e) {
  std::string out;
  emit(e, kConditional, out);
  return out;
}

void emit_stmt(const Stmt& s, int indent, std::string& out);

void emit_block(const Block& block, int indent, std::string& out) {
  if (block.empty()) out += std::string(2 * indent, ' ') + "pass\n";
  for (const StmtPtr& s : block) emit_stmt(*s, indent, out);
}

std::string import_names(const std::vector<ImportName>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += (i ? ", " : "") + names[i].name;
    if (!names[i].alias.empty()) out += " as " + names[i].alias;
  }
  return out;
}

void emit_if(const IfStmt& s, int indent, const char* keyword, std::string& out) {
  std::string pad(2 * indent, ' ');
  out += pad + keyword + " " + src(*s.cond) + ":\n";
  emit_block(s.then_body, indent + 1, out);
  if (s.else_body.empty()) return;
  if (s.else_body.size() == 1 && s.else_body[0]->is<IfStmt>()) {
    emit_if(s.else_body[0]->as<IfStmt>(), indent, "elif", out);
    return;
  }
  out += pad + "else:\n";
  emit_block(s.else_body, indent + 1, out);
}

void emit_stmt(const Stmt& stmt, int indent, std::string& out) {
  std::string pad(2 * indent, ' ');
  switch (stmt.kind) {
    case StmtKind::Expr: out += pad + src(*stmt.as<ExprStmt>().expr) + "\n"; return;
    case StmtKind::Assign: {
      const auto& a = stmt.as<AssignStmt>();
      out += pad + src(*a.target);
      if (a.annotation) out += " : " + src(*a.annotation);
      if (a.value) out += " = " + src(*a.value);
      out += "\n";
      return;
    }
    case StmtKind::AugAssign: {
      const auto& a = stmt.as<AugAssignStmt>();
      out += pad + src(*a.target) + " " + op_spelling(a.op) + "= " + src(*a.value) + "\n";
      return;
    }
    case StmtKind::If: emit_if(stmt.as<IfStmt>(), indent, "if", out); return;
    case StmtKind::For: {
      const auto& s = stmt.as<ForStmt>();
      out += pad + "for " + src(*s.target) + " in " + src(*s.iter) + ":\n";
      emit_block(s.body, indent + 1, out);
      return;
    }
    case StmtKind::While: {
      const auto& s = stmt.as<WhileStmt>();
      out += pad + "while " + src(*s.cond) + ":\n";
      emit_block(s.body, indent + 1, out);
      return;
    }
    case StmtKind::Return: {
      const auto& s = stmt.as<ReturnStmt>();
      out += pad + (s.value ? "return " + src(*s.value) : std::string("return")) + "\n";
      return;
    }
    case StmtKind::Raise: {
      const auto& s = stmt.as<RaiseStmt>();
      out += pad + (s.exc ? "raise " + src(*s.exc) : std::string("raise")) + "\n";
      return;
    }
    case StmtKind::Assert: {
      const auto& s = stmt.as<AssertStmt>();
      out += pad + "assert " + src(*s.test) + (s.msg ? ", " + src(*s.msg) : "") + "\n";
      return;
    }
    case StmtKind::Pass: out += pad + "pass\n"; return;
    case StmtKind::Break: out += pad + "break\n"; return;
    case StmtKind::Continue: out += pad + "continue\n"; return;
    case StmtKind::Del: {
      out += pad + "del ";
      emit_list(stmt.as<DelStmt>().targets, out);
      out += "\n";
      return;
    }
    case StmtKind::Global: {
      const auto& names = stmt.as<GlobalStmt>().names;
      out += pad + "global ";
      for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
      out += "\n";
      return;
    }
    case StmtKind::With: {
      const auto& s = stmt.as<WithStmt>();
      out += pad + "with ";
      for (size_t i = 0; i < s.items.size(); ++i) {
        out += (i ? ", " : "") + src(*s.items[i].context);
        if (s.items[i].target) out += " as " + src(*s.items[i].target);
      }
      out += ":\n";
      emit_block(s.body, indent + 1, out);
      return;
    }
    case StmtKind::Import:
      out += pad + "import " + import_names(stmt.as<ImportStmt>().names) + "\n";
      return;
    case StmtKind::ImportFrom: {
      const auto& s = stmt.as<ImportFromStmt>();
      out += pad + "from " + s.module + " import " + import_names(s.names) + "\n";
      return;
    }
    case StmtKind::FunctionDef: {
      const auto& f = stmt.as<FunctionDef>();
      out += pad + "def " + f.name + "(";
      for (size_t i = 0; i < f.params.size(); ++i) {
        const Param& p = f.params[i];
        out += (i ? ", " : "") + p.name;
        if (p.annotation) out += ": " + src(*p.annotation);
        if (p.default_value) out += "=" + src(*p.default_value);
      }
      out += ")";
      if (f.return_annotation) out += " -> " + src(*f.return_annotation);
      out += ":\n";
      emit_block(f.body, indent + 1, out);
      return;
    }
    case StmtKind::ClassDef: {
      const auto& c = stmt.as<ClassDef>();
      out += pad + "class " + c.name;
      if (!c.bases.empty()) {
        out += "(";
        emit_list(c.bases, out);
        out += ")";
      }
      out += ":\n";
      emit_block(c.body, indent + 1, out);
      return;
    }
  }
}

}  // namespace

std::string to_source(const Expr& expr) { return src(expr); }

std::string to_source(const SourceFile& file) {
  std::string out;
  for (const StmtPtr& s : file.body) emit_stmt(*s, 0, out);
  return out;
}

}  // namespace wick::ts

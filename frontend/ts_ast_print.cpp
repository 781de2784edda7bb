#include "frontend/ts_ast_print.h"

#include <charconv>
#include <cmath>

namespace wick::ts {

std::string format_float(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, r.ptr);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string quote_string(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (u < 0x20 || u >= 0x7f) {
          out += '\\';
          out += static_cast<char>('0' + (u >> 6));
          out += static_cast<char>('0' + ((u >> 3) & 7));
          out += static_cast<char>('0' + (u & 7));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

namespace {

const char* compare_word(CompareOp op) {
  switch (op) {
    case CompareOp::IsNot: return "is-not";
    case CompareOp::NotIn: return "not-in";
    default: return op_spelling(op);
  }
}

// ------------------------------------------------------------------- dump

void dump_expr(const Expr& e, std::string& out);

void dump_opt(const ExprPtr& e, std::string& out) {
  if (e) {
    dump_expr(*e, out);
  } else {
    out += "_";
  }
}

void dump_expr(const Expr& e, std::string& out) {
  switch (e.kind) {
    case ExprKind::Name: out += e.as<NameExpr>().id; return;
    case ExprKind::Attribute: {
      const auto& a = e.as<AttributeExpr>();
      out += "(. ";
      dump_expr(*a.value, out);
      out += " " + a.attr + ")";
      return;
    }
    case ExprKind::Call: {
      const auto& c = e.as<CallExpr>();
      out += "(call ";
      dump_expr(*c.func, out);
      for (const ExprPtr& a : c.args) {
        out += " ";
        dump_expr(*a, out);
      }
      for (const Keyword& k : c.keywords) {
        out += " " + k.name + "=";
        dump_expr(*k.value, out);
      }
      out += ")";
      return;
    }
    case ExprKind::Subscript: {
      const auto& s = e.as<SubscriptExpr>();
      out += "(sub ";
      dump_expr(*s.value, out);
      for (const ExprPtr& i : s.indices) {
        out += " ";
        dump_expr(*i, out);
      }
      out += ")";
      return;
    }
    case ExprKind::Slice: {
      const auto& s = e.as<SliceExpr>();
      out += "(slice ";
      dump_opt(s.lower, out);
      out += " ";
      dump_opt(s.upper, out);
      out += " ";
      dump_opt(s.step, out);
      out += ")";
      return;
    }
    case ExprKind::Int: out += std::to_string(e.as<IntExpr>().value); return;
    case ExprKind::Float: out += format_float(e.as<FloatExpr>().value); return;
    case ExprKind::Imaginary: out += format_float(e.as<ImaginaryExpr>().value) + "j"; return;
    case ExprKind::String: out += quote_string(e.as<StringExpr>().value); return;
    case ExprKind::Bool: out += e.as<BoolExpr>().value ? "True" : "False"; return;
    case ExprKind::None: out += "None"; return;
    case ExprKind::Ellipsis: out += "..."; return;
    case ExprKind::Unary: {
      const auto& u = e.as<UnaryExpr>();
      out += std::string("(") + op_spelling(u.op) + " ";
      dump_expr(*u.operand, out);
      out += ")";
      return;
    }
    case ExprKind::Binary: {
      const auto& b = e.as<BinaryExpr>();
      out += std::string("(") + op_spelling(b.op) + " ";
      dump_expr(*b.lhs, out);
      out += " ";
      dump_expr(*b.rhs, out);
      out += ")";
      return;
    }
    case ExprKind::BoolOp: {
      const auto& b = e.as<BoolOpExpr>();
      out += std::string("(") + op_spelling(b.op) + " ";
      dump_expr(*b.lhs, out);
      out += " ";
      dump_expr(*b.rhs, out);
      out += ")";
      return;
    }
    case ExprKind::Compare: {
      const auto& c = e.as<CompareExpr>();
      if (c.ops.size() == 1) {
        out += std::string("(") + compare_word(c.ops[0]) + " ";
        dump_expr(*c.left, out);
        out += " ";
        dump_expr(*c.comparators[0], out);
        out += ")";
        return;
      }
      out += "(cmp ";
      dump_expr(*c.left, out);
      for (size_t i = 0; i < c.ops.size(); ++i) {
        out += std::string(" ") + compare_word(c.ops[i]) + " ";
        dump_expr(*c.comparators[i], out);
      }
      out += ")";
      return;
    }
    case ExprKind::Conditional: {
      const auto& c = e.as<ConditionalExpr>();
      out += "(if ";
      dump_expr(*c.cond, out);
      out += " ";
      dump_expr(*c.then_value, out);
      out += " ";
      dump_expr(*c.else_value, out);
      out += ")";
      return;
    }
    case ExprKind::List:
    case ExprKind::Tuple: {
      const auto& elts = e.is<ListExpr>() ? e.as<ListExpr>().elts : e.as<TupleExpr>().elts;
      out += e.is<ListExpr>() ? "(list" : "(tuple";
      for (const ExprPtr& x : elts) {
        out += " ";
        dump_expr(*x, out);
      }
      out += ")";
      return;
    }
    case ExprKind::Dict: {
      const auto& d = e.as<DictExpr>();
      out += "(dict";
      for (size_t i = 0; i < d.keys.size(); ++i) {
        out += " (";
        dump_expr(*d.keys[i], out);
        out += " ";
        dump_expr(*d.values[i], out);
        out += ")";
      }
      out += ")";
      return;
    }
  }
}

}  // namespace

std::string dump(const Expr& expr) {
  std::string out;
  dump_expr(expr, out);
  return out;
}

namespace {

void dump_block(const Block& block, int indent, std::string& out) {
  for (const StmtPtr& s : block) out += dump(*s, indent);
}

std::string join_dumps(const std::vector<ExprPtr>& exprs, const char* sep) {
  std::string out;
  for (size_t i = 0; i < exprs.size(); ++i) out += (i ? sep : "") + dump(*exprs[i]);
  return out;
}

std::string import_names(const std::vector<ImportName>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += (i ? ", " : "") + names[i].name;
    if (!names[i].alias.empty()) out += " as " + names[i].alias;
  }
  return out;
}

}  // namespace

std::string dump(const Stmt& stmt, int indent) {
  std::string out(2 * indent, ' ');
  switch (stmt.kind) {
    case StmtKind::Expr: out += "expr " + dump(*stmt.as<ExprStmt>().expr) + "\n"; break;
    case StmtKind::Assign: {
      const auto& a = stmt.as<AssignStmt>();
      out += "assign " + dump(*a.target);
      if (a.annotation) out += " : " + dump(*a.annotation);
      if (a.value) out += " = " + dump(*a.value);
      out += "\n";
      break;
    }
    case StmtKind::AugAssign: {
      const auto& a = stmt.as<AugAssignStmt>();
      out +=
          "augassign " + dump(*a.target) + " " + op_spelling(a.op) + "= " + dump(*a.value) + "\n";
      break;
    }
    case StmtKind::If: {
      const auto& s = stmt.as<IfStmt>();
      out += "if " + dump(*s.cond) + "\n";
      dump_block(s.then_body, indent + 1, out);
      if (!s.else_body.empty()) {
        out += std::string(2 * indent, ' ') + "else\n";
        dump_block(s.else_body, indent + 1, out);
      }
      break;
    }
    case StmtKind::For: {
      const auto& s = stmt.as<ForStmt>();
      out += "for " + dump(*s.target) + " in " + dump(*s.iter) + "\n";
      dump_block(s.body, indent + 1, out);
      break;
    }
    case StmtKind::While: {
      const auto& s = stmt.as<WhileStmt>();
      out += "while " + dump(*s.cond) + "\n";
      dump_block(s.body, indent + 1, out);
      break;
    }
    case StmtKind::Return: {
      const auto& s = stmt.as<ReturnStmt>();
      out += s.value ? "return " + dump(*s.value) + "\n" : "return\n";
      break;
    }
    case StmtKind::Raise: {
      const auto& s = stmt.as<RaiseStmt>();
      out += s.exc ? "raise " + dump(*s.exc) + "\n" : "raise\n";
      break;
    }
    case StmtKind::Assert: {
      const auto& s = stmt.as<AssertStmt>();
      out += "assert " + dump(*s.test) + (s.msg ? ", " + dump(*s.msg) : "") + "\n";
      break;
    }
    case StmtKind::Pass: out += "pass\n"; break;
    case StmtKind::Break: out += "break\n"; break;
    case StmtKind::Continue: out += "continue\n"; break;
    case StmtKind::Del: out += "del " + join_dumps(stmt.as<DelStmt>().targets, " ") + "\n"; break;
    case StmtKind::Global: {
      out += "global";
      for (const std::string& n : stmt.as<GlobalStmt>().names) out += " " + n;
      out += "\n";
      break;
    }
    case StmtKind::With: {
      const auto& s = stmt.as<WithStmt>();
      out += "with ";
      for (size_t i = 0; i < s.items.size(); ++i) {
        out += (i ? ", " : "") + dump(*s.items[i].context);
        if (s.items[i].target) out += " as " + dump(*s.items[i].target);
      }
      out += "\n";
      dump_block(s.body, indent + 1, out);
      break;
    }
    case StmtKind::Import:
      out += "import " + import_names(stmt.as<ImportStmt>().names) + "\n";
      break;
    case StmtKind::ImportFrom: {
      const auto& s = stmt.as<ImportFromStmt>();
      out += "from " + s.module + " import " + import_names(s.names) + "\n";
      break;
    }
    case StmtKind::FunctionDef: {
      const auto& f = stmt.as<FunctionDef>();
      out += "def " + f.name + "(";
      for (size_t i = 0; i < f.params.size(); ++i) {
        const Param& p = f.params[i];
        out += (i ? ", " : "") + p.name;
        if (p.annotation) out += ": " + dump(*p.annotation);
        if (p.default_value) out += " = " + dump(*p.default_value);
      }
      out += ")";
      if (f.return_annotation) out += " -> " + dump(*f.return_annotation);
      out += "\n";
      dump_block(f.body, indent + 1, out);
      break;
    }
    case StmtKind::ClassDef: {
      const auto& c = stmt.as<ClassDef>();
      out += "class " + c.name;
      if (!c.bases.empty()) out += "(" + join_dumps(c.bases, ", ") + ")";
      out += "\n";
      dump_block(c.body, indent + 1, out);
      break;
    }
  }
  return out;
}

std::string dump(const SourceFile& file) {
  std::string out;
  dump_block(file.body, 0, out);
  return out;
}

}  // namespace wick::ts

// A recursive-descent parser for the pointwise expression language, and the
// per-op cache of parsed trees.
#include "ir/pointwise_expr.h"

#include <cctype>
#include <cstdlib>
#include <map>
#include <mutex>

#include "ir/attribute.h"
#include "ir/op_table.h"
#include "support/error.h"

namespace wick::ir {

int pointwise_function_arity(std::string_view name) {
  static const std::map<std::string_view, int> arity = {
      {"exp", 1},  {"log", 1},  {"log1p", 1}, {"tanh", 1},  {"erf", 1},      {"sqrt", 1},
      {"rsqrt", 1}, {"abs", 1}, {"floor", 1}, {"ceil", 1},  {"sin", 1},      {"cos", 1},
      {"expm1", 1}, {"exp2", 1}, {"log2", 1}, {"log10", 1}, {"tan", 1},      {"atan", 1},
      {"trunc", 1}, {"roundeven", 1}, {"isinf", 1}, {"atan2", 2}, {"fmod", 2}, {"largest", 0},
      {"max", 2},  {"min", 2},  {"pow", 2},   {"mod", 2},   {"floordiv", 2}, {"truncdiv", 2}, {"defined", 1},
      {"bitand", 2}, {"bitor", 2}, {"bitxor", 2}, {"bitnot", 1}, {"shl", 2}, {"shr", 2},
      {"fma", 3}, {"uniform", 3}, {"lower_triangle", 1}, {"upper_triangle", 1}, {"position", 0}, {"gather", 2},
  };
  auto it = arity.find(name);
  return it == arity.end() ? -1 : it->second;
}

namespace {

using ExprPtr = std::unique_ptr<PointwiseExpr>;

class ExprParser {
 public:
  ExprParser(std::string_view text, const std::vector<std::string>& arg_names)
      : text_(text), arg_names_(arg_names) {}

  ExprPtr parse() {
    ExprPtr e = ternary(0);
    skip_space();
    if (pos_ != text_.size()) fail("unexpected '" + std::string(1, text_[pos_]) + "'");
    return e;
  }

 private:
  // Nesting is bounded so that a broken table entry cannot overflow the stack.
  static constexpr int kMaxDepth = 64;

  [[noreturn]] void fail(const std::string& message) const {
    throw InternalError("pointwise expression '" + std::string(text_) + "' at " +
                        std::to_string(pos_) + ": " + message);
  }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  // Consumes `op` when it comes next (and is not the start of a longer operator).
  bool accept(std::string_view op) {
    skip_space();
    if (text_.substr(pos_, op.size()) != op) return false;
    // "<" must not eat the "<" of "<=", nor "=" of "==" and so on.
    if (op.size() == 1 && pos_ + 1 < text_.size() && text_[pos_ + 1] == '=' &&
        (op == "<" || op == ">" || op == "!" || op == "="))
      return false;
    pos_ += op.size();
    return true;
  }

  void expect(std::string_view op) {
    if (!accept(op)) fail("expected '" + std::string(op) + "'");
  }

  static ExprPtr node(PointwiseExpr::Kind kind, std::string text) {
    auto e = std::make_unique<PointwiseExpr>();
    e->kind = kind;
    e->text = std::move(text);
    return e;
  }

  static ExprPtr binary(std::string op, ExprPtr a, ExprPtr b) {
    ExprPtr e = node(PointwiseExpr::Kind::binary, std::move(op));
    e->operands.push_back(std::move(a));
    e->operands.push_back(std::move(b));
    return e;
  }

  ExprPtr ternary(int depth) {
    if (depth > kMaxDepth) fail("nested too deeply");
    ExprPtr c = binary_level(0, depth);
    if (!accept("?")) return c;
    ExprPtr a = ternary(depth + 1);
    expect(":");
    ExprPtr b = ternary(depth + 1);
    ExprPtr e = node(PointwiseExpr::Kind::ternary, "?:");
    e->operands.push_back(std::move(c));
    e->operands.push_back(std::move(a));
    e->operands.push_back(std::move(b));
    return e;
  }

  // Binary operators by level, loosest first; all group to the left.
  ExprPtr binary_level(size_t level, int depth) {
    static const std::vector<std::vector<std::string_view>> levels = {
        {"||"}, {"&&"}, {"==", "!="}, {"<=", ">=", "<", ">"}, {"+", "-"}, {"*", "/"}};
    if (level == levels.size()) return unary(depth);
    ExprPtr lhs = binary_level(level + 1, depth);
    for (;;) {
      bool matched = false;
      for (std::string_view op : levels[level]) {
        if (accept(op)) {
          lhs = binary(std::string(op), std::move(lhs), binary_level(level + 1, depth));
          matched = true;
          break;
        }
      }
      if (!matched) return lhs;
    }
  }

  ExprPtr unary(int depth) {
    if (depth > kMaxDepth) fail("nested too deeply");
    for (std::string_view op : {"-", "!"}) {
      if (accept(op)) {
        ExprPtr e = node(PointwiseExpr::Kind::unary, std::string(op));
        e->operands.push_back(unary(depth + 1));
        return e;
      }
    }
    return primary(depth);
  }

  ExprPtr primary(int depth) {
    skip_space();
    if (pos_ == text_.size()) fail("unexpected end");
    const char c = text_[pos_];
    if (accept("(")) {
      ExprPtr e = ternary(depth + 1);
      expect(")");
      return e;
    }
    if (c == '"') return string_literal();
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') return number();
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') return name(depth);
    fail("unexpected '" + std::string(1, c) + "'");
  }

  ExprPtr string_literal() {
    size_t end = text_.find('"', pos_ + 1);
    if (end == std::string_view::npos) fail("unterminated string");
    ExprPtr e = node(PointwiseExpr::Kind::string, std::string(text_.substr(pos_ + 1, end - pos_ - 1)));
    pos_ = end + 1;
    return e;
  }

  ExprPtr number() {
    size_t start = pos_;
    bool integer = true;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (std::isdigit(static_cast<unsigned char>(c))) {
        ++pos_;
      } else if (c == '.') {
        integer = false;
        ++pos_;
      } else if ((c == 'e' || c == 'E') && pos_ > start) {
        integer = false;
        ++pos_;
        if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      } else {
        break;
      }
    }
    std::string digits(text_.substr(start, pos_ - start));
    char* end = nullptr;
    double value = std::strtod(digits.c_str(), &end);
    if (end != digits.c_str() + digits.size()) fail("malformed number '" + digits + "'");
    ExprPtr e = node(PointwiseExpr::Kind::number, digits);
    e->number = value;
    e->integer_literal = integer;
    return e;
  }

  ExprPtr name(int depth) {
    size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
      ++pos_;
    std::string id(text_.substr(start, pos_ - start));
    skip_space();
    // `min` and `max` are functions when called and clamp's arguments otherwise.
    if (pos_ < text_.size() && text_[pos_] == '(') {
      int arity = pointwise_function_arity(id);
      if (arity < 0) fail("unknown function '" + id + "'");
      ++pos_;
      ExprPtr e = node(PointwiseExpr::Kind::call, id);
      if (!accept(")")) {
        do {
          e->operands.push_back(ternary(depth + 1));
        } while (accept(","));
        expect(")");
      }
      if (static_cast<int>(e->operands.size()) != arity)
        fail(id + " takes " + std::to_string(arity) + " operands");
      if (id == "defined" && e->operand(0).kind != PointwiseExpr::Kind::arg)
        fail("defined() takes an argument name");
      return e;
    }
    for (size_t i = 0; i < arg_names_.size(); ++i) {
      if (arg_names_[i] == id) {
        ExprPtr e = node(PointwiseExpr::Kind::arg, id);
        e->arg_index = static_cast<int>(i);
        return e;
      }
    }
    fail("'" + id + "' is not an argument of the op");
  }

  std::string_view text_;
  const std::vector<std::string>& arg_names_;
  size_t pos_ = 0;
};

}  // namespace

std::unique_ptr<PointwiseExpr> parse_pointwise_expr(std::string_view text,
                                                    const std::vector<std::string>& arg_names) {
  return ExprParser(text, arg_names).parse();
}

const PointwiseExpr& pointwise_expr(const OpDef& op) {
  static std::mutex mutex;
  static std::map<const OpDef*, std::unique_ptr<PointwiseExpr>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(&op);
  if (it != cache.end()) return *it->second;
  WICK_ASSERT(op.pointwise.expr != nullptr, op.name + " has no pointwise expression");
  std::vector<std::string> names;
  for (const SchemaArg& a : op.schema.args) names.push_back(a.name);
  auto parsed = parse_pointwise_expr(op.pointwise.expr, names);
  return *cache.emplace(&op, std::move(parsed)).first->second;
}

namespace {
bool calls_positional(const PointwiseExpr& e) {
  if (e.kind == PointwiseExpr::Kind::call && (e.text == "uniform" || e.text == "lower_triangle" || e.text == "upper_triangle" ||
                                             e.text == "position")) return true;
  for (const auto& o : e.operands)
    if (calls_positional(*o)) return true;
  return false;
}
}  // namespace

bool reads_position(const OpDef& op) { return op.pointwise.expr && calls_positional(pointwise_expr(op)); }

namespace {
void collect_gathered(const PointwiseExpr& e, std::vector<int>* out) {
  if (e.kind == PointwiseExpr::Kind::call && e.text == "gather" && e.operand(0).kind == PointwiseExpr::Kind::arg)
    out->push_back(e.operand(0).arg_index);
  for (const auto& o : e.operands) collect_gathered(*o, out);
}
}  // namespace

std::vector<int> gathered_args(const OpDef& op) {
  std::vector<int> out;
  if (op.pointwise.expr) collect_gathered(pointwise_expr(op), &out);
  return out;
}

bool gathers(const OpDef& op) { return !gathered_args(op).empty(); }

std::string to_string(const PointwiseExpr& e) {
  using K = PointwiseExpr::Kind;
  switch (e.kind) {
    case K::number: return e.text;
    case K::string: return quote_string(e.text);
    case K::arg: return e.text;
    case K::unary: return "(" + e.text + to_string(e.operand(0)) + ")";
    case K::binary: return "(" + to_string(e.operand(0)) + " " + e.text + " " + to_string(e.operand(1)) + ")";
    case K::ternary:
      return "(" + to_string(e.operand(0)) + " ? " + to_string(e.operand(1)) + " : " +
             to_string(e.operand(2)) + ")";
    case K::call: {
      std::string s = e.text + "(";
      for (size_t i = 0; i < e.operands.size(); ++i) s += (i ? ", " : "") + to_string(e.operand(i));
      return s + ")";
    }
  }
  return "?";
}

}  // namespace wick::ir

// The expression half of the TorchScript parser: Python's precedence levels,
// lowest first — conditional, or, and, not, comparisons, | ^ & << >> + - * /
// // % @, unary - + ~, **, then calls, attributes and subscripts on atoms.
#include <cstdint>
#include <limits>
#include <unordered_set>

#include "frontend/ts_parser.h"
#include "frontend/ts_parser_impl.h"

namespace wick::ts::detail {

namespace {

constexpr uint64_t kInt64MinMagnitude = uint64_t{1} << 63;

// Binary operator precedence from `|` (1) to `* / // % @` (6); 0 if `k` is not one.
int binary_precedence(TokenKind k, BinaryOp* op) {
  switch (k) {
    case TokenKind::Pipe: *op = BinaryOp::BitOr; return 1;
    case TokenKind::Caret: *op = BinaryOp::BitXor; return 2;
    case TokenKind::Amp: *op = BinaryOp::BitAnd; return 3;
    case TokenKind::LShift: *op = BinaryOp::LShift; return 4;
    case TokenKind::RShift: *op = BinaryOp::RShift; return 4;
    case TokenKind::Plus: *op = BinaryOp::Add; return 5;
    case TokenKind::Minus: *op = BinaryOp::Sub; return 5;
    case TokenKind::Star: *op = BinaryOp::Mul; return 6;
    case TokenKind::Slash: *op = BinaryOp::Div; return 6;
    case TokenKind::DoubleSlash: *op = BinaryOp::FloorDiv; return 6;
    case TokenKind::Percent: *op = BinaryOp::Mod; return 6;
    case TokenKind::At: *op = BinaryOp::MatMul; return 6;
    default: return 0;
  }
}

// Tokens after a number that make it the base of `**` or of a trailer, where
// a leading minus must not be folded into the literal (`-2 ** 2` is -(2**2)).
bool continues_operand(TokenKind k) {
  return k == TokenKind::DoubleStar || k == TokenKind::LParen || k == TokenKind::LBracket ||
         k == TokenKind::Dot;
}

}  // namespace

bool Parser::starts_expression(TokenKind k) {
  switch (k) {
    case TokenKind::Name:
    case TokenKind::Int:
    case TokenKind::Float:
    case TokenKind::Imaginary:
    case TokenKind::String:
    case TokenKind::KwTrue:
    case TokenKind::KwFalse:
    case TokenKind::KwNone:
    case TokenKind::KwNot:
    case TokenKind::KwLambda:
    case TokenKind::LParen:
    case TokenKind::LBracket:
    case TokenKind::LBrace:
    case TokenKind::Minus:
    case TokenKind::Plus:
    case TokenKind::Tilde:
    case TokenKind::Ellipsis: return true;
    default: return false;
  }
}

ExprPtr Parser::parse_expr() {
  Nest nest(*this, peek());
  ExprPtr e = parse_or();
  if (!at(TokenKind::KwIf)) return e;
  next();
  auto c = make<ConditionalExpr>(e->loc);
  c->then_value = std::move(e);
  c->cond = parse_or();
  expect(TokenKind::KwElse);
  c->else_value = parse_expr();
  return c;
}

ExprPtr Parser::parse_expr_list() {
  ExprPtr first = parse_expr();
  if (!at(TokenKind::Comma)) return first;
  auto tuple = make<TupleExpr>(first->loc);
  tuple->elts.push_back(std::move(first));
  while (accept(TokenKind::Comma) && starts_expression(kind())) tuple->elts.push_back(parse_expr());
  return tuple;
}

ExprPtr Parser::parse_target_list() {
  ExprPtr first = parse_binary(1);
  if (!at(TokenKind::Comma)) return first;
  auto tuple = make<TupleExpr>(first->loc);
  tuple->elts.push_back(std::move(first));
  while (accept(TokenKind::Comma) && starts_expression(kind())) {
    tuple->elts.push_back(parse_binary(1));
  }
  return tuple;
}

ExprPtr Parser::parse_or() {
  ExprPtr lhs = parse_and();
  Nest chain(*this);
  while (at(TokenKind::KwOr)) {
    chain.step(next());
    auto b = make<BoolOpExpr>(lhs->loc);
    b->op = BoolOp::Or;
    b->lhs = std::move(lhs);
    b->rhs = parse_and();
    lhs = std::move(b);
  }
  return lhs;
}

ExprPtr Parser::parse_and() {
  ExprPtr lhs = parse_not();
  Nest chain(*this);
  while (at(TokenKind::KwAnd)) {
    chain.step(next());
    auto b = make<BoolOpExpr>(lhs->loc);
    b->op = BoolOp::And;
    b->lhs = std::move(lhs);
    b->rhs = parse_not();
    lhs = std::move(b);
  }
  return lhs;
}

ExprPtr Parser::parse_not() {
  if (!at(TokenKind::KwNot)) return parse_comparison();
  const Token& t = next();
  Nest nest(*this, t);
  auto u = make<UnaryExpr>(loc(t));
  u->op = UnaryOp::Not;
  u->operand = parse_not();
  return u;
}

ExprPtr Parser::parse_comparison() {
  ExprPtr left = parse_binary(1);
  std::unique_ptr<CompareExpr> cmp;
  auto done = [&]() -> ExprPtr { return cmp ? ExprPtr(std::move(cmp)) : std::move(left); };
  while (true) {
    CompareOp op;
    switch (kind()) {
      case TokenKind::Eq: op = CompareOp::Eq; break;
      case TokenKind::NotEq: op = CompareOp::NotEq; break;
      case TokenKind::Less: op = CompareOp::Lt; break;
      case TokenKind::LessEq: op = CompareOp::LtE; break;
      case TokenKind::Greater: op = CompareOp::Gt; break;
      case TokenKind::GreaterEq: op = CompareOp::GtE; break;
      case TokenKind::KwIn: op = CompareOp::In; break;
      case TokenKind::KwIs:
        op = kind(1) == TokenKind::KwNot ? CompareOp::IsNot : CompareOp::Is;
        break;
      case TokenKind::KwNot:
        if (kind(1) != TokenKind::KwIn) return done();
        op = CompareOp::NotIn;
        break;
      default: return done();
    }
    next();
    if (op == CompareOp::IsNot || op == CompareOp::NotIn) next();
    if (!cmp) {
      cmp = make<CompareExpr>(left->loc);
      cmp->left = std::move(left);
    }
    cmp->ops.push_back(op);
    cmp->comparators.push_back(parse_binary(1));
  }
}

// Precedence climbing over the binary operators; the recursion is at most
// six levels deep between two Nest-guarded calls.
ExprPtr Parser::parse_binary(int min_precedence) {
  ExprPtr lhs = parse_unary();
  Nest chain(*this);
  while (true) {
    BinaryOp op;
    int precedence = binary_precedence(kind(), &op);
    if (precedence == 0 || precedence < min_precedence) return lhs;
    chain.step(next());
    auto b = make<BinaryExpr>(lhs->loc);
    b->op = op;
    b->lhs = std::move(lhs);
    b->rhs = parse_binary(precedence + 1);
    lhs = std::move(b);
  }
}

ExprPtr Parser::parse_unary() {
  const Token& t = peek();
  UnaryOp op;
  switch (t.kind) {
    case TokenKind::Minus: op = UnaryOp::Neg; break;
    case TokenKind::Plus: op = UnaryOp::Pos; break;
    case TokenKind::Tilde: op = UnaryOp::Invert; break;
    default: return parse_power();
  }
  // Fold `-3` and `-1e-05` into literals; this is also the only way to write
  // INT64_MIN, whose magnitude does not fit an int64.
  const Token& num = peek(1);
  if (op == UnaryOp::Neg && (num.kind == TokenKind::Int || num.kind == TokenKind::Float) &&
      !continues_operand(kind(2))) {
    next();
    next();
    if (num.kind == TokenKind::Float) {
      auto f = make<FloatExpr>(loc(t));
      f->value = -num.float_value;
      return f;
    }
    auto i = make<IntExpr>(loc(t));
    i->value = num.int_value == kInt64MinMagnitude ? std::numeric_limits<int64_t>::min()
                                                   : -static_cast<int64_t>(num.int_value);
    return i;
  }
  next();
  Nest nest(*this, t);
  auto u = make<UnaryExpr>(loc(t));
  u->op = op;
  u->operand = parse_unary();
  return u;
}

// `**` binds tighter than a unary operator on its left and looser on its right.
ExprPtr Parser::parse_power() {
  ExprPtr base = parse_primary();
  if (!at(TokenKind::DoubleStar)) return base;
  Nest nest(*this, next());
  auto b = make<BinaryExpr>(base->loc);
  b->op = BinaryOp::Pow;
  b->lhs = std::move(base);
  b->rhs = parse_unary();
  return b;
}

ExprPtr Parser::parse_primary() {
  ExprPtr e = parse_atom();
  Nest chain(*this);
  while (true) {
    if (at(TokenKind::Dot)) {
      chain.step(next());
      auto a = make<AttributeExpr>(e->loc);
      a->value = std::move(e);
      a->attr = expect(TokenKind::Name).text;
      e = std::move(a);
    } else if (at(TokenKind::LParen)) {
      chain.step(peek());
      e = parse_call(std::move(e));
    } else if (at(TokenKind::LBracket)) {
      chain.step(peek());
      e = parse_subscript(std::move(e));
    } else {
      return e;
    }
  }
}

ExprPtr Parser::parse_call(ExprPtr func) {
  next();  // (
  auto c = make<CallExpr>(func->loc);
  c->func = std::move(func);
  std::unordered_set<std::string> seen;
  while (!at(TokenKind::RParen)) {
    if (at(TokenKind::Star) || at(TokenKind::DoubleStar)) {
      fail(peek(), "argument unpacking (*args, **kwargs) is not supported");
    }
    if (at(TokenKind::Name) && kind(1) == TokenKind::Assign) {
      const Token& name = next();
      next();  // =
      if (!seen.insert(name.text).second)
        fail(name, "keyword argument '" + name.text + "' repeated");
      c->keywords.push_back({name.text, parse_expr(), loc(name)});
    } else {
      if (!c->keywords.empty()) fail(peek(), "positional argument follows keyword argument");
      c->args.push_back(parse_expr());
      if (at(TokenKind::KwFor)) fail(peek(), "generator expressions are not supported");
    }
    if (!accept(TokenKind::Comma)) break;
  }
  expect(TokenKind::RParen);
  return c;
}

ExprPtr Parser::parse_subscript(ExprPtr value) {
  next();  // [
  auto s = make<SubscriptExpr>(value->loc);
  s->value = std::move(value);
  if (at(TokenKind::RBracket)) fail(peek(), "expected an index but found ']'");
  while (!at(TokenKind::RBracket)) {
    s->indices.push_back(parse_subscript_item());
    if (!accept(TokenKind::Comma)) break;
  }
  expect(TokenKind::RBracket);
  return s;
}

// `e`, or a slice `[lower]:[upper][:[step]]`.
ExprPtr Parser::parse_subscript_item() {
  const Token& first = peek();
  ExprPtr lower;
  if (!at(TokenKind::Colon)) {
    lower = parse_expr();
    if (!at(TokenKind::Colon)) return lower;
  }
  next();  // :
  auto s = make<SliceExpr>(loc(first));
  s->lower = std::move(lower);
  auto ends_part = [&] {
    return at(TokenKind::Colon) || at(TokenKind::Comma) || at(TokenKind::RBracket);
  };
  if (!ends_part()) s->upper = parse_expr();
  if (accept(TokenKind::Colon) && !ends_part()) s->step = parse_expr();
  return s;
}

ExprPtr Parser::parse_atom() {
  const Token& t = peek();
  switch (t.kind) {
    case TokenKind::Name: {
      next();
      auto n = make<NameExpr>(loc(t));
      n->id = t.text;
      return n;
    }
    case TokenKind::KwTrue:
    case TokenKind::KwFalse: {
      next();
      auto b = make<BoolExpr>(loc(t));
      b->value = t.kind == TokenKind::KwTrue;
      return b;
    }
    case TokenKind::KwNone: next(); return make<NoneExpr>(loc(t));
    case TokenKind::Ellipsis: next(); return make<EllipsisExpr>(loc(t));
    case TokenKind::Int: {
      if (t.int_value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        fail(t, "integer literal '" + t.text + "' does not fit in 64 bits");
      }
      next();
      auto i = make<IntExpr>(loc(t));
      i->value = static_cast<int64_t>(t.int_value);
      return i;
    }
    case TokenKind::Float: {
      next();
      auto f = make<FloatExpr>(loc(t));
      f->value = t.float_value;
      return f;
    }
    case TokenKind::Imaginary: {
      next();
      auto f = make<ImaginaryExpr>(loc(t));
      f->value = t.float_value;
      return f;
    }
    case TokenKind::String: return parse_strings();
    case TokenKind::LParen: return parse_paren();
    case TokenKind::LBracket: return parse_list();
    case TokenKind::LBrace: return parse_dict();
    case TokenKind::KwLambda:
    case TokenKind::KwYield:
    case TokenKind::KwAwait: fail(t, "'" + t.text + "' is not supported");
    default: fail(t, "expected an expression but found " + describe_token(t));
  }
}

// Adjacent string literals are one string, as in Python.
ExprPtr Parser::parse_strings() {
  auto s = make<StringExpr>(loc(peek()));
  while (at(TokenKind::String)) s->value += next().text;
  return s;
}

// `(e)`, `()`, `(a,)`, `(a, b)`
ExprPtr Parser::parse_paren() {
  const Token& open = next();
  if (accept(TokenKind::RParen)) return make<TupleExpr>(loc(open));
  ExprPtr first = parse_expr();
  if (at(TokenKind::KwFor)) fail(peek(), "generator expressions are not supported");
  if (!at(TokenKind::Comma)) {
    expect(TokenKind::RParen);
    return first;
  }
  auto tuple = make<TupleExpr>(loc(open));
  tuple->elts.push_back(std::move(first));
  while (accept(TokenKind::Comma) && !at(TokenKind::RParen)) tuple->elts.push_back(parse_expr());
  expect(TokenKind::RParen);
  return tuple;
}

ExprPtr Parser::parse_list() {
  const Token& open = next();
  auto list = make<ListExpr>(loc(open));
  while (!at(TokenKind::RBracket)) {
    list->elts.push_back(parse_expr());
    if (at(TokenKind::KwFor)) fail(peek(), "list comprehensions are not supported");
    if (!accept(TokenKind::Comma)) break;
  }
  expect(TokenKind::RBracket);
  return list;
}

ExprPtr Parser::parse_dict() {
  const Token& open = next();
  auto dict = make<DictExpr>(loc(open));
  while (!at(TokenKind::RBrace)) {
    if (at(TokenKind::DoubleStar)) fail(peek(), "dict unpacking (**d) is not supported");
    ExprPtr key = parse_expr();
    if (at(TokenKind::Comma) || at(TokenKind::RBrace))
      fail(peek(), "set literals are not supported");
    if (at(TokenKind::KwFor)) fail(peek(), "set comprehensions are not supported");
    expect(TokenKind::Colon);
    dict->keys.push_back(std::move(key));
    dict->values.push_back(parse_expr());
    if (at(TokenKind::KwFor)) fail(peek(), "dict comprehensions are not supported");
    if (!accept(TokenKind::Comma)) break;
  }
  expect(TokenKind::RBrace);
  return dict;
}

}  // namespace wick::ts::detail

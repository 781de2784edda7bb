// The statement half of the TorchScript parser and its entry point.
#include "frontend/ts_parser.h"

#include <unordered_set>

#include "frontend/ts_parser_impl.h"

namespace wick::ts {

SourceFile parse_torchscript(std::string_view source, const std::string& file_name) {
  SourceFile file;
  file.source = SourceText(file_name, std::string(source));
  std::vector<Token> tokens = lex_torchscript(file.source);
  file.body = detail::Parser(file.source, std::move(tokens)).parse_file();
  return file;
}

namespace detail {

namespace {

// "a call", "an integer literal", "None": an expression kind inside a sentence.
std::string a_kind(ExprKind kind) {
  std::string name = expr_kind_name(kind);
  if (kind == ExprKind::None || kind == ExprKind::Ellipsis) return name;
  return (std::string("aeiou").find(name[0]) != std::string::npos ? "an " : "a ") + name;
}

}  // namespace

Parser::Parser(const SourceText& source, std::vector<Token> tokens)
    : src_(source), toks_(std::move(tokens)) {
  WICK_ASSERT(!toks_.empty() && toks_.back().kind == TokenKind::EndOfFile,
              "token stream must end with end of file");
}

void Parser::Nest::step(const Token& at) {
  ++steps_;
  if (++p_.depth_ > kMaxNestingDepth) {
    p_.fail(at, "nested too deeply (more than " + std::to_string(kMaxNestingDepth) +
                    " levels of brackets, operators or blocks)");
  }
}

const Token& Parser::peek(size_t k) const {
  size_t i = pos_ + k;
  return i < toks_.size() ? toks_[i] : toks_.back();
}

const Token& Parser::next() {
  const Token& t = peek();
  if (pos_ + 1 < toks_.size()) ++pos_;  // stay on EndOfFile
  return t;
}

bool Parser::accept(TokenKind k) {
  if (!at(k)) return false;
  next();
  return true;
}

const Token& Parser::expect(TokenKind k) {
  if (at(k)) return next();
  fail(peek(),
       "expected " + std::string(token_kind_name(k)) + " but found " + describe_token(peek()));
}

void Parser::fail(const Token& at, std::string message) const {
  throw src_.error(loc(at), std::move(message));
}

void Parser::fail_at(const SourceLocation& where, std::string message) const {
  throw src_.error(where, std::move(message));
}

Block Parser::parse_file() {
  Block body;
  while (!at(TokenKind::EndOfFile)) parse_statement(body);
  return body;
}

void Parser::parse_statement(Block& out) {
  switch (kind()) {
    case TokenKind::KwIf: out.push_back(parse_if()); return;
    case TokenKind::KwFor: out.push_back(parse_for()); return;
    case TokenKind::KwWhile: out.push_back(parse_while()); return;
    case TokenKind::KwWith: out.push_back(parse_with()); return;
    case TokenKind::KwDef: out.push_back(parse_def()); return;
    case TokenKind::KwClass: out.push_back(parse_class()); return;
    case TokenKind::At: fail(peek(), "decorators are not supported");
    case TokenKind::Indent: fail(peek(), "unexpected indent");
    default: parse_simple_statements(out); return;
  }
}

// simple_stmt (';' simple_stmt)* [';'] NEWLINE
void Parser::parse_simple_statements(Block& out) {
  while (true) {
    out.push_back(parse_simple_statement());
    if (!accept(TokenKind::Semicolon) || at(TokenKind::Newline)) break;
  }
  expect(TokenKind::Newline);
}

bool Parser::at_statement_end() const {
  return at(TokenKind::Newline) || at(TokenKind::Semicolon) || at(TokenKind::EndOfFile);
}

StmtPtr Parser::parse_simple_statement() {
  const Token& t = peek();
  switch (t.kind) {
    case TokenKind::KwPass: next(); return make<PassStmt>(loc(t));
    case TokenKind::KwBreak: next(); return make<BreakStmt>(loc(t));
    case TokenKind::KwContinue: next(); return make<ContinueStmt>(loc(t));
    case TokenKind::KwReturn: {
      next();
      auto s = make<ReturnStmt>(loc(t));
      if (!at_statement_end()) s->value = parse_expr_list();
      return s;
    }
    case TokenKind::KwRaise: {
      next();
      auto s = make<RaiseStmt>(loc(t));
      if (!at_statement_end()) s->exc = parse_expr();
      if (at(TokenKind::KwFrom)) fail(peek(), "'raise ... from ...' is not supported");
      return s;
    }
    case TokenKind::KwAssert: {
      next();
      auto s = make<AssertStmt>(loc(t));
      s->test = parse_expr();
      if (accept(TokenKind::Comma)) s->msg = parse_expr();
      return s;
    }
    case TokenKind::KwDel: {
      next();
      auto s = make<DelStmt>(loc(t));
      do {
        ExprPtr target = parse_binary(1);
        check_target(*target, "delete");
        s->targets.push_back(std::move(target));
      } while (accept(TokenKind::Comma) && starts_expression(kind()));
      return s;
    }
    case TokenKind::KwGlobal: {
      next();
      auto s = make<GlobalStmt>(loc(t));
      do {
        s->names.push_back(expect(TokenKind::Name).text);
      } while (accept(TokenKind::Comma));
      return s;
    }
    case TokenKind::KwImport: return parse_import();
    case TokenKind::KwFrom: return parse_from_import();
    case TokenKind::KwNonlocal:
    case TokenKind::KwYield:
    case TokenKind::KwAwait:
    case TokenKind::KwAsync:
    case TokenKind::KwTry:
    case TokenKind::KwExcept:
    case TokenKind::KwFinally:
    case TokenKind::KwLambda: fail(t, "'" + t.text + "' is not supported");
    case TokenKind::KwElif:
    case TokenKind::KwElse: fail(t, "'" + t.text + "' without a matching 'if'");
    default: return parse_expression_statement();
  }
}

// `e`, `t = v`, `t : T = v`, `t : T`, `t op= v`
StmtPtr Parser::parse_expression_statement() {
  const Token& first = peek();
  ExprPtr e = parse_expr_list();
  if (accept(TokenKind::Colon)) {
    if (!e->is<NameExpr>() && !e->is<AttributeExpr>() && !e->is<SubscriptExpr>()) {
      fail_at(e->loc,
              "only a name, attribute or subscript can be annotated, not " + a_kind(e->kind));
    }
    auto s = make<AssignStmt>(loc(first));
    s->target = std::move(e);
    s->annotation = parse_expr();
    if (accept(TokenKind::Assign)) s->value = parse_expr_list();
    return s;
  }
  if (accept(TokenKind::Assign)) {
    check_target(*e, "assign to");
    auto s = make<AssignStmt>(loc(first));
    s->target = std::move(e);
    s->value = parse_expr_list();
    if (at(TokenKind::Assign)) fail(peek(), "chained assignment (a = b = c) is not supported");
    return s;
  }
  BinaryOp op;
  switch (kind()) {
    case TokenKind::PlusAssign: op = BinaryOp::Add; break;
    case TokenKind::MinusAssign: op = BinaryOp::Sub; break;
    case TokenKind::StarAssign: op = BinaryOp::Mul; break;
    case TokenKind::SlashAssign: op = BinaryOp::Div; break;
    case TokenKind::DoubleSlashAssign: op = BinaryOp::FloorDiv; break;
    case TokenKind::PercentAssign: op = BinaryOp::Mod; break;
    case TokenKind::DoubleStarAssign: op = BinaryOp::Pow; break;
    case TokenKind::AtAssign: op = BinaryOp::MatMul; break;
    case TokenKind::AmpAssign: op = BinaryOp::BitAnd; break;
    case TokenKind::PipeAssign: op = BinaryOp::BitOr; break;
    case TokenKind::CaretAssign: op = BinaryOp::BitXor; break;
    case TokenKind::LShiftAssign: op = BinaryOp::LShift; break;
    case TokenKind::RShiftAssign: op = BinaryOp::RShift; break;
    default: {
      auto s = make<ExprStmt>(loc(first));
      s->expr = std::move(e);
      return s;
    }
  }
  const Token& op_token = next();
  if (!e->is<NameExpr>() && !e->is<AttributeExpr>() && !e->is<SubscriptExpr>()) {
    fail(op_token, "cannot use '" + op_token.text + "' on " + a_kind(e->kind));
  }
  auto s = make<AugAssignStmt>(loc(first));
  s->target = std::move(e);
  s->op = op;
  s->value = parse_expr_list();
  return s;
}

void Parser::check_target(const Expr& e, const char* verb) const {
  switch (e.kind) {
    case ExprKind::Name:
    case ExprKind::Attribute:
    case ExprKind::Subscript: return;
    case ExprKind::Tuple:
    case ExprKind::List: {
      const auto& elts = e.is<TupleExpr>() ? e.as<TupleExpr>().elts : e.as<ListExpr>().elts;
      if (elts.empty()) {
        fail_at(e.loc, std::string("cannot ") + verb + " an empty " + expr_kind_name(e.kind));
      }
      for (const ExprPtr& x : elts) check_target(*x, verb);
      return;
    }
    default: fail_at(e.loc, std::string("cannot ") + verb + " " + a_kind(e.kind));
  }
}

// After the ':' of a compound statement: an indented block, or simple
// statements on the same line.
Block Parser::parse_suite(const char* what) {
  Block body;
  if (!accept(TokenKind::Newline)) {
    parse_simple_statements(body);
    return body;
  }
  if (!at(TokenKind::Indent)) {
    fail(peek(), std::string("expected an indented block after ") + what + " but found " +
                     describe_token(peek()));
  }
  Nest nest(*this, next());
  while (!at(TokenKind::Dedent) && !at(TokenKind::EndOfFile)) parse_statement(body);
  expect(TokenKind::Dedent);
  return body;
}

StmtPtr Parser::parse_if() {
  const Token& kw = next();
  auto top = make<IfStmt>(loc(kw));
  top->cond = parse_expr();
  expect(TokenKind::Colon);
  top->then_body = parse_suite("'if'");
  IfStmt* last = top.get();
  Nest chain(*this);  // each elif nests one level deeper in the tree
  while (at(TokenKind::KwElif)) {
    const Token& elif = next();
    chain.step(elif);
    auto s = make<IfStmt>(loc(elif));
    s->cond = parse_expr();
    expect(TokenKind::Colon);
    s->then_body = parse_suite("'elif'");
    IfStmt* raw = s.get();
    last->else_body.push_back(std::move(s));
    last = raw;
  }
  if (accept(TokenKind::KwElse)) {
    expect(TokenKind::Colon);
    last->else_body = parse_suite("'else'");
  }
  return top;
}

StmtPtr Parser::parse_for() {
  const Token& kw = next();
  auto s = make<ForStmt>(loc(kw));
  s->target = parse_target_list();
  check_target(*s->target, "assign to");
  expect(TokenKind::KwIn);
  s->iter = parse_expr_list();
  expect(TokenKind::Colon);
  s->body = parse_suite("'for'");
  if (at(TokenKind::KwElse)) fail(peek(), "'else' after a loop is not supported");
  return s;
}

StmtPtr Parser::parse_while() {
  const Token& kw = next();
  auto s = make<WhileStmt>(loc(kw));
  s->cond = parse_expr();
  expect(TokenKind::Colon);
  s->body = parse_suite("'while'");
  if (at(TokenKind::KwElse)) fail(peek(), "'else' after a loop is not supported");
  return s;
}

StmtPtr Parser::parse_with() {
  const Token& kw = next();
  auto s = make<WithStmt>(loc(kw));
  do {
    WithItem item;
    item.context = parse_expr();
    if (accept(TokenKind::KwAs)) {
      item.target = parse_binary(1);
      check_target(*item.target, "assign to");
    }
    s->items.push_back(std::move(item));
  } while (accept(TokenKind::Comma));
  expect(TokenKind::Colon);
  s->body = parse_suite("'with'");
  return s;
}

StmtPtr Parser::parse_def() {
  const Token& kw = next();
  auto s = make<FunctionDef>(loc(kw));
  s->name = expect(TokenKind::Name).text;
  expect(TokenKind::LParen);
  std::unordered_set<std::string> seen;
  bool seen_default = false;
  while (!at(TokenKind::RParen)) {
    if (at(TokenKind::Star) || at(TokenKind::DoubleStar) || at(TokenKind::Slash)) {
      fail(peek(), "variadic, keyword-only and positional-only parameters are not supported");
    }
    const Token& name = expect(TokenKind::Name);
    Param p{name.text, nullptr, nullptr, loc(name)};
    if (!seen.insert(p.name).second) fail(name, "duplicate parameter '" + p.name + "'");
    if (accept(TokenKind::Colon)) p.annotation = parse_expr();
    if (accept(TokenKind::Assign)) {
      p.default_value = parse_expr();
      seen_default = true;
    } else if (seen_default) {
      fail(name, "parameter '" + p.name + "' without a default follows a parameter with one");
    }
    s->params.push_back(std::move(p));
    if (!accept(TokenKind::Comma)) break;
  }
  expect(TokenKind::RParen);
  if (accept(TokenKind::Arrow)) s->return_annotation = parse_expr();
  expect(TokenKind::Colon);
  s->body = parse_suite("function definition");
  return s;
}

StmtPtr Parser::parse_class() {
  const Token& kw = next();
  auto s = make<ClassDef>(loc(kw));
  s->name = expect(TokenKind::Name).text;
  if (accept(TokenKind::LParen)) {
    while (!at(TokenKind::RParen)) {
      if (at(TokenKind::Name) && kind(1) == TokenKind::Assign) {
        fail(peek(), "keyword arguments in a class definition are not supported");
      }
      s->bases.push_back(parse_expr());
      if (!accept(TokenKind::Comma)) break;
    }
    expect(TokenKind::RParen);
  }
  expect(TokenKind::Colon);
  s->body = parse_suite("class definition");
  return s;
}

std::string Parser::parse_dotted_name() {
  std::string name = expect(TokenKind::Name).text;
  while (accept(TokenKind::Dot)) name += "." + expect(TokenKind::Name).text;
  return name;
}

// import a.b.c [as x] (, ...)*
StmtPtr Parser::parse_import() {
  const Token& kw = next();
  auto s = make<ImportStmt>(loc(kw));
  do {
    ImportName n;
    n.loc = loc(peek());
    n.name = parse_dotted_name();
    if (accept(TokenKind::KwAs)) n.alias = expect(TokenKind::Name).text;
    s->names.push_back(std::move(n));
  } while (accept(TokenKind::Comma));
  return s;
}

// from a.b import c [as d] (, ...)*   or   from a.b import (c, d,)
StmtPtr Parser::parse_from_import() {
  const Token& kw = next();
  auto s = make<ImportFromStmt>(loc(kw));
  if (at(TokenKind::Dot) || at(TokenKind::Ellipsis))
    fail(peek(), "relative imports are not supported");
  s->module = parse_dotted_name();
  expect(TokenKind::KwImport);
  if (at(TokenKind::Star)) fail(peek(), "'import *' is not supported");
  bool paren = accept(TokenKind::LParen);
  do {
    if (paren && at(TokenKind::RParen)) break;
    ImportName n;
    const Token& name = expect(TokenKind::Name);
    n.loc = loc(name);
    n.name = name.text;
    if (accept(TokenKind::KwAs)) n.alias = expect(TokenKind::Name).text;
    s->names.push_back(std::move(n));
  } while (accept(TokenKind::Comma));
  if (paren) expect(TokenKind::RParen);
  return s;
}

}  // namespace detail
}  // namespace wick::ts

// The recursive-descent parser behind parse_torchscript(), shared by its two
// halves: statements (ts_parser.cpp) and expressions (ts_parse_expr.cpp).
// Internal to frontend/.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "frontend/ts_ast.h"
#include "frontend/ts_lexer.h"

namespace wick::ts::detail {

class Parser {
 public:
  Parser(const SourceText& source, std::vector<Token> tokens);

  Block parse_file();

 private:
  // Counts nesting levels while alive; throws past kMaxNestingDepth. Left-
  // associative loops call step() once per operator, since each step makes
  // the tree one level deeper.
  class Nest {
   public:
    explicit Nest(Parser& p) : p_(p) {}
    Nest(Parser& p, const Token& at) : p_(p) { step(at); }
    ~Nest() { p_.depth_ -= steps_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;
    void step(const Token& at);

   private:
    Parser& p_;
    int steps_ = 0;
  };

  // Tokens.
  const Token& peek(size_t k = 0) const;
  TokenKind kind(size_t k = 0) const { return peek(k).kind; }
  bool at(TokenKind k) const { return kind() == k; }
  const Token& next();
  bool accept(TokenKind k);
  const Token& expect(TokenKind k);
  SourceLocation loc(const Token& t) const { return src_.location(t.line, t.column); }
  [[noreturn]] void fail(const Token& at, std::string message) const;
  [[noreturn]] void fail_at(const SourceLocation& where, std::string message) const;

  template <class T>
  static std::unique_ptr<T> make(SourceLocation where) {
    return std::make_unique<T>(std::move(where));
  }

  // Statements (ts_parser.cpp).
  void parse_statement(Block& out);
  void parse_simple_statements(Block& out);
  StmtPtr parse_simple_statement();
  StmtPtr parse_expression_statement();
  Block parse_suite(const char* what);
  StmtPtr parse_if();
  StmtPtr parse_for();
  StmtPtr parse_while();
  StmtPtr parse_with();
  StmtPtr parse_def();
  StmtPtr parse_class();
  StmtPtr parse_import();
  StmtPtr parse_from_import();
  std::string parse_dotted_name();
  bool at_statement_end() const;
  void check_target(const Expr& e, const char* verb) const;

  // Expressions (ts_parse_expr.cpp).
  ExprPtr parse_expr();         // a conditional expression or anything below it
  ExprPtr parse_expr_list();    // `a, b` (a Tuple) or a single expression
  ExprPtr parse_target_list();  // like parse_expr_list, without comparisons (for `for`/`del`)
  ExprPtr parse_or();
  ExprPtr parse_and();
  ExprPtr parse_not();
  ExprPtr parse_comparison();
  ExprPtr parse_binary(int min_precedence);
  ExprPtr parse_unary();
  ExprPtr parse_power();
  ExprPtr parse_primary();
  ExprPtr parse_atom();
  ExprPtr parse_call(ExprPtr func);
  ExprPtr parse_subscript(ExprPtr value);
  ExprPtr parse_subscript_item();
  ExprPtr parse_paren();
  ExprPtr parse_list();
  ExprPtr parse_dict();
  ExprPtr parse_strings();
  static bool starts_expression(TokenKind k);

  const SourceText& src_;
  std::vector<Token> toks_;  // ends with EndOfFile
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace wick::ts::detail

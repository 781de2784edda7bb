// Tokens of the IR text form, with line:column positions for parse errors.
#pragma once

#include <string>
#include <string_view>

#include "support/error.h"

namespace wick::ir {

enum class Tok : uint8_t {
  eof,
  percent_name,  // %x.1  (text holds "x.1")
  at_name,       // @forward (text holds "forward")
  ident,         // Tensor, f32, prim::Constant, aten::add.Tensor, block0, true
  integer,       // 42, -3
  floating,      // 1.5, -1e-05 (inf and nan are identifiers)
  string,        // "..." with escapes decoded
  punct,         // one of ( ) [ ] { } , : = * ? and "->"
};

struct Token {
  Tok kind = Tok::eof;
  std::string text;
  int line = 1;
  int column = 1;
};

class TextLexer {
 public:
  TextLexer(std::string_view text, std::string file);
  const Token& peek() const { return current_; }
  Token next();
  const std::string& file() const { return file_; }
  // The text of a 1-based line, for error messages.
  std::string line_text(int line) const;
  [[noreturn]] void fail(const Token& at, const std::string& message) const;

 private:
  Token lex();
  std::string_view text_;
  std::string file_;
  size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
  Token current_;
};

std::string describe(const Token& t);  // for "found ..." in messages

}  // namespace wick::ir

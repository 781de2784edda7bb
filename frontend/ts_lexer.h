// Tokens of the Python subset that torch.jit.save writes under `code/`.
//
// The lexer follows Python's rules where the printer relies on them: logical
// lines end in NEWLINE, indentation (spaces only) becomes INDENT/DEDENT, line
// breaks inside brackets are ignored, a backslash joins lines, adjacent
// string literals stay separate tokens (the parser joins them). It reads the
// whole file up front so the parser can look ahead freely; bad input raises
// wick::Error with file:line:column and the line's text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "frontend/ts_source.h"

namespace wick::ts {

// Keywords: X(kind, spelling). Python keywords TorchScript never writes
// (lambda, try, yield, ...) are still keywords so that they cannot be names.
#define WICK_TS_KEYWORDS(X)                                                       \
  X(KwAnd, "and") X(KwAs, "as") X(KwAssert, "assert") X(KwAsync, "async")         \
  X(KwAwait, "await") X(KwBreak, "break") X(KwClass, "class")                     \
  X(KwContinue, "continue") X(KwDef, "def") X(KwDel, "del") X(KwElif, "elif")     \
  X(KwElse, "else") X(KwExcept, "except") X(KwFalse, "False")                     \
  X(KwFinally, "finally") X(KwFor, "for") X(KwFrom, "from") X(KwGlobal, "global") \
  X(KwIf, "if") X(KwImport, "import") X(KwIn, "in") X(KwIs, "is")                 \
  X(KwLambda, "lambda") X(KwNone, "None") X(KwNonlocal, "nonlocal")               \
  X(KwNot, "not") X(KwOr, "or") X(KwPass, "pass") X(KwRaise, "raise")             \
  X(KwReturn, "return") X(KwTrue, "True") X(KwTry, "try") X(KwWhile, "while")     \
  X(KwWith, "with") X(KwYield, "yield")

// Operators and delimiters: X(kind, spelling).
#define WICK_TS_OPERATORS(X)                                                      \
  X(LParen, "(") X(RParen, ")") X(LBracket, "[") X(RBracket, "]")                 \
  X(LBrace, "{") X(RBrace, "}") X(Comma, ",") X(Colon, ":") X(Semicolon, ";")     \
  X(Dot, ".") X(Ellipsis, "...") X(Arrow, "->") X(Assign, "=") X(Plus, "+")       \
  X(Minus, "-") X(Star, "*") X(Slash, "/") X(DoubleSlash, "//") X(Percent, "%")   \
  X(DoubleStar, "**") X(At, "@") X(Amp, "&") X(Pipe, "|") X(Caret, "^")           \
  X(Tilde, "~") X(LShift, "<<") X(RShift, ">>") X(Eq, "==") X(NotEq, "!=")        \
  X(Less, "<") X(LessEq, "<=") X(Greater, ">") X(GreaterEq, ">=")                 \
  X(PlusAssign, "+=") X(MinusAssign, "-=") X(StarAssign, "*=")                    \
  X(SlashAssign, "/=") X(DoubleSlashAssign, "//=") X(PercentAssign, "%=")         \
  X(DoubleStarAssign, "**=") X(AtAssign, "@=") X(AmpAssign, "&=")                 \
  X(PipeAssign, "|=") X(CaretAssign, "^=") X(LShiftAssign, "<<=")                 \
  X(RShiftAssign, ">>=")

enum class TokenKind : uint8_t {
  Newline,    // end of a logical line
  Indent,     // a line indented deeper than the previous one
  Dedent,     // one per indentation level closed
  EndOfFile,
  Name,       // identifier
  Int,        // integer literal; value in Token::int_value
  Float,      // float literal; value in Token::float_value
  Imaginary,  // `2.j`: imaginary part in Token::float_value
  String,     // decoded value in Token::text
#define WICK_TS_KIND(kind, spelling) kind,
  WICK_TS_KEYWORDS(WICK_TS_KIND) WICK_TS_OPERATORS(WICK_TS_KIND)
#undef WICK_TS_KIND
};

struct Token {
  TokenKind kind = TokenKind::EndOfFile;
  int line = 0;    // 1-based
  int column = 0;  // 1-based, in bytes
  // Name: the identifier. String: the decoded value. Numbers: the spelling.
  // Keywords and operators: the spelling.
  std::string text;
  // Int: the magnitude, at most 2^63 (INT64_MIN's magnitude, for `-9223372036854775808`).
  uint64_t int_value = 0;
  double float_value = 0;  // Float and Imaginary
};

std::vector<Token> lex_torchscript(const SourceText& source);

// "')'", "'def'", "newline", "name", ...: what a parser expected.
std::string_view token_kind_name(TokenKind kind);
// "')'", "name 'x'", "number '1.5'", "end of file", ...: what a parser found.
std::string describe_token(const Token& token);

}  // namespace wick::ts

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "frontend/ts_lexer.h"

namespace wick::ts {
namespace {

std::vector<Token> lex(const std::string& text) {
  return lex_torchscript(SourceText("test.py", text));
}

// One word per token: names and spellings as themselves, literals tagged.
std::string summary(const std::string& text) {
  std::string out;
  for (const Token& t : lex(text)) {
    if (!out.empty()) out += " ";
    switch (t.kind) {
      case TokenKind::Newline: out += "NL"; break;
      case TokenKind::Indent: out += "INDENT"; break;
      case TokenKind::Dedent: out += "DEDENT"; break;
      case TokenKind::EndOfFile: out += "EOF"; break;
      case TokenKind::Int: out += "int:" + std::to_string(t.int_value); break;
      case TokenKind::Float: out += "float:" + t.text; break;
      case TokenKind::Imaginary: out += "imag:" + t.text; break;
      case TokenKind::String: out += "str:" + t.text; break;
      default: out += t.text;
    }
  }
  return out;
}

// Lexing `text` fails with `message` at line:column, and the error names the
// file and quotes the line.
void expect_error(const std::string& text, const std::string& message, int line, int column) {
  try {
    lex(text);
    ADD_FAILURE() << "no error for: " << text;
  } catch (const Error& e) {
    EXPECT_NE(e.message().find(message), std::string::npos) << e.what();
    EXPECT_EQ(e.where().file, "test.py");
    EXPECT_EQ(e.where().line, line) << e.what();
    EXPECT_EQ(e.where().column, column) << e.what();
    std::string where = "test.py:" + std::to_string(line) + ":" + std::to_string(column) + ": ";
    EXPECT_EQ(std::string(e.what()).rfind(where, 0), 0u) << e.what();
    // The quoted line is the source line, control bytes shown as '?'.
    SourceText src("test.py", text);
    std::string_view expected = src.line(line);
    ASSERT_EQ(e.source_line().size(), expected.size()) << e.what();
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_TRUE(e.source_line()[i] == expected[i] || e.source_line()[i] == '?') << e.what();
    }
  }
}

TEST(TsLexer, SimpleStatement) {
  EXPECT_EQ(summary("x = f(a, 1)\n"), "x = f ( a , int:1 ) NL EOF");
  EXPECT_EQ(summary(""), "EOF");
  EXPECT_EQ(summary("\n\n"), "EOF");
}

TEST(TsLexer, IndentAndDedent) {
  EXPECT_EQ(summary("if a:\n  b\n  if c:\n    d\ne\n"),
            "if a : NL INDENT b NL if c : NL INDENT d NL DEDENT DEDENT e NL EOF");
}

TEST(TsLexer, DedentsAndNewlineAtEndOfFileWithoutLineBreak) {
  EXPECT_EQ(summary("def f():\n  return 1"), "def f ( ) : NL INDENT return int:1 NL DEDENT EOF");
}

TEST(TsLexer, BlankAndCommentLinesDoNotChangeIndentation) {
  EXPECT_EQ(summary("if a:\n  b\n\n      # comment\n \n  c # trailing\nd\n"),
            "if a : NL INDENT b NL c NL DEDENT d NL EOF");
}

TEST(TsLexer, BracketsJoinLinesAndIgnoreIndentation) {
  EXPECT_EQ(summary("def f(self,\n    x: Tensor,\n) -> Tensor:\n  pass\n"),
            "def f ( self , x : Tensor , ) -> Tensor : NL INDENT pass NL DEDENT EOF");
  EXPECT_EQ(summary("x = [1,\n# comment\n\n 2]\n"), "x = [ int:1 , int:2 ] NL EOF");
}

TEST(TsLexer, BackslashJoinsLines) {
  EXPECT_EQ(summary("x = 1 + \\\n      2\n"), "x = int:1 + int:2 NL EOF");
}

TEST(TsLexer, CrLfAndCrLineBreaks) {
  auto toks = lex("a\r\nb\rc\n");
  ASSERT_EQ(summary("a\r\nb\rc\n"), "a NL b NL c NL EOF");
  EXPECT_EQ(toks[2].line, 2);
  EXPECT_EQ(toks[4].line, 3);
}

TEST(TsLexer, Integers) {
  EXPECT_EQ(summary("0 00 12 0x1F 0o17 0b101 9223372036854775807"),
            "int:0 int:0 int:12 int:31 int:15 int:5 int:9223372036854775807 NL EOF");
  // INT64_MIN's magnitude lexes, so that the parser can fold `-9223372036854775808`.
  EXPECT_EQ(lex("9223372036854775808")[0].int_value, uint64_t{1} << 63);
}

TEST(TsLexer, FloatsAndImaginaryNumbers) {
  auto toks = lex("1.5 1. .5 1e-05 1.0000000000000001e-05 1E+10 0.10000000000000001 2.j 3j 1e400");
  ASSERT_EQ(toks.size(), 12u);
  double expected[] = {1.5, 1.0, 0.5, 1e-05, 1e-05, 1e10, 0.1, 2.0, 3.0};
  for (int i = 0; i < 9; ++i) {
    EXPECT_EQ(toks[i].kind, i < 7 ? TokenKind::Float : TokenKind::Imaginary) << i;
    EXPECT_EQ(toks[i].float_value, expected[i]) << i;
  }
  EXPECT_EQ(toks[0].text, "1.5");
  EXPECT_TRUE(std::isinf(toks[9].float_value));  // as in Python
}

TEST(TsLexer, StringEscapes) {
  auto value = [](const std::string& text) {
    auto toks = lex(text);
    EXPECT_EQ(toks[0].kind, TokenKind::String) << text;
    return toks[0].text;
  };
  EXPECT_EQ(value(R"("a\nb\tc\\d\"e\'f")"), "a\nb\tc\\d\"e'f");
  EXPECT_EQ(value(R"('don\'t')"), "don't");
  EXPECT_EQ(value(R"("a\001b\0c\177")"), std::string("a\001b") + '\0' + "c\177");
  EXPECT_EQ(value(R"("\x41\u00e9\U0001F600")"), "A\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(value(R"("\a\b\f\v\r")"), "\a\b\f\v\r");
  EXPECT_EQ(value("\"ab\\\ncd\""), "abcd");  // backslash-newline continues the literal
  EXPECT_EQ(value(R"(r"\n\"")"), "\\n\\\"");
  EXPECT_EQ(value("'''one\n'two'\n\"\"three'''"), "one\n'two'\n\"\"three");
  EXPECT_EQ(value("\"\"\"x\"\"\""), "x");
  EXPECT_EQ(value("''"), "");
}

TEST(TsLexer, AdjacentStringsStaySeparateTokens) {
  EXPECT_EQ(summary("'it' \"s\""), "str:it str:s NL EOF");
}

TEST(TsLexer, OperatorsUseLongestMatch) {
  EXPECT_EQ(summary("a**=b//=c->d<=e>>=f!=g**h//i<<j>=k==l...m@n|o^p&q~r%s+=t-=u*=v/=w"),
            "a **= b //= c -> d <= e >>= f != g ** h // i << j >= k == l ... m @ n | o ^ p & q "
            "~ r % s += t -= u *= v /= w NL EOF");
  EXPECT_EQ(summary("x[...,-1]"), "x [ ... , - int:1 ] NL EOF");
}

TEST(TsLexer, KeywordsAreNotNames) {
  auto toks = lex("if iff not notx None NoneType is in and or");
  EXPECT_EQ(toks[0].kind, TokenKind::KwIf);
  EXPECT_EQ(toks[1].kind, TokenKind::Name);
  EXPECT_EQ(toks[2].kind, TokenKind::KwNot);
  EXPECT_EQ(toks[3].kind, TokenKind::Name);
  EXPECT_EQ(toks[4].kind, TokenKind::KwNone);
  EXPECT_EQ(toks[5].kind, TokenKind::Name);
  EXPECT_EQ(toks[6].kind, TokenKind::KwIs);
  EXPECT_EQ(toks[9].kind, TokenKind::KwOr);
}

TEST(TsLexer, TokensCarryLineAndColumn) {
  auto toks = lex("x = 1\n\ny  =  'a'\n  # c\nif z:\n    w\n");
  // x = 1 NL y = 'a' NL if z : NL INDENT w ...
  EXPECT_EQ(toks[4].text, "y");
  EXPECT_EQ(toks[4].line, 3);
  EXPECT_EQ(toks[4].column, 1);
  EXPECT_EQ(toks[5].column, 4);
  EXPECT_EQ(toks[6].kind, TokenKind::String);
  EXPECT_EQ(toks[6].column, 7);
  EXPECT_EQ(toks[12].kind, TokenKind::Indent);
  EXPECT_EQ(toks[12].line, 6);
  EXPECT_EQ(toks[12].column, 5);
  EXPECT_EQ(toks[13].text, "w");
  EXPECT_EQ(toks[13].column, 5);
}

TEST(TsLexer, DescribesTokensForMessages) {
  auto toks = lex("x 1.5 'a' ()\n");
  EXPECT_EQ(describe_token(toks[0]), "name 'x'");
  EXPECT_EQ(describe_token(toks[1]), "number '1.5'");
  EXPECT_EQ(describe_token(toks[2]), "string literal");
  EXPECT_EQ(describe_token(toks[4]), "')'");
  EXPECT_EQ(describe_token(toks[5]), "newline");
  EXPECT_EQ(token_kind_name(TokenKind::KwDef), "'def'");
  EXPECT_EQ(token_kind_name(TokenKind::EndOfFile), "end of file");
}

TEST(TsLexerErrors, UnterminatedString) {
  expect_error("x = 'abc\ny = 1\n", "unterminated string literal", 1, 5);
  expect_error("x = \"abc", "unterminated string literal", 1, 5);
  expect_error("x = '''abc\n\ny = 1\n", "unterminated triple-quoted string literal", 1, 5);
  expect_error("x = 'abc\\", "unterminated string literal", 1, 5);
}

TEST(TsLexerErrors, BadEscapes) {
  expect_error("x = 'a\\qb'\n", "invalid escape sequence \\'q'", 1, 7);
  expect_error("x = '\\x4'\n", "truncated \\x escape", 1, 6);
  expect_error("x = '\\777'\n", "octal escape out of range", 1, 6);
  expect_error("x = '\\ud800'\n", "invalid unicode code point", 1, 6);
  expect_error("x = b'ab'\n", "byte string literals are not supported", 1, 5);
  expect_error("x = f'{a}'\n", "f-strings are not supported", 1, 5);
}

TEST(TsLexerErrors, DedentToUnknownLevel) {
  expect_error("if a:\n    b\n  c\n", "unindent does not match any outer indentation level", 3, 3);
}

TEST(TsLexerErrors, TabInIndentation) { expect_error("if a:\n\tb\n", "tab in indentation", 2, 1); }

TEST(TsLexerErrors, UnclosedBracketAtEndOfFile) {
  expect_error("x = f(a,\n      [b,\n", "'[' was never closed", 2, 7);
  expect_error("def f(self,\n", "'(' was never closed", 1, 6);
}

TEST(TsLexerErrors, MismatchedBrackets) {
  expect_error("x = f(a]\n", "closing ']' does not match '(' opened at line 1, column 6", 1, 8);
  expect_error("x = a)\n", "unmatched ')'", 1, 6);
}

TEST(TsLexerErrors, BadNumbers) {
  expect_error("x = 0x\n", "no digits", 1, 5);
  expect_error("x = 1e\n", "missing exponent digits", 1, 5);
  expect_error("x = 012\n", "leading zeros", 1, 5);
  expect_error("x = 18446744073709551616\n", "does not fit in 64 bits", 1, 5);
  expect_error("x = 9223372036854775809\n", "does not fit in 64 bits", 1, 5);
  expect_error("x = 1abc\n", "invalid number literal '1a...'", 1, 5);
  expect_error("x = 0b102\n", "invalid digit '2'", 1, 5);
}

TEST(TsLexerErrors, UnexpectedCharacters) {
  expect_error("x = a $ b\n", "unexpected character '$'", 1, 7);
  expect_error("x = a ! b\n", "unexpected character '!'", 1, 7);
  expect_error("x = \x80\n", "unexpected character byte 0x80", 1, 5);
  expect_error(std::string("x = a\0b\n", 8), "unexpected character byte 0x00", 1, 6);
  expect_error("x = 1 \\ 2\n", "unexpected character after line continuation", 1, 7);
  expect_error("x = 1 \\", "unexpected end of file after line continuation", 1, 7);
}

TEST(TsLexerErrors, QuotedLineIsPrintable) {
  try {
    lex("x = \x01\x02 $\n");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.source_line(), "x = ?? $");
  }
}

}  // namespace
}  // namespace wick::ts

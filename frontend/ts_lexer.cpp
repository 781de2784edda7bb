#include "frontend/ts_lexer.h"

#include <array>
#include <charconv>
#include <cstdlib>
#include <string>

namespace wick::ts {

namespace {

struct Spelling {
  std::string_view text;
  TokenKind kind;
};

constexpr Spelling kKeywords[] = {
#define WICK_TS_SPELLING(kind, spelling) {spelling, TokenKind::kind},
    WICK_TS_KEYWORDS(WICK_TS_SPELLING)};

constexpr Spelling kOperators[] = {WICK_TS_OPERATORS(WICK_TS_SPELLING)
#undef WICK_TS_SPELLING
};

constexpr uint64_t kMaxIntMagnitude = uint64_t{1} << 63;

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}

// A character as it should appear in a message: printable ASCII as itself in
// quotes, anything else as a byte value.
std::string show_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  static const char* hex = "0123456789abcdef";
  return std::string("byte 0x") + hex[u >> 4] + hex[u & 15];
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

class Lexer {
 public:
  explicit Lexer(const SourceText& source) : src_(source), s_(source.content()) {}

  std::vector<Token> run() {
    while (true) {
      if (at_line_start_ && brackets_.empty()) handle_indentation();
      while (peek() == ' ' || peek() == '\t' || peek() == '\f') ++pos_;
      if (at_end()) break;
      char c = peek();
      if (c == '#') {
        while (!at_end() && !at_line_break()) ++pos_;
      } else if (c == '\\') {
        line_continuation();
      } else if (at_line_break()) {
        if (brackets_.empty() && !at_line_start_) {
          push(TokenKind::Newline, line_, column(), "");
          at_line_start_ = true;
        }
        consume_line_break();
      } else {
        lex_token();
        at_line_start_ = false;
      }
    }
    finish();
    return std::move(out_);
  }

 private:
  struct OpenBracket {
    char ch;
    int line;
    int column;
  };

  [[noreturn]] void fail(int line, int column, std::string message) const {
    throw src_.error(src_.location(line, column), std::move(message));
  }

  int column() const { return static_cast<int>(pos_ - line_start_) + 1; }
  bool at_end() const { return pos_ >= s_.size(); }
  char peek(size_t k = 0) const { return pos_ + k < s_.size() ? s_[pos_ + k] : '\0'; }
  bool at_line_break() const { return !at_end() && (peek() == '\n' || peek() == '\r'); }

  void consume_line_break() {
    pos_ += (peek() == '\r' && peek(1) == '\n') ? 2 : 1;
    ++line_;
    line_start_ = pos_;
  }

  void push(TokenKind kind, int line, int column, std::string text) {
    Token t;
    t.kind = kind;
    t.line = line;
    t.column = column;
    t.text = std::move(text);
    out_.push_back(std::move(t));
  }

  // At the start of a line outside brackets: turns a change of indentation
  // into INDENT/DEDENT. Blank and comment-only lines do not count.
  void handle_indentation() {
    int width = 0;
    size_t first_tab = std::string_view::npos;
    while (true) {
      char c = peek();
      if (c == ' ') {
        ++width;
      } else if (c == '\t') {
        if (first_tab == std::string_view::npos) first_tab = pos_;
      } else if (c == '\f') {
        width = 0;  // Python resets the count at a form feed
      } else {
        break;
      }
      ++pos_;
    }
    if (at_end() || at_line_break() || peek() == '#') return;
    if (first_tab != std::string_view::npos) {
      fail(line_, static_cast<int>(first_tab - line_start_) + 1,
           "tab in indentation; indent with spaces");
    }
    at_line_start_ = false;
    if (width > indents_.back()) {
      indents_.push_back(width);
      push(TokenKind::Indent, line_, column(), "");
      return;
    }
    while (width < indents_.back()) {
      indents_.pop_back();
      push(TokenKind::Dedent, line_, column(), "");
    }
    if (width != indents_.back()) {
      fail(line_, column(), "unindent does not match any outer indentation level");
    }
  }

  void line_continuation() {
    int line = line_, col = column();
    ++pos_;
    if (at_end()) fail(line, col, "unexpected end of file after line continuation character");
    if (!at_line_break()) fail(line, col, "unexpected character after line continuation character");
    consume_line_break();
  }

  void lex_token() {
    char c = peek();
    if (is_name_start(c)) return lex_name();
    if (is_digit(c) || (c == '.' && is_digit(peek(1)))) return lex_number();
    if (c == '"' || c == '\'') return lex_string(line_, column(), /*raw=*/false);
    lex_operator();
  }

  void lex_name() {
    int line = line_, col = column();
    size_t start = pos_;
    while (is_name_char(peek())) ++pos_;
    std::string_view name = s_.substr(start, pos_ - start);
    if (peek() == '"' || peek() == '\'') {
      if (name == "r" || name == "R") return lex_string(line, col, /*raw=*/true);
      if (name == "u" || name == "U") return lex_string(line, col, /*raw=*/false);
      if (name.size() <= 2) {
        for (char p : name) {
          if (p == 'b' || p == 'B') fail(line, col, "byte string literals are not supported");
          if (p == 'f' || p == 'F') fail(line, col, "f-strings are not supported");
        }
      }
    }
    for (const Spelling& k : kKeywords) {
      if (k.text == name) return push(k.kind, line, col, std::string(name));
    }
    push(TokenKind::Name, line, col, std::string(name));
  }

  void lex_number() {
    int line = line_, col = column();
    size_t start = pos_;
    int base = 10;
    bool is_float = false;
    if (peek() == '0' && (peek(1) == 'x' || peek(1) == 'X' || peek(1) == 'o' || peek(1) == 'O' ||
                          peek(1) == 'b' || peek(1) == 'B')) {
      char b = peek(1);
      base = (b == 'x' || b == 'X') ? 16 : (b == 'o' || b == 'O') ? 8 : 2;
      pos_ += 2;
      while (is_name_char(peek())) ++pos_;  // digits checked below
    } else {
      while (is_digit(peek())) ++pos_;
      if (peek() == '.') {
        is_float = true;
        ++pos_;
        while (is_digit(peek())) ++pos_;
      }
      if (peek() == 'e' || peek() == 'E') {
        size_t k = (peek(1) == '+' || peek(1) == '-') ? 2 : 1;
        if (!is_digit(peek(k))) fail(line, col, "invalid float literal: missing exponent digits");
        is_float = true;
        pos_ += k;
        while (is_digit(peek())) ++pos_;
      }
    }
    bool imaginary = base == 10 && (peek() == 'j' || peek() == 'J');
    if (imaginary) ++pos_;
    std::string text(s_.substr(start, pos_ - start));
    if (is_name_char(peek())) {
      fail(line, col, "invalid number literal '" + text + std::string(1, peek()) + "...'");
    }

    Token t;
    t.line = line;
    t.column = col;
    if (imaginary || is_float) {
      t.kind = imaginary ? TokenKind::Imaginary : TokenKind::Float;
      t.float_value = parse_float(text.substr(0, text.size() - (imaginary ? 1 : 0)));
    } else {
      t.kind = TokenKind::Int;
      t.int_value = parse_int(text, base, line, col);
    }
    t.text = std::move(text);
    out_.push_back(std::move(t));
  }

  uint64_t parse_int(const std::string& text, int base, int line, int col) const {
    size_t first = base == 10 ? 0 : 2;
    if (first == text.size()) fail(line, col, "invalid number literal '" + text + "': no digits");
    if (base == 10 && text.size() > 1 && text[0] == '0' &&
        text.find_first_not_of('0') != std::string::npos) {
      fail(line, col, "leading zeros in decimal integer literals are not permitted");
    }
    uint64_t value = 0;
    for (size_t i = first; i < text.size(); ++i) {
      int d = digit_value(text[i]);
      if (d >= base) fail(line, col, "invalid digit " + show_char(text[i]) + " in number literal");
      if (value > (kMaxIntMagnitude - d) / base) {
        fail(line, col, "integer literal '" + text + "' does not fit in 64 bits");
      }
      value = value * base + d;
    }
    return value;
  }

  static double parse_float(const std::string& text) {
    double value = 0;
    auto r = std::from_chars(text.data(), text.data() + text.size(), value);
    // Out of range: Python gives inf or a denormal/zero, as strtod does.
    if (r.ec == std::errc::result_out_of_range) value = std::strtod(text.c_str(), nullptr);
    return value;
  }

  void lex_string(int line, int col, bool raw) {
    char q = peek();
    bool triple = peek(1) == q && peek(2) == q;
    pos_ += triple ? 3 : 1;
    std::string value;
    while (true) {
      if (at_end()) {
        fail(line, col,
             triple ? "unterminated triple-quoted string literal" : "unterminated string literal");
      }
      char c = peek();
      if (c == q) {
        if (!triple) {
          ++pos_;
          break;
        }
        if (peek(1) == q && peek(2) == q) {
          pos_ += 3;
          break;
        }
        value += c;
        ++pos_;
      } else if (c == '\n' || c == '\r') {
        if (!triple) fail(line, col, "unterminated string literal");
        value += '\n';
        consume_line_break();
      } else if (c == '\\' && raw) {
        // A raw string keeps the backslash and the character after it.
        value += c;
        ++pos_;
        if (at_line_break()) {
          value += '\n';
          consume_line_break();
        } else if (!at_end()) {
          value += peek();
          ++pos_;
        }
      } else if (c == '\\') {
        decode_escape(value);
      } else {
        value += c;
        ++pos_;
      }
    }
    push(TokenKind::String, line, col, std::move(value));
  }

  // Decodes the escape at pos_ (a backslash). Octal and \x escapes give one
  // byte, as TorchScript strings are byte strings; \u and \U give UTF-8.
  void decode_escape(std::string& value) {
    int line = line_, col = column();
    ++pos_;
    if (at_end()) return;  // the caller reports the unterminated literal
    if (at_line_break()) {
      consume_line_break();  // backslash-newline continues the literal
      return;
    }
    char e = peek();
    ++pos_;
    switch (e) {
      case '\\': value += '\\'; return;
      case '\'': value += '\''; return;
      case '"': value += '"'; return;
      case 'a': value += '\a'; return;
      case 'b': value += '\b'; return;
      case 'f': value += '\f'; return;
      case 'n': value += '\n'; return;
      case 'r': value += '\r'; return;
      case 't': value += '\t'; return;
      case 'v': value += '\v'; return;
      default: break;
    }
    if (e >= '0' && e <= '7') {
      unsigned v = e - '0';
      for (int i = 0; i < 2 && peek() >= '0' && peek() <= '7'; ++i) v = v * 8 + (s_[pos_++] - '0');
      if (v > 255) fail(line, col, "octal escape out of range (above \\377)");
      value += static_cast<char>(v);
      return;
    }
    if (e == 'x' || e == 'u' || e == 'U') {
      int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
      uint32_t v = 0;
      for (int i = 0; i < digits; ++i) {
        int d = digit_value(peek());
        if (d >= 16) fail(line, col, std::string("truncated \\") + e + " escape");
        v = v * 16 + d;
        ++pos_;
      }
      if (e == 'x') {
        value += static_cast<char>(v);
      } else if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
        fail(line, col, "invalid unicode code point in \\" + std::string(1, e) + " escape");
      } else {
        append_utf8(value, v);
      }
      return;
    }
    if (e == 'N') fail(line, col, "\\N{...} escapes are not supported");
    fail(line, col, "invalid escape sequence \\" + show_char(e));
  }

  void lex_operator() {
    int line = line_, col = column();
    for (size_t len = 3; len >= 1; --len) {
      std::string_view text = s_.substr(pos_, len);
      if (text.size() < len) continue;
      for (const Spelling& op : kOperators) {
        if (op.text != text) continue;
        pos_ += len;
        track_bracket(text[0], op.kind, line, col);
        return push(op.kind, line, col, std::string(text));
      }
    }
    fail(line, col, "unexpected character " + show_char(peek()));
  }

  void track_bracket(char ch, TokenKind kind, int line, int col) {
    if (kind == TokenKind::LParen || kind == TokenKind::LBracket || kind == TokenKind::LBrace) {
      brackets_.push_back({ch, line, col});
      return;
    }
    char open = kind == TokenKind::RParen     ? '('
                : kind == TokenKind::RBracket ? '['
                : kind == TokenKind::RBrace   ? '{'
                                              : 0;
    if (open == 0) return;
    if (brackets_.empty()) fail(line, col, std::string("unmatched '") + ch + "'");
    const OpenBracket& b = brackets_.back();
    if (b.ch != open) {
      fail(line, col,
           std::string("closing '") + ch + "' does not match '" + b.ch + "' opened at line " +
               std::to_string(b.line) + ", column " + std::to_string(b.column));
    }
    brackets_.pop_back();
  }

  void finish() {
    if (!brackets_.empty()) {
      const OpenBracket& b = brackets_.back();
      fail(b.line, b.column, std::string("'") + b.ch + "' was never closed");
    }
    if (!at_line_start_) push(TokenKind::Newline, line_, column(), "");
    for (size_t i = 1; i < indents_.size(); ++i) push(TokenKind::Dedent, line_, column(), "");
    push(TokenKind::EndOfFile, line_, column(), "");
  }

  const SourceText& src_;
  std::string_view s_;
  size_t pos_ = 0;
  int line_ = 1;
  size_t line_start_ = 0;
  bool at_line_start_ = true;
  std::vector<int> indents_{0};
  std::vector<OpenBracket> brackets_;
  std::vector<Token> out_;
};

}  // namespace

std::vector<Token> lex_torchscript(const SourceText& source) { return Lexer(source).run(); }

std::string_view token_kind_name(TokenKind kind) {
  switch (kind) {
    case TokenKind::Newline: return "newline";
    case TokenKind::Indent: return "indented block";
    case TokenKind::Dedent: return "end of indented block";
    case TokenKind::EndOfFile: return "end of file";
    case TokenKind::Name: return "name";
    case TokenKind::Int: return "integer";
    case TokenKind::Float: return "float";
    case TokenKind::Imaginary: return "imaginary number";
    case TokenKind::String: return "string";
#define WICK_TS_QUOTED(kind, spelling) \
  case TokenKind::kind: return "'" spelling "'";
      WICK_TS_KEYWORDS(WICK_TS_QUOTED)
      WICK_TS_OPERATORS(WICK_TS_QUOTED)
#undef WICK_TS_QUOTED
  }
  return "token";
}

std::string describe_token(const Token& token) {
  switch (token.kind) {
    case TokenKind::Name: return "name '" + token.text + "'";
    case TokenKind::Int:
    case TokenKind::Float:
    case TokenKind::Imaginary: return "number '" + token.text + "'";
    case TokenKind::String: return "string literal";
    default: return std::string(token_kind_name(token.kind));
  }
}

}  // namespace wick::ts

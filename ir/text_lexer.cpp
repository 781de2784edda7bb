#include "ir/text_lexer.h"

#include <cctype>

namespace wick::ir {

namespace {
bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}
}  // namespace

TextLexer::TextLexer(std::string_view text, std::string file) : text_(text), file_(std::move(file)) {
  current_ = lex();
}

Token TextLexer::next() {
  Token t = current_;
  current_ = lex();
  return t;
}

std::string TextLexer::line_text(int line) const {
  size_t start = 0;
  for (int l = 1; l < line && start < text_.size(); ++l) {
    size_t nl = text_.find('\n', start);
    if (nl == std::string_view::npos) return {};
    start = nl + 1;
  }
  size_t end = text_.find('\n', start);
  std::string s(text_.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
  if (s.size() > 200) s = s.substr(0, 200) + "...";
  return s;
}

void TextLexer::fail(const Token& at, const std::string& message) const {
  throw Error(message, {file_, at.line, at.column}, {}, line_text(at.line));
}

std::string describe(const Token& t) {
  switch (t.kind) {
    case Tok::eof: return "end of input";
    case Tok::percent_name: return "'%" + t.text + "'";
    case Tok::at_name: return "'@" + t.text + "'";
    case Tok::string: return "a string";
    default: return "'" + t.text + "'";
  }
}

Token TextLexer::lex() {
  // Skip whitespace and // comments.
  for (;;) {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) {
      if (text_[pos_] == '\n') {
        ++line_;
        column_ = 1;
      } else {
        ++column_;
      }
      ++pos_;
    }
    if (pos_ + 1 < text_.size() && text_[pos_] == '/' && text_[pos_ + 1] == '/') {
      while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      continue;
    }
    break;
  }
  Token t;
  t.line = line_;
  t.column = column_;
  if (pos_ >= text_.size()) return t;
  const size_t start = pos_;
  auto advance = [&](size_t n) {
    pos_ += n;
    column_ += static_cast<int>(n);
  };
  const char c = text_[pos_];

  if (c == '%' || c == '@') {
    advance(1);
    size_t s = pos_;
    while (pos_ < text_.size() && is_name_char(text_[pos_])) advance(1);
    if (pos_ == s) fail(t, std::string("expected a name after '") + c + "'");
    t.kind = c == '%' ? Tok::percent_name : Tok::at_name;
    t.text = std::string(text_.substr(s, pos_ - s));
    return t;
  }
  if (c == '"') {
    advance(1);
    std::string s;
    for (;;) {
      if (pos_ >= text_.size() || text_[pos_] == '\n') fail(t, "unterminated string");
      char d = text_[pos_];
      if (d == '"') {
        advance(1);
        break;
      }
      if (d == '\\') {
        if (pos_ + 1 >= text_.size()) fail(t, "unterminated string");
        char e = text_[pos_ + 1];
        advance(2);
        switch (e) {
          case 'n': s += '\n'; break;
          case 't': s += '\t'; break;
          case '"': s += '"'; break;
          case '\\': s += '\\'; break;
          case 'x': {
            auto hex = [&](size_t i) {
              return i < text_.size() && std::isxdigit(static_cast<unsigned char>(text_[i]));
            };
            if (!hex(pos_) || !hex(pos_ + 1)) fail(t, "bad \\x escape in string");
            s += static_cast<char>(std::stoi(std::string(text_.substr(pos_, 2)), nullptr, 16));
            advance(2);
            break;
          }
          default: fail(t, std::string("unknown escape '\\") + e + "' in string");
        }
        continue;
      }
      s += d;
      advance(1);
    }
    t.kind = Tok::string;
    t.text = std::move(s);
    return t;
  }
  if (std::isdigit(static_cast<unsigned char>(c)) ||
      (c == '-' && pos_ + 1 < text_.size() &&
       (std::isdigit(static_cast<unsigned char>(text_[pos_ + 1])) || text_[pos_ + 1] == 'i'))) {
    if (c == '-' && text_.substr(pos_, 4) == "-inf") {
      advance(4);
      t.kind = Tok::floating;
      t.text = "-inf";
      return t;
    }
    advance(1);
    bool is_float = false;
    while (pos_ < text_.size()) {
      char d = text_[pos_];
      if (std::isdigit(static_cast<unsigned char>(d))) {
        advance(1);
      } else if (d == '.' || d == 'e' || d == 'E') {
        is_float = true;
        advance(1);
        if ((d == 'e' || d == 'E') && pos_ < text_.size() && (text_[pos_] == '-' || text_[pos_] == '+'))
          advance(1);
      } else {
        break;
      }
    }
    t.kind = is_float ? Tok::floating : Tok::integer;
    t.text = std::string(text_.substr(start, pos_ - start));
    return t;
  }
  if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
    // Identifiers may be qualified: aten::add.Tensor.
    while (pos_ < text_.size()) {
      if (is_name_char(text_[pos_])) {
        advance(1);
      } else if (text_[pos_] == ':' && pos_ + 2 < text_.size() && text_[pos_ + 1] == ':' &&
                 (std::isalpha(static_cast<unsigned char>(text_[pos_ + 2])) || text_[pos_ + 2] == '_')) {
        advance(2);
      } else {
        break;
      }
    }
    t.kind = Tok::ident;
    t.text = std::string(text_.substr(start, pos_ - start));
    return t;
  }
  if (c == '-' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '>') {
    advance(2);
    t.kind = Tok::punct;
    t.text = "->";
    return t;
  }
  if (std::string_view("()[]{},:=*?").find(c) != std::string_view::npos) {
    advance(1);
    t.kind = Tok::punct;
    t.text = std::string(1, c);
    return t;
  }
  std::string shown = std::isprint(static_cast<unsigned char>(c)) ? std::string(1, c) : "\\x" + [&] {
    char buf[4];
    std::snprintf(buf, sizeof(buf), "%02x", static_cast<unsigned char>(c));
    return std::string(buf);
  }();
  fail(t, "unexpected character '" + shown + "'");
}

}  // namespace wick::ir

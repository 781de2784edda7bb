#include "support/error.h"

namespace wick {

std::string SourceLocation::str() const {
  std::string s = file;
  if (line > 0) {
    if (!s.empty()) s += ":";
    s += std::to_string(line);
    if (column > 0) s += ":" + std::to_string(column);
  }
  return s;
}

namespace {

// The length of the well-formed UTF-8 sequence at s[i] (RFC 3629), or 0.
size_t utf8_length(const std::string& s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (len == 0 || i + len > s.size() || c == 0xc0 || c == 0xc1 || c > 0xf4) return 0;
  for (size_t k = 1; k < len; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
  if (len >= 3) {  // overlong forms, and code points past U+10FFFF
    const auto d = static_cast<unsigned char>(s[i + 1]);
    if ((c == 0xe0 && d < 0xa0) || (c == 0xf0 && d < 0x90) || (c == 0xf4 && d >= 0x90)) return 0;
  }
  return len;
}

// Names read from a user's file may hold any bytes: those that are not
// UTF-8 text, and control characters other than newline and tab, are
// written as \xNN, so that the message prints as it reads.
std::string printable(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t len = utf8_length(s, i);
    if (len == 0 || (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
      static const char* digits = "0123456789abcdef";
      out += "\\x";
      out += digits[c >> 4];
      out += digits[c & 0xf];
      ++i;
      continue;
    }
    out.append(s, i, len);
    i += len;
  }
  return out;
}

std::string format_error(const std::string& message, const SourceLocation& where,
                         const std::string& op, const std::string& source_line) {
  std::string s;
  if (where.known()) s += where.str() + ": ";
  s += "error: ";
  if (!op.empty()) s += "in " + op + ": ";
  s += message;
  if (!source_line.empty()) s += "\n    " + source_line;
  return printable(s);
}

}  // namespace

Error::Error(std::string message, SourceLocation where, std::string op, std::string source_line)
    : std::runtime_error(format_error(message, where, op, source_line)),
      message_(std::move(message)),
      where_(std::move(where)),
      op_(std::move(op)),
      source_line_(std::move(source_line)) {}

Error Error::with_file(const std::string& file) const {
  if (!where_.file.empty()) return *this;
  SourceLocation w = where_;
  w.file = file;
  return Error(message_, w, op_, source_line_);
}

Error Error::with_op(const std::string& op) const {
  if (!op_.empty()) return *this;
  return Error(message_, where_, op, source_line_);
}

void internal_error(const char* file, int line, const char* condition,
                    const std::string& message) {
  throw InternalError(std::string("internal error at ") + file + ":" + std::to_string(line) +
                      ": assertion `" + condition + "` failed: " + message);
}

}  // namespace wick

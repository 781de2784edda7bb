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

std::string format_error(const std::string& message, const SourceLocation& where,
                         const std::string& op, const std::string& source_line) {
  std::string s;
  if (where.known()) s += where.str() + ": ";
  s += "error: ";
  if (!op.empty()) s += "in " + op + ": ";
  s += message;
  if (!source_line.empty()) s += "\n    " + source_line;
  return s;
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

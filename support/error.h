// Two error channels, as in every layer of wick.
//
// wick::Error is for mistakes in what a user supplied: a malformed .pt file,
// an unsupported op, an input of the wrong shape. It carries where the problem
// is (file, line, column), which op was involved, and the offending source line
// when there is one. The CLI prints it and exits 2.
//
// wick::InternalError is for broken invariants inside wick itself; it is raised
// through WICK_ASSERT and means a bug, not bad input.
#pragma once

#include <stdexcept>
#include <string>

namespace wick {

struct SourceLocation {
  std::string file;  // user-visible file name, e.g. "model.pt" or "code/__torch__.py"
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;    // 1-based; 0 when unknown

  bool known() const { return !file.empty() || line > 0; }
  std::string str() const;  // "file:line:column", omitting unknown parts
};

class Error : public std::runtime_error {
 public:
  explicit Error(std::string message, SourceLocation where = {}, std::string op = {},
                 std::string source_line = {});

  const std::string& message() const { return message_; }
  const SourceLocation& where() const { return where_; }
  const std::string& op() const { return op_; }
  const std::string& source_line() const { return source_line_; }

  // Returns a copy with fields that are still empty filled from the arguments;
  // used by outer layers that know more context (e.g. the .pt file name).
  Error with_file(const std::string& file) const;
  Error with_op(const std::string& op) const;

 private:
  std::string message_;
  SourceLocation where_;
  std::string op_;
  std::string source_line_;
};

class InternalError : public std::logic_error {
 public:
  explicit InternalError(const std::string& what) : std::logic_error(what) {}
};

[[noreturn]] void internal_error(const char* file, int line, const char* condition,
                                 const std::string& message);

}  // namespace wick

#define WICK_ASSERT(cond, msg)                                 \
  do {                                                         \
    if (!(cond)) ::wick::internal_error(__FILE__, __LINE__, #cond, (msg)); \
  } while (0)

// The text of one TorchScript source file (a `code/**/*.py` entry of a .pt
// archive), kept beside its AST so that any later stage can quote the
// offending line in a wick::Error.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "support/error.h"

namespace wick::ts {

class SourceText {
 public:
  SourceText() = default;
  SourceText(std::string file_name, std::string content);

  const std::string& file_name() const { return file_name_; }
  const std::string& content() const { return content_; }
  int line_count() const { return static_cast<int>(line_starts_.size()); }

  // The text of a 1-based line without its line ending; empty when out of range.
  std::string_view line(int line) const;

  SourceLocation location(int line, int column) const { return {file_name_, line, column}; }

  // A user error at `where`, quoting that line (control bytes replaced and
  // very long lines shortened, so that messages stay printable).
  Error error(const SourceLocation& where, std::string message, std::string op = {}) const;

 private:
  std::string file_name_;
  std::string content_;
  std::vector<size_t> line_starts_;  // byte offset of each line's first character
};

}  // namespace wick::ts

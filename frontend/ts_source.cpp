#include "frontend/ts_source.h"

namespace wick::ts {

namespace {

// Longer lines are cut in messages; real TorchScript lines are far shorter.
constexpr size_t kMaxQuotedLine = 200;

}  // namespace

SourceText::SourceText(std::string file_name, std::string content)
    : file_name_(std::move(file_name)), content_(std::move(content)) {
  // Line breaks are "\n", "\r\n" or a lone "\r", as in Python.
  line_starts_.push_back(0);
  for (size_t i = 0; i < content_.size(); ++i) {
    char c = content_[i];
    if (c == '\r' && i + 1 < content_.size() && content_[i + 1] == '\n') ++i;
    if (c == '\r' || c == '\n') line_starts_.push_back(i + 1);
  }
}

std::string_view SourceText::line(int line) const {
  if (line < 1 || line > line_count()) return {};
  size_t begin = line_starts_[line - 1];
  size_t end = begin;
  while (end < content_.size() && content_[end] != '\n' && content_[end] != '\r') ++end;
  return std::string_view(content_).substr(begin, end - begin);
}

Error SourceText::error(const SourceLocation& where, std::string message, std::string op) const {
  std::string_view text = line(where.line);
  std::string quoted;
  for (size_t i = 0; i < text.size() && i < kMaxQuotedLine; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    quoted += (c < 0x20 && c != '\t') || c == 0x7f ? '?' : static_cast<char>(c);
  }
  if (text.size() > kMaxQuotedLine) quoted += " ...";
  return Error(std::move(message), where, std::move(op), std::move(quoted));
}

}  // namespace wick::ts

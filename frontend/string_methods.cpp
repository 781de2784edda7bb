#include "frontend/string_methods.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>

namespace wick {

namespace {

using Args = std::vector<const ir::AttrValue*>;

const std::string* str_at(const Args& a, size_t i) {
  return i < a.size() ? std::get_if<std::string>(a[i]) : nullptr;
}
const int64_t* int_at(const Args& a, size_t i) { return i < a.size() ? std::get_if<int64_t>(a[i]) : nullptr; }

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// Python's character tests: at least one character, and each passes.
std::optional<ir::AttrValue> all_chars(const Args& a, int (*test)(int)) {
  const std::string* s = str_at(a, 0);
  if (!s || a.size() != 1) return std::nullopt;
  bool all = !s->empty() && std::all_of(s->begin(), s->end(), [&](char c) { return test(static_cast<unsigned char>(c)); });
  return ir::AttrValue(all);
}

// isupper / islower: at least one cased character, and none of the other case.
std::optional<ir::AttrValue> cased(const Args& a, bool upper) {
  const std::string* s = str_at(a, 0);
  if (!s || a.size() != 1) return std::nullopt;
  bool any = false;
  for (char c : *s) {
    const auto u = static_cast<unsigned char>(c);
    if (upper ? std::islower(u) : std::isupper(u)) return ir::AttrValue(false);
    any = any || std::isalpha(u);
  }
  return ir::AttrValue(any);
}

std::optional<ir::AttrValue> mapped(const Args& a, int (*f)(int)) {
  const std::string* s = str_at(a, 0);
  if (!s || a.size() != 1) return std::nullopt;
  std::string out = *s;
  for (char& c : out) c = static_cast<char>(f(static_cast<unsigned char>(c)));
  return ir::AttrValue(out);
}

// strip, lstrip, rstrip with an optional set of characters (whitespace by default).
std::optional<ir::AttrValue> stripped(const Args& a, bool left, bool right) {
  const std::string* s = str_at(a, 0);
  if (!s || a.size() > 2 || (a.size() == 2 && !str_at(a, 1))) return std::nullopt;
  const std::string* chars = a.size() == 2 ? str_at(a, 1) : nullptr;
  auto strip = [&](char c) { return chars ? chars->find(c) != std::string::npos : is_space(c); };
  size_t begin = 0, end = s->size();
  if (left)
    while (begin < end && strip((*s)[begin])) ++begin;
  if (right)
    while (end > begin && strip((*s)[end - 1])) --end;
  return ir::AttrValue(s->substr(begin, end - begin));
}

// startswith, endswith, find: the whole string only (start and end left
// at their defaults).
bool whole_string(const Args& a) {
  if (a.size() > 2 && (!int_at(a, 2) || *int_at(a, 2) != 0)) return false;
  if (a.size() > 3 && (!int_at(a, 3) || *int_at(a, 3) != -1)) return false;
  return a.size() <= 4 && str_at(a, 0) && str_at(a, 1);
}

std::optional<ir::AttrValue> replaced(const Args& a) {
  const std::string *s = str_at(a, 0), *old = str_at(a, 1), *with = str_at(a, 2);
  if (!s || !old || !with || a.size() > 4 || (a.size() == 4 && !int_at(a, 3))) return std::nullopt;
  int64_t left = a.size() == 4 ? *int_at(a, 3) : -1;  // negative: every occurrence
  std::string out;
  size_t pos = 0;
  if (old->empty()) {
    // Python puts `with` between characters and at both ends.
    for (size_t i = 0; i <= s->size(); ++i) {
      if (left != 0) {
        out += *with;
        --left;
      }
      if (i < s->size()) out += (*s)[i];
    }
    return ir::AttrValue(out);
  }
  while (left != 0) {
    size_t at = s->find(*old, pos);
    if (at == std::string::npos) break;
    out.append(*s, pos, at - pos);
    out += *with;
    pos = at + old->size();
    --left;
  }
  out.append(*s, pos, std::string::npos);
  return ir::AttrValue(out);
}

// split(sep=None, max=-1): by runs of whitespace without a separator.
std::optional<ir::AttrValue> split(const Args& a) {
  const std::string* s = str_at(a, 0);
  if (!s || a.size() > 3) return std::nullopt;
  const std::string* sep = a.size() > 1 ? str_at(a, 1) : nullptr;
  if (a.size() > 1 && !sep && !std::holds_alternative<ir::NoneValue>(*a[1])) return std::nullopt;
  if (a.size() == 3 && !int_at(a, 2)) return std::nullopt;
  int64_t left = a.size() == 3 ? *int_at(a, 2) : -1;
  std::vector<std::string> parts;
  if (sep) {
    if (sep->empty()) return std::nullopt;  // Python raises "empty separator"
    size_t pos = 0;
    while (left != 0) {
      size_t at = s->find(*sep, pos);
      if (at == std::string::npos) break;
      parts.push_back(s->substr(pos, at - pos));
      pos = at + sep->size();
      --left;
    }
    parts.push_back(s->substr(pos));
    return ir::AttrValue(parts);
  }
  // By whitespace, LibTorch splits at every run whatever `max` says
  // (Python stops after max splits): wick computes what LibTorch does.
  size_t i = 0;
  while (true) {
    while (i < s->size() && is_space((*s)[i])) ++i;
    if (i == s->size()) break;
    size_t j = i;
    while (j < s->size() && !is_space((*s)[j])) ++j;
    parts.push_back(s->substr(i, j - i));
    i = j;
  }
  return ir::AttrValue(parts);
}

std::optional<ir::AttrValue> joined(const Args& a) {
  const std::string* s = str_at(a, 0);
  const auto* items = a.size() == 2 ? std::get_if<std::vector<std::string>>(a[1]) : nullptr;
  if (!s || !items) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < items->size(); ++i) out += (i ? *s : std::string()) + (*items)[i];
  return ir::AttrValue(out);
}

}  // namespace

std::optional<ir::AttrValue> fold_string_method(const std::string& op, const Args& a) {
  if (a.empty() || !str_at(a, 0)) return std::nullopt;
  using Fold = std::function<std::optional<ir::AttrValue>(const Args&)>;
  static const std::map<std::string, Fold> folds = {
      {"aten::lower", [](const Args& x) { return mapped(x, std::tolower); }},
      {"aten::upper", [](const Args& x) { return mapped(x, std::toupper); }},
      {"aten::strip", [](const Args& x) { return stripped(x, true, true); }},
      {"aten::lstrip", [](const Args& x) { return stripped(x, true, false); }},
      {"aten::rstrip", [](const Args& x) { return stripped(x, false, true); }},
      {"aten::isdigit", [](const Args& x) { return all_chars(x, std::isdigit); }},
      {"aten::isalpha", [](const Args& x) { return all_chars(x, std::isalpha); }},
      {"aten::isalnum", [](const Args& x) { return all_chars(x, std::isalnum); }},
      {"aten::isspace", [](const Args& x) { return all_chars(x, std::isspace); }},
      {"aten::isupper", [](const Args& x) { return cased(x, true); }},
      {"aten::islower", [](const Args& x) { return cased(x, false); }},
      {"aten::startswith",
       [](const Args& x) -> std::optional<ir::AttrValue> {
         if (!whole_string(x)) return std::nullopt;
         return ir::AttrValue(str_at(x, 0)->rfind(*str_at(x, 1), 0) == 0);
       }},
      {"aten::endswith",
       [](const Args& x) -> std::optional<ir::AttrValue> {
         if (!whole_string(x)) return std::nullopt;
         const std::string &s = *str_at(x, 0), &t = *str_at(x, 1);
         return ir::AttrValue(s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0);
       }},
      {"aten::find",
       [](const Args& x) -> std::optional<ir::AttrValue> {
         if (!whole_string(x)) return std::nullopt;
         const size_t at = str_at(x, 0)->find(*str_at(x, 1));
         return ir::AttrValue(at == std::string::npos ? int64_t{-1} : static_cast<int64_t>(at));
       }},
      {"aten::replace", replaced},
      {"aten::split", split},
      {"aten::join", joined},
  };
  auto it = folds.find(op);
  if (it == folds.end()) return std::nullopt;
  return it->second(a);
}

}  // namespace wick

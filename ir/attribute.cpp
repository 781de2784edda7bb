#include "ir/attribute.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace wick::ir {

std::string float_str(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

std::string quote_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

namespace {
template <typename T, typename F>
std::string list_str(const std::vector<T>& v, F item) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ", ";
    s += item(v[i]);
  }
  return s + "]";
}
}  // namespace

std::string attr_str(const AttrValue& v) {
  struct Visitor {
    std::string operator()(const NoneValue&) const { return "none"; }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const { return float_str(d); }
    std::string operator()(const std::string& s) const { return quote_string(s); }
    std::string operator()(const std::vector<int64_t>& v) const {
      return list_str(v, [](int64_t i) { return std::to_string(i); });
    }
    std::string operator()(const std::vector<double>& v) const { return list_str(v, float_str); }
    std::string operator()(const std::vector<bool>& v) const {
      return list_str(v, [](bool b) { return std::string(b ? "true" : "false"); });
    }
    std::string operator()(const std::vector<std::string>& v) const {
      return list_str(v, quote_string);
    }
  };
  return std::visit(Visitor{}, v);
}

bool Attributes::has(const std::string& name) const { return find(name) != nullptr; }

const AttrValue* Attributes::find(const std::string& name) const {
  for (const auto& [k, v] : items_)
    if (k == name) return &v;
  return nullptr;
}

void Attributes::set(const std::string& name, AttrValue value) {
  for (auto& [k, v] : items_) {
    if (k == name) {
      v = std::move(value);
      return;
    }
  }
  items_.emplace_back(name, std::move(value));
}

}  // namespace wick::ir

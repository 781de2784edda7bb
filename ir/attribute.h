// Node attributes: compile-time data attached to a node, such as the value of
// a prim::Constant or the name of the parameter a prim::Param reads.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace wick::ir {

struct NoneValue {
  bool operator==(const NoneValue&) const { return true; }
};

using AttrValue = std::variant<NoneValue, bool, int64_t, double, std::string, std::vector<int64_t>,
                               std::vector<double>, std::vector<bool>, std::vector<std::string>>;

// Text form used by the printer: none, true, 3, 1.5, 1e-05, inf, "s", [1, 2].
std::string attr_str(const AttrValue& v);
// Shortest text of a double that reads back to the same bits; always shows
// it is a float ("1.0", not "1").
std::string float_str(double v);
std::string quote_string(const std::string& s);

class Attributes {
 public:
  bool has(const std::string& name) const;
  const AttrValue* find(const std::string& name) const;
  void set(const std::string& name, AttrValue value);
  const std::vector<std::pair<std::string, AttrValue>>& items() const { return items_; }
  bool empty() const { return items_.empty(); }
  bool operator==(const Attributes& o) const { return items_ == o.items_; }

 private:
  std::vector<std::pair<std::string, AttrValue>> items_;  // in insertion order
};

}  // namespace wick::ir

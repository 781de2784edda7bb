#include "shape_rule_check.h"

#include "ir/op_table.h"
#include "ir/parser.h"

namespace wick::testing {

std::string inferred_types(const std::string& body, const std::string& params) {
  std::string text = "graph @g(" + params + ") -> () {\n" + body + "\n  return()\n}\n";
  auto m = ir::parse_module(text, "rule.wir");
  ir::Graph* g = m->methods()[0].get();
  ir::Node* last = nullptr;
  for (ir::Node* n : *g->block()) last = n;
  std::string out;
  for (const auto& t : last->op().infer(*last)) out += (out.empty() ? "" : ", ") + t->str();
  return out;
}

}  // namespace wick::testing

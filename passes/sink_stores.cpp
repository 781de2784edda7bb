#include "passes/sink_stores.h"

#include <map>
#include <string>
#include <vector>

namespace wick::passes {

namespace {
std::string tensor_name(const ir::Node* n) { return std::get<std::string>(*n->attrs().find("name")); }
}  // namespace

void sink_stores(ir::Graph& graph) {
  std::vector<ir::Node*> stores;
  std::map<std::string, ir::Value*> stored;  // the last value stored to each tensor so far
  ir::walk(graph.block(), [&](ir::Node* n) {
    if (n->is("prim::Param")) {
      auto it = stored.find(tensor_name(n));
      if (it != stored.end()) n->output()->replace_all_uses_with(it->second);
      return;
    }
    if (!n->is("prim::StoreParam")) return;
    if (n->owning_block() != graph.block())
      throw n->error("an update of a module tensor inside control flow is not supported in training mode");
    stores.push_back(n);
    stored[tensor_name(n)] = n->input(0);
  });
  for (ir::Node* n : stores) n->move_before(graph.block()->return_node());
}

}  // namespace wick::passes

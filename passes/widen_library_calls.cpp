#include "passes/widen_library_calls.h"

#include <vector>

#include "ir/op_table.h"
#include "passes/reduced_precision.h"

namespace wick::passes {

bool widen_library_calls(ir::Graph& graph) {
  std::vector<ir::Node*> calls;
  ir::walk(graph.block(), [&](ir::Node* n) {
    if (n->op().lowering == ir::Lowering::extern_call && !n->is("aten::nonzero") && touches_reduced_precision(*n))
      calls.push_back(n);
  });
  for (ir::Node* n : calls) compute_in_f32(graph, n);
  return !calls.empty();
}

}  // namespace wick::passes

#include "passes/widen_library_calls.h"

#include <set>
#include <string>
#include <vector>

#include "ir/op_table.h"
#include "passes/reduced_precision.h"

namespace wick::passes {

namespace {

bool is_bf16_product(const ir::Node& n) {
  static const std::set<std::string> products = {"aten::matmul", "aten::mm",     "aten::bmm",
                                                 "aten::linear", "aten::addmm",  "aten::conv1d",
                                                 "aten::conv2d", "aten::conv3d"};
  if (!products.count(n.kind())) return false;
  for (const ir::Value* v : n.inputs())
    if (v->type()->is_tensor() && v->type()->dtype() != DType::bf16) return false;
  return n.output()->type()->dtype() == DType::bf16;
}

}  // namespace

bool widen_library_calls(ir::Graph& graph, const WidenOptions& options) {
  std::vector<ir::Node*> calls;
  ir::walk(graph.block(), [&](ir::Node* n) {
    if (n->op().lowering != ir::Lowering::extern_call || n->is("aten::nonzero") || !touches_reduced_precision(*n))
      return;
    if (options.bf16_products && is_bf16_product(*n)) return;
    calls.push_back(n);
  });
  for (ir::Node* n : calls) compute_in_f32(graph, n);
  return !calls.empty();
}

}  // namespace wick::passes

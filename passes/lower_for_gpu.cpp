#include "passes/lower_for_gpu.h"

#include <vector>

#include "ir/builder.h"
#include "ir/constant_value.h"

namespace wick::passes {

namespace {

bool is_global_pool(const ir::Node* n) {
  if (!n->is("aten::adaptive_avg_pool2d")) return false;
  const auto size = ir::constant_int_list(n->input(1));
  const ir::Type& in = *n->input(0)->type();
  return size && *size == std::vector<int64_t>{1, 1} && in.is_tensor() && in.has_rank() && in.rank() >= 3;
}

}  // namespace

void lower_for_gpu(ir::Graph& graph) {
  std::vector<ir::Node*> pools;
  ir::walk(graph.block(), [&](ir::Node* n) {
    if (is_global_pool(n)) pools.push_back(n);
  });
  for (ir::Node* n : pools) {
    ir::Builder b(graph);
    b.set_insertion_point(n);
    b.set_source(n->source_location(), n->source_line());
    ir::Value* mean = b.op("aten::mean.dim", {n->input(0), b.constant_int_list({-2, -1}), b.constant_bool(true),
                                              b.constant_none()});
    n->output()->replace_all_uses_with(mean);
    n->destroy();
  }
}

}  // namespace wick::passes

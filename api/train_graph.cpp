#include "api/train_graph.h"

#include "api/train_loss.h"
#include "api/train_optimizer.h"
#include "ir/builder.h"
#include "passes/autodiff.h"
#include "passes/eliminate_common_subexpressions.h"
#include "passes/pipeline.h"
#include "passes/sink_stores.h"
#include "passes/training_state.h"
#include "passes/unroll_loops.h"

namespace wick::train {
namespace {

using ir::Node;
using ir::Value;

std::string output_types(const ir::Graph& g) {
  std::string got;
  for (const Value* v : g.outputs()) got += (got.empty() ? "" : ", ") + v->type()->str();
  return got;
}

// The `output` loss: the specialized graph's first output, which must be a
// 0-d floating-point tensor, alone.
std::unique_ptr<ir::Graph> own_loss_graph(std::unique_ptr<ir::Graph> g, const std::string& name) {
  const ir::Type* first = g->outputs().empty() ? nullptr : g->outputs()[0]->type().get();
  if (!first || !first->is_tensor() || first->rank() != 0 || !first->dtype() || !is_floating(*first->dtype()))
    throw Error("@" + name + " returns (" + output_types(*g) +
                "); the output loss trains on the model's first output, which must be its loss, a 0-d "
                "floating-point tensor");
  Value* l = g->outputs()[0];
  g->block()->return_node()->remove_all_inputs();
  g->add_output(l);
  return g;
}

// A copy of `method` specialized to `types`, returning the loss of its
// output against a new last input, the target (or, for the `output` loss,
// its own first output); lowered (no batch-norm folding: the module's
// tensors change).
std::unique_ptr<ir::Graph> loss_graph(const ir::Graph& method, ir::Module& module, const LossConfig& loss,
                                      const std::vector<ir::TypePtr>& types, const passes::PipelineOptions& options) {
  const bool own = loss.kind == LossKind::output;
  WICK_ASSERT(types.size() == method.inputs().size() + (own ? 0 : 1), "a type per input and the target's");
  auto g = method.clone();
  g->set_module(&module);
  if (own) {
    passes::specialize_stage(*g, &types);
    g = own_loss_graph(std::move(g), method.name());
    passes::lower_stage(*g, options);
    return g;
  }
  Value* target = g->add_input(ir::Type::tensor(), "target");
  passes::specialize_stage(*g, &types);
  if (g->outputs().size() != 1 || !g->outputs()[0]->type()->is_tensor())
    throw Error("@" + method.name() + " returns (" + output_types(*g) +
                "); training needs a model with one tensor output (or the output loss)");
  const ir::Type& t = *target->type();
  check_target(loss, *g->outputs()[0]->type(), *t.dtype(), t.static_sizes());
  ir::Builder b(*g);
  Value* l = append_loss(b, loss, g->outputs()[0], target);
  g->block()->return_node()->remove_all_inputs();
  g->add_output(l);
  passes::lower_stage(*g, options);
  return g;
}

std::string param_name(const Node* n) { return std::get<std::string>(*n->attrs().find("name")); }

// No batch-norm folding: the module's tensors change. Only the step graph is
// differentiated (a loss evaluated alone keeps what inference keeps whole).
passes::PipelineOptions pipeline_for(passes::TargetDevice device, bool differentiated) {
  passes::PipelineOptions options;
  options.fold_batch_norm = false;
  options.differentiated = differentiated;
  options.device = device;
  return options;
}

}  // namespace

std::unique_ptr<ir::Graph> build_step_graph(const ir::Graph& method, ir::Module& module, const LossConfig& loss,
                                            const OptimizerConfig& optimizer, const std::vector<ir::TypePtr>& types,
                                            passes::TargetDevice device) {
  const passes::PipelineOptions options = pipeline_for(device, true);
  auto g = loss_graph(method, module, loss, types, options);
  // Autodiff goes through no loop: the for-loops of known trip count are
  // unrolled, then what their copies compute from the counter folds.
  if (passes::unroll_loops(*g, passes::kTrainingUnroll)) passes::simplify_stage(*g);
  // One read per tensor, so that each parameter is one wrt value.
  passes::eliminate_common_subexpressions(*g);

  passes::AutodiffSpec spec;
  spec.outputs = {g->outputs()[0]};
  std::vector<std::string> names;
  for (Node* n : *g->block()) {
    if (!n->is("prim::Param")) continue;
    const ir::NamedTensor* t = module.find_tensor(param_name(n));
    const auto& dtype = n->output()->type()->dtype();
    if (!t || t->role != ir::TensorRole::parameter || !dtype || !is_floating(*dtype)) continue;
    spec.wrt.push_back(n->output());
    names.push_back(t->name);
  }
  if (spec.wrt.empty()) throw Error("@" + method.name() + " reads no floating-point parameter: nothing to train");
  std::vector<Value*> reached;  // whether a gradient flowed in this step, where that depends on a branch
  std::vector<Value*> grads = passes::autodiff(*g, spec, &reached);
  while (g->outputs().size() > 1) g->block()->return_node()->remove_input(g->outputs().size() - 1);

  ir::Builder b(*g);
  const ir::NamedTensor* step_tensor = module.find_tensor(passes::kStepTensor);
  WICK_ASSERT(step_tensor != nullptr, "the module has no step count");
  Value* step = b.param(passes::kStepTensor, step_tensor->type);
  // A parameter the forward writes in place (nn.Embedding's max_norm renorm,
  // through a detached alias) is updated from its written value, as
  // torch.optim steps from the tensor's data after the forward.
  std::map<std::string, Value*> written;
  for (Node* n : *g->block())
    if (n->is("prim::StoreParam")) written[param_name(n)] = n->input(0);
  OptimizerGraph update(b, module, optimizer, step);
  for (size_t i = 0; i < grads.size(); ++i) {
    // Autodiff's zeros for a parameter the loss does not depend on: torch
    // leaves such a parameter (its grad is None) alone.
    if (grads[i]->node()->is("aten::zeros")) continue;
    auto w = written.find(names[i]);
    update.update(names[i], w == written.end() ? spec.wrt[i] : w->second, grads[i], reached[i]);
  }
  ir::Value* one = b.constant_int(1);
  Node* count = b.create("prim::StoreParam", {b.op("aten::add.Scalar", {step, one, one})}, {});
  count->attrs().set("name", std::string(passes::kStepTensor));

  passes::sink_stores(*g);
  passes::simplify_stage(*g);
  passes::finish_stage(*g, options);
  return g;
}

std::unique_ptr<ir::Graph> build_loss_graph(const ir::Graph& method, ir::Module& module, const LossConfig& loss,
                                            const std::vector<ir::TypePtr>& types, passes::TargetDevice device) {
  const passes::PipelineOptions options = pipeline_for(device, false);
  auto g = loss_graph(method, module, loss, types, options);
  passes::finish_stage(*g, options);
  return g;
}

}  // namespace wick::train

// The split form of autodiff: the joint graph is built on a copy, then cut
// after the last forward node. Forward values the backward reads are saved
// (become forward outputs and backward inputs) or recomputed in the
// backward, by the policy stated in autodiff.h.
#include <algorithm>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "ir/op_table.h"
#include "passes/autodiff.h"

namespace wick::passes {
namespace {

using ir::Node;
using ir::Value;

// Decides, for each forward value the backward needs, whether it is saved or
// recomputed.
class SavePolicy {
 public:
  SavePolicy(const std::unordered_set<const Node*>& forward, const std::unordered_set<const Value*>& free_to_save)
      : forward_(forward), kept_(free_to_save) {}

  void need(const Value* v) {
    if (fate_.count(v)) return;
    const Node* n = v->node();
    if (is_free(n)) {
      recompute_.insert(n);
      fate_[v] = Fate::recomputed;
      return;
    }
    if (!recomputable(n)) {
      save(v);
      return;
    }
    std::set<const Value*> frontier;
    std::set<const Node*> nodes = {n};
    for (const Value* u : n->inputs()) expand(u, n->op().lowering == ir::Lowering::pointwise ? 1 : 0, frontier, nodes);
    double extra = 0;
    for (const Value* f : frontier) extra += cost(f);
    const double own = cost(v);
    if (extra < own || extra == 0) {
      for (const Node* m : nodes) {
        recompute_.insert(m);
        for (const Value* o : m->outputs()) fate_[o] = Fate::recomputed;
      }
      for (const Value* f : frontier) save(f);
    } else {
      save(v);
    }
  }

  // Whether `v` would be saved anyway (it is not recomputable).
  bool always_saved(const Value* v) const { return !is_free(v->node()) && !recomputable(v->node()); }

  const std::vector<const Value*>& saved() const { return saved_; }
  bool recomputed(const Node* n) const { return recompute_.count(n) > 0; }

 private:
  enum class Fate { saved, recomputed };

  bool in_forward(const Node* n) const { return forward_.count(n) > 0; }
  static bool is_free(const Node* n) { return n->is("prim::Constant") || n->is("prim::Param"); }
  bool recomputable(const Node* n) const {
    if (!in_forward(n) || !n->blocks().empty()) return false;
    const ir::Lowering l = n->op().lowering;
    return l == ir::Lowering::pointwise || l == ir::Lowering::view || l == ir::Lowering::scalar ||
           n->is("prim::ListConstruct");
  }

  // Bytes of a value that would have to be kept from forward to backward.
  double cost(const Value* v) const {
    if (kept_.count(v) || fate_.count(v)) return 0;
    const ir::Type& t = *v->type();
    if (!t.is_tensor()) return 0;
    if (!t.fully_static()) return 1;
    double n = static_cast<double>(dtype_size(*t.dtype()));
    for (int64_t s : t.static_sizes()) n *= static_cast<double>(s);
    return n;
  }

  // What recomputing `v` would read, within `depth` pointwise ops.
  void expand(const Value* v, int depth, std::set<const Value*>& frontier, std::set<const Node*>& nodes) {
    if (fate_.count(v)) return;
    const Node* n = v->node();
    if (is_free(n)) {
      nodes.insert(n);
      return;
    }
    if (!recomputable(n) || depth > kMaxRecomputeDepth || n->num_outputs() != 1) {
      frontier.insert(v);
      return;
    }
    if (!nodes.insert(n).second) return;
    const int next = depth + (n->op().lowering == ir::Lowering::pointwise ? 1 : 0);
    for (const Value* u : n->inputs()) expand(u, next, frontier, nodes);
  }

  void save(const Value* v) {
    if (fate_.count(v)) return;
    fate_[v] = Fate::saved;
    saved_.push_back(v);
  }

  const std::unordered_set<const Node*>& forward_;
  const std::unordered_set<const Value*>& kept_;
  std::unordered_map<const Value*, Fate> fate_;
  std::unordered_set<const Node*> recompute_;
  std::vector<const Value*> saved_;
};

Value* mapped(const ir::ValueMap& map, const Value* v) {
  auto it = map.find(v);
  WICK_ASSERT(it != map.end(), "autodiff_split: %" + v->name() + " is neither saved nor recomputed");
  return it->second;
}

}  // namespace

SplitGraphs autodiff_split(const ir::Graph& graph, const AutodiffSpec& spec) {
  if (!spec.seeds.empty()) throw Error("autodiff_split: the backward graph takes the seed gradients as inputs");
  // The joint graph, on a copy.
  ir::Graph joint;
  joint.set_name(graph.name());
  joint.set_module(graph.module());
  ir::ValueMap to_joint;
  for (const Value* v : graph.inputs()) to_joint[v] = joint.add_input(v->type(), v->name());
  for (const Node* n : *graph.block()) ir::clone_before(*n, joint.block()->return_node(), to_joint);
  for (const Value* v : graph.outputs()) joint.add_output(mapped(to_joint, v));
  std::unordered_set<const Node*> forward;
  for (const Node* n : *joint.block()) forward.insert(n);
  const size_t num_inputs = joint.inputs().size();

  AutodiffSpec js;
  for (Value* v : spec.outputs) {
    js.outputs.push_back(mapped(to_joint, v));
    js.seeds.push_back(joint.add_input(v->type(), v->has_name() ? v->name() + "_grad" : "grad"));
  }
  for (Value* v : spec.wrt) js.wrt.push_back(mapped(to_joint, v));
  const std::vector<Value*> grads = autodiff(joint, js);

  // What the backward reads from the forward.
  std::unordered_set<const Value*> kept(joint.inputs().begin(), joint.inputs().begin() + num_inputs);
  for (size_t i = 0; i < graph.outputs().size(); ++i) kept.insert(joint.outputs()[i]);
  auto from_forward = [&](const Value* v) {
    return forward.count(v->node()) || (v->node() == joint.block()->param_node() && v->offset() < num_inputs);
  };
  std::vector<const Value*> needed;
  for (const Node* n : *joint.block())
    if (!forward.count(n))
      for (const Value* v : ir::captured_values(*n))
        if (from_forward(v)) needed.push_back(v);
  for (const Value* g : grads)
    if (from_forward(g)) needed.push_back(g);
  SavePolicy policy(forward, kept);
  // Values saved in any case first, so that recomputation can read them.
  for (const Value* v : needed)
    if (policy.always_saved(v)) policy.need(v);
  for (const Node* n : *joint.block())
    for (const Value* o : n->outputs())
      if (std::find(needed.begin(), needed.end(), o) != needed.end()) policy.need(o);
  for (const Value* v : needed) policy.need(v);  // graph inputs

  // Saved values in the order they are defined.
  std::unordered_map<const Value*, size_t> position;
  for (const Value* v : joint.inputs()) position[v] = position.size();
  for (const Node* n : *joint.block())
    for (const Value* o : n->outputs()) position[o] = position.size();
  std::vector<const Value*> saved = policy.saved();
  std::sort(saved.begin(), saved.end(), [&](const Value* a, const Value* b) { return position[a] < position[b]; });

  SplitGraphs out;
  out.forward = std::make_unique<ir::Graph>();
  ir::Graph& f = *out.forward;
  f.set_name(graph.name());
  f.set_module(graph.module());
  ir::ValueMap to_f;
  for (size_t i = 0; i < num_inputs; ++i) {
    const Value* in = joint.inputs()[i];
    to_f[in] = f.add_input(in->type(), in->name());
  }
  for (const Node* n : *joint.block())
    if (forward.count(n)) ir::clone_before(*n, f.block()->return_node(), to_f);
  for (size_t i = 0; i < graph.outputs().size(); ++i) f.add_output(mapped(to_f, joint.outputs()[i]));
  for (const Value* v : saved) f.add_output(mapped(to_f, v));
  out.num_saved = saved.size();

  out.backward = std::make_unique<ir::Graph>();
  ir::Graph& b = *out.backward;
  b.set_name(graph.name() + "_backward");
  b.set_module(graph.module());
  ir::ValueMap to_b;
  for (const Value* v : saved) to_b[v] = b.add_input(v->type(), v->name());
  for (const Value* s : js.seeds) to_b[s] = b.add_input(s->type(), s->name());
  for (const Node* n : *joint.block()) {
    if (forward.count(n) && !policy.recomputed(n)) continue;
    for (const Value* v : ir::captured_values(*n)) mapped(to_b, v);
    ir::clone_before(*n, b.block()->return_node(), to_b);
  }
  for (const Value* g : grads) b.add_output(mapped(to_b, g));
  return out;
}

}  // namespace wick::passes

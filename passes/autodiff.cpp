// The autodiff pass, joint form: which nodes lie between the wrt values and
// the differentiated outputs, then one sweep over them in reverse order that
// calls each op's gradient rule and sums the gradients every value receives.
// The split form is in autodiff_split.cpp.
#include "passes/autodiff.h"

#include <map>
#include <unordered_map>
#include <unordered_set>

#include "ir/builder.h"
#include "ir/gradient_rule.h"
#include "ir/module.h"

namespace wick::passes {
namespace {

using ir::Node;
using ir::Value;

bool is_float_tensor(const Value* v) {
  const ir::Type& t = *v->type();
  return t.is_tensor() && t.dtype() && is_floating(*t.dtype());
}

// Values a gradient can flow through: floating-point tensors, and lists of
// tensors (cat and stack operands).
bool carries_gradient(const Value* v) {
  const ir::Type& t = *v->type();
  if (t.kind() == ir::TypeKind::List) return t.element()->is_tensor();
  return is_float_tensor(v);
}

void collect(const ir::Block* b, std::unordered_set<const Value*>& defined, std::vector<const Value*>& used) {
  for (const Value* p : b->params()) defined.insert(p);
  for (const Node* inner : *b) {
    used.insert(used.end(), inner->inputs().begin(), inner->inputs().end());
    defined.insert(inner->outputs().begin(), inner->outputs().end());
    for (const ir::Block* nested : inner->blocks()) collect(nested, defined, used);
  }
  used.insert(used.end(), b->results().begin(), b->results().end());
}

// Values defined outside `n` that `n` reads, in its inputs or inside its blocks.
std::vector<const Value*> captured(const Node* n) {
  std::vector<const Value*> out(n->inputs().begin(), n->inputs().end());
  std::unordered_set<const Value*> defined;
  std::vector<const Value*> used;
  for (const ir::Block* b : n->blocks()) collect(b, defined, used);
  for (const Value* v : used)
    if (!defined.count(v)) out.push_back(v);
  return out;
}

class Autodiff {
 public:
  Autodiff(ir::Graph& g, const AutodiffSpec& spec) : g_(g), spec_(spec), builder_(g) {}

  std::vector<Value*> run() {
    check_spec();
    analyse();
    GradBuilder b(builder_, constants_);
    seed(b);
    for (Node* n = g_.block()->return_node()->prev(); n != g_.block()->param_node(); n = n->prev())
      if (region_.count(n)) differentiate(*n);
    std::vector<Value*> out;
    builder_.set_source({}, {});
    for (Value* w : spec_.wrt) {
      auto it = grads_.find(w);
      Value* g = it != grads_.end() ? it->second : b.zeros_like(w);
      if (!g->has_name() && w->has_name()) g->set_name(w->name() + "_grad");
      g_.add_output(g);
      out.push_back(g);
    }
    return out;
  }

 private:
  using GradBuilder = ir::GradBuilder;

  void check_spec() {
    if (spec_.outputs.empty()) throw Error("autodiff: nothing to differentiate");
    if (!spec_.seeds.empty() && spec_.seeds.size() != spec_.outputs.size())
      throw Error("autodiff: " + std::to_string(spec_.outputs.size()) + " outputs but " +
                  std::to_string(spec_.seeds.size()) + " seed gradients");
    for (const Value* v : spec_.outputs) {
      if (!in_top_block(v)) throw Error("autodiff: %" + v->name() + " is not a value of the graph's top block");
      if (!is_float_tensor(v))
        throw Error("cannot differentiate %" + v->name() + " of type " + v->type()->str() +
                    ": only floating-point tensors have gradients");
    }
    for (size_t i = 0; i < spec_.seeds.size(); ++i) {
      const ir::Type &o = *spec_.outputs[i]->type(), &s = *spec_.seeds[i]->type();
      if (!s.is_tensor() || (s.has_rank() && o.has_rank() && !same_shape(*s.shape(), *o.shape())))
        throw Error("autodiff: the seed %" + spec_.seeds[i]->name() + " of type " + s.str() + " does not match %" +
                    spec_.outputs[i]->name() + " of type " + o.str());
    }
    if (spec_.seeds.empty()) {
      const Value* loss = spec_.outputs[0];
      if (spec_.outputs.size() != 1 || !has_one_element(loss))
        throw Error("autodiff: %" + loss->name() + " of type " + loss->type()->str() +
                    " is not a one-element loss; give seed gradients");
    }
    for (const Value* w : spec_.wrt) {
      const bool input = w->node() == g_.block()->param_node();
      const bool param = w->node()->is("prim::Param") && w->node()->owning_block() == g_.block();
      if (!input && !param)
        throw Error("autodiff: %" + w->name() + " is neither a graph input nor a parameter of the top block");
      if (!is_float_tensor(w))
        throw Error("cannot differentiate with respect to %" + w->name() + " of type " + w->type()->str() +
                    ": only floating-point tensors have gradients");
    }
  }

  bool in_top_block(const Value* v) const {
    return v->node()->owning_block() == g_.block() || v->node() == g_.block()->param_node();
  }

  // No dim known to differ.
  static bool same_shape(const std::vector<ir::Dim>& a, const std::vector<ir::Dim>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (a[i].is_static() && b[i].is_static() && a[i] != b[i]) return false;
    return true;
  }

  static bool has_one_element(const Value* v) {
    const ir::Type& t = *v->type();
    if (!t.has_rank()) return false;
    for (const ir::Dim& d : *t.shape())
      if (!d.is_static() || d.value() != 1) return false;
    return true;
  }

  // active_: values that depend on a wrt value and carry gradients. useful:
  // values the outputs depend on. region_: nodes that read an active value
  // and have an active, useful output.
  void analyse() {
    for (Value* w : spec_.wrt) active_.insert(w);
    for (Node* n : *g_.block()) {
      bool any = false;
      const std::vector<const Value*> in = captured(n);
      for (const Value* v : in) any = any || active_.count(v);
      if (!any) continue;
      reached_.insert(n);
      for (const Value* o : n->outputs())
        if (carries_gradient(o)) active_.insert(o);
    }
    std::unordered_set<const Value*> useful(spec_.outputs.begin(), spec_.outputs.end());
    for (Node* n = g_.block()->return_node()->prev(); n != g_.block()->param_node(); n = n->prev()) {
      bool is_useful = false, is_active = false;
      for (const Value* o : n->outputs()) {
        is_useful = is_useful || useful.count(o);
        is_active = is_active || (useful.count(o) && active_.count(o));
      }
      if (!is_useful) continue;
      const std::vector<const Value*> in = captured(n);
      useful.insert(in.begin(), in.end());
      if (!is_active || !reached_.count(n)) continue;
      if (n->op().lowering == ir::Lowering::control)
        throw n->error("differentiating through control flow is not supported yet");
      if (!n->blocks().empty())
        throw n->error("cannot differentiate through " + n->kind() + ": autodiff expects a graph before fusion");
      region_.insert(n);
    }
  }

  void seed(GradBuilder& b) {
    for (size_t i = 0; i < spec_.outputs.size(); ++i) {
      Value* out = spec_.outputs[i];
      Value* s = spec_.seeds.empty() ? b.op("aten::ones_like", {out}) : spec_.seeds[i];
      accumulate(b, out, s);
    }
  }

  void differentiate(Node& n) {
    if (n.is("prim::ListConstruct")) return;  // its elements get their gradients from the list's user
    std::vector<Value*> out_grads;
    bool any = false;
    for (Value* o : n.outputs()) {
      auto it = grads_.find(o);
      out_grads.push_back(it == grads_.end() ? nullptr : it->second);
      any = any || out_grads.back();
    }
    if (!any) return;
    const ir::GradientRule* rule = n.op().gradient;
    if (!rule) {
      if (n.op().lowering == ir::Lowering::composite)
        throw n.error("cannot differentiate the composite op " + n.kind() + ": decompose the graph first");
      throw n.error("no gradient rule for " + n.kind());
    }
    builder_.set_source(n.source_location(), n.source_line());
    ir::GradContext c(builder_, constants_, n, out_grads, [this](const Value* v) { return active_.count(v) > 0; });
    std::vector<Value*> in_grads = rule->fn(c);
    WICK_ASSERT(in_grads.size() == n.num_inputs(), n.kind() + ": the gradient rule returned " +
                                                       std::to_string(in_grads.size()) + " gradients");
    for (size_t i = 0; i < in_grads.size(); ++i)
      if (in_grads[i] && active_.count(n.input(i))) accumulate(c, n.input(i), in_grads[i]);
    for (const auto& [i, grads] : c.element_grads()) {
      const std::vector<Value*> elements = c.elements(i);
      WICK_ASSERT(grads.size() == elements.size(), n.kind() + ": element gradients of the wrong count");
      for (size_t k = 0; k < grads.size(); ++k)
        if (grads[k] && active_.count(elements[k])) accumulate(c, elements[k], grads[k]);
    }
  }

  // grads_[v] += g, with g cast to v's dtype.
  void accumulate(GradBuilder& b, Value* v, Value* g) {
    WICK_ASSERT(g->type()->is_tensor(), "a gradient of type " + g->type()->str());
    const auto& want = v->type()->dtype();
    if (want && g->type()->dtype() != want) g = b.cast(g, *want);
    const ir::Type &tv = *v->type(), &tg = *g->type();
    WICK_ASSERT(!tv.has_rank() || !tg.has_rank() || same_shape(*tv.shape(), *tg.shape()),
                "the gradient of %" + v->name() + " " + tv.str() + " has type " + tg.str());
    auto it = grads_.find(v);
    if (it == grads_.end()) {
      grads_[v] = g;
      return;
    }
    it->second = b.add(it->second, g);
  }

  ir::Graph& g_;
  const AutodiffSpec& spec_;
  ir::Builder builder_;
  std::map<std::string, Value*> constants_;
  std::unordered_set<const Value*> active_;
  std::unordered_set<const Node*> reached_;  // nodes reading an active value
  std::unordered_set<const Node*> region_;
  std::unordered_map<const Value*, Value*> grads_;
};

}  // namespace

AutodiffSpec loss_spec(const ir::Graph& graph) {
  AutodiffSpec spec;
  if (graph.outputs().empty()) throw Error("autodiff: @" + graph.name() + " has no outputs");
  spec.outputs = {graph.outputs().back()};
  for (Value* v : graph.inputs())
    if (is_float_tensor(v)) spec.wrt.push_back(v);
  const ir::Module* m = graph.module();
  for (Node* n : *graph.block()) {
    if (!n->is("prim::Param") || !is_float_tensor(n->output())) continue;
    const ir::AttrValue* name = n->attrs().find("name");
    const ir::NamedTensor* t = m && name ? m->find_tensor(std::get<std::string>(*name)) : nullptr;
    if (t && t->role == ir::TensorRole::parameter) spec.wrt.push_back(n->output());
  }
  return spec;
}

std::vector<ir::Value*> autodiff(ir::Graph& graph, const AutodiffSpec& spec) { return Autodiff(graph, spec).run(); }

}  // namespace wick::passes

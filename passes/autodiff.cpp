// The autodiff pass, joint form: which nodes lie between the wrt values and
// the differentiated outputs, then one sweep over them in reverse order that
// calls each op's gradient rule and sums the gradients every value receives.
// The split form is in autodiff_split.cpp.
#include "passes/autodiff.h"

#include <map>
#include <unordered_map>
#include <unordered_set>

#include "ir/builder.h"
#include "ir/constant_value.h"
#include "ir/gradient_rule.h"
#include "ir/module.h"
#include "passes/unroll_loops.h"

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

class Autodiff {
 public:
  Autodiff(ir::Graph& g, const AutodiffSpec& spec) : g_(g), spec_(spec), builder_(g) {}

  std::vector<Value*> run(std::vector<Value*>* reached) {
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
      if (reached) {
        auto r = reached_.find(w);
        reached->push_back(it != grads_.end() && r != reached_.end() ? r->second : nullptr);
      }
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

  // active_: values that depend on a wrt value and carry gradients (a
  // detached value carries none, so what only reads it, a loop included,
  // is not differentiated). useful: values the outputs depend on. region_:
  // nodes that read an active value and have an active, useful output.
  void analyse() {
    for (Value* w : spec_.wrt) active_.insert(w);
    for (Node* n : *g_.block()) {
      if (n->is("aten::detach")) continue;
      bool any = false;
      const std::vector<const Value*> in = ir::captured_values(*n);
      for (const Value* v : in) any = any || active_.count(v);
      if (!any) continue;
      reads_active_.insert(n);
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
      const std::vector<const Value*> in = ir::captured_values(*n);
      useful.insert(in.begin(), in.end());
      if (!is_active || !reads_active_.count(n)) continue;
      check_differentiable(*n);
      region_.insert(n);
    }
  }

  // Loops are differentiated by unrolling them first (unroll_loops.h): one
  // left here and nodes owning blocks other than If (fusion groups) are
  // refused, before the graph is touched where they lie in the top block;
  // inside an If, when its branch is differentiated.
  static void check_differentiable(const Node& n) {
    if (n.is("prim::Loop")) {
      const auto trips = ir::constant_int(n.input(0));
      const auto start = ir::constant_bool(n.input(1));
      const auto again = ir::constant_bool(n.block(0)->results()[0]);
      if (trips && start && *start && again && *again)
        throw n.error("cannot differentiate through this loop of " + std::to_string(*trips) +
                      " trips: loops are differentiated by unrolling them, and a training step unrolls at most " +
                      std::to_string(kTrainingUnroll.max_trips) + " trips of " +
                      std::to_string(kTrainingUnroll.max_nodes) + " nodes in all");
      throw n.error("cannot differentiate through a loop whose trip count is known only at run time (a while "
                    "loop, or a for loop over a dynamic size): loops are differentiated by unrolling them");
    }
    if (!n.blocks().empty() && !n.is("prim::If"))
      throw n.error("cannot differentiate through " + n.kind() + ": autodiff expects a graph before fusion");
  }

  void seed(GradBuilder& b) {
    for (size_t i = 0; i < spec_.outputs.size(); ++i) {
      Value* out = spec_.outputs[i];
      Value* s = spec_.seeds.empty() ? b.op("aten::ones_like", {out}) : spec_.seeds[i];
      accumulate(b, out, s, nullptr);
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
    check_differentiable(n);
    if (n.is("prim::If")) return differentiate_if(n, out_grads);
    const ir::GradientRule* rule = n.op().gradient;
    if (!rule) {
      if (n.op().lowering == ir::Lowering::composite)
        throw n.error("cannot differentiate the composite op " + n.kind() + ": decompose the graph first");
      throw n.error("no gradient rule for " + n.kind());
    }
    builder_.set_source(n.source_location(), n.source_line());
    ir::GradContext c(builder_, constants_, n, out_grads, [this](const Value* v) { return active_.count(v) > 0; });
    Value* reached = reached_by(c, n.outputs());
    std::vector<Value*> in_grads = rule->fn(c);
    WICK_ASSERT(in_grads.size() == n.num_inputs(), n.kind() + ": the gradient rule returned " +
                                                       std::to_string(in_grads.size()) + " gradients");
    for (size_t i = 0; i < in_grads.size(); ++i)
      if (in_grads[i] && active_.count(n.input(i))) accumulate(c, n.input(i), in_grads[i], reached);
    for (const auto& [i, grads] : c.element_grads()) {
      const std::vector<Value*> elements = c.elements(i);
      WICK_ASSERT(grads.size() == elements.size(), n.kind() + ": element gradients of the wrong count");
      for (size_t k = 0; k < grads.size(); ++k)
        if (grads[k] && active_.count(elements[k])) accumulate(c, elements[k], grads[k], reached);
    }
  }

  // The gradient of an If is an If on the same condition. Values defined in
  // a branch are not visible after it, so each backward branch recomputes
  // its forward branch and differentiates that copy; it yields the gradients
  // of the active values the If reads from outside (zeros for those the
  // branch does not use), which then flow on like any input's gradient.
  // Where a branch does not reach a value, the If also yields whether the
  // gradient was reached in this run (see reached_).
  void differentiate_if(Node& n, const std::vector<Value*>& out_grads) {
    std::vector<Value*> targets;
    std::unordered_set<const Value*> seen;
    for (const Value* v : ir::captured_values(n)) {
      if (!active_.count(v) || !seen.insert(v).second) continue;
      if (!is_float_tensor(v))
        throw n.error("cannot differentiate through this if: it reads %" + v->name() + " of type " +
                      v->type()->str() + ", which carries gradients but is not a tensor");
      targets.push_back(const_cast<Value*>(v));
    }
    if (targets.empty()) return;
    std::vector<Value*> out_reached;
    for (Value* o : n.outputs()) {
      auto r = reached_.find(o);
      out_reached.push_back(r == reached_.end() ? nullptr : r->second);
    }
    std::vector<ir::TypePtr> types;
    for (const Value* t : targets) types.push_back(t->type());
    builder_.set_source(n.source_location(), n.source_line());
    Node* backward = builder_.create("prim::If", {n.input(0)}, types);
    Node* after = builder_.insertion_point();
    std::vector<Branch> branches;
    for (const ir::Block* forward : n.blocks())
      branches.push_back(differentiate_branch(*forward, *backward->add_block(), out_grads, out_reached, targets));
    std::vector<Value*> reached(targets.size(), nullptr);
    for (size_t i = 0; i < targets.size(); ++i) {
      bool always = true;
      for (const Branch& br : branches) always = always && !br.reached[i];
      if (always) continue;
      for (size_t k = 0; k < branches.size(); ++k) {
        ir::Block* block = backward->block(k);
        Value* r = branches[k].reached[i];
        if (!r) {
          builder_.set_insertion_point_to_end(block);
          std::map<std::string, Value*> local = constants_;  // constants made here stay in the block
          GradBuilder in_block(builder_, local);
          r = flag(in_block, true);
        }
        block->add_result(r);
      }
      reached[i] = backward->add_output(backward->block(0)->results().back()->type());
    }
    builder_.set_insertion_point(after);
    builder_.set_source(n.source_location(), n.source_line());
    GradBuilder b(builder_, constants_);
    for (size_t i = 0; i < targets.size(); ++i) accumulate(b, targets[i], backward->output(i), reached[i]);
  }

  struct Branch {
    std::vector<Value*> reached;  // per target: null when always reached
  };

  Branch differentiate_branch(const ir::Block& forward, ir::Block& into, const std::vector<Value*>& out_grads,
                              const std::vector<Value*>& out_reached, const std::vector<Value*>& targets) {
    // Gradients and cached constants made in the branch stay in it.
    std::unordered_map<const Value*, Value*> outer_grads, outer_reached;
    std::swap(outer_grads, grads_);
    std::swap(outer_reached, reached_);
    const std::map<std::string, Value*> outer_constants = constants_;
    builder_.set_insertion_point_to_end(&into);

    ir::ValueMap copy;
    std::vector<Node*> nodes;
    for (const Node* f : forward) {
      Node* c = ir::clone_before(*f, into.return_node(), copy);
      nodes.push_back(c);
      bool reads_active = false;
      for (const Value* v : ir::captured_values(*c)) reads_active = reads_active || active_.count(v);
      if (!reads_active) continue;
      for (const Value* o : c->outputs())
        if (carries_gradient(o)) active_.insert(o);
    }
    GradBuilder b(builder_, constants_);
    for (size_t i = 0; i < out_grads.size(); ++i) {
      Value* result = forward.results()[i];
      auto it = copy.find(result);
      Value* r = it == copy.end() ? result : it->second;
      if (out_grads[i] && active_.count(r)) accumulate(b, r, out_grads[i], out_reached[i]);
    }
    for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) differentiate(**it);
    builder_.set_insertion_point_to_end(&into);
    builder_.set_source({}, {});
    Branch out;
    for (Value* t : targets) {
      auto it = grads_.find(t);
      if (it == grads_.end()) {
        into.add_result(b.zeros_like(t));
        out.reached.push_back(flag(b, false));
        continue;
      }
      into.add_result(it->second);
      auto r = reached_.find(t);
      out.reached.push_back(r == reached_.end() ? nullptr : r->second);
    }

    std::swap(outer_grads, grads_);
    std::swap(outer_reached, reached_);
    constants_ = outer_constants;
    return out;
  }

  // A 0-d bool tensor.
  static Value* flag(GradBuilder& b, bool value) {
    return b.op(value ? "aten::ones" : "aten::zeros", {b.ints({}), b.int_(*torch_code_of(DType::b8))});
  }

  // Whether the gradients of `values` (those that have one) were reached in
  // this run: null when one of them always is.
  Value* reached_by(GradBuilder& b, const std::vector<Value*>& values) {
    Value* any = nullptr;
    for (const Value* v : values) {
      if (!grads_.count(v)) continue;
      auto r = reached_.find(v);
      if (r == reached_.end()) return nullptr;
      any = any ? b.op("aten::__or__.Tensor", {any, r->second}) : r->second;
    }
    return any;
  }

  // grads_[v] += g, with g cast to v's dtype; `reached` (null: always) says
  // whether g flows in this run.
  void accumulate(GradBuilder& b, Value* v, Value* g, Value* reached) {
    WICK_ASSERT(g->type()->is_tensor(), "a gradient of type " + g->type()->str());
    const auto& want = v->type()->dtype();
    if (want && g->type()->dtype() != want) g = b.cast(g, *want);
    const ir::Type &tv = *v->type(), &tg = *g->type();
    WICK_ASSERT(!tv.has_rank() || !tg.has_rank() || same_shape(*tv.shape(), *tg.shape()),
                "the gradient of %" + v->name() + " " + tv.str() + " has type " + tg.str());
    auto it = grads_.find(v);
    if (it == grads_.end()) {
      grads_[v] = g;
      if (reached) reached_[v] = reached;
      return;
    }
    it->second = b.add(it->second, g);
    auto r = reached_.find(v);
    if (r == reached_.end()) return;
    if (!reached) reached_.erase(r);
    else r->second = b.op("aten::__or__.Tensor", {r->second, reached});
  }

  ir::Graph& g_;
  const AutodiffSpec& spec_;
  ir::Builder builder_;
  std::map<std::string, Value*> constants_;
  std::unordered_set<const Value*> active_;
  std::unordered_set<const Node*> reads_active_;  // nodes reading an active value
  std::unordered_set<const Node*> region_;
  std::unordered_map<const Value*, Value*> grads_;
  // For a value whose gradient flows only in some runs (through a branch of
  // an If that reaches it while another does not): a 0-d bool tensor saying
  // whether it flowed in this run, as torch's gradient is None otherwise.
  std::unordered_map<const Value*, Value*> reached_;
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

std::vector<ir::Value*> autodiff(ir::Graph& graph, const AutodiffSpec& spec, std::vector<ir::Value*>* reached) {
  return Autodiff(graph, spec).run(reached);
}

}  // namespace wick::passes

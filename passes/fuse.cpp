#include "passes/fuse.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>

#include "ir/constant_value.h"
#include "ir/op_table.h"
#include "ir/pointwise_expr.h"

namespace wick::passes {
namespace {

using ir::Node;
using ir::Value;

// Activations a GEMM or convolution applies in the same call.
bool is_epilogue(const Node* n, const FuseOptions& options) {
  static const std::set<std::string> ops = {"aten::relu",      "aten::sigmoid",    "aten::tanh",    "aten::gelu",
                                            "aten::silu",      "aten::hardswish",  "aten::relu6",   "aten::hardtanh",
                                            "aten::leaky_relu"};
  if (!ops.count(n->kind()) || (n->is("aten::gelu") && !options.gelu_epilogue)) return false;
  // Every argument besides the tensor must be a constant the epilogue can carry.
  for (size_t i = 1; i < n->num_inputs(); ++i)
    if (!ir::constant_attr(n->input(i))) return false;
  return true;
}

bool is_extern_head(const Node* n) {
  static const std::set<std::string> ops = {"aten::linear", "aten::matmul", "aten::mm",     "aten::bmm",
                                            "aten::addmm",  "aten::conv1d", "aten::conv2d", "aten::conv3d",
                                            "wick::quantized_linear_dynamic"};
  return ops.count(n->kind()) > 0;
}

struct Group {
  std::vector<Node*> nodes;
  bool is_extern = false;
  bool closed = false;  // a reduction ended it, or an extern took its epilogue
  bool mlp = false;     // a small-MLP kernel, made even of a single (f64) layer
  ir::TypePtr domain;   // the iteration domain of a kernel group
  // Row groups (FuseOptions::row_groups): the dims its row reductions
  // reduce (empty: none yet) and the shape of their results.
  std::vector<bool> row_dims;
  ir::TypePtr row_type;
};

bool same_shape(const ir::Type& a, const ir::Type& b) {
  return a.is_tensor() && b.is_tensor() && a.has_rank() && b.has_rank() && *a.shape() == *b.shape() &&
         std::none_of(a.shape()->begin(), a.shape()->end(), [](const ir::Dim& d) { return d.is_unknown(); });
}

// A reduction over trailing dims of its input that keeps them as 1:
// sum.dim_IntList, mean.dim, amax, amin with constant dims and keepdim
// true. Returns the reduced dims, or nothing.
std::optional<std::vector<bool>> row_reduction(const Node* n) {
  static const std::set<std::string> ops = {"aten::sum.dim_IntList", "aten::mean.dim", "aten::amax", "aten::amin"};
  if (!ops.count(n->kind())) return std::nullopt;
  const ir::Type& in = *n->input(0)->type();
  if (!in.is_tensor() || !in.has_rank() || in.rank() == 0) return std::nullopt;
  auto dims = ir::constant_int_list(n->input(1));
  auto keep = ir::constant_bool(n->input(2));
  if (!dims || dims->empty() || !keep || !*keep) return std::nullopt;
  const int64_t rank = static_cast<int64_t>(in.rank());
  std::vector<bool> reduced(rank, false);
  for (int64_t d : *dims) {
    if (d < 0) d += rank;
    if (d < 0 || d >= rank) return std::nullopt;
    reduced[d] = true;
  }
  // Trailing: no kept dim after a reduced one.
  for (int64_t d = 1; d < rank; ++d)
    if (reduced[d - 1] && !reduced[d]) return std::nullopt;
  return reduced;
}

class Fuser {
 public:
  explicit Fuser(const FuseOptions& options) : options_(options) {}

  void block(ir::Block* b) {
    std::vector<Node*> order;
    for (Node* n : *b) order.push_back(n);
    for (Node* n : order)
      for (ir::Block* inner : n->blocks()) block(inner);
    position_.clear();
    for (size_t i = 0; i < order.size(); ++i) position_[order[i]] = i;
    groups_.clear();
    group_of_.clear();
    if (options_.small_mlp)
      for (Node* n : order) small_mlp(n);
    for (Node* n : order)
      if (!group_of_.count(n)) place(n);
    if (options_.max_recompute > 1) merge_broadcast_producers();
    for (auto& g : groups_)
      if (g->nodes.size() >= 2 || g->mlp) materialize(*g);
  }

 private:
  // Whether a value of the group is used by a node outside it that comes
  // before `n`: then the group cannot move down to `n`.
  bool escapes_before(const Group& g, const Node* n) const {
    for (const Node* m : g.nodes)
      for (const Value* v : m->outputs())
        for (const ir::Use& u : v->uses()) {
          // A use inside a nested block counts at the node owning that block.
          const Node* user = u.user;
          while (user && !position_.count(user) && user->owning_block()) user = user->owning_block()->owning_node();
          if (!user || !position_.count(user)) continue;  // the block's return
          if (group_of_.count(user) && group_of_.at(user) == &g) continue;
          if (position_.at(user) < position_.at(n)) return true;
        }
    return false;
  }

  // The kernel arguments the group would have with `extra` joined: the
  // tensors and scalars it reads from outside (constants are baked in) and
  // the values it computes that are used outside it, as far as known now.
  size_t arguments_with(const Group& g, const Node* extra, const Group* other = nullptr) const {
    std::set<const Node*> members(g.nodes.begin(), g.nodes.end());
    members.insert(extra);
    if (other) members.insert(other->nodes.begin(), other->nodes.end());
    std::set<const Value*> args;
    for (const Node* m : members) {
      for (const Value* v : m->inputs())
        if (!members.count(v->node()) && !v->node()->is("prim::Constant")) args.insert(v);
      for (const Value* v : m->outputs())
        for (const ir::Use& u : v->uses())
          if (!members.count(u.user)) args.insert(v);
    }
    return args.size();
  }

  bool used_outside(const Group& g, const Node* extra) const {
    for (const Node* m : g.nodes)
      for (const Value* v : m->outputs())
        for (const ir::Use& u : v->uses()) {
          if (u.user == extra) continue;
          auto it = group_of_.find(u.user);
          if (it == group_of_.end() || it->second != &g) return true;
        }
    return false;
  }

  bool small_linear(const Node* n) const { return is_small_mlp_layer(*n, options_); }

  // An activation between layers: pointwise, reading the chain's value and
  // otherwise only constants or per-feature (1-D) tensors.
  static bool mlp_activation(const Node* n, const Value* chain) {
    if (n->op().lowering != ir::Lowering::pointwise || n->num_outputs() != 1) return false;
    if (!same_shape(*n->output()->type(), *chain->type())) return false;
    bool reads_chain = false;
    for (const Value* v : n->inputs()) {
      if (v == chain) {
        reads_chain = true;
        continue;
      }
      if (!v->type()->is_tensor()) {
        if (!ir::constant_attr(v) && !ir::is_none(v)) return false;
        continue;
      }
      if (v->type()->rank() != 1) return false;
    }
    return reads_chain;
  }

  // Chains of at least two small linear layers, with activations between
  // them, become one kernel (the whole of a small MLP).
  void small_mlp(Node* first) {
    if (group_of_.count(first) || !small_linear(first)) return;
    std::vector<Node*> chain = {first};
    int layers = 1;
    int64_t weights = weight_count(first);
    if (options_.mlp_max_weights && weights > options_.mlp_max_weights) return;
    const Value* v = first->output();
    while (v->uses().size() == 1) {
      Node* next = v->uses()[0].user;
      if (next->owning_block() != first->owning_block() || group_of_.count(next)) break;
      if (small_linear(next) && next->input(0) == v) {
        if (options_.mlp_max_weights && weights + weight_count(next) > options_.mlp_max_weights) break;
        weights += weight_count(next);
        ++layers;
      } else if (!mlp_activation(next, v)) {
        break;
      }
      chain.push_back(next);
      v = next->output();
    }
    // Activations after the last layer stay in the kernel; a chain ending in
    // them is fine, but at least two f32 layers are needed to pay off. An
    // f64 layer has no library call to fall back on (decompose kept it for
    // this kernel), so it is a kernel on its own too.
    if (layers < 2 && first->input(0)->type()->dtype() == DType::f32) return;
    Group* g = new_group(chain[0]);
    for (size_t i = 1; i < chain.size(); ++i) {
      g->nodes.push_back(chain[i]);
      group_of_[chain[i]] = g;
    }
    g->closed = true;
    g->mlp = true;
  }

  static int64_t weight_count(const Node* linear) {
    const std::vector<int64_t> ws = linear->input(1)->type()->static_sizes();
    return ws[0] * ws[1];
  }

  Group* new_group(Node* n) {
    groups_.push_back(std::make_unique<Group>());
    Group* g = groups_.back().get();
    g->nodes.push_back(n);
    group_of_[n] = g;
    return g;
  }

  void place(Node* n) {
    const ir::Lowering l = n->op().lowering;
    if (is_extern_head(n)) {
      new_group(n)->is_extern = true;
      return;
    }
    if (l != ir::Lowering::pointwise && l != ir::Lowering::reduction) return;
    if (!n->output()->type()->is_tensor()) return;
    const bool reduction = l == ir::Lowering::reduction;
    // The domain this node iterates over: its output, or a reduction's input.
    const ir::Type& domain = reduction ? *n->input(0)->type() : *n->output()->type();
    // A row reduction keeps its group open (row groups only).
    std::optional<std::vector<bool>> row;
    if (reduction && options_.row_groups) row = row_reduction(n);
    // A gathered tensor is read whole by the kernel: it must come from
    // outside the group (ir/pointwise_expr.h, gathered_args).
    std::set<const Group*> sources;
    for (int i : ir::gathered_args(n->op())) {
      auto it = group_of_.find(n->input(static_cast<size_t>(i))->node());
      if (it != group_of_.end()) sources.insert(it->second);
    }
    for (const Value* in : n->inputs()) {
      auto it = group_of_.find(in->node());
      if (it == group_of_.end()) continue;
      Group* g = it->second;
      if (g->closed || sources.count(g)) continue;
      if (g->is_extern) {
        // The single activation consuming the library call's result.
        if (reduction || g->nodes.size() != 1 || !is_epilogue(n, options_) || n->input(0) != g->nodes[0]->output() ||
            g->nodes[0]->output()->uses().size() != 1)
          continue;
      } else if (row) {
        // Another reduction over the same rows, or the first.
        if (!same_shape(domain, *g->domain)) continue;
        if (!g->row_dims.empty() && g->row_dims != *row) continue;
      } else {
        // Pointwise over the rows of a row group's reductions.
        if (reduction && !g->row_dims.empty()) continue;  // other dims: it would end the rows' group
        const bool over_rows = !reduction && g->row_type && same_shape(domain, *g->row_type);
        if (!over_rows && !same_shape(domain, *g->domain)) continue;
        // A reduction kernel writes only the reduction's results: the
        // group's other values must not be needed elsewhere. (A row group
        // writes whatever is used outside it.)
        if (reduction && g->row_dims.empty() && used_outside(*g, n)) continue;
      }
      if (escapes_before(*g, n)) continue;
      if (!g->is_extern && arguments_with(*g, n) > kMaxKernelArguments) continue;
      g->nodes.push_back(n);
      group_of_[n] = g;
      if (!g->is_extern && !reduction) merge_sibling_producers(*g, n, sources);
      if (row) {
        g->row_dims = *row;
        g->row_type = n->output()->type();
      } else if (g->is_extern || reduction) {
        g->closed = true;
      }
      return;
    }
    Group* g = new_group(n);
    g->domain = std::make_shared<const ir::Type>(domain);
    g->closed = reduction && !row;
    if (row) {
      g->row_dims = *row;
      g->row_type = n->output()->type();
    }
  }

  // A plain pointwise group: open, no library call, no row reductions.
  static bool plain_kernel(const Group& g) { return !g.is_extern && !g.closed && g.row_dims.empty() && !g.row_type; }

  // Whether a gather in one group reads a tensor the other computes: a
  // gathered tensor must come from outside its kernel.
  bool gathers_between(const Group& a, const Group& b) const {
    for (const Group* reader : {&a, &b}) {
      const Group* writer = reader == &a ? &b : &a;
      for (const Node* m : reader->nodes)
        for (int i : ir::gathered_args(m->op())) {
          auto it = group_of_.find(m->input(static_cast<size_t>(i))->node());
          if (it != group_of_.end() && it->second == writer) return true;
        }
    }
    return false;
  }

  // After `n` joined `g`: the other pointwise groups computing n's inputs
  // over g's domain join it too (the taps of grid_sample, the two sides of
  // a residual add), when their values are not needed outside before `n`
  // and the kernel stays within its arguments. Without this, a node with
  // several producer groups would keep all but one of them apart, each
  // writing a tensor the next kernel reads back.
  void merge_sibling_producers(Group& g, const Node* n, const std::set<const Group*>& gather_sources) {
    if (!plain_kernel(g)) return;
    bool merged = false;
    for (const Value* in : n->inputs()) {
      auto it = group_of_.find(in->node());
      if (it == group_of_.end() || it->second == &g) continue;
      Group* h = it->second;
      if (!plain_kernel(*h) || gather_sources.count(h) || !same_shape(*h->domain, *g.domain)) continue;
      if (escapes_before_merged(*h, g, n) || gathers_between(*h, g)) continue;
      if (arguments_with(g, n, h) > kMaxKernelArguments) continue;
      for (Node* m : h->nodes) {
        g.nodes.push_back(m);
        group_of_[m] = &g;
      }
      h->nodes.clear();
      merged = true;
    }
    // Program order is an order in which every member follows its operands.
    if (merged)
      std::sort(g.nodes.begin(), g.nodes.end(), [&](const Node* a, const Node* b) { return position_.at(a) < position_.at(b); });
  }

  // How many times each element of `h` would be computed in g's kernel:
  // the product of g's dims that h's domain broadcasts (size 1 against a
  // larger one). 0 when h's domain does not broadcast to g's, or g's dims
  // there are not static.
  static int64_t recompute_factor(const ir::Type& h, const ir::Type& g) {
    if (!h.has_rank() || !g.has_rank() || h.rank() != g.rank()) return 0;
    int64_t factor = 1;
    for (size_t d = 0; d < h.rank(); ++d) {
      const ir::Dim& hd = (*h.shape())[d];
      const ir::Dim& gd = (*g.shape())[d];
      if (hd.is_unknown() || gd.is_unknown()) return 0;
      if (hd == gd) continue;
      if (!hd.is_static() || hd.value() != 1 || !gd.is_static()) return 0;
      factor *= gd.value();
    }
    return factor;
  }

  // Whether every use of h's values is by a member of h or of g.
  bool only_used_by(const Group& h, const Group& g) const {
    for (const Node* m : h.nodes)
      for (const Value* v : m->outputs())
        for (const ir::Use& u : v->uses()) {
          auto owner = group_of_.find(u.user);
          if (owner == group_of_.end() || (owner->second != &h && owner->second != &g)) return false;
        }
    return true;
  }

  // A plain pointwise group h whose values only a plain group g over a
  // larger domain reads, h's domain broadcasting to g's (grid_sample's
  // per-point positions and weights [N, 1, P] under its taps [N, C, P]):
  // h joins g, its values computed again for each element of g's domain
  // that reads them (at most max_recompute times each) instead of written
  // and read back. Until nothing changes, as a joined group may leave
  // another's values read only by g.
  void merge_broadcast_producers() {
    for (bool changed = true; changed;) {
      changed = false;
      for (auto& gp : groups_) {
        Group& g = *gp;
        if (g.nodes.empty() || !plain_kernel(g) || !g.domain) continue;
        for (auto& hp : groups_) {
          Group& h = *hp;
          if (&h == &g || h.nodes.empty() || !plain_kernel(h) || !h.domain) continue;
          const int64_t factor = recompute_factor(*h.domain, *g.domain);
          if (factor < 2 || factor > options_.max_recompute) continue;
          if (!only_used_by(h, g) || gathers_between(h, g)) continue;
          // g's values must not be needed before h's last member, where
          // the merged kernel would be placed if that came later.
          if (position_.at(h.nodes.back()) > position_.at(g.nodes.back()) && escapes_before(g, h.nodes.back())) continue;
          if (arguments_with(g, h.nodes.front(), &h) > kMaxKernelArguments) continue;
          for (Node* m : h.nodes) {
            g.nodes.push_back(m);
            group_of_[m] = &g;
          }
          h.nodes.clear();
          std::sort(g.nodes.begin(), g.nodes.end(),
                    [&](const Node* a, const Node* b) { return position_.at(a) < position_.at(b); });
          changed = true;
        }
      }
    }
  }

  // escapes_before for `h` moving down to `n`, where uses by g's members
  // (which move with it) do not count.
  bool escapes_before_merged(const Group& h, const Group& g, const Node* n) const {
    for (const Node* m : h.nodes)
      for (const Value* v : m->outputs())
        for (const ir::Use& u : v->uses()) {
          const Node* user = u.user;
          while (user && !position_.count(user) && user->owning_block()) user = user->owning_block()->owning_node();
          if (!user || !position_.count(user) || user == n) continue;
          auto owner = group_of_.find(user);
          if (owner != group_of_.end() && (owner->second == &h || owner->second == &g)) continue;
          if (position_.at(user) < position_.at(n)) return true;
        }
    return false;
  }

  // Moves the members into a FusionGroup node placed where the last member was.
  void materialize(Group& g) {
    std::set<const Node*> members(g.nodes.begin(), g.nodes.end());
    std::vector<Value*> inputs;
    std::vector<Value*> outputs;
    for (Node* m : g.nodes) {
      for (Value* v : m->inputs()) {
        if (members.count(v->node()) || ir::constant_attr(v) || ir::is_none(v)) continue;
        if (v->node()->is("prim::Constant")) continue;
        if (std::find(inputs.begin(), inputs.end(), v) == inputs.end()) inputs.push_back(v);
      }
      for (Value* v : m->outputs())
        for (const ir::Use& u : v->uses())
          if (!members.count(u.user) && std::find(outputs.begin(), outputs.end(), v) == outputs.end())
            outputs.push_back(v);
    }
    std::vector<ir::TypePtr> types;
    for (Value* v : outputs) types.push_back(v->type());
    Node* last = g.nodes.back();
    ir::Graph& graph = *last->graph();
    Node* group = graph.create("prim::FusionGroup", inputs, types);
    group->attrs().set("kind", std::string(g.is_extern ? "extern" : "kernel"));
    group->set_source(last->source_location(), last->source_line());
    group->insert_after(last);
    ir::Block* body = group->add_block();
    std::unordered_map<const Value*, Value*> param_of;
    for (Value* v : inputs) param_of[v] = body->add_param(v->type());
    // Uses outside the group move to the group's outputs first.
    for (size_t i = 0; i < outputs.size(); ++i) {
      std::vector<ir::Use> uses = outputs[i]->uses();
      for (const ir::Use& u : uses)
        if (!members.count(u.user)) u.user->set_input(u.index, group->output(i));
      if (outputs[i]->has_name()) {
        std::string name = outputs[i]->name();
        outputs[i]->set_name("");
        group->output(i)->set_name(name);
      }
    }
    for (Node* m : g.nodes) {
      m->move_before(body->return_node());
      for (size_t k = 0; k < m->num_inputs(); ++k) {
        auto it = param_of.find(m->input(k));
        if (it != param_of.end()) m->set_input(k, it->second);
      }
    }
    for (Value* v : outputs) body->add_result(v);
  }

  FuseOptions options_;
  std::unordered_map<const Node*, size_t> position_;
  std::vector<std::unique_ptr<Group>> groups_;
  std::unordered_map<const Node*, Group*> group_of_;
};

}  // namespace

bool is_small_mlp_layer(const ir::Node& n, const FuseOptions& options) {
  if (!n.is("aten::linear") || !n.input(1)->node()->is("prim::Param")) return false;
  const ir::Type& x = *n.input(0)->type();
  const ir::Type& w = *n.input(1)->type();
  if (!x.has_rank() || x.rank() != 2 || (x.dtype() != DType::f32 && x.dtype() != DType::f64)) return false;
  const ir::Dim& rows = (*x.shape())[0];
  const ir::Dim& features = (*x.shape())[1];
  if (!features.is_static() || rows.is_unknown() || (!rows.is_static() && !options.mlp_dynamic_rows)) return false;
  if (!w.fully_static() || w.rank() != 2 || w.dtype() != x.dtype()) return false;
  auto ws = w.static_sizes();
  if (ws[0] * ws[1] > options.mlp_layer_weights) return false;
  if (options.mlp_max_features && std::max(ws[0], ws[1]) > options.mlp_max_features) return false;
  return ir::is_none(n.input(2)) || n.input(2)->node()->is("prim::Param");
}

void fuse(ir::Graph& graph, const FuseOptions& options) { Fuser(options).block(graph.block()); }

}  // namespace wick::passes

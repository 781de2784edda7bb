// Which kernels can run on slices of dim 0 of their iteration domain (the
// executor's threads each take some rows), and which values of the group
// have that dim as their own dim 0: those arguments are sliced, the others
// passed whole. A group qualifies when no output element depends on other
// positions along the dim: pointwise groups (a value of the domain's rank
// lines up with it by broadcasting), reductions that keep dim 0, the MLP
// kernel's rows, copies, cat and stack along another dim, and gathers whose
// output rows are their source's rows or their index tensor's rows. A
// tensor a pointwise group gathers from is passed whole.
#include "codegen/kernel_builder.h"
#include "ir/constant_value.h"
#include "ir/pointwise_expr.h"

namespace wick::codegen {
namespace {

using Rows = std::set<const ir::Value*>;

bool known(const ir::Value* v) {
  const ir::Type& t = *v->type();
  if (!t.is_tensor() || !t.has_rank()) return false;
  for (const ir::Dim& d : *t.shape())
    if (d.is_unknown()) return false;
  return true;
}

size_t rank(const ir::Value* v) { return v->type()->shape()->size(); }
const ir::Dim& dim0(const ir::Value* v) { return v->type()->shape()->front(); }
bool broadcast_one(const ir::Dim& d) { return d.is_static() && d.value() == 1; }

// Values of rank `r` whose dim 0 is not a broadcast 1: by numpy
// broadcasting, their dim 0 lines up with dim 0 of a domain of rank r.
void add_full_rank(const KernelGroup& g, size_t r, Rows* rows) {
  for (const ir::Value* v : group_tensors(g))
    if (rank(v) == r && !broadcast_one(dim0(v))) rows->insert(v);
}

std::optional<int64_t> normalized_dim(const ir::Value* dim, size_t rank) {
  auto d = ir::constant_int(dim);
  if (!d) return std::nullopt;
  return *d < 0 ? *d + static_cast<int64_t>(rank) : *d;
}

// Whether `u` reads its value as a gathered (whole) tensor.
bool gathered_use(const ir::Use& u) {
  const std::vector<int> gathered = ir::gathered_args(u.user->op());
  return std::find(gathered.begin(), gathered.end(), static_cast<int>(u.index)) != gathered.end();
}

// Takes the tensors the group gathers from (read whole) out of `rows`;
// false when one is also read element by element, which would need both.
// Several gathers from one tensor (grid_sample's taps) read it whole alike.
bool pass_gathered_whole(const KernelGroup& g, Rows* rows) {
  for (const ir::Node* n : g.nodes)
    for (int i : ir::gathered_args(n->op())) {
      const ir::Value* source = n->input(static_cast<size_t>(i));
      for (const ir::Use& u : source->uses())
        if (!gathered_use(u) && std::find(g.nodes.begin(), g.nodes.end(), u.user) != g.nodes.end()) return false;
      rows->erase(source);
    }
  return true;
}

std::optional<Rows> pointwise_rows(const KernelGroup& g) {
  const ir::Value* first = g.outputs.front();
  const size_t r = rank(first);
  if (r == 0) return std::nullopt;
  for (const ir::Value* v : g.outputs)
    if (rank(v) != r || dim0(v) != dim0(first)) return std::nullopt;
  Rows rows;
  add_full_rank(g, r, &rows);
  if (!pass_gathered_whole(g, &rows)) return std::nullopt;
  return rows;
}

std::optional<Rows> reduction_rows(const KernelGroup& g, const ir::Node& node) {
  const ir::Value* self = node.input(0);
  if (rank(self) == 0 || reduces_dim0(node)) return std::nullopt;
  Rows rows;
  add_full_rank(g, rank(self), &rows);
  for (const ir::Value* v : node.outputs()) rows.insert(v);
  if (!pass_gathered_whole(g, &rows)) return std::nullopt;
  return rows;
}

std::optional<Rows> index_tensor_rows(const ir::Node& node) {
  const ir::Value* self = node.input(0);
  const std::vector<const ir::Value*> entries = list_elements(node.input(1));
  int first = -1, last = -1;
  size_t brank = 0;
  for (size_t d = 0; d < entries.size(); ++d) {
    if (ir::is_none(entries[d])) continue;
    if (!known(entries[d])) return std::nullopt;
    if (first < 0) first = static_cast<int>(d);
    last = static_cast<int>(d);
    brank = std::max(brank, rank(entries[d]));
  }
  if (first < 0) return std::nullopt;
  bool adjacent = true;
  for (int d = first; d <= last; ++d) adjacent = adjacent && !ir::is_none(entries[d]);
  // Kept dims of self come first: result rows are self's rows.
  if (adjacent && first > 0) return Rows{self, node.output()};
  // The broadcast index shape comes first: result rows are its rows.
  if (brank == 0) return std::nullopt;
  Rows rows{node.output()};
  for (const ir::Value* e : entries)
    if (!ir::is_none(e) && rank(e) == brank && !broadcast_one(dim0(e))) rows.insert(e);
  return rows;
}

std::optional<Rows> movement_rows(const ir::Node& node) {
  const ir::Value* out = node.output();
  const std::string& kind = node.kind();
  if (kind == "aten::cat" || kind == "aten::stack") {
    auto d = normalized_dim(node.input(1), rank(out));
    if (!d || *d == 0) return std::nullopt;
    Rows rows{out};
    const size_t element_rank = kind == "aten::stack" ? rank(out) - 1 : rank(out);
    for (const ir::Value* e : list_elements(node.input(0))) {
      if (!known(e)) return std::nullopt;
      if (rank(e) != element_rank) continue;  // cat's legacy 1-D empty tensors
      if (dim0(e) != dim0(out)) return std::nullopt;
      rows.insert(e);
    }
    return rows;
  }
  if (kind == "aten::contiguous") return Rows{node.input(0), out};
  if (kind == "aten::embedding") {
    if (rank(node.input(1)) == 0) return std::nullopt;
    return Rows{node.input(1), out};
  }
  if (kind == "aten::index_select") {
    const ir::Value* self = node.input(0);
    auto d = normalized_dim(node.input(1), rank(self));
    if (!d) return std::nullopt;
    if (*d != 0) return Rows{self, out};
    if (rank(node.input(2)) == 0) return std::nullopt;
    return Rows{node.input(2), out};
  }
  if (kind == "aten::one_hot") return Rows{node.input(0), out};
  if (kind == "aten::index.Tensor") return index_tensor_rows(node);
  return std::nullopt;  // scatters update positions other rows may name
}

std::optional<Rows> mlp_rows(const KernelGroup& g) {
  Rows rows;
  bool first_layer = true;
  for (const ir::Node* n : g.nodes) {
    if (n->is("aten::linear") && first_layer) {
      rows.insert(n->input(0));
      first_layer = false;
    }
    if (n->is("prim::Constant") || n->is("prim::ListConstruct")) continue;
    for (const ir::Value* v : n->outputs())
      if (v->type()->is_tensor() && rank(v) == 2) rows.insert(v);
  }
  return rows;
}

}  // namespace

std::optional<std::set<const ir::Value*>> dim0_rows(const KernelGroup& group, KernelKind kind, const ir::Node* node) {
  for (const ir::Value* v : group_tensors(group))
    if (!known(v)) return std::nullopt;
  // A random number depends on its element's index in the whole tensor,
  // which a slice does not know.
  for (const ir::Node* n : group.nodes)
    if (ir::reads_position(n->op())) return std::nullopt;
  std::optional<Rows> rows;
  switch (kind) {
    case KernelKind::pointwise: rows = pointwise_rows(group); break;
    case KernelKind::reduction:
    case KernelKind::row_group: rows = reduction_rows(group, *node); break;
    case KernelKind::movement: rows = movement_rows(*node); break;
    case KernelKind::mlp: rows = mlp_rows(group); break;
  }
  if (!rows || rows->empty()) return std::nullopt;
  // The dim must be one that slices: symbolic, or static and above 1.
  for (const ir::Value* v : *rows) {
    if (!known(v) || rank(v) == 0) return std::nullopt;
    const ir::Dim& d = dim0(v);
    if (d != dim0(*rows->begin()) || (d.is_static() && d.value() <= 1)) return std::nullopt;
  }
  return rows;
}

}  // namespace wick::codegen

// Decomposition rules for the selections whose size the data decides, as
// aten::nonzero (the positions of the nonzero elements, [N, rank], which
// binds N when it runs) and gathers at its columns:
//   argwhere(x)                 = nonzero(x)
//   nonzero_numpy(x), where(c)  = the columns of nonzero(x): rank tensors [N]
//   x[mask]                     = x indexed at the mask's dims by the columns
//                                 of nonzero(mask) (index with a boolean or
//                                 uint8 mask over k dims: k index tensors)
//   masked_select(x, mask)      = x[mask], both broadcast to one shape first
//   repeat_interleave(r)        = wick::repeat_positions(r, len(r)): each i, r[i]
//                                 times ([N], N = sum(r) bound when it runs)
//   repeat_interleave(x, r, d)  = index_select(x, d, repeat_positions(r, x.size(d)))
//                                 (x flattened without d; one count in r for all)
// So they run, train (index's gradient) and deploy like other gathers; only
// the count is new, a dynamic dim bound by the data.
#include "ir/constant_value.h"
#include "ir/shape_rules.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Value;

bool is_mask(const Value* v) {
  const auto& t = *v->type();
  return t.is_tensor() && t.dtype() && (*t.dtype() == DType::b8 || *t.dtype() == DType::u8);
}

}  // namespace

std::vector<Value*> mask_columns(Emitter& e, Value* mask, size_t rank) {
  Value* positions = e.op("aten::nonzero", {mask});
  std::vector<Value*> out;
  for (size_t k = 0; k < rank; ++k)
    out.push_back(e.op("aten::select.int", {positions, e.int_(1), e.int_(static_cast<int64_t>(k))}));
  return out;
}

namespace {

Value* argwhere(Emitter& e) { return e.op("aten::nonzero", {e.input(0)}); }

Value* nonzero_columns(Emitter& e) {
  const size_t rank = e.shape(e.input(0), "input").size();
  if (rank == 0) throw e.node().error("needs a tensor of at least one dim (a zero-dim one has no columns)");
  return e.list(mask_columns(e, e.input(0), rank));
}

// index(x, indices) with a mask among the indices; nullptr (kept) without.
Value* masked_index(Emitter& e) {
  const ir::Node* list = e.input(1)->node();
  if (!list->is("prim::ListConstruct")) return nullptr;
  bool any = false;
  for (const Value* v : list->inputs()) any = any || (!ir::is_none(v) && is_mask(v));
  if (!any) return nullptr;
  std::vector<Value*> items;
  for (Value* v : list->inputs()) {
    if (ir::is_none(v) || !is_mask(v)) {
      items.push_back(v);
      continue;
    }
    const size_t rank = e.shape(v, "mask").size();
    if (rank == 0) throw e.node().error("a zero-dim boolean index is not supported");
    for (Value* c : mask_columns(e, v, rank)) items.push_back(c);
  }
  return e.op("aten::index.Tensor", {e.input(0), e.list(items)});
}

Value* masked_select(Emitter& e) {
  Value* x = e.input(0);
  Value* mask = e.input(1);
  const auto& xs = e.shape(x, "input");
  const auto& ms = e.shape(mask, "mask");
  const auto shape = ir::shape::broadcast(e.node(), *x->type(), *mask->type());
  if (!shape) throw e.node().error("needs the shapes of its input and mask to broadcast");
  if (*shape != ms) {
    if (*shape == xs) {
      mask = e.op("aten::expand_as", {mask, x});
    } else {
      std::vector<int64_t> sizes;
      for (const ir::Dim& d : *shape) {
        if (!d.is_static()) throw e.node().error("broadcasts both its input and its mask, which needs static shapes");
        sizes.push_back(d.value());
      }
      mask = e.op("aten::expand", {mask, e.ints(sizes), e.bool_(false)});
    }
  }
  if (*shape != xs) x = e.op("aten::expand_as", {x, mask});
  return e.op("aten::index.Tensor", {x, e.list({mask})});
}

Value* size_of(Emitter& e, Value* x, int64_t d) {
  const auto& dim = e.shape(x, "input")[static_cast<size_t>(d)];
  return dim.is_static() ? e.int_(dim.value()) : e.op("aten::size.int", {x, e.int_(d)});
}

// output_size, when given, is a promise torch does not check; the size
// the repeats give is used either way.
Value* repeat_positions(Emitter& e) {
  Value* r = e.input(0);
  return e.op("wick::repeat_positions", {r, size_of(e, r, 0)});
}

Value* repeat_interleave_by_tensor(Emitter& e) {
  Value *x = e.input(0), *r = e.input(1);
  int64_t d = 0;
  if (e.absent(2)) x = e.op("aten::reshape", {x, e.ints({-1})});
  else if (e.shape(x, "input").empty()) x = e.op("aten::reshape", {x, e.ints({1})});
  else d = e.constant_int(2, "dim");
  const auto rank = static_cast<int64_t>(e.shape(x, "input").size());
  if (d < 0) d += rank;
  Value* positions = e.op("wick::repeat_positions", {r, size_of(e, x, d)});
  return e.op("aten::index_select", {x, e.int_(d), positions});
}

}  // namespace

std::vector<NamedRule> mask_rules() {
  return {{"aten::repeat_interleave.Tensor", repeat_positions},
          {"aten::repeat_interleave.self_Tensor", repeat_interleave_by_tensor},
          {"aten::argwhere", argwhere},
          {"aten::nonzero_numpy", nonzero_columns},
          {"aten::where", nonzero_columns},
          {"aten::masked_select", masked_select}};
}

std::vector<NamedRule> mask_special_rules() { return {{"aten::index.Tensor", masked_index}}; }

}  // namespace wick::passes::decompose_detail

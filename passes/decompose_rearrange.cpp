// Decomposition rules for rearranging ops, into views and products:
//   unbind(x, d)               = [select(x, d, i) for each i]
//   movedim / moveaxis         = permute; swapaxes / swapdims = transpose
//   tile(x, reps)              = repeat(x, reps with leading 1s to x's rank)
//   repeat_interleave(x, r, d) = x with a new dim after d, expanded to r and
//                                merged into d (no d: over x flattened)
//   outer(a, b)                = a[:, None] * b[None, :]; dot = sum(a * b);
//   mv(m, v)                   = matmul
//   diff(x, n, d)              = n times x[1:] - x[:-1] along d (!= for
//                                bools), after prepend and append
//   meshgrid(ts)               = each t viewed along its own dim and
//                                expanded to the grid ("xy": first two swapped)
#include "ir/constant_value.h"
#include "ir/shape_rules.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Value;

int64_t wrap_dim(Emitter& e, int64_t d, int64_t rank) {
  if (d < -rank || d >= rank) throw e.node().error("dim " + std::to_string(d) + " out of range");
  return d < 0 ? d + rank : d;
}

int64_t static_size(Emitter& e, Value* x, int64_t d, const char* what) {
  const ir::Dim& n = e.shape(x, "input")[static_cast<size_t>(d)];
  if (!n.is_static()) throw e.node().error(std::string("needs the size of the ") + what + ", got " + n.str());
  return n.value();
}

Value* slice(Emitter& e, Value* x, int64_t d, int64_t start, int64_t end) {
  return e.op("aten::slice.Tensor", {x, e.int_(d), e.int_(start), e.int_(end), e.int_(1)});
}

Value* unbind(Emitter& e) {
  Value* x = e.input(0);
  const int64_t d = wrap_dim(e, e.constant_int(1, "dim"), static_cast<int64_t>(e.shape(x, "input").size()));
  const int64_t n = static_size(e, x, d, "unbound dim");
  std::vector<Value*> parts;
  for (int64_t i = 0; i < n; ++i) parts.push_back(e.op("aten::select.int", {x, e.int_(d), e.int_(i)}));
  if (parts.empty()) throw e.node().error("unbinding an empty dim gives an empty list, which is not supported");
  return e.list(parts);
}

Value* movedim(Emitter& e) {
  Value* x = e.input(0);
  const int64_t rank = static_cast<int64_t>(e.shape(x, "input").size());
  return e.op("aten::permute", {x, e.ints(ir::shape::movedim_order(e.node(), rank))});
}

Value* swap(Emitter& e) { return e.op("aten::transpose.int", {e.input(0), e.input(1), e.input(2)}); }

Value* tile(Emitter& e) {
  Value* x = e.input(0);
  auto reps = ir::constant_int_list(e.input(1));
  if (!reps) throw e.node().error("the repeats must be constants");
  while (reps->size() < e.shape(x, "input").size()) reps->insert(reps->begin(), 1);
  return e.op("aten::repeat", {x, e.ints(*reps)});
}

Value* repeat_interleave(Emitter& e) {
  Value* x = e.input(0);
  const int64_t r = e.constant_int(1, "repeats");
  int64_t d = 0;
  if (e.absent(2)) x = e.op("aten::reshape", {x, e.ints({-1})});
  else if (e.shape(x, "input").empty()) x = e.op("aten::reshape", {x, e.ints({1})});
  else d = wrap_dim(e, e.constant_int(2, "dim"), static_cast<int64_t>(e.shape(x, "input").size()));
  const int rank = static_cast<int>(e.shape(x, "input").size());
  Value* u = e.op("aten::unsqueeze", {x, e.int_(d + 1)});
  std::vector<Size> expanded, merged;
  for (int i = 0; i < rank; ++i) {
    expanded.push_back(Size::dim_of(i < d + 1 ? i : i + 1));
    merged.push_back(i == d ? Size::fixed(-1) : Size::dim_of(i));
  }
  expanded.insert(expanded.begin() + d + 1, Size::fixed(r));
  Value* wide = e.op("aten::expand", {u, e.sizes(u, expanded), e.bool_(false)});
  return e.op("aten::reshape", {wide, e.sizes(x, merged)});
}

Value* outer(Emitter& e) {
  return e.mul(e.op("aten::unsqueeze", {e.input(0), e.int_(1)}), e.op("aten::unsqueeze", {e.input(1), e.int_(0)}));
}

Value* dot(Emitter& e) { return e.op("aten::sum", {e.mul(e.input(0), e.input(1)), e.none()}); }
Value* mv(Emitter& e) { return e.op("aten::matmul", {e.input(0), e.input(1)}); }

Value* diff(Emitter& e) {
  Value* x = e.input(0);
  const int64_t n = e.constant_int(1, "n");
  const int64_t d = wrap_dim(e, e.constant_int(2, "dim"), static_cast<int64_t>(e.shape(x, "input").size()));
  if (!e.absent(3) || !e.absent(4)) {
    std::vector<Value*> parts;
    if (!e.absent(3)) parts.push_back(e.input(3));
    parts.push_back(x);
    if (!e.absent(4)) parts.push_back(e.input(4));
    x = e.op("aten::cat", {e.list(parts), e.int_(d)});
  }
  const bool bools = x->type()->dtype() == DType::b8;
  for (int64_t k = 0; k < n; ++k) {
    const int64_t size = static_size(e, x, d, "differenced dim");
    if (size == 0) break;
    Value *later = slice(e, x, d, 1, size), *earlier = slice(e, x, d, 0, size - 1);
    x = bools ? e.op("aten::ne.Tensor", {later, earlier}) : e.sub(later, earlier);
  }
  return x;
}

Value* meshgrid(Emitter& e) {
  const std::vector<Value*> tensors = e.input(0)->node()->inputs();
  const ir::AttrValue* indexing = e.node().num_inputs() > 1 ? ir::constant_attr(e.input(1)) : nullptr;
  const bool xy = indexing && std::holds_alternative<std::string>(*indexing) && std::get<std::string>(*indexing) == "xy";
  const int64_t n = static_cast<int64_t>(tensors.size());
  std::vector<Size> grid;
  std::vector<Value*> flat;
  for (int64_t i = 0; i < n; ++i) {
    flat.push_back(e.op("aten::reshape", {tensors[static_cast<size_t>(i)], e.ints({-1})}));
    grid.push_back(Size::fixed(static_size(e, flat.back(), 0, "grid's dims")));
  }
  if (xy && n >= 2) std::swap(grid[0], grid[1]);
  std::vector<Value*> out;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t at = xy && n >= 2 && i < 2 ? 1 - i : i;
    std::vector<int64_t> view(static_cast<size_t>(n), 1);
    view[static_cast<size_t>(at)] = -1;
    Value* v = e.op("aten::reshape", {flat[static_cast<size_t>(i)], e.ints(view)});
    out.push_back(e.op("aten::expand", {v, e.sizes(v, grid), e.bool_(false)}));
  }
  if (out.empty()) throw e.node().error("meshgrid of no tensors");
  return e.list(out);
}

}  // namespace

std::vector<NamedRule> rearrange_rules() {
  return {{"aten::unbind.int", unbind},       {"aten::movedim.int", movedim},  {"aten::movedim.intlist", movedim},
          {"aten::moveaxis.int", movedim},    {"aten::moveaxis.intlist", movedim}, {"aten::swapaxes", swap},
          {"aten::swapdims", swap},           {"aten::tile", tile},            {"aten::repeat_interleave.self_int", repeat_interleave},
          {"aten::outer", outer},             {"aten::ger", outer},            {"aten::dot", dot},
          {"aten::mv", mv},                   {"aten::diff", diff},            {"aten::meshgrid", meshgrid},
          {"aten::meshgrid.indexing", meshgrid}};
}

}  // namespace wick::passes::decompose_detail

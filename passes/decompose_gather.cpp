// Decomposition rules for reads and writes along one dim by an index
// tensor, as advanced indexing with one index tensor per dim: at `dim` the
// index itself, at every other dim j an arange over the index's size j,
// viewed to broadcast along j. So
//   gather(x, d, index)             = index(x, positions)
//   scatter(x, d, index, src)       = index_put(x, positions, src cut to index's shape)
//   scatter(x, d, index, value)     = index_put(x, positions, value)
//   scatter_add(x, d, index, src)   = index_put(x, positions, src cut, accumulate)
// and their gradients are those of index and index_put.
#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Value;

// The positions `index` names along dim d of a tensor of index's rank.
Value* positions(Emitter& e, Value* index, int64_t d) {
  const auto& shape = e.shape(index, "index");
  const int64_t rank = static_cast<int64_t>(shape.size());
  std::vector<Value*> per_dim;
  for (int64_t j = 0; j < rank; ++j) {
    if (j == d) {
      per_dim.push_back(index);
      continue;
    }
    Value* n = shape[j].is_static() ? e.int_(shape[j].value()) : e.op("aten::size.int", {index, e.int_(j)});
    Value* range = e.op("aten::arange", {n, e.int_(4), e.none(), e.none(), e.none()});  // int64
    std::vector<int64_t> view(static_cast<size_t>(rank), 1);
    view[static_cast<size_t>(j)] = -1;
    per_dim.push_back(e.op("aten::reshape", {range, e.ints(view)}));
  }
  return e.list(per_dim);
}

int64_t indexed_dim(Emitter& e, Value* x, Value* index) {
  const int64_t rank = static_cast<int64_t>(e.shape(x, "input").size());
  if (static_cast<int64_t>(e.shape(index, "index").size()) != rank)
    throw e.node().error("the index must have the input's rank (" + std::to_string(rank) + ")");
  if (rank == 0) throw e.node().error("needs a tensor of at least one dim");
  int64_t d = e.constant_int(1, "dim");
  if (d < -rank || d >= rank) throw e.node().error("dim " + std::to_string(d) + " out of range");
  return d < 0 ? d + rank : d;
}

// src's leading part of the index's shape (scatter reads no more of it).
Value* cut_to(Emitter& e, Value* src, Value* index) {
  const auto& is = e.shape(index, "index");
  const auto& ss = e.shape(src, "src");
  if (ss.size() != is.size()) throw e.node().error("src must have the index's rank");
  for (size_t j = 0; j < is.size(); ++j) {
    if (is[j] == ss[j]) continue;
    if (!is[j].is_static()) throw e.node().error("needs the index's sizes where they differ from src's");
    src = e.op("aten::slice.Tensor", {src, e.int_(static_cast<int64_t>(j)), e.int_(0), e.int_(is[j].value()), e.int_(1)});
  }
  return src;
}

Value* gather(Emitter& e) {
  Value *x = e.input(0), *index = e.input(2);
  return e.op("aten::index.Tensor", {x, positions(e, index, indexed_dim(e, x, index))});
}

Value* scatter(Emitter& e, bool accumulate) {
  Value *x = e.input(0), *index = e.input(2), *src = e.input(3);
  Value* at = positions(e, index, indexed_dim(e, x, index));
  Value* values;
  if (src->type()->is_tensor()) {
    values = cut_to(e, src, index);
    if (values->type()->dtype() != x->type()->dtype()) values = e.cast(values, *x->type()->dtype());
  } else {
    const int code = *torch_code_of(*x->type()->dtype());
    values = e.op("aten::full", {e.ints({}), src, e.int_(code), e.none(), e.none(), e.none()});
  }
  return e.op("aten::index_put", {x, at, values, e.bool_(accumulate)});
}

Value* scatter_replace(Emitter& e) { return scatter(e, false); }
Value* scatter_add(Emitter& e) { return scatter(e, true); }

}  // namespace

std::vector<NamedRule> gather_rules() {
  return {{"aten::gather", gather},
          {"aten::scatter.src", scatter_replace},
          {"aten::scatter.value", scatter_replace},
          {"aten::scatter_add", scatter_add}};
}

}  // namespace wick::passes::decompose_detail

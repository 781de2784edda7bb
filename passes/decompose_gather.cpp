// Decomposition rules for reads and writes along one dim by an index
// tensor, as advanced indexing with one index tensor per dim: at `dim` the
// index itself, at every other dim j an arange over the index's size j,
// viewed to broadcast along j. So
//   gather(x, d, index)             = index(x, positions)
//   scatter(x, d, index, src)       = index_put(x, positions, src cut to index's shape)
//   scatter(x, d, index, value)     = index_put(x, positions, value)
//   scatter_add(x, d, index, src)   = index_put(x, positions, src cut, accumulate)
// and their gradients are those of index and index_put. The reducing
// scatters (scatter_reduce, scatter with `reduce`, index_reduce) write
// their sums with index_put's accumulation, their products, maxima and
// minima with wick::index_put_reduce, and means as sums over counts (the
// count 1 where nothing lands, leaving self). Without include_self, the
// positions written are first reset to the reduction's identity. Whole
// slices along a dim, and the flattened tensor:
//   index_copy(x, d, index, source) = index_put(x, positions, source)
//   index_fill(x, d, index, value)  = index_put(x, positions, value)
//   take(x, index)                  = x.flatten()[index]
//   put(x, index, source, acc)      = x.flatten() index_put at index, viewed back
//   masked_scatter(x, mask, source) = index_put(x, nonzero(mask) columns,
//                                     source.flatten()[:count])
#include <algorithm>
#include <limits>

#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Value;

// Advanced indices for every position of `like` (a tensor of the indexed
// rank): `at_d` at dim d (broadcast to like's shape), at every other dim j
// an arange over like's size j, viewed to broadcast along j.
Value* positions_of(Emitter& e, Value* like, int64_t d, Value* at_d) {
  const auto& shape = e.shape(like, "index");
  const int64_t rank = static_cast<int64_t>(shape.size());
  std::vector<Value*> per_dim;
  for (int64_t j = 0; j < rank; ++j) {
    if (j == d) {
      per_dim.push_back(at_d);
      continue;
    }
    Value* n = shape[j].is_static() ? e.int_(shape[j].value()) : e.op("aten::size.int", {like, e.int_(j)});
    Value* range = e.op("aten::arange", {n, e.int_(4), e.none(), e.none(), e.none()});  // int64
    std::vector<int64_t> view(static_cast<size_t>(rank), 1);
    view[static_cast<size_t>(j)] = -1;
    per_dim.push_back(e.op("aten::reshape", {range, e.ints(view)}));
  }
  return e.list(per_dim);
}

// The positions `index` names along dim d of a tensor of index's rank.
Value* positions(Emitter& e, Value* index, int64_t d) { return positions_of(e, index, d, index); }

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

// scatter's values: src cut to the index's shape in x's dtype, or a
// 0-dim tensor of the scalar.
Value* scatter_values(Emitter& e, Value* x, Value* src, Value* index) {
  if (!src->type()->is_tensor()) {
    const int code = *torch_code_of(*x->type()->dtype());
    return e.op("aten::full", {e.ints({}), src, e.int_(code), e.none(), e.none(), e.none()});
  }
  Value* values = cut_to(e, src, index);
  if (values->type()->dtype() != x->type()->dtype()) values = e.cast(values, *x->type()->dtype());
  return values;
}

Value* scatter(Emitter& e, bool accumulate) {
  Value *x = e.input(0), *index = e.input(2);
  Value* at = positions(e, index, indexed_dim(e, x, index));
  return e.op("aten::index_put", {x, at, scatter_values(e, x, e.input(3), index), e.bool_(accumulate)});
}

Value* scatter_replace(Emitter& e) { return scatter(e, false); }
Value* scatter_add(Emitter& e) { return scatter(e, true); }

// A 0-dim tensor of x's dtype: what `reduce` starts from (its identity).
Value* identity_of(Emitter& e, Value* x, const std::string& reduce) {
  const DType t = *x->type()->dtype();
  Value* v;
  if (reduce == "sum") {
    v = e.int_(0);
  } else if (reduce == "prod") {
    v = e.int_(1);
  } else if (t == DType::b8) {
    v = e.bool_(reduce == "amin");
  } else if (is_floating(t)) {
    v = e.float_(reduce == "amax" ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity());
  } else {
    const int bits = static_cast<int>(dtype_size(t)) * 8;
    const bool is_unsigned = t == DType::u8;
    const int64_t high = is_unsigned ? (int64_t{1} << bits) - 1
                                     : (bits == 64 ? std::numeric_limits<int64_t>::max() : (int64_t{1} << (bits - 1)) - 1);
    const int64_t low = is_unsigned ? 0 : -high - 1;
    v = e.int_(reduce == "amax" ? low : high);
  }
  return e.op("aten::full", {e.ints({}), v, e.int_(*torch_code_of(t)), e.none(), e.none(), e.none()});
}

// x with `values` reduced into the positions `at` selects.
Value* reduce_into(Emitter& e, Value* x, Value* at, Value* values, const std::string& reduce, bool include_self) {
  if (reduce == "mean") {
    Value* sum = reduce_into(e, x, at, values, "sum", include_self);
    const DType t = *x->type()->dtype();
    const int code = *torch_code_of(t);
    Value* start = e.op("aten::full_like", {x, e.int_(include_self ? 1 : 0), e.none(), e.none(), e.none(), e.none(),
                                            e.none()});
    Value* ones = e.op("aten::ones_like", {values, e.int_(code), e.none(), e.none(), e.none(), e.none()});
    Value* count = e.op("aten::index_put", {start, at, ones, e.bool_(true)});
    count = e.op("aten::clamp_min", {count, e.int_(1)});
    if (is_floating(t)) return e.div(sum, count);
    return e.op("aten::div.Tensor_mode", {sum, count, e.str_("floor")});
  }
  Value* base = include_self ? x : e.op("aten::index_put", {x, at, identity_of(e, x, reduce), e.bool_(false)});
  if (reduce == "sum") return e.op("aten::index_put", {base, at, values, e.bool_(true)});
  return e.op("wick::index_put_reduce", {base, at, values, e.str_(reduce)});
}

std::string reduce_arg(Emitter& e, size_t i, const std::vector<std::string>& allowed) {
  const ir::AttrValue* a = ir::constant_attr(e.input(i));
  const std::string* r = a ? std::get_if<std::string>(a) : nullptr;
  if (r && std::find(allowed.begin(), allowed.end(), *r) != allowed.end()) return *r;
  std::string names;
  for (const std::string& n : allowed) names += (names.empty() ? "\"" : ", \"") + n + "\"";
  throw e.node().error("reduce must be a constant, one of " + names);
}

// scatter_reduce.two(x, d, index, src, reduce, include_self).
Value* scatter_reduce(Emitter& e) {
  Value *x = e.input(0), *index = e.input(2);
  const std::string reduce = reduce_arg(e, 4, {"sum", "prod", "mean", "amax", "amin"});
  Value* at = positions(e, index, indexed_dim(e, x, index));
  return reduce_into(e, x, at, scatter_values(e, x, e.input(3), index), reduce, e.constant_bool(5, "include_self"));
}

// scatter.reduce(x, d, index, src, reduce) and scatter.value_reduce(x, d,
// index, value, reduce): reduce "add" or "multiply", self included.
Value* scatter_with_reduce(Emitter& e) {
  Value *x = e.input(0), *index = e.input(2);
  const std::string reduce = reduce_arg(e, 4, {"add", "multiply"});
  Value* at = positions(e, index, indexed_dim(e, x, index));
  return reduce_into(e, x, at, scatter_values(e, x, e.input(3), index), reduce == "add" ? "sum" : "prod", true);
}

// The positions of whole slices along x's dim d at `index` (1-D), as
// advanced indices broadcasting over `like` (x's rank; its size at d is
// not read); d is the node's input 1.
Value* slices_at(Emitter& e, Value* x, Value* index, Value* like) {
  const int64_t rank = static_cast<int64_t>(e.shape(x, "input").size());
  if (e.shape(index, "index").size() > 1) throw e.node().error("needs a 1-D index");
  int64_t d = e.constant_int(1, "dim");
  if (rank == 0 || d < -rank || d >= rank) throw e.node().error("dim " + std::to_string(d) + " out of range");
  if (d < 0) d += rank;
  std::vector<int64_t> view(static_cast<size_t>(rank), 1);
  view[static_cast<size_t>(d)] = -1;
  return positions_of(e, like, d, e.op("aten::reshape", {index, e.ints(view)}));
}

// index_reduce(x, d, index, source, reduce, include_self): source's slice
// k along d reduced into x's slice index[k].
Value* index_reduce(Emitter& e) {
  Value *x = e.input(0), *index = e.input(2), *source = e.input(3);
  const std::string reduce = reduce_arg(e, 4, {"prod", "mean", "amax", "amin"});
  const int64_t rank = static_cast<int64_t>(e.shape(x, "input").size());
  if (static_cast<int64_t>(e.shape(source, "source").size()) != rank)
    throw e.node().error("source must have the input's rank (" + std::to_string(rank) + ")");
  Value* at = slices_at(e, x, index, source);
  if (source->type()->dtype() != x->type()->dtype()) source = e.cast(source, *x->type()->dtype());
  return reduce_into(e, x, at, source, reduce, e.constant_bool(5, "include_self"));
}

Value* index_copy(Emitter& e) {
  Value *x = e.input(0), *index = e.input(2), *source = e.input(3);
  if (e.shape(source, "source").size() != e.shape(x, "input").size())
    throw e.node().error("source must have the input's rank");
  Value* at = slices_at(e, x, index, source);
  if (source->type()->dtype() != x->type()->dtype()) source = e.cast(source, *x->type()->dtype());
  return e.op("aten::index_put", {x, at, source, e.bool_(false)});
}

Value* index_fill(Emitter& e) {
  Value *x = e.input(0), *index = e.input(2), *value = e.input(3);
  if (value->type()->is_tensor()) {
    if (!e.shape(value, "value").empty()) throw e.node().error("the fill value must be a 0-dim tensor");
    if (value->type()->dtype() != x->type()->dtype()) value = e.cast(value, *x->type()->dtype());
  } else {
    value = scatter_values(e, x, value, index);
  }
  return e.op("aten::index_put", {x, slices_at(e, x, index, x), value, e.bool_(false)});
}

Value* flattened(Emitter& e, Value* v) { return e.op("aten::reshape", {v, e.ints({-1})}); }

Value* take(Emitter& e) { return e.op("aten::index.Tensor", {flattened(e, e.input(0)), e.list({e.input(1)})}); }

Value* put(Emitter& e) {
  Value *x = e.input(0), *source = e.input(2);
  const auto& shape = e.shape(x, "input");
  if (source->type()->dtype() != x->type()->dtype()) source = e.cast(source, *x->type()->dtype());
  Value* written = e.op("aten::index_put", {flattened(e, x), e.list({flattened(e, e.input(1))}), flattened(e, source),
                                            e.bool_(e.constant_bool(3, "accumulate"))});
  std::vector<Size> sizes;
  for (size_t d = 0; d < shape.size(); ++d) sizes.push_back(Size::dim_of(static_cast<int>(d)));
  return e.op("aten::reshape", {written, e.sizes(x, sizes)});
}

Value* masked_scatter(Emitter& e) {
  Value *x = e.input(0), *mask = e.input(1), *source = e.input(2);
  const size_t rank = e.shape(x, "input").size();
  if (rank == 0) throw e.node().error("needs a tensor of at least one dim");
  const auto& mask_dtype = mask->type()->dtype();
  if (!mask_dtype || (*mask_dtype != DType::b8 && *mask_dtype != DType::u8))
    throw e.node().error("the mask must be a bool tensor");
  mask = e.op("aten::expand_as", {mask, x});
  std::vector<Value*> columns = mask_columns(e, mask, rank);
  // The first `count` elements of source, in order, one per selected element.
  Value* count = e.op("aten::size.int", {columns[0], e.int_(0)});
  Value* order = e.op("aten::arange", {count, e.int_(4), e.none(), e.none(), e.none()});
  Value* values = e.op("aten::index.Tensor", {flattened(e, source), e.list({order})});
  if (values->type()->dtype() != x->type()->dtype()) values = e.cast(values, *x->type()->dtype());
  return e.op("aten::index_put", {x, e.list(columns), values, e.bool_(false)});
}

}  // namespace

std::vector<NamedRule> gather_rules() {
  return {{"aten::gather", gather},
          {"aten::scatter.src", scatter_replace},
          {"aten::scatter.value", scatter_replace},
          {"aten::scatter_add", scatter_add},
          {"aten::scatter_reduce.two", scatter_reduce},
          {"aten::scatter.reduce", scatter_with_reduce},
          {"aten::scatter.value_reduce", scatter_with_reduce},
          {"aten::index_reduce", index_reduce},
          {"aten::index_copy", index_copy},
          {"aten::index_fill.int_Scalar", index_fill},
          {"aten::index_fill.int_Tensor", index_fill},
          {"aten::take", take},
          {"aten::put", put},
          {"aten::masked_scatter", masked_scatter}};
}

}  // namespace wick::passes::decompose_detail

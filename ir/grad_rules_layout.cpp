// Gradient rules of views and data movement. Views that only change the
// shape reshape the gradient back; permutations apply the inverse; expand
// sums over the broadcast dims; select and slice scatter the gradient into
// zeros (aten::slice_backward); cat and stack hand each element its part;
// index_select, embedding and advanced indexing scatter-add the gradient
// into zeros of the source (aten::index_add, aten::index_put). split, chunk
// and broadcast_tensors return lists, which canonicalize removes, and
// one_hot has an integer result: they have no rule.
#include <limits>

#include "ir/constant_value.h"
#include "ir/gradient_rule.h"

namespace wick::ir {
namespace {

using Grads = std::vector<Value*>;

Value* code_of(GradContext& c, DType t) {
  auto code = torch_code_of(t);
  WICK_ASSERT(code.has_value(), "no torch code for a dtype");
  return c.int_(*code);
}

// view, reshape, flatten, squeeze, unsqueeze: the gradient reshaped back.
Grads reshape_back(GradContext& c) { return c.only_first(c.reshape(c.grad(), c.input(0))); }

Grads permute(GradContext& c) {
  const auto dims = c.constant_ints(1, "the permutation");
  const int64_t rank = static_cast<int64_t>(dims.size());
  std::vector<int64_t> inverse(dims.size());
  for (int64_t i = 0; i < rank; ++i) inverse[static_cast<size_t>(dims[i] < 0 ? dims[i] + rank : dims[i])] = i;
  return c.only_first(c.permute(c.grad(), inverse));
}

Grads transpose(GradContext& c) {
  return c.only_first(c.op("aten::transpose.int", {c.grad(), c.input(1), c.input(2)}));
}

Grads matrix_t(GradContext& c) { return c.only_first(c.op("aten::t", {c.grad()})); }
Grads identity(GradContext& c) { return c.only_first(c.grad()); }
Grads expand(GradContext& c) { return c.only_first(c.sum_to_shape(c.grad(), c.input(0))); }

// select(x, dim, index): the gradient as a size-1 slice of zeros.
Grads select(GradContext& c) {
  Value* x = c.input(0);
  const int64_t d = c.dim(1, 0);
  Value* index = c.input(2);
  Value* end = nullptr;
  if (auto i = constant_int(index)) {
    int64_t k = *i;
    if (k < 0) {
      const Dim& size = c.shape(x)[static_cast<size_t>(d)];
      if (!size.is_static()) throw c.error("differentiating select with a negative index needs a static size");
      k += size.value();
    }
    index = c.int_(k);
    end = c.int_(k + 1);
  } else {
    end = c.op("aten::add.int", {index, c.int_(1)});
  }
  Value* g = c.unsqueeze(c.grad(), d);
  return c.only_first(c.op("aten::slice_backward", {g, c.sizes(x), c.int_(d), index, end, c.int_(1)}));
}

// slice(x, dim, start, end, step): slice_backward normalizes start and end
// exactly as slice does.
Grads slice(GradContext& c) {
  Value* x = c.input(0);
  Value* start = c.is_none(2) ? c.int_(0) : c.input(2);
  Value* end = c.is_none(3) ? c.int_(std::numeric_limits<int64_t>::max()) : c.input(3);
  return c.only_first(c.op("aten::slice_backward", {c.grad(), c.sizes(x), c.int_(c.dim(1, 0)), start, end, c.input(4)}));
}

// cat(tensors, dim): each element gets its slice of the gradient.
Grads cat(GradContext& c) {
  const std::vector<Value*> elements = c.elements(0);
  const int64_t rank = c.rank(c.output());
  int64_t d = c.constant_int(1, "the dim");
  if (d < 0) d += rank;
  std::vector<Value*> grads(elements.size(), nullptr);
  Value* offset = c.int_(0);
  for (size_t k = 0; k < elements.size(); ++k) {
    Value* e = elements[k];
    const auto& s = c.shape(e);
    // cat skips 1-D empty tensors whatever the other ranks (legacy torch).
    if (s.size() == 1 && s[0].is_static() && s[0].value() == 0 && rank != 1) {
      if (c.needs_element_grad(0, k)) grads[k] = c.zeros_like(e);
      continue;
    }
    Value* size = c.size(e, d);
    auto o = constant_int(offset);
    auto n = constant_int(size);
    Value* end = o && n ? c.int_(*o + *n) : c.op("aten::add.int", {offset, size});
    if (c.needs_element_grad(0, k))
      grads[k] = c.op("aten::slice.Tensor", {c.grad(), c.int_(d), offset, end, c.int_(1)});
    offset = end;
  }
  c.set_element_grads(0, grads);
  return c.no_grads();
}

// stack(tensors, dim): element k gets the gradient's index k along dim.
Grads stack(GradContext& c) {
  const std::vector<Value*> elements = c.elements(0);
  int64_t d = c.constant_int(1, "the dim");
  if (d < 0) d += c.rank(c.output());
  std::vector<Value*> grads(elements.size(), nullptr);
  for (size_t k = 0; k < elements.size(); ++k)
    if (c.needs_element_grad(0, k))
      grads[k] = c.op("aten::select.int", {c.grad(), c.int_(d), c.int_(static_cast<int64_t>(k))});
  c.set_element_grads(0, grads);
  return c.no_grads();
}

// index_select(x, dim, index): the gradient added into zeros at the indices.
Grads index_select(GradContext& c) {
  Value* x = c.input(0);
  return c.only_first(c.op("aten::index_add", {c.zeros_like(x), c.int_(c.dim(1, 0)), c.input(2), c.grad()}));
}

// x[indices]: the gradient accumulated into zeros at the indexed positions.
Grads index(GradContext& c) {
  return c.only_first(c.op("aten::index_put", {c.zeros_like(c.input(0)), c.input(1), c.grad(), c.bool_(true)}));
}

// wick::gather_flat(x, index): the gradient added into x at the positions
// read (index_put accumulating), index none.
Grads gather_flat(GradContext& c) {
  Value* index = c.input(1);
  Value* at = c.builder().create("prim::ListConstruct", {index}, {Type::list(index->type())})->output();
  return c.only_first(c.op("aten::index_put", {c.zeros_like(c.input(0)), at, c.grad(), c.bool_(true)}));
}

// embedding(weight, indices, padding_idx, scale_grad_by_freq, sparse): rows
// of the gradient added into the weight's rows; the padding row gets none;
// with scale_grad_by_freq each row is divided by how often it was looked up.
Grads embedding(GradContext& c) {
  Value *weight = c.input(0), *indices = c.input(1);
  if (c.constant_bool(4, "sparse")) throw c.error("sparse embedding gradients are not supported");
  const int64_t padding_idx = c.constant_int(2, "padding_idx");
  const bool by_freq = c.constant_bool(3, "scale_grad_by_freq");
  Value* flat = c.op("aten::reshape", {indices, c.ints({-1})});
  Value* rows = c.size(weight, 1);
  Value* row_shape = nullptr;
  if (auto r = constant_int(rows)) row_shape = c.ints({-1, *r});
  else row_shape = c.builder().create("prim::ListConstruct", {c.int_(-1), rows}, {Type::list(Type::int_())})->output();
  Value* g = c.op("aten::reshape", {c.grad(), row_shape});
  if (padding_idx >= 0) {
    Value* keep = c.to_float_like(c.op("aten::ne.Scalar", {flat, c.int_(padding_idx)}), weight);
    g = c.mul(g, c.unsqueeze(keep, 1));
  }
  Value* gw = c.op("aten::index_add", {c.zeros_like(weight), c.int_(0), flat, g});
  if (by_freq) {
    Value* dtype = code_of(c, c.dtype(weight));
    Value* vocabulary = c.size(weight, 0);
    auto v = constant_int(vocabulary);
    Value* sizes = v ? c.ints({*v})
                     : c.builder().create("prim::ListConstruct", {vocabulary}, {Type::list(Type::int_())})->output();
    Value* counts = c.op("aten::index_add", {c.op("aten::zeros", {sizes, dtype}), c.int_(0), flat,
                                             c.op("aten::ones_like", {flat, dtype})});
    gw = c.div(gw, c.unsqueeze(c.op("aten::clamp_min", {counts, c.float_(1.0)}), 1));
  }
  return c.only_first(gw);
}

// ---- the scatters themselves ----

Grads slice_backward(GradContext& c) {
  return c.only_first(c.op("aten::slice.Tensor", {c.grad(), c.input(2), c.input(3), c.input(4), c.input(5)}));
}

// index_add(self, dim, index, source, alpha).
Grads index_add(GradContext& c) {
  Grads r = c.no_grads();
  Value* g = c.grad();
  if (c.needs_grad(0)) r[0] = g;
  if (c.needs_grad(3)) {
    Value* picked = c.op("aten::index_select", {g, c.input(1), c.input(2)});
    auto alpha = constant_double(c.input(4));
    r[3] = alpha && *alpha == 1.0 ? picked : c.scale(picked, c.input(4));
  }
  return r;
}

// index_put(self, indices, values, accumulate).
Grads index_put(GradContext& c) {
  Grads r = c.no_grads();
  Value* g = c.grad();
  if (c.needs_grad(0)) {
    // Written (not added) positions lose self's value, and its gradient.
    r[0] = c.constant_bool(3, "accumulate")
               ? g
               : c.op("aten::index_put", {g, c.input(1), c.op("aten::zeros", {c.ints({}), code_of(c, c.dtype(g))}),
                                          c.bool_(false)});
  }
  if (c.needs_grad(2)) r[2] = c.sum_to_shape(c.op("aten::index.Tensor", {g, c.input(1)}), c.input(2));
  return r;
}

// wick::index_put_reduce(self, indices, values, reduce), as torch
// differentiates scatter_reduce. amax, amin: the gradient of each result
// is shared evenly by the elements (of self and values) equal to it.
// prod: the product of the others, with zeros masked out so that a single
// zero among a result's factors still gets the product of the rest.
Grads index_put_reduce(GradContext& c) {
  Grads r = c.no_grads();
  Value *self = c.input(0), *indices = c.input(1), *values = c.input(2), *out = c.output(), *g = c.grad();
  const AttrValue* a = constant_attr(c.input(3));
  const std::string reduce = a && std::holds_alternative<std::string>(*a) ? std::get<std::string>(*a) : "";
  auto put = [&](Value* base, Value* v, bool accumulate) {
    return c.op("aten::index_put", {base, indices, v, c.bool_(accumulate)});
  };
  auto pick = [&](Value* x) { return c.op("aten::index.Tensor", {x, indices}); };
  auto is_zero = [&](Value* x) { return c.op("aten::eq.Scalar", {x, c.int_(0)}); };
  if (reduce == "amax" || reduce == "amin") {
    Value* self_hit = c.to_float_like(c.op("aten::eq.Tensor", {self, out}), self);
    Value* value_hit = c.to_float_like(c.op("aten::eq.Tensor", {values, pick(out)}), self);
    Value* share = c.div(g, put(self_hit, value_hit, true));
    if (c.needs_grad(0)) r[0] = c.mul(share, self_hit);
    if (c.needs_grad(2)) r[2] = c.sum_to_shape(c.mul(pick(share), value_hit), values);
    return r;
  }
  if (reduce != "prod") throw c.error("no gradient for reduce \"" + reduce + "\"");
  if (c.needs_grad(0)) {
    Value* masked_self = c.op("aten::masked_fill.Scalar", {self, is_zero(self), c.int_(1)});
    Value* others = c.op("wick::index_put_reduce", {masked_self, indices, values, c.input(3)});
    r[0] = c.div(c.mul(g, others), masked_self);
  }
  if (c.needs_grad(2)) {
    Value* zero = is_zero(values);
    Value* zeros_there = pick(put(c.zeros_like(self), c.to_float_like(zero, self), true));
    Value* single_zero = c.op("aten::eq.Scalar", {c.mul(c.to_float_like(zero, self), zeros_there), c.int_(1)});
    Value* masked_values = c.op("aten::masked_fill.Scalar", {values, single_zero, c.int_(1)});
    Value* without_it = c.op("wick::index_put_reduce", {self, indices, masked_values, c.input(3)});
    Value* divided = c.div(pick(c.mul(g, out)), c.op("aten::masked_fill.Scalar", {values, zero, c.int_(1)}));
    r[2] = c.sum_to_shape(c.where(single_zero, pick(c.mul(g, without_it)), divided), values);
  }
  return r;
}

}  // namespace

void add_layout_gradients(OpTableBuilder& t) {
  t.set_gradient("aten::view", {reshape_back});
  t.set_gradient("aten::reshape", {reshape_back});
  t.set_gradient("aten::flatten.using_ints", {reshape_back});
  t.set_gradient("aten::permute", {permute});
  t.set_gradient("aten::transpose.int", {transpose});
  t.set_gradient("aten::t", {matrix_t});
  t.set_gradient("aten::contiguous", {identity});
  t.set_gradient("aten::unsqueeze", {reshape_back});
  t.set_gradient("aten::squeeze", {reshape_back});
  t.set_gradient("aten::squeeze.dim", {reshape_back});
  t.set_gradient("aten::expand", {expand});
  t.set_gradient("aten::expand_as", {expand});
  t.set_gradient("aten::select.int", {select});
  t.set_gradient("aten::slice.Tensor", {slice});
  t.set_gradient("aten::cat", {cat});
  t.set_gradient("aten::stack", {stack});
  t.set_gradient("aten::index_select", {index_select});
  t.set_gradient("aten::index.Tensor", {index});
  t.set_gradient("wick::gather_flat", {gather_flat});
  t.set_gradient("aten::embedding", {embedding});
  t.set_gradient("aten::slice_backward", {slice_backward});
  t.set_gradient("aten::index_add", {index_add});
  t.set_gradient("aten::index_put", {index_put});
  t.set_gradient("wick::index_put_reduce", {index_put_reduce});
}

}  // namespace wick::ir

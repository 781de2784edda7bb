// Gradient rules of the reductions. sum and mean spread the gradient over
// the reduced dims; amax/amin and the full max()/min() split it evenly among
// the elements equal to the result (torch's convention for ties); max.dim and
// min.dim send it to the index they returned; prod sends each element the
// product of the others, exact with zeros among them. argmax and argmin have
// integer results and no rule.
#include <algorithm>

#include "ir/constant_value.h"
#include "ir/gradient_rule.h"

namespace wick::ir {
namespace {

using Grads = std::vector<Value*>;

std::vector<int64_t> all_dims(GradContext& c) {
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < c.rank(c.input(0)); ++d) dims.push_back(d);
  return dims;
}

// The reduced dims of input 0, sorted: from a dims operand (None or an
// empty list mean every dim).
std::vector<int64_t> reduced_dims(GradContext& c, size_t dims_arg) {
  const int64_t rank = c.rank(c.input(0));
  std::vector<int64_t> dims;
  if (!c.is_none(dims_arg)) dims = c.constant_ints(dims_arg, "the dims");
  if (dims.empty())
    for (int64_t d = 0; d < rank; ++d) dims.push_back(d);
  for (int64_t& d : dims) d = d < 0 ? d + rank : d;
  std::sort(dims.begin(), dims.end());
  return dims;
}

// A reduced result (or its gradient) with the reduced dims back as size 1.
Value* restore(GradContext& c, Value* v, const std::vector<int64_t>& dims, bool keepdim) {
  if (keepdim) return v;
  for (int64_t d : dims) v = c.unsqueeze(v, d);
  return v;
}

bool keepdim_of(GradContext& c, size_t i) { return c.constant_bool(i, "keepdim"); }

Grads sum(GradContext& c) { return c.only_first(c.expand(c.grad(), c.input(0))); }

Grads sum_dim(GradContext& c) {
  const auto dims = reduced_dims(c, 1);
  return c.only_first(c.expand(restore(c, c.grad(), dims, keepdim_of(c, 2)), c.input(0)));
}

Grads mean(GradContext& c) {
  const auto dims = all_dims(c);
  return c.only_first(c.op("aten::div.Scalar", {c.expand(c.grad(), c.input(0)), c.count(c.input(0), dims)}));
}

Grads mean_dim(GradContext& c) {
  const auto dims = reduced_dims(c, 1);
  Value* g = c.expand(restore(c, c.grad(), dims, keepdim_of(c, 2)), c.input(0));
  return c.only_first(c.op("aten::div.Scalar", {g, c.count(c.input(0), dims)}));
}

// The gradient split evenly among the elements of x equal to the result.
Value* evenly_split(GradContext& c, Value* g, Value* result, const std::vector<int64_t>& dims) {
  Value* x = c.input(0);
  Value* mask = c.to_float_like(c.op("aten::eq.Tensor", {x, result}), x);
  Value* count = dims.empty() ? c.op("aten::sum", {mask}) : c.sum(mask, dims, true);
  return c.mul(c.div(g, count), mask);
}

// amax/amin(x, dims, keepdim).
Grads amax(GradContext& c) {
  if (c.rank(c.input(0)) == 0) return c.only_first(c.grad());
  const auto dims = reduced_dims(c, 1);
  const bool keepdim = keepdim_of(c, 2);
  return c.only_first(evenly_split(c, restore(c, c.grad(), dims, keepdim), restore(c, c.output(), dims, keepdim), dims));
}

// max(x), min(x): a 0-dim result.
Grads max_all(GradContext& c) { return c.only_first(evenly_split(c, c.grad(), c.output(), {})); }

// max.dim/min.dim(x, dim, keepdim) -> (values, indices): the gradient goes to
// the returned index, placed with a one-hot mask along dim.
Grads max_dim(GradContext& c) {
  Value* x = c.input(0);
  const int64_t rank = c.rank(x);
  if (rank == 0) return c.only_first(c.grad());
  const int64_t d = c.dim(1, 0);
  const bool keepdim = keepdim_of(c, 2);
  Value* index = keepdim ? c.squeeze(c.output(1), d) : c.output(1);
  Value* hot = c.op("aten::one_hot", {index, c.size(x, d)});  // class dim last
  if (d != rank - 1) {
    std::vector<int64_t> perm;
    for (int64_t i = 0; i < rank - 1; ++i) perm.push_back(i);
    perm.insert(perm.begin() + d, rank - 1);
    hot = c.permute(hot, perm);
  }
  Value* g = keepdim ? c.grad() : c.unsqueeze(c.grad(), d);
  return c.only_first(c.mul(c.to_float_like(hot, x), g));
}

// d prod / d x_i is the product of the other elements: prod / x_i without
// zeros; with one zero, the product of the nonzeros at the zero and 0
// elsewhere; with more, 0 everywhere. Over dim `d` of x, kept.
Value* prod_gradient(GradContext& c, Value* x, Value* g, int64_t d) {
  Value* zero = c.op("aten::eq.Scalar", {x, c.float_(0.0)});
  Value* zeros = c.sum(c.to_float_like(zero, x), {d}, true);
  Value* nonzeros = c.op("aten::masked_fill.Scalar", {x, zero, c.float_(1.0)});
  Value* p = c.op("aten::prod.dim_int", {nonzeros, c.int_(d), c.bool_(true), c.none()});
  Value* only_zero = c.op("aten::__and__.Tensor", {zero, c.op("aten::eq.Scalar", {zeros, c.float_(1.0)})});
  Value* with_zeros = c.where_zero(only_zero, c.expand(p, x));
  Value* d_x = c.where(c.op("aten::eq.Scalar", {zeros, c.float_(0.0)}), c.div(p, x), with_zeros);
  return c.mul(c.expand(g, x), d_x);
}

Grads prod(GradContext& c) {
  Value* x = c.input(0);
  Value* flat = c.op("aten::reshape", {x, c.ints({-1})});
  Value* g = c.op("aten::reshape", {c.grad(), c.ints({1})});
  return c.only_first(c.reshape(prod_gradient(c, flat, g, 0), x));
}

Grads prod_dim(GradContext& c) {
  Value* x = c.input(0);
  const int64_t rank = c.rank(x);
  int64_t d = c.constant_int(1, "dim");
  if (rank == 0) return c.only_first(c.grad());
  if (d < 0) d += rank;
  Value* g = restore(c, c.grad(), {d}, keepdim_of(c, 2));
  return c.only_first(prod_gradient(c, x, g, d));
}

}  // namespace

void add_reduction_gradients(OpTableBuilder& t) {
  t.set_gradient("aten::prod", {prod});
  t.set_gradient("aten::prod.dim_int", {prod_dim});
  t.set_gradient("aten::sum", {sum});
  t.set_gradient("aten::sum.dim_IntList", {sum_dim});
  t.set_gradient("wick::sum_in_order", {sum_dim});
  t.set_gradient("aten::mean", {mean});
  t.set_gradient("aten::mean.dim", {mean_dim});
  t.set_gradient("aten::amax", {amax});
  t.set_gradient("aten::amin", {amax});
  t.set_gradient("aten::max", {max_all});
  t.set_gradient("aten::min", {max_all});
  t.set_gradient("aten::max.dim", {max_dim});
  t.set_gradient("aten::min.dim", {max_dim});
}

}  // namespace wick::ir

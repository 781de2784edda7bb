// Type rules of statistics and sums written with other ops
// (passes/decompose_statistics.cpp, decompose_distances.cpp,
// decompose_elementwise.cpp): cov, corrcoef, trapezoid and trapz,
// cumulative_trapezoid, dist and isin.
#include <string>

#include "ir/constant_value.h"
#include "ir/op_table.h"
#include "ir/shape_rules.h"

namespace wick::ir::shape {
namespace {

// A floating dtype for a result computed from `t` (integers become f32).
std::optional<DType> floating(std::optional<DType> t) {
  if (t && !is_floating(*t) && !is_complex(*t)) return DType::f32;
  return t;
}

TypePtr float_tensor(const Type& like, std::optional<DType> dtype, std::optional<std::vector<Dim>> shape) {
  return Type::tensor(floating(dtype), std::move(shape), like.tensor_device());
}

// The dim argument of the trapezoid rules: the node's last input.
int64_t last_dim_arg(const Node& node, int64_t rank) {
  auto d = constant_int(node.inputs().back());
  if (!d) throw node.error("dim must be a constant");
  return normalize_dim(node, *d, rank);
}

// The dtype of y combined with the spacing tensor x, when given (.x overloads).
std::optional<DType> trapezoid_dtype(const Node& node) {
  const Type& y = input_type(node, 0);
  if (node.op().schema.overload != "x") return y.dtype();
  return result_dtype(y, input_type(node, 1));
}

}  // namespace

// cov(x, correction, fweights, aweights), corrcoef(x): x holds a variable per
// row (a 1-D x is one variable); the [v, v] result is squeezed, so one
// variable gives a 0-d tensor.
std::vector<TypePtr> covariance(const Node& node) {
  const Type& x = input_type(node, 0);
  if (x.dtype() && *x.dtype() == DType::b8) throw node.error("cov of a bool tensor is not defined");
  if (!x.has_rank()) return {float_tensor(x, x.dtype(), std::nullopt)};
  if (x.rank() > 2) throw node.error("needs a tensor of at most 2 dims, got " + shape_str(*x.shape()));
  const Dim v = x.rank() == 2 ? (*x.shape())[0] : Dim::constant(1);
  if (!v.is_static()) throw node.error("needs the number of variables (rows) known when compiling, got " + v.str());
  std::vector<Dim> out;
  if (v.value() != 1) out = {v, v};
  return {float_tensor(x, x.dtype(), out)};
}

// trapezoid(y, x | dx, dim), trapz: the integral along dim, which is removed.
std::vector<TypePtr> trapezoid(const Node& node) {
  const Type& y = input_type(node, 0);
  if (!y.has_rank()) return {float_tensor(y, trapezoid_dtype(node), std::nullopt)};
  if (y.rank() == 0) throw node.error("needs y of at least 1 dim, got a 0-d tensor");
  std::vector<Dim> out = *y.shape();
  out.erase(out.begin() + last_dim_arg(node, y.rank()));
  return {float_tensor(y, trapezoid_dtype(node), out)};
}

// cumulative_trapezoid(y, x | dx, dim): the running integral, one shorter
// along dim (an empty dim stays empty).
std::vector<TypePtr> cumulative_trapezoid(const Node& node) {
  const Type& y = input_type(node, 0);
  if (!y.has_rank()) return {float_tensor(y, trapezoid_dtype(node), std::nullopt)};
  if (y.rank() == 0) throw node.error("needs y of at least 1 dim, got a 0-d tensor");
  std::vector<Dim> out = *y.shape();
  Dim& n = out[static_cast<size_t>(last_dim_arg(node, y.rank()))];
  if (!n.is_static()) throw node.error("needs the size of the integrated dim known when compiling, got " + n.str());
  n = Dim::constant(n.value() > 0 ? n.value() - 1 : 0);
  return {float_tensor(y, trapezoid_dtype(node), out)};
}

// dist(a, b, p): the p-norm of a - b (broadcast), 0-d.
std::vector<TypePtr> norm_of_difference(const Node& node) {
  const Type& a = input_type(node, 0);
  const Type& b = input_type(node, 1);
  if (a.has_rank() && b.has_rank()) broadcast(node, a, b);
  return {float_tensor(a, result_dtype(a, b), std::vector<Dim>{})};
}

// isin(elements, test_elements, assume_unique, invert): a bool per element
// (0-d when the elements are one number).
std::vector<TypePtr> isin(const Node& node) {
  const Type& e = input_type(node, 0);
  const Type& t = input_type(node, 1);
  const Type& tensor = e.is_tensor() ? e : t;
  std::optional<std::vector<Dim>> shape = e.is_tensor() ? e.shape() : std::optional(std::vector<Dim>{});
  return {Type::tensor(DType::b8, shape, tensor.tensor_device())};
}

}  // namespace wick::ir::shape

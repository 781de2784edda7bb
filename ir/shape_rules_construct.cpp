// Type rules of ops that build tensors from the values or sizes of others
// (passes/decompose_construct.cpp, decompose_buckets.cpp, decompose_gather.cpp,
// decompose_distances.cpp): triangle indices, cartesian products, block
// diagonals, Vandermonde matrices, flat gathers, pairwise distances, bucket
// indices, histograms and evenly spaced values.
#include <algorithm>

#include "ir/constant_value.h"
#include "ir/op_table.h"
#include "ir/value_digest.h"
#include "ir/shape_rules.h"

namespace wick::ir::shape {

// tril_indices / triu_indices(row, col, offset, dtype, ...): the (r, c) with
// c - r at most (tril) or at least (triu) offset, as two rows.
std::vector<TypePtr> triangle_indices(const Node& node) {
  auto row = constant_int(node.input(0));
  auto col = constant_int(node.input(1));
  auto offset = constant_int(node.input(2));
  const DTypeArg a = dtype_arg(node, 3);
  const std::optional<DType> dtype = a.given ? a.dtype : DType::i64;
  if (!row || !col || !offset) return {Type::tensor(dtype, std::nullopt)};
  if (*row < 0 || *col < 0) throw node.error("row and col must be non-negative");
  const bool lower = node.op().schema.name == "tril_indices";
  int64_t n = 0;
  for (int64_t r = 0; r < *row; ++r) {
    // Columns c in [0, col) with c <= r + offset (tril) or c >= r + offset (triu).
    const int64_t edge = r + *offset;
    n += lower ? std::clamp<int64_t>(edge + 1, 0, *col) : *col - std::clamp<int64_t>(edge, 0, *col);
  }
  return {Type::tensor(dtype, std::vector<Dim>{Dim::constant(2), Dim::constant(n)})};
}

// cartesian_prod(tensors): 1-D tensors; [n_0 n_1 ..., k], or the one tensor itself.
std::vector<TypePtr> cartesian_prod(const Node& node) {
  auto types = list_types(node.input(0));
  if (!types || types->empty()) return {Type::tensor()};
  std::optional<DType> dtype = (*types)[0]->dtype();
  Dim rows = Dim::constant(1);
  for (const Type* t : *types) {
    if (!t->has_rank()) return {Type::tensor(dtype, std::nullopt, t->tensor_device())};
    if (t->rank() != 1) throw node.error("cartesian_prod takes 1-D tensors, got " + shape_str(*t->shape()));
    if (dtype && t->dtype() && *t->dtype() != *dtype)
      throw node.error("cartesian_prod takes tensors of one dtype, got " + std::string(dtype_name(*dtype)) + " and " +
                       std::string(dtype_name(*t->dtype())));
    rows = rows * (*t->shape())[0];
  }
  if (types->size() == 1) return {node.input(0)->node()->input(0)->type()};
  return {Type::tensor(dtype, std::vector<Dim>{rows, Dim::constant(static_cast<int64_t>(types->size()))},
                       (*types)[0]->tensor_device())};
}

// block_diag(tensors): each 0-d tensor a [1, 1] block, each 1-d one a row.
std::vector<TypePtr> block_diag(const Node& node) {
  auto types = list_types(node.input(0));
  if (!types) return {Type::tensor()};
  std::optional<DType> dtype;
  Dim rows = Dim::constant(0), cols = Dim::constant(0);
  for (const Type* t : *types) {
    if (!t->has_rank() || !t->dtype()) return {Type::tensor(std::nullopt, std::nullopt)};
    dtype = dtype ? promote(*dtype, *t->dtype()) : *t->dtype();
    const auto& s = *t->shape();
    if (s.size() > 2) throw node.error("block_diag takes tensors of at most 2 dims, got " + shape_str(s));
    rows = rows + (s.size() == 2 ? s[0] : Dim::constant(1));
    cols = cols + (s.empty() ? Dim::constant(1) : s.back());
  }
  return {Type::tensor(dtype, std::vector<Dim>{rows, cols})};
}

// vander(x [n], N?, increasing): [n, N] (N = n when absent); integers and
// bools give int64.
std::vector<TypePtr> vander(const Node& node) {
  const Type& t = input_type(node, 0);
  std::optional<DType> dtype = t.dtype();
  if (dtype && !is_floating(*dtype)) dtype = DType::i64;
  if (!t.has_rank()) return {Type::tensor(dtype, std::nullopt, t.tensor_device())};
  if (t.rank() != 1) throw node.error("vander takes a 1-D tensor, got " + shape_str(*t.shape()));
  const Dim n = (*t.shape())[0];
  Dim columns = n;
  if (!is_none(node.input(1))) {
    auto given = constant_int(node.input(1));
    if (!given) return {Type::tensor(dtype, std::nullopt, t.tensor_device())};
    if (*given < 0) throw node.error("N must be non-negative, got " + std::to_string(*given));
    columns = Dim::constant(*given);
  }
  return {Type::tensor(dtype, std::vector<Dim>{n, columns}, t.tensor_device())};
}

std::vector<TypePtr> take(const Node& node) {
  const Type& t = input_type(node, 0);
  return {Type::tensor(t.dtype(), input_type(node, 1).shape(), t.tensor_device())};
}

std::vector<TypePtr> gather_flat(const Node& node) {
  const Type& t = input_type(node, 0);
  if (t.has_rank() && t.rank() != 1) throw node.error("gather_flat reads a 1-D tensor, got " + shape_str(*t.shape()));
  const Type& index = input_type(node, 1);
  if (index.dtype() && *index.dtype() != DType::i64) throw node.error("gather_flat takes int64 positions");
  return {Type::tensor(t.dtype(), index.shape(), t.tensor_device())};
}

std::vector<TypePtr> pdist(const Node& node) {
  const Type& t = input_type(node, 0);
  if (!t.has_rank()) return {Type::tensor(t.dtype(), std::nullopt, t.tensor_device())};
  if (t.rank() != 2) throw node.error("pdist takes a 2-D tensor, got " + shape_str(*t.shape()));
  const Dim n = (*t.shape())[0];
  const Dim pairs = n.is_static() ? Dim::constant(n.value() * (n.value() - 1) / 2) : Dim::unknown();
  return {Type::tensor(t.dtype(), std::vector<Dim>{pairs}, t.tensor_device())};
}

// bucketize(self, boundaries, out_int32, right), searchsorted(sorted, self,
// out_int32, ...): self's shape (0-d for a number), int64 or int32.
std::vector<TypePtr> bucketize(const Node& node) {
  const bool search = node.op().schema.name == "searchsorted";
  const Type& values = input_type(node, search ? 1 : 0);
  auto out_int32 = constant_bool(node.input(2));
  const std::optional<DType> dtype = out_int32 ? std::optional<DType>(*out_int32 ? DType::i32 : DType::i64) : std::nullopt;
  const Type& other = input_type(node, search ? 0 : 1);
  if (!values.is_tensor()) return {Type::tensor(dtype, std::vector<Dim>{}, other.tensor_device())};
  return {Type::tensor(dtype, values.shape(), values.tensor_device())};
}

std::vector<TypePtr> histc(const Node& node) {
  const Type& t = input_type(node, 0);
  if (t.dtype() && !is_floating(*t.dtype()))
    throw node.error("histc takes a floating-point tensor, got " + std::string(dtype_name(*t.dtype())));
  auto bins = constant_int(node.input(1));
  if (bins && *bins <= 0) throw node.error("bins must be positive, got " + std::to_string(*bins));
  std::optional<std::vector<Dim>> shape;
  if (bins) shape = std::vector<Dim>{Dim::constant(*bins)};
  return {Type::tensor(t.dtype(), shape, t.tensor_device())};
}

// _unique2(x, sorted, return_inverse, return_counts), unique_consecutive(x,
// return_inverse, return_counts, dim=None): the K distinct values (a count
// the data decides), each element's group in x's shape, each group's count.
std::vector<TypePtr> unique(const Node& node) {
  const Type& t = input_type(node, 0);
  const std::string& name = node.op().schema.name;
  const bool along_dim = name == "unique_dim" || (name == "unique_consecutive" && !is_none(node.input(3)));
  // A count of its own: the same for the same op over the same input only.
  const Dim k = Dim::symbol("nnz_" + name + "_" + value_digest(node.input(0)));
  if (!along_dim)
    return {Type::tensor(t.dtype(), std::vector<Dim>{k}, t.tensor_device()),
            Type::tensor(DType::i64, t.shape(), t.tensor_device()),
            Type::tensor(DType::i64, std::vector<Dim>{k}, t.tensor_device())};
  auto dim = constant_int(node.input(name == "unique_dim" ? 1 : 3));
  if (!dim || !t.has_rank())  // known once the method is specialized
    return {Type::tensor(t.dtype(), std::nullopt, t.tensor_device()),
            Type::tensor(DType::i64, std::vector<Dim>{Dim::unknown()}, t.tensor_device()),
            Type::tensor(DType::i64, std::vector<Dim>{k}, t.tensor_device())};
  if (normalize_dim(node, *dim, t.rank()) != 0 || t.rank() == 0)
    throw node.error("unique along dim " + std::to_string(*dim) +
                     " is not supported: only along dim 0, where the count the data decides is the outermost size");
  std::vector<Dim> values = *t.shape();
  const Dim n = values[0];
  values[0] = k;
  return {Type::tensor(t.dtype(), values, t.tensor_device()),
          Type::tensor(DType::i64, std::vector<Dim>{n}, t.tensor_device()),
          Type::tensor(DType::i64, std::vector<Dim>{k}, t.tensor_device())};
}

// linspace / logspace(start, end, steps, [base,] dtype, ...): [steps], f32
// unless a dtype is given.
std::vector<TypePtr> spaced(const Node& node) {
  const DTypeArg a = dtype_arg(node, node.op().schema.name == "logspace" ? 4 : 3);
  const std::optional<DType> dtype = a.given ? a.dtype : DType::f32;
  auto steps = constant_int(node.input(2));
  if (!steps) return {Type::tensor(dtype, std::vector<Dim>{Dim::unknown()})};
  if (*steps < 0) throw node.error("number of steps must be non-negative, got " + std::to_string(*steps));
  return {Type::tensor(dtype, std::vector<Dim>{Dim::constant(*steps)})};
}

// hann_window(N, [periodic, [alpha, [beta]]], dtype, ...) and the other
// windows: [N], f32 unless a dtype is given.
std::vector<TypePtr> window(const Node& node) {
  auto n = constant_int(node.input(0));
  if (!n) throw node.error("the window length must be a constant");
  if (*n < 0) throw node.error("the window length must be non-negative, got " + std::to_string(*n));
  size_t at = 1;  // the dtype follows the positional arguments
  while (at < node.inputs().size() && node.op().schema.args[at].name != "dtype") ++at;
  DTypeArg a = dtype_arg(node, at);
  const DType dtype = a.given && a.dtype ? *a.dtype : DType::f32;
  if (!is_floating(dtype)) throw node.error("windows are floating point, got " + std::string(dtype_name(dtype)));
  return {Type::tensor(dtype, std::vector<Dim>{Dim::constant(*n)})};
}

}  // namespace wick::ir::shape

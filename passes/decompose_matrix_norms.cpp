// Decomposition rules for matrix norms and the norms torch.linalg.norm
// picks between, written with vector norms and sums:
//   matrix_norm(A, 'fro', (r, c))  = vector_norm(A, 2, (r, c))
//   matrix_norm(A, 1 | -1, (r, c)) = amax | amin over c of sum(|A|, r)
//   matrix_norm(A, inf | -inf)     = amax | amin over r of sum(|A|, c)
//   linalg_norm(A, ord, dim)       = vector_norm for one dim (or a 1-D A
//       without dim), matrix_norm for two (or a 2-D A); without ord the
//       2-norm of everything, the Frobenius norm for two dims
//   frobenius_norm(A, dims)        = vector_norm(A, 2, dims)
//   renorm(x, p, d, maxnorm)       = x times maxnorm / (norm + 1e-7) where
//       the p-norm of its slice along d (over every other dim) exceeds
//       maxnorm, as ATen scales it
//   matrix_norm(A, 2 | -2 | 'nuc', (r, c)) = the largest, the smallest or
//       the sum of the singular values of A with r and c moved last
#include <algorithm>
#include <cmath>

#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Value;

int64_t rank_of(Emitter& e, Value* x) { return static_cast<int64_t>(e.shape(x, "input").size()); }

// The input in the dtype argument at `at`, when one is given.
Value* in_dtype(Emitter& e, size_t at) {
  Value* x = e.input(0);
  return e.absent(at) ? x : e.op("aten::to.dtype", {x, e.input(at), e.bool_(false), e.bool_(false), e.none()});
}

Value* vector_norm(Emitter& e, Value* x, Value* ord, const std::vector<int64_t>& dims, bool keepdim) {
  Value* d = dims.empty() ? e.none() : e.ints(dims);
  return e.op("aten::linalg_vector_norm", {x, ord, d, e.bool_(keepdim), e.none()});
}

std::vector<int64_t> normalized(Emitter& e, std::vector<int64_t> dims, int64_t rank) {
  for (int64_t& d : dims) {
    if (d < -rank || d >= rank) throw e.node().error("dim " + std::to_string(d) + " out of range");
    if (d < 0) d += rank;
  }
  return dims;
}

// The norms of singular values s (descending) of x's matrices over `dims`
// (normalized, distinct): s_max for 2, s_min for -2, their sum for 'nuc'.
Value* spectral_norm(Emitter& e, Value* x, const std::vector<int64_t>& dims, bool keepdim, const std::string& ord) {
  const int64_t rank = rank_of(e, x);
  std::vector<int64_t> order;
  for (int64_t d = 0; d < rank; ++d)
    if (d != dims[0] && d != dims[1]) order.push_back(d);
  order.push_back(dims[0]);
  order.push_back(dims[1]);
  bool moved = false;
  for (int64_t d = 0; d < rank; ++d) moved = moved || order[static_cast<size_t>(d)] != d;
  Value* m = moved ? e.op("aten::permute", {x, e.ints(order)}) : x;
  const auto& shape = e.shape(m, "input");
  const ir::Dim &rows = shape[shape.size() - 2], &cols = shape.back();
  if (!rows.is_static() || !cols.is_static()) throw e.node().error("needs the matrix sizes known when compiling");
  const int64_t k = std::min(rows.value(), cols.value());
  Value* s = e.op("wick::svdvals", {m});
  Value* r = ord == "nuc" ? e.sum(s, {-1}, false)
                          : e.op("aten::select.int", {s, e.int_(-1), e.int_(ord == "2" ? 0 : k - 1)});
  if (!keepdim) return r;
  for (int64_t d : {std::min(dims[0], dims[1]), std::max(dims[0], dims[1])}) r = e.op("aten::unsqueeze", {r, e.int_(d)});
  return r;
}

Value* matrix_norm_of(Emitter& e, Value* x, const std::string& ord, std::vector<int64_t> dims, bool keepdim) {
  const int64_t rank = rank_of(e, x);
  if (dims.size() != 2) throw e.node().error("a matrix norm needs two dims, got " + std::to_string(dims.size()));
  dims = normalized(e, dims, rank);
  if (dims[0] == dims[1]) throw e.node().error("a matrix norm needs two different dims");
  if (ord == "fro") return vector_norm(e, x, e.float_(2.0), dims, keepdim);
  if (ord == "nuc" || ord == "2" || ord == "-2") return spectral_norm(e, x, dims, keepdim, ord);
  const bool max = ord == "1" || ord == "inf";
  if (!max && ord != "-1" && ord != "-inf") throw e.node().error("matrix norm order " + ord + " is not supported");
  // Column sums for +-1, row sums for +-inf, then their extreme.
  const bool columns = ord == "1" || ord == "-1";
  const int64_t summed = columns ? dims[0] : dims[1], extreme = columns ? dims[1] : dims[0];
  Value* sums = e.sum(e.op("aten::abs", {x}), {summed}, true);
  Value* r = e.op(max ? "aten::amax" : "aten::amin", {sums, e.ints({extreme}), e.bool_(true)});
  if (!keepdim)
    for (int64_t d : {std::max(summed, extreme), std::min(summed, extreme)}) r = e.op("aten::squeeze.dim", {r, e.int_(d)});
  return r;
}

// A numeric order as matrix_norm_of names it.
std::string order_name(Emitter& e, size_t at) {
  auto v = ir::constant_double(e.input(at));
  if (!v) throw e.node().error("ord must be a constant");
  if (std::isinf(*v)) return *v > 0 ? "inf" : "-inf";
  if (*v == std::floor(*v) && std::abs(*v) < 1e9) return std::to_string(static_cast<int64_t>(*v));
  return std::to_string(*v);
}

std::vector<int64_t> dims_or(Emitter& e, size_t at, std::vector<int64_t> otherwise) {
  if (e.absent(at)) return otherwise;
  auto list = ir::constant_int_list(e.input(at));
  if (!list) {
    auto one = ir::constant_int(e.input(at));
    if (!one) throw e.node().error("dim must be a constant");
    list = std::vector<int64_t>{*one};
  }
  return *list;
}

Value* matrix_norm(Emitter& e) {
  Value* x = in_dtype(e, 4);
  const bool str = e.node().op().schema.overload == "str_ord";
  const std::string ord = str ? e.constant_string(1, "ord") : order_name(e, 1);
  return matrix_norm_of(e, x, ord, dims_or(e, 2, {-2, -1}), e.constant_bool(3, "keepdim"));
}

Value* linalg_norm(Emitter& e) {
  Value* x = in_dtype(e, 4);
  const int64_t rank = rank_of(e, x);
  const bool keepdim = e.constant_bool(3, "keepdim");
  const bool str = e.node().op().schema.overload == "ord_str";
  std::vector<int64_t> dims = dims_or(e, 2, {});
  if (!str && e.absent(1)) {
    // No order: the 2-norm over the dims (all of them when none are given).
    if (dims.size() > 2) throw e.node().error("linalg.norm takes one or two dims, got " + std::to_string(dims.size()));
    return vector_norm(e, x, e.float_(2.0), dims, keepdim);
  }
  if (dims.empty()) {
    if (rank != 1 && rank != 2) throw e.node().error("linalg.norm with an order needs a 1-D or 2-D input, or dims");
    dims = rank == 1 ? std::vector<int64_t>{0} : std::vector<int64_t>{0, 1};
  }
  if (str) {
    if (dims.size() != 2) throw e.node().error("the norm '" + e.constant_string(1, "ord") + "' needs two dims");
    return matrix_norm_of(e, x, e.constant_string(1, "ord"), dims, keepdim);
  }
  if (dims.size() == 1) return vector_norm(e, x, e.input(1), dims, keepdim);
  if (dims.size() == 2) return matrix_norm_of(e, x, order_name(e, 1), dims, keepdim);
  throw e.node().error("linalg.norm takes one or two dims, got " + std::to_string(dims.size()));
}

Value* frobenius_norm(Emitter& e) {
  const bool all = e.node().op().schema.overload.empty();
  std::vector<int64_t> dims = all ? std::vector<int64_t>{} : dims_or(e, 1, {});
  return vector_norm(e, e.input(0), e.float_(2.0), dims, all ? false : e.constant_bool(2, "keepdim"));
}

Value* renorm(Emitter& e) {
  Value* x = e.input(0);
  const int64_t rank = rank_of(e, x);
  if (rank < 2) throw e.node().error("renorm needs a tensor of at least 2 dims, got " + std::to_string(rank));
  int64_t d = e.constant_int(2, "dim");
  d = normalized(e, {d}, rank)[0];
  auto maxnorm = ir::constant_double(e.input(3));
  if (!maxnorm) throw e.node().error("maxnorm must be a constant");
  if (*maxnorm < 0) throw e.node().error("maxnorm must be non-negative");
  std::vector<int64_t> others;
  for (int64_t i = 0; i < rank; ++i)
    if (i != d) others.push_back(i);
  Value* norm = vector_norm(e, x, e.input(1), others, true);
  Value* limit = e.op("aten::full_like", {norm, e.float_(*maxnorm), e.none(), e.none(), e.none(), e.none(), e.none()});
  Value* scale = e.div(limit, e.op("aten::add.Scalar", {norm, e.float_(1e-7), e.int_(1)}));
  Value* factor = e.op("aten::where.ScalarOther", {e.op("aten::gt.Scalar", {norm, e.float_(*maxnorm)}), scale,
                                                   e.float_(1.0)});
  return e.mul(x, factor);
}

}  // namespace

std::vector<NamedRule> matrix_norm_rules() {
  return {{"aten::linalg_matrix_norm", matrix_norm},
          {"aten::linalg_matrix_norm.str_ord", matrix_norm},
          {"aten::linalg_norm", linalg_norm},
          {"aten::linalg_norm.ord_str", linalg_norm},
          {"aten::frobenius_norm", frobenius_norm},
          {"aten::frobenius_norm.dim", frobenius_norm},
          {"aten::renorm", renorm}};
}

}  // namespace wick::passes::decompose_detail

// Decomposition rules for the LU functions, written with two kernels of
// runtime/linalg.h: wick::lu_factor(A, check), LAPACK's getrf packed as
// [*, m + 2, n] (LU, then the pivots, then info), and
// wick::lu_permutation(pivots, m), the row order the pivots make. For
// A [*, m, n], k = min(m, n):
//   linalg_lu_factor(A)        = (LU, pivots), a zero pivot raising
//   linalg_lu_factor_ex(A, check_errors), _lu_with_info(A) = (LU, pivots,
//       info); _lu_with_info never raises (PyTorch 1.13 ignores its
//       check_errors)
//   linalg_lu(A)               = lu_unpack of the factorization, never raising
//   lu_unpack(LU, pivots)      = (P, L, U): P[perm[c], c] = 1, L the unit lower
//       triangle of LU's first k columns, U the upper triangle of its first
//       k rows; a part not unpacked is empty
//   linalg_lu_solve(LU, pivots, B, left, adjoint), lu_solve(B, LU, pivots):
//       A = P L U, so A X = B is X = U^-1 L^-1 P^T B and A^T X = B is
//       X = P L^-T U^-T B, each triangle read from LU by the triangular
//       kernel; left=False solves the transposed system
// pivot=False (no pivoting, which torch implements on CUDA only) is refused.
#include <algorithm>
#include <string>

#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Dim;
using ir::Value;

Value* mt(Emitter& e, Value* x) { return e.op("aten::transpose.int", {x, e.int_(-2), e.int_(-1)}); }

struct Sizes {
  int64_t m, n, k;
};

// The matrix sizes of `a`, which must be known when compiling.
Sizes sizes_of(Emitter& e, Value* a, const char* what) {
  const auto& s = e.shape(a, what);
  if (s.size() < 2) throw e.node().error(std::string(what) + " must have at least 2 dims");
  const Dim &m = s[s.size() - 2], &n = s.back();
  if (!m.is_static() || !n.is_static())
    throw e.node().error(std::string("needs the matrix sizes of ") + what + " known when compiling, got " + m.str() +
                         " x " + n.str());
  return {m.value(), n.value(), std::min(m.value(), n.value())};
}

void require_pivoting(Emitter& e, size_t i) {
  if (!e.constant_bool(i, "pivot"))
    throw e.node().error("pivot=False (LU without pivoting) is not supported: torch implements it on CUDA only");
}

Value* slice(Emitter& e, Value* x, int64_t dim, int64_t from, int64_t to) {
  return e.op("aten::slice.Tensor", {x, e.int_(dim), e.int_(from), e.int_(to), e.int_(1)});
}

struct Factors {
  Value *lu, *pivots, *info;
};

Factors factor(Emitter& e, bool check) {
  Value* a = e.input(0);
  e.float_dtype(a, "A");
  const Sizes s = sizes_of(e, a, "A");
  Value* packed = e.op("wick::lu_factor", {a, e.bool_(check)});
  Value* pivots = slice(e, e.op("aten::select.int", {packed, e.int_(-2), e.int_(s.m)}), -1, 0, s.k);
  Value* info = e.op("aten::select.int", {e.op("aten::select.int", {packed, e.int_(-2), e.int_(s.m + 1)}), e.int_(-1), e.int_(0)});
  return {slice(e, packed, -2, 0, s.m), e.cast(pivots, DType::i32), e.cast(info, DType::i32)};
}

std::vector<Value*> lu_factor(Emitter& e) {
  require_pivoting(e, 1);
  const Factors f = factor(e, true);
  return {f.lu, f.pivots};
}

std::vector<Value*> lu_factor_ex(Emitter& e) {
  require_pivoting(e, 1);
  const bool with_info = e.node().op().schema.name == "_lu_with_info";
  const Factors f = factor(e, !with_info && e.constant_bool(2, "check_errors"));
  return {f.lu, f.pivots, f.info};
}

// P [*, m, m] in `dtype` from the pivots: P[perm[c], c] = 1.
Value* permutation_matrix(Emitter& e, Value* pivots, int64_t m, DType dtype) {
  Value* perm = e.op("wick::lu_permutation", {pivots, e.int_(m)});
  Value* hit = e.op("aten::eq.Tensor", {positions_along(e, m, 0, 2), e.op("aten::unsqueeze", {perm, e.int_(-2)})});
  return e.cast(hit, dtype);
}

// x with ones on its diagonal (x rectangular, of any batch).
Value* plus_identity(Emitter& e, Value* x) {
  Value* ones = e.op("aten::ones_like", {x, e.none(), e.none(), e.none(), e.none(), e.none()});
  return e.add(x, e.op("aten::tril", {e.op("aten::triu", {ones, e.int_(0)}), e.int_(0)}));
}

std::vector<Value*> unpack(Emitter& e, Value* lu, Value* pivots, bool data, bool permutation) {
  const Sizes s = sizes_of(e, lu, "LU");
  const DType dtype = e.float_dtype(lu, "LU");
  auto empty = [&] { return e.op("aten::zeros", {e.ints({0}), e.int_(*torch_code_of(dtype)), e.none(), e.none(), e.none()}); };
  Value* p = permutation ? permutation_matrix(e, pivots, s.m, dtype) : empty();
  if (!data) return {p, empty(), empty()};
  Value* l = plus_identity(e, e.op("aten::tril", {slice(e, lu, -1, 0, s.k), e.int_(-1)}));
  Value* u = e.op("aten::triu", {slice(e, lu, -2, 0, s.k), e.int_(0)});
  return {p, l, u};
}

std::vector<Value*> linalg_lu(Emitter& e) {
  require_pivoting(e, 1);
  const Factors f = factor(e, false);
  return unpack(e, f.lu, f.pivots, true, true);
}

std::vector<Value*> lu_unpack(Emitter& e) {
  return unpack(e, e.input(0), e.input(1), e.constant_bool(2, "unpack_data"), e.constant_bool(3, "unpack_pivots"));
}

// X with A X = B (or A^T X = B when `transposed`), A = P L U factored in
// `lu` with `pivots`, over the batch dims `batch`.
Value* solve_factored(Emitter& e, Value* lu, Value* pivots, Value* b, bool transposed, const std::vector<Dim>& batch) {
  const Sizes s = sizes_of(e, lu, "LU");
  if (s.m != s.n) throw e.node().error("LU must be a batch of square matrices, got " + std::to_string(s.m) + " x " + std::to_string(s.n));
  Value* p = permutation_matrix(e, pivots, s.m, e.float_dtype(lu, "LU"));
  if (!transposed) {
    Value* y = triangular(e, lu, e.op("aten::matmul", {mt(e, p), b}), false, true, batch);  // L^-1 P^T B
    return triangular(e, lu, y, true, false, batch);                                          // U^-1 (...)
  }
  Value* y = triangular(e, mt(e, lu), b, false, false, batch);  // U^-T B
  y = triangular(e, mt(e, lu), y, true, true, batch);           // L^-T (...)
  return e.op("aten::matmul", {p, y});
}

Value* linalg_lu_solve(Emitter& e) {
  Value *lu = e.input(0), *pivots = e.input(1), *b = e.input(2);
  const bool left = e.constant_bool(3, "left"), adjoint = e.constant_bool(4, "adjoint");
  const std::vector<Dim> batch = result_batch(e, 2);
  // X A = B is A^T X^T = B^T; for real matrices the adjoint is the transpose.
  if (left) return solve_factored(e, lu, pivots, b, adjoint, batch);
  return mt(e, solve_factored(e, lu, pivots, mt(e, b), !adjoint, batch));
}

Value* lu_solve(Emitter& e) { return solve_factored(e, e.input(1), e.input(2), e.input(0), false, result_batch(e, 2)); }

}  // namespace

std::vector<NamedRule> lu_rules() { return {{"aten::linalg_lu_solve", linalg_lu_solve}, {"aten::lu_solve", lu_solve}}; }

std::vector<NamedMultiRule> lu_multi_rules() {
  return {{"aten::linalg_lu_factor", lu_factor},
          {"aten::linalg_lu_factor_ex", lu_factor_ex},
          {"aten::_lu_with_info", lu_factor_ex},
          {"aten::linalg_lu", linalg_lu},
          {"aten::lu_unpack", lu_unpack}};
}

}  // namespace wick::passes::decompose_detail

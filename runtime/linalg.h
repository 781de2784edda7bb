// Dense linear algebra on batches of matrices, the kernels behind
// torch.linalg's solve, inv, det, slogdet, cholesky, the triangular solves,
// eigh, svd, qr, matrix_exp and the LU functions (the front end's ops
// decompose into these; passes/decompose_linalg.cpp and decompose_lu.cpp).
//
// Operands are f32 or f64 CPU tensors of one dtype with any strides: A is
// [*, n, n], B [*, n, k] with A's batch dims (the decomposition has expanded
// both). Each matrix is copied into a row-major f64 scratch and factored
// there, so an f32 result carries the rounding of one final conversion, not
// of the factorization. `out` is contiguous and shaped as the op's result.
// The batch is split across the thread pool. These are plain triple loops:
// fast for the small matrices models carry (a few hundred rows), not a
// blocked LAPACK for large ones.
#pragma once

#include "support/tensor.h"

namespace wick::rt {

// X with A X = B, by LU factorization with partial pivoting. A matrix with
// an exactly zero pivot is singular: a wick::Error, as torch raises. With
// `report` (torch's *_ex functions), out [*, n + 1, k] holds X above and
// LAPACK's info in element 0 of row n: 0, or the (1-based) column of the
// first exactly zero pivot, past which the factorization goes on as
// LAPACK's does, so that X holds infinities and NaNs (LAPACK's blocked
// solves may spread them over more elements than these substitutions).
void lu_solve(const Tensor& a, const Tensor& b, Tensor& out, bool report = false);

// out [*, 2]: the sign of det(A) (+1, -1, or 0 when A is singular) and
// log|det(A)| (-inf when singular).
void slogdet(const Tensor& a, Tensor& out);

// The lower Cholesky factor L of A = L L^T, read from A's lower triangle;
// the upper triangle of `out` is zero. A matrix that is not positive definite
// is a wick::Error naming the order of the first minor that fails. With
// `report`, out [*, n + 1, n] holds L above and info in element 0 of row n
// (0, or the order of that minor); L is then what LAPACK's unblocked
// column-by-column factorization leaves: the columns before the failing
// one, its diagonal value unrooted, and A's lower triangle after it.
void cholesky(const Tensor& a, Tensor& out, bool report = false);

// X with A X = B for a triangular A (only its `upper` or lower triangle is
// read; with `unitriangular` its diagonal is taken as ones). A zero on the
// diagonal gives infinities and NaNs, as in torch.
void triangular_solve(const Tensor& a, const Tensor& b, bool upper, bool unitriangular, Tensor& out);

// The eigen-decomposition A = V diag(w) V^T of the symmetric matrix whose
// lower triangle A holds, by cyclic Jacobi rotations: out [*, n + 1, n] is
// w (ascending) in row 0 and V (eigenvectors as columns) below it. An
// eigenvector's sign is the one the rotations leave, not necessarily
// LAPACK's.
void symmetric_eigen(const Tensor& a, Tensor& out);

// The thin singular value decomposition A = U diag(s) V^T of A [*, m, n],
// k = min(m, n), by one-sided Jacobi rotations; s descending. With
// `vectors`, out [*, m + n + 1, k] holds U in rows [0, m), s in row m and V
// in rows [m + 1, m + n + 1); without, out [*, k] holds s. A zero singular
// value's columns of U (or V when m < n) are zero, not completed to an
// orthonormal basis.
void singular_values(const Tensor& a, bool vectors, Tensor& out);

// One factor of the QR decomposition A = Q R of A [*, m, n], k = min(m, n),
// by Householder reflections as LAPACK's geqrf and orgqr make them (so R's
// diagonal has their signs): Q [*, m, q] (`r_part` false) or R [*, q, n],
// q = m when `complete`, else k.
void qr_factor(const Tensor& a, bool r_part, bool complete, Tensor& out);

// exp(A) for square A [*, n, n], by scaling and squaring with the [13/13]
// Padé approximant (Higham 2005): A / 2^s with |A|_1 / 2^s <= 5.37, the
// approximant, then s squarings.
void matrix_exponential(const Tensor& a, Tensor& out);

// The LU factorization with partial pivoting of A [*, m, n], k = min(m, n),
// as LAPACK's getrf makes it: out [*, m + 2, n] holds L below the diagonal
// (its unit diagonal implied) and U on and above it in rows [0, m), the
// 1-based pivots in the first k elements of row m (step i swapped rows i and
// pivots[i] - 1), and LAPACK's info in element 0 of row m + 1: 0, or the
// 1-based column of the first exactly zero pivot, past which the
// factorization goes on. With `check`, a nonzero info is a wick::Error.
void lu_factor(const Tensor& a, bool check, Tensor& out);

// The row order that the 1-based pivots [*, k] (int32 or int64) of an LU
// factorization make of out's m rows: out [*, m] int64 holds perm with
// A = P L U, P[perm[i], i] = 1. A pivot outside [1, m] is a wick::Error.
void lu_permutation(const Tensor& pivots, Tensor& out);

}  // namespace wick::rt

// Gradient rules of the matrix products: for C = A B, dA = dC B^T and
// dB = A^T dC. matmul promotes 1-D operands to matrices first (and its
// gradient removes the added dim again) and sums the gradient over batch dims
// an operand was broadcast in. A matrix times a batch of matrices folds the
// batch into the rows, so its weight gradient is one GEMM.
//
// The linear-algebra kernels (runtime/linalg.h), as torch differentiates them:
//   X = A^-1 B:           dB = A^-T dX, dA = -dB X^T
//   (sign, log|det A|):   dA = dlog|det| A^-T
//   L = cholesky(A):      P = tril(L^T dL), S = (P + tril(P, -1)^T) / 2,
//                         dA = L^-T S L^-1 (symmetric)
//   X = T^-1 B, T triangular: dB = T^-T dX, dA = -dB X^T in T's triangle
//                         (without the diagonal when it is taken as ones)
//   (w, V) = eigh(A):     dA = V (diag(dw) + sym(F o V^T dV)) V^T,
//                         F_ij = 1 / (w_j - w_i) off the diagonal, 0 on it
//   s = svdvals(A):       dA = U diag(ds) V^T (U, V from a second SVD)
//   (U, s, V) = svd(A):   dA = U [(J o skew(U^T dU)) S + S (J o skew(V^T dV))
//                         + diag(ds)] V^T + (I - U U^T) dU S^-1 V^T
//                         + U S^-1 dV^T (I - V V^T), J_ij = 1 / (s_j^2 - s_i^2),
//                         skew(X) = X - X^T
//   E = exp(A):           dA = the upper right block of exp([A^T dE; 0 A^T])
//   (Q, R) = qr(A), m >= n: dA = (dQ + Q copyltu(M)) R^-T, M = R dR^T - dQ^T Q,
//                         copyltu(M) = tril(M) + tril(M, -1)^T; linear in
//                         (dQ, dR), so the Q and R nodes each add their part
//   A = P L U (lu_factor, L m x k, U k x n), dL and dU the triangles of dLU:
//                         m = n: dA = P L^-T [tril(L^T dL, -1) + triu(dU U^T)] U^-T;
//                         m < n: dA = P L^-T [X + triu(dU1) | dU2],
//                           X = tril(L^T dL - dU U^T, -1) U1^-T;
//                         m > n: dA = P [X + tril(dL1, -1) ; dL2] U^-T,
//                           X = L1^-T triu(dU U^T - L^T dL)
//                         (torch's linalg_lu_backward; 1 and 2 the leading
//                         k x k block and the rest)
#include <algorithm>

#include "ir/constant_value.h"
#include "ir/gradient_rule.h"

namespace wick::ir {
namespace {

using Grads = std::vector<Value*>;

Value* mm(GradContext& c, Value* a, Value* b) { return c.op("aten::mm", {a, b}); }
Value* tr(GradContext& c, Value* a) { return c.op("aten::t", {a}); }
Value* mt(GradContext& c, Value* a) { return c.transpose(a, -2, -1); }  // last two dims swapped

// x reshaped to [-1, last dim]: a batch of rows as one matrix.
Value* rows(GradContext& c, Value* x) {
  Value* last = c.size(x, c.rank(x) - 1);
  Value* shape = nullptr;
  if (auto n = constant_int(last)) shape = c.ints({-1, *n});
  else shape = c.builder().create("prim::ListConstruct", {c.int_(-1), last}, {Type::list(Type::int_())})->output();
  return c.op("aten::reshape", {x, shape});
}

Grads mm_rule(GradContext& c) {
  Grads r = c.no_grads();
  Value *a = c.input(0), *b = c.input(1), *g = c.grad();
  if (c.needs_grad(0)) r[0] = mm(c, g, tr(c, b));
  if (c.needs_grad(1)) r[1] = mm(c, tr(c, a), g);
  return r;
}

Grads bmm(GradContext& c) {
  Grads r = c.no_grads();
  Value *a = c.input(0), *b = c.input(1), *g = c.grad();
  if (c.needs_grad(0)) r[0] = c.op("aten::bmm", {g, mt(c, b)});
  if (c.needs_grad(1)) r[1] = c.op("aten::bmm", {mt(c, a), g});
  return r;
}

// addmm(self, mat1, mat2, beta, alpha) = beta * self + alpha * mat1 @ mat2.
Grads addmm(GradContext& c) {
  Grads r = c.no_grads();
  Value *g = c.grad(), *beta = c.input(3), *alpha = c.input(4);
  auto scaled = [&](Value* v, Value* s) {
    auto k = constant_double(s);
    return k && *k == 1.0 ? v : c.scale(v, s);
  };
  if (c.needs_grad(0)) r[0] = c.sum_to_shape(scaled(g, beta), c.input(0));
  if (c.needs_grad(1)) r[1] = scaled(mm(c, g, tr(c, c.input(2))), alpha);
  if (c.needs_grad(2)) r[2] = scaled(mm(c, tr(c, c.input(1)), g), alpha);
  return r;
}

Grads matmul(GradContext& c) {
  Grads r = c.no_grads();
  Value *a = c.input(0), *b = c.input(1), *g = c.grad();
  const int ra = c.rank(a), rb = c.rank(b);
  if (ra == 1 && rb == 1) {  // a dot product: g is 0-dim
    if (c.needs_grad(0)) r[0] = c.mul(g, b);
    if (c.needs_grad(1)) r[1] = c.mul(g, a);
    return r;
  }
  // Both operands as (batches of) matrices, and g with the dims that a
  // 1-D operand removed put back.
  Value* a2 = ra == 1 ? c.unsqueeze(a, 0) : a;
  Value* b2 = rb == 1 ? c.unsqueeze(b, 1) : b;
  Value* g2 = ra == 1 ? c.unsqueeze(g, -2) : rb == 1 ? c.unsqueeze(g, -1) : g;
  if (c.needs_grad(0)) {
    Value* ga = c.sum_to_shape(c.op("aten::matmul", {g2, mt(c, b2)}), a2);
    r[0] = ra == 1 ? c.squeeze(ga, 0) : ga;
  }
  if (c.needs_grad(1)) {
    Value* gb = nullptr;
    if (rb <= 2 && ra > 2) {
      // A matrix applied to a batch: fold the batch into rows, one GEMM.
      gb = mm(c, tr(c, rows(c, a2)), rows(c, g2));
    } else {
      gb = c.sum_to_shape(c.op("aten::matmul", {mt(c, a2), g2}), b2);
    }
    r[1] = rb == 1 ? c.squeeze(gb, 1) : gb;
  }
  return r;
}

// linear(x, weight, bias) = x @ weight^T + bias, x [..., in] or [in].
Grads linear(GradContext& c) {
  Grads r = c.no_grads();
  Value *x = c.input(0), *w = c.input(1), *g = c.grad();
  if (c.needs_grad(0)) r[0] = c.op("aten::matmul", {g, w});
  if (c.needs_grad(1)) {
    if (c.rank(x) == 1) r[1] = mm(c, c.unsqueeze(g, 1), c.unsqueeze(x, 0));
    else if (c.rank(x) == 2) r[1] = mm(c, tr(c, g), x);
    else r[1] = mm(c, tr(c, rows(c, g)), rows(c, x));
  }
  if (!c.is_none(2) && c.needs_grad(2)) r[2] = c.sum_to_shape(g, c.input(2));
  return r;
}

// A batch of identities shaped as the square `a`: ones cut to their diagonal.
Value* identity_like(GradContext& c, Value* a) {
  Value* ones = c.op("aten::ones", {c.sizes(a), c.int_(*torch_code_of(c.dtype(a))), c.none(), c.none(), c.none()});
  return c.op("aten::tril", {c.op("aten::triu", {ones, c.int_(0)}), c.int_(0)});
}

Value* triangular(GradContext& c, Value* a, Value* b, bool upper, bool unit) {
  return c.op("wick::triangular_solve", {a, b, c.bool_(upper), c.bool_(unit)});
}

// X = A^-1 B, with gx flowing into X.
Grads solved(GradContext& c, Value* x, Value* gx) {
  Grads r = c.no_grads();
  Value* gb = c.op("wick::lu_solve", {mt(c, c.input(0)), gx});
  if (c.needs_grad(1)) r[1] = gb;
  if (c.needs_grad(0)) r[0] = c.neg(c.op("aten::matmul", {gb, mt(c, x)}));
  return r;
}

Grads lu_solve(GradContext& c) { return solved(c, c.output(), c.grad()); }

Grads slogdet(GradContext& c) {
  Value* a = c.input(0);
  Value* g = c.unsqueeze(c.unsqueeze(c.op("aten::select.int", {c.grad(), c.int_(-1), c.int_(1)}), -1), -1);
  Value* inverse_t = c.op("wick::lu_solve", {mt(c, a), identity_like(c, a)});
  return c.only_first(c.mul(inverse_t, g));
}

// A = L L^T, with gl flowing into L.
Grads factored(GradContext& c, Value* l, Value* gl) {
  Value* p = c.op("aten::tril", {c.op("aten::matmul", {mt(c, l), gl}), c.int_(0)});
  Value* s = c.scale(c.add(p, mt(c, c.op("aten::tril", {p, c.int_(-1)}))), 0.5);
  Value* y = triangular(c, mt(c, l), s, true, false);            // L^-T S
  return c.only_first(mt(c, triangular(c, mt(c, l), mt(c, y), true, false)));  // (L^-T (L^-T S)^T)^T = L^-T S L^-1
}

Grads cholesky(GradContext& c) { return factored(c, c.output(), c.grad()); }

Grads triangular_solve(GradContext& c) {
  Grads r = c.no_grads();
  Value* a = c.input(0);
  const bool upper = c.constant_bool(2, "upper"), unit = c.constant_bool(3, "unitriangular");
  Value* gb = triangular(c, mt(c, a), c.grad(), !upper, unit);
  if (c.needs_grad(1)) r[1] = gb;
  if (c.needs_grad(0)) {
    Value* ga = c.neg(c.op("aten::matmul", {gb, mt(c, c.output())}));
    r[0] = c.op(upper ? "aten::triu" : "aten::tril", {ga, c.int_(unit ? (upper ? 1 : -1) : 0)});
  }
  return r;
}

int64_t static_dim(GradContext& c, const Value* v, int from_end) {
  const auto& s = c.shape(v);
  const Dim& d = s[s.size() - static_cast<size_t>(from_end)];
  if (!d.is_static()) throw c.error("the gradient needs the matrix sizes known when compiling");
  return d.value();
}

Value* rows_of(GradContext& c, Value* p, int64_t from, int64_t to) {
  return c.op("aten::slice.Tensor", {p, c.int_(-2), c.int_(from), c.int_(to), c.int_(1)});
}

// The *_ex kernels: the result's rows carry the gradient, info's row none.
Grads lu_solve_ex(GradContext& c) {
  return solved(c, rows_of(c, c.output(), 0, -1), rows_of(c, c.grad(), 0, -1));
}
Grads cholesky_ex(GradContext& c) {
  return factored(c, rows_of(c, c.output(), 0, -1), rows_of(c, c.grad(), 0, -1));
}

Value* row(GradContext& c, Value* p, int64_t at) { return c.op("aten::select.int", {p, c.int_(-2), c.int_(at)}); }

// The identity pattern of the square `a` as a bool mask.
Value* diagonal_mask(GradContext& c, Value* a) {
  return c.op("aten::gt.Scalar", {identity_like(c, a), c.float_(0.5)});
}

// x with its diagonal replaced by the vector d (d_j at (j, j)).
Value* with_diagonal(GradContext& c, Value* x, Value* d) {
  return c.where(diagonal_mask(c, x), c.expand(c.unsqueeze(d, -2), x), x);
}

Grads eigh(GradContext& c) {
  Value *p = c.output(), *g = c.grad();
  const int64_t n = static_dim(c, p, 1);
  Value *w = row(c, p, 0), *v = rows_of(c, p, 1, n + 1);
  Value *gw = row(c, g, 0), *gv = rows_of(c, g, 1, n + 1);
  Value* x = c.op("aten::matmul", {mt(c, v), gv});
  Value* gaps = c.sub(c.unsqueeze(w, -2), c.unsqueeze(w, -1));  // w_j - w_i
  Value* f = c.where(diagonal_mask(c, x), c.zeros_like(x), c.div(x, gaps));
  Value* inner = with_diagonal(c, c.scale(c.add(f, mt(c, f)), 0.5), gw);
  return c.only_first(c.op("aten::matmul", {c.op("aten::matmul", {v, inner}), mt(c, v)}));
}

// U [*, m, k] and V [*, n, k] of the packed SVD p of an [*, m, n] matrix.
std::pair<Value*, Value*> singular_vectors(GradContext& c, Value* p, int64_t m, int64_t n) {
  return {rows_of(c, p, 0, m), rows_of(c, p, m + 1, m + 1 + n)};
}

Grads svdvals(GradContext& c) {
  Value* a = c.input(0);
  const int64_t m = static_dim(c, a, 2), n = static_dim(c, a, 1);
  auto [u, v] = singular_vectors(c, c.op("wick::svd", {a}), m, n);
  Value* scaled = c.mul(u, c.unsqueeze(c.grad(), -2));
  return c.only_first(c.op("aten::matmul", {scaled, mt(c, v)}));
}

Grads svd(GradContext& c) {
  Value *a = c.input(0), *p = c.output(), *g = c.grad();
  const int64_t m = static_dim(c, a, 2), n = static_dim(c, a, 1), k = std::min(m, n);
  auto [u, v] = singular_vectors(c, p, m, n);
  auto [gu, gv] = singular_vectors(c, g, m, n);
  Value *s = row(c, p, m), *gs = row(c, g, m);
  Value *s_row = c.unsqueeze(s, -2), *s_col = c.unsqueeze(s, -1);
  auto skew = [&](Value* x) { return c.sub(x, mt(c, x)); };
  Value* uu = skew(c.op("aten::matmul", {mt(c, u), gu}));
  Value* vv = skew(c.op("aten::matmul", {mt(c, v), gv}));
  Value* s2 = c.mul(s, s);
  Value* gaps = c.sub(c.unsqueeze(s2, -2), c.unsqueeze(s2, -1));  // s_j^2 - s_i^2
  Value* mixed = c.add(c.mul(uu, s_row), c.mul(s_col, vv));
  Value* inner = c.where(diagonal_mask(c, mixed), c.zeros_like(mixed), c.div(mixed, gaps));
  inner = with_diagonal(c, inner, gs);
  Value* ga = c.op("aten::matmul", {c.op("aten::matmul", {u, inner}), mt(c, v)});
  if (m > k) {  // the part of dU outside U's span
    Value* outside = c.sub(gu, c.op("aten::matmul", {u, c.op("aten::matmul", {mt(c, u), gu})}));
    ga = c.add(ga, c.op("aten::matmul", {c.div(outside, s_row), mt(c, v)}));
  }
  if (n > k) {  // the part of dV outside V's span
    Value* outside = c.sub(gv, c.op("aten::matmul", {v, c.op("aten::matmul", {mt(c, v), gv})}));
    ga = c.add(ga, c.op("aten::matmul", {u, mt(c, c.div(outside, s_row))}));
  }
  return c.only_first(ga);
}

// The gradient through Q (or R) of A = Q R, the other factor computed again
// (the same node as the forward's, once CSE has run).
Grads qr(GradContext& c) {
  Value* a = c.input(0);
  const bool r_part = c.constant_bool(1, "r_part"), complete = c.constant_bool(2, "complete");
  const int64_t m = static_dim(c, a, 2), n = static_dim(c, a, 1);
  if (m < n || (complete && m != n))
    throw c.error("the QR decomposition is differentiable only for matrices with at least as many rows as "
                  "columns, in mode 'reduced'");
  Value* q = r_part ? c.op("wick::qr", {a, c.bool_(false), c.bool_(complete)}) : c.output();
  Value* r = r_part ? c.output() : c.op("wick::qr", {a, c.bool_(true), c.bool_(complete)});
  Value* g = c.grad();
  Value* mm = r_part ? c.op("aten::matmul", {r, mt(c, g)}) : c.neg(c.op("aten::matmul", {mt(c, g), q}));
  Value* lower = c.op("aten::tril", {mm, c.int_(0)});
  Value* copied = c.add(lower, mt(c, c.op("aten::tril", {mm, c.int_(-1)})));
  Value* y = c.op("aten::matmul", {q, copied});
  if (!r_part) y = c.add(g, y);
  // y R^-T: R X^T = y^T with R upper triangular.
  return c.only_first(mt(c, triangular(c, r, mt(c, y), true, false)));
}

Value* cat(GradContext& c, Value* a, Value* b, int64_t dim) {
  Value* list = c.builder().create("prim::ListConstruct", {a, b}, {Type::list(Type::tensor())})->output();
  return c.op("aten::cat", {list, c.int_(dim)});
}

Grads matrix_exp(GradContext& c) {
  Value* a = c.input(0);
  const int64_t n = static_dim(c, a, 1);
  Value* at = mt(c, a);
  Value* block = cat(c, cat(c, at, c.grad(), -1), cat(c, c.zeros_like(a), at, -1), -2);
  Value* e = c.op("wick::matrix_exp", {block});
  Value* top = rows_of(c, e, 0, n);
  return c.only_first(c.op("aten::slice.Tensor", {top, c.int_(-1), c.int_(n), c.int_(2 * n), c.int_(1)}));
}

// x [*, r, c] with ones added on its diagonal.
Value* plus_identity(GradContext& c, Value* x) {
  Value* ones = c.op("aten::ones", {c.sizes(x), c.int_(*torch_code_of(c.dtype(x))), c.none(), c.none(), c.none()});
  return c.add(x, c.op("aten::tril", {c.op("aten::triu", {ones, c.int_(0)}), c.int_(0)}));
}

Value* columns_of(GradContext& c, Value* p, int64_t from, int64_t to) {
  return c.op("aten::slice.Tensor", {p, c.int_(-1), c.int_(from), c.int_(to), c.int_(1)});
}

Value* lower(GradContext& c, Value* x, int64_t diagonal) { return c.op("aten::tril", {x, c.int_(diagonal)}); }
Value* upper(GradContext& c, Value* x, int64_t diagonal) { return c.op("aten::triu", {x, c.int_(diagonal)}); }
Value* matmul(GradContext& c, Value* a, Value* b) { return c.op("aten::matmul", {a, b}); }

// The packed factorization p [*, m + 2, n] of A [*, m, n]: the gradient
// reaches A through its LU rows (the pivots and info have none).
Grads lu_factor(GradContext& c) {
  Value *a = c.input(0), *p = c.output();
  const int64_t m = static_dim(c, a, 2), n = static_dim(c, a, 1), k = std::min(m, n);
  Value *lu = rows_of(c, p, 0, m), *g = rows_of(c, c.grad(), 0, m);
  Value* pivots = c.cast(columns_of(c, row(c, p, m), 0, k), DType::i64);
  Value* perm = c.op("wick::lu_permutation", {pivots, c.int_(m)});
  Value* positions = c.unsqueeze(c.op("aten::arange", {c.int_(m), c.int_(*torch_code_of(DType::i64)), c.none(), c.none(), c.none()}), -1);
  Value* permutation = c.cast(c.op("aten::eq.Tensor", {positions, c.unsqueeze(perm, -2)}), c.dtype(a));
  Value* l = plus_identity(c, lower(c, columns_of(c, lu, 0, k), -1));  // [*, m, k]
  Value* u = upper(c, rows_of(c, lu, 0, k), 0);                         // [*, k, n]
  Value* gl = lower(c, columns_of(c, g, 0, k), -1);
  Value* gu = upper(c, rows_of(c, g, 0, k), 0);
  Value* ga = nullptr;
  if (m == n) {
    Value* inner = c.add(lower(c, matmul(c, mt(c, l), gl), -1), upper(c, matmul(c, gu, mt(c, u)), 0));
    Value* x = mt(c, triangular(c, u, mt(c, inner), true, false));  // inner U^-T
    ga = triangular(c, mt(c, l), x, true, true);                    // L^-T (...)
  } else if (m < n) {
    Value* u1 = columns_of(c, u, 0, k);
    Value* inner = lower(c, c.sub(matmul(c, mt(c, l), gl), matmul(c, gu, mt(c, u))), -1);
    Value* x = mt(c, triangular(c, u1, mt(c, inner), true, false));  // inner U1^-T
    Value* z = cat(c, c.add(x, columns_of(c, gu, 0, k)), columns_of(c, gu, k, n), -1);
    ga = triangular(c, mt(c, l), z, true, true);
  } else {
    Value* l1 = rows_of(c, l, 0, k);
    Value* inner = upper(c, c.sub(matmul(c, gu, mt(c, u)), matmul(c, mt(c, l), gl)), 0);
    Value* x = triangular(c, mt(c, l1), inner, true, true);  // L1^-T inner
    Value* z = cat(c, c.add(x, rows_of(c, gl, 0, k)), rows_of(c, gl, k, m), -2);
    ga = mt(c, triangular(c, u, mt(c, z), true, false));  // z U^-T
  }
  return c.only_first(matmul(c, permutation, ga));
}

}  // namespace

void add_linalg_gradients(OpTableBuilder& t) {
  t.set_gradient("wick::lu_factor", {lu_factor});
  t.set_gradient("wick::matrix_exp", {matrix_exp});
  t.set_gradient("wick::qr", {qr});
  t.set_gradient("wick::eigh", {eigh});
  t.set_gradient("wick::svdvals", {svdvals});
  t.set_gradient("wick::svd", {svd});
  t.set_gradient("wick::lu_solve", {lu_solve});
  t.set_gradient("wick::lu_solve_ex", {lu_solve_ex});
  t.set_gradient("wick::cholesky_ex", {cholesky_ex});
  t.set_gradient("wick::slogdet", {slogdet});
  t.set_gradient("wick::cholesky", {cholesky});
  t.set_gradient("wick::triangular_solve", {triangular_solve});
  t.set_gradient("aten::matmul", {matmul});
  t.set_gradient("aten::mm", {mm_rule});
  t.set_gradient("aten::bmm", {bmm});
  t.set_gradient("aten::addmm", {addmm});
  t.set_gradient("aten::linear", {linear});
}

}  // namespace wick::ir

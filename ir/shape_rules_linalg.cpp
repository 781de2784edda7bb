// Type rules of dense linear algebra (ir/ops_linalg.cpp): operands are
// batches of matrices [*, m, n] in float32 or float64, systems A X = B with
// a square A, and batch dims that broadcast as torch.linalg's do.
#include <string>

#include "ir/constant_value.h"
#include "ir/op_table.h"
#include "ir/shape_rules.h"

namespace wick::ir::shape {
namespace {

// A float32 or float64 operand of rank >= `min_rank`; its dtype when known.
std::optional<DType> float_operand(const Node& node, const Type& t, const char* what, int min_rank = 2) {
  if (t.dtype() && *t.dtype() != DType::f32 && *t.dtype() != DType::f64)
    throw node.error(std::string(what) + " must be float32 or float64, got " + std::string(dtype_name(*t.dtype())));
  if (t.has_rank() && t.rank() < min_rank)
    throw node.error(std::string(what) + " must have at least " + std::to_string(min_rank) + " dims, got " +
                     shape_str(*t.shape()));
  return t.dtype();
}

// A's shape after checking that its matrices are square.
std::optional<std::vector<Dim>> square_shape(const Node& node, const Type& a, const char* what) {
  float_operand(node, a, what);
  if (!a.has_rank()) return std::nullopt;
  const auto& s = *a.shape();
  const Dim &m = s[s.size() - 2], &n = s.back();
  if (m.is_static() && n.is_static() && m != n)
    throw node.error(std::string(what) + " must be a batch of square matrices, got " + shape_str(s));
  return s;
}

std::vector<Dim> batch_of(const std::vector<Dim>& s, size_t matrix_dims) {
  return {s.begin(), s.end() - static_cast<std::ptrdiff_t>(matrix_dims)};
}

// The broadcast batch dims of a square A [*, n, n] and B [*, n, k] (or
// [*, k, n] when `left` is false), with B's matrix dims after them.
std::optional<std::vector<Dim>> system_shape(const Node& node, const Type& a, const Type& b, bool left,
                                             const char* what_a, const char* what_b) {
  auto sa = square_shape(node, a, what_a);
  float_operand(node, b, what_b);
  require_same_dtype(node, a, b, what_a, what_b);
  if (!sa || !b.has_rank()) return std::nullopt;
  const auto& sb = *b.shape();
  const Dim& n = sa->back();
  const Dim& rows = left ? sb[sb.size() - 2] : sb.back();
  if (n.is_static() && rows.is_static() && n != rows)
    throw node.error(std::string(what_a) + " " + shape_str(*sa) + " and " + what_b + " " + shape_str(sb) +
                     " do not form a system: " + (left ? "A X = B" : "X A = B") + " needs " + n.str() + " " +
                     (left ? "rows" : "columns") + " in B");
  auto batch = broadcast(node, *Type::tensor(a.dtype(), batch_of(*sa, 2)), *Type::tensor(b.dtype(), batch_of(sb, 2)));
  if (!batch) return std::nullopt;
  batch->push_back(sb[sb.size() - 2]);
  batch->push_back(sb.back());
  return batch;
}

bool bool_arg(const Node& node, size_t i, bool if_absent) {
  if (i >= node.inputs().size()) return if_absent;
  auto v = constant_bool(node.input(i));
  if (!v) throw node.error("argument " + node.op().schema.args[i].name + " must be a constant");
  return *v;
}

}  // namespace

std::vector<TypePtr> square_matrices(const Node& node) {
  const Type& a = input_type(node, 0);
  return {Type::tensor(a.dtype(), square_shape(node, a, "A"), a.tensor_device())};
}

std::vector<TypePtr> determinant(const Node& node) {
  const Type& a = input_type(node, 0);
  auto s = square_shape(node, a, "A");
  return {Type::tensor(a.dtype(), s ? std::optional(batch_of(*s, 2)) : std::nullopt, a.tensor_device())};
}

std::vector<TypePtr> sign_and_log_determinant(const Node& node) {
  TypePtr t = determinant(node)[0];
  return {t, t};
}

std::vector<TypePtr> packed_slogdet(const Node& node) {
  const Type& a = input_type(node, 0);
  auto s = square_shape(node, a, "A");
  if (!s) return {Type::tensor(a.dtype(), std::nullopt, a.tensor_device())};
  std::vector<Dim> out = batch_of(*s, 2);
  out.push_back(Dim::constant(2));
  return {Type::tensor(a.dtype(), out, a.tensor_device())};
}

std::vector<TypePtr> with_info(const Node& node) {
  const std::string& name = node.op().schema.name;
  std::vector<TypePtr> out = name == "linalg_solve_ex" ? linalg_solve(node) : square_matrices(node);
  const Type& result = *out[0];
  std::optional<std::vector<Dim>> batch;
  if (result.has_rank()) {
    // A vector B's result has one dim after its batch, a matrix B's two
    // (B is a vector as linalg_solve reads it).
    size_t matrix_dims = 2;
    const Type &a = input_type(node, 0), &b = input_type(node, 1);
    if (name == "linalg_solve_ex" && a.has_rank() && b.has_rank()) {
      const auto &sa = *a.shape(), &sb = *b.shape();
      if (sb.size() == 1 || (sb.size() + 1 == sa.size() && batch_of(sa, 1) == sb)) matrix_dims = 1;
    }
    batch = batch_of(*result.shape(), matrix_dims);
  }
  out.push_back(Type::tensor(DType::i32, batch, result.tensor_device()));
  return out;
}

namespace {

// t's type with one more row: [*, r + 1, c].
TypePtr one_more_row(const Type& t) {
  if (!t.has_rank()) return Type::tensor(t.dtype(), std::nullopt, t.tensor_device());
  std::vector<Dim> s = *t.shape();
  Dim& rows = s[s.size() - 2];
  rows = rows.is_static() ? Dim::constant(rows.value() + 1) : Dim();
  return Type::tensor(t.dtype(), s, t.tensor_device());
}

}  // namespace

std::vector<TypePtr> solve_with_info(const Node& node) { return {one_more_row(*solve_system(node)[0])}; }
std::vector<TypePtr> factor_with_info(const Node& node) { return {one_more_row(*square_matrices(node)[0])}; }

std::vector<TypePtr> linalg_solve(const Node& node) {
  const Type& a = input_type(node, 0);
  const Type& b = input_type(node, 1);
  const bool left = bool_arg(node, 2, true);
  auto sa = square_shape(node, a, "A");
  float_operand(node, b, "B", 1);
  require_same_dtype(node, a, b, "A", "B");
  if (!sa || !b.has_rank()) return {Type::tensor(a.dtype(), std::nullopt, a.tensor_device())};
  // B is a (batch of) vector(s) when 1-D, or when it is A's shape without the last dim.
  const auto& sb = *b.shape();
  const bool vector = sb.size() == 1 || (sb.size() + 1 == sa->size() && batch_of(*sa, 1) == sb);
  if (!vector) return {Type::tensor(a.dtype(), system_shape(node, a, b, left, "A", "B"), a.tensor_device())};
  const Dim& n = sa->back();
  if (n.is_static() && sb.back().is_static() && n != sb.back())
    throw node.error("A " + shape_str(*sa) + " and the vector B " + shape_str(sb) + " do not form a system");
  auto batch = broadcast(node, *Type::tensor(a.dtype(), batch_of(*sa, 2)), *Type::tensor(b.dtype(), batch_of(sb, 1)));
  if (batch) batch->push_back(n);
  return {Type::tensor(a.dtype(), batch, a.tensor_device())};
}

// lu_solve(A, B), solve_triangular(A, B, upper, left, ...): X shaped as B.
std::vector<TypePtr> solve_system(const Node& node) {
  const Type& a = input_type(node, 0);
  const bool left = node.op().schema.name == "linalg_solve_triangular" ? bool_arg(node, 3, true) : true;
  return {Type::tensor(a.dtype(), system_shape(node, a, input_type(node, 1), left, "A", "B"), a.tensor_device())};
}

// cholesky_solve(B, L, upper): X shaped as B.
std::vector<TypePtr> cholesky_solve(const Node& node) {
  const Type& l = input_type(node, 1);
  return {Type::tensor(l.dtype(), system_shape(node, l, input_type(node, 0), true, "the factor", "B"),
                       l.tensor_device())};
}

// triangular_solve(B, A, upper, transpose, unitriangular): (X, A broadcast to X's batch).
std::vector<TypePtr> triangular_solve(const Node& node) {
  const Type& a = input_type(node, 1);
  auto x = system_shape(node, a, input_type(node, 0), true, "A", "B");
  std::optional<std::vector<Dim>> coefficient;
  if (x) {
    coefficient = batch_of(*x, 2);
    coefficient->push_back((*a.shape())[a.shape()->size() - 2]);
    coefficient->push_back(a.shape()->back());
  }
  return {Type::tensor(a.dtype(), x, a.tensor_device()), Type::tensor(a.dtype(), coefficient, a.tensor_device())};
}

namespace {

struct MatrixDims {
  std::vector<Dim> batch;
  Dim m, n, k;  // k = min(m, n), unknown unless both are static or equal
};

std::optional<MatrixDims> matrix_dims(const Node& node, const Type& a) {
  float_operand(node, a, "A");
  if (!a.has_rank()) return std::nullopt;
  const auto& s = *a.shape();
  MatrixDims d{batch_of(s, 2), s[s.size() - 2], s.back(), Dim::unknown()};
  if (d.m.is_static() && d.n.is_static()) d.k = Dim::constant(std::min(d.m.value(), d.n.value()));
  else if (d.m == d.n) d.k = d.m;
  return d;
}

std::vector<Dim> with(std::vector<Dim> batch, std::initializer_list<Dim> tail) {
  batch.insert(batch.end(), tail.begin(), tail.end());
  return batch;
}

TypePtr tensor_of(const Type& like, std::optional<std::vector<Dim>> shape) {
  return Type::tensor(like.dtype(), std::move(shape), like.tensor_device());
}

}  // namespace

std::vector<TypePtr> packed_eigen(const Node& node) {
  const Type& a = input_type(node, 0);
  auto s = square_shape(node, a, "A");
  if (!s) return {tensor_of(a, std::nullopt)};
  const Dim n = s->back();
  return {tensor_of(a, with(batch_of(*s, 2), {n + Dim::constant(1), n}))};
}

std::vector<TypePtr> eigenvalues(const Node& node) {
  const Type& a = input_type(node, 0);
  auto s = square_shape(node, a, "A");
  return {tensor_of(a, s ? std::optional(with(batch_of(*s, 2), {s->back()})) : std::nullopt)};
}

std::vector<TypePtr> eigen_pair(const Node& node) {
  return {eigenvalues(node)[0], square_matrices(node)[0]};
}

std::vector<TypePtr> singular_value_list(const Node& node) {
  const Type& a = input_type(node, 0);
  auto d = matrix_dims(node, a);
  return {tensor_of(a, d ? std::optional(with(d->batch, {d->k})) : std::nullopt)};
}

std::vector<TypePtr> packed_svd(const Node& node) {
  const Type& a = input_type(node, 0);
  auto d = matrix_dims(node, a);
  if (!d) return {tensor_of(a, std::nullopt)};
  return {tensor_of(a, with(d->batch, {d->m + d->n + Dim::constant(1), d->k}))};
}

// linalg_svd(A, full_matrices): (U, S, Vh); svd(A, some): (U, S, V). The
// full U and V of a matrix that is not square are refused.
std::vector<TypePtr> singular_value_decomposition(const Node& node) {
  const Type& a = input_type(node, 0);
  const bool linalg = node.op().schema.name == "linalg_svd";
  const bool reduced = linalg ? !bool_arg(node, 1, true) : bool_arg(node, 1, true);
  if (!linalg && !bool_arg(node, 2, true)) throw node.error("compute_uv=False is not supported; use torch.linalg.svdvals");
  auto d = matrix_dims(node, a);
  if (!d) return {tensor_of(a, std::nullopt), tensor_of(a, std::nullopt), tensor_of(a, std::nullopt)};
  if (!reduced && !(d->m == d->n))
    throw node.error(std::string(linalg ? "full_matrices=True" : "some=False") + " of a matrix that is not square (" +
                     d->m.str() + " x " + d->n.str() + ") is not supported: its U or V would need completing");
  return {tensor_of(a, with(d->batch, {d->m, d->k})), tensor_of(a, with(d->batch, {d->k})),
          tensor_of(a, with(d->batch, linalg ? std::initializer_list<Dim>{d->k, d->n} : std::initializer_list<Dim>{d->n, d->k}))};
}

std::vector<TypePtr> pseudo_inverse(const Node& node) {
  const Type& a = input_type(node, 0);
  auto d = matrix_dims(node, a);
  return {tensor_of(a, d ? std::optional(with(d->batch, {d->n, d->m})) : std::nullopt)};
}

std::vector<TypePtr> matrix_rank(const Node& node) {
  const Type& a = input_type(node, 0);
  auto d = matrix_dims(node, a);
  return {Type::tensor(DType::i64, d ? std::optional(d->batch) : std::nullopt, a.tensor_device())};
}

// lstsq(A [*, m, n], B [*, m, k]): (X [*, n, k], [0], rank [*], [0]).
std::vector<TypePtr> least_squares(const Node& node) {
  const Type& a = input_type(node, 0);
  const Type& b = input_type(node, 1);
  auto d = matrix_dims(node, a);
  float_operand(node, b, "B");
  require_same_dtype(node, a, b, "A", "B");
  const TypePtr empty = tensor_of(a, std::vector<Dim>{Dim::constant(0)});
  if (!d || !b.has_rank()) return {tensor_of(a, std::nullopt), empty, matrix_rank(node)[0], empty};
  const auto& sb = *b.shape();
  const Dim& rows = sb[sb.size() - 2];
  if (rows.is_static() && d->m.is_static() && rows != d->m)
    throw node.error("A has " + d->m.str() + " rows but B has " + rows.str());
  auto batch = broadcast(node, *Type::tensor(a.dtype(), d->batch), *Type::tensor(b.dtype(), batch_of(sb, 2)));
  std::optional<std::vector<Dim>> x;
  if (batch) x = with(*batch, {d->n, sb.back()});
  return {tensor_of(a, x), empty, matrix_rank(node)[0], empty};
}

// wick::qr(A, r_part, complete): Q [*, m, q] or R [*, q, n], q = m or k.
std::vector<TypePtr> qr_part(const Node& node) {
  const Type& a = input_type(node, 0);
  auto d = matrix_dims(node, a);
  if (!d) return {tensor_of(a, std::nullopt)};
  const bool r_part = bool_arg(node, 1, false), complete = bool_arg(node, 2, false);
  const Dim q = complete ? d->m : d->k;
  return {tensor_of(a, r_part ? with(d->batch, {q, d->n}) : with(d->batch, {d->m, q}))};
}

// linalg_qr(A, mode), qr(A, some): (Q, R); mode 'r' leaves Q empty.
std::vector<TypePtr> qr_pair(const Node& node) {
  const Type& a = input_type(node, 0);
  std::string mode = "reduced";
  if (node.op().schema.name == "qr") {
    mode = bool_arg(node, 1, true) ? "reduced" : "complete";
  } else {
    const AttrValue* a = constant_attr(node.input(1));
    const std::string* v = a ? std::get_if<std::string>(a) : nullptr;
    if (!v) throw node.error("mode must be a constant");
    mode = *v;
  }
  if (mode != "reduced" && mode != "complete" && mode != "r")
    throw node.error("mode must be 'reduced', 'complete' or 'r', got '" + mode + "'");
  auto d = matrix_dims(node, a);
  if (!d) return {tensor_of(a, std::nullopt), tensor_of(a, std::nullopt)};
  const Dim q = mode == "complete" ? d->m : d->k;
  TypePtr qt = mode == "r" ? tensor_of(a, std::vector<Dim>{Dim::constant(0)}) : tensor_of(a, with(d->batch, {d->m, q}));
  return {qt, tensor_of(a, with(d->batch, {q, d->n}))};
}

// The LU functions. linalg_lu_factor(A) -> (LU, pivots), linalg_lu_factor_ex
// and _lu_with_info -> (LU, pivots, info): LU shaped as A [*, m, n],
// pivots [*, k] and info [*] int32.
std::vector<TypePtr> lu_factors(const Node& node) {
  const Type& a = input_type(node, 0);
  auto d = matrix_dims(node, a);
  std::vector<TypePtr> out = {tensor_of(a, a.shape()),
                              Type::tensor(DType::i32, d ? std::optional(with(d->batch, {d->k})) : std::nullopt, a.tensor_device())};
  if (node.op().schema.returns.size() == 3)
    out.push_back(Type::tensor(DType::i32, d ? std::optional(d->batch) : std::nullopt, a.tensor_device()));
  return out;
}

namespace {

// Pivots [*, k]: an integer tensor with a dim or more.
void require_pivots(const Node& node, const Type& p) {
  if (p.dtype() && !is_integral(*p.dtype()))
    throw node.error("the pivots must be an integer tensor, got " + std::string(dtype_name(*p.dtype())));
  if (p.has_rank() && p.rank() < 1) throw node.error("the pivots must have at least 1 dim, got a 0-d tensor");
}

}  // namespace

// linalg_lu(A [*, m, n]) and lu_unpack(LU [*, m, n], pivots, unpack_data,
// unpack_pivots): (P [*, m, m], L [*, m, k], U [*, k, n]); what lu_unpack is
// told not to unpack is empty ([0]).
std::vector<TypePtr> lu_unpacked(const Node& node) {
  const Type& a = input_type(node, 0);
  const bool unpack = node.op().schema.name == "lu_unpack";
  if (unpack) require_pivots(node, input_type(node, 1));
  const bool data = !unpack || bool_arg(node, 2, true), permutation = !unpack || bool_arg(node, 3, true);
  auto d = matrix_dims(node, a);
  const TypePtr empty = tensor_of(a, std::vector<Dim>{Dim::constant(0)});
  auto part = [&](bool wanted, std::initializer_list<Dim> tail) {
    if (!wanted) return empty;
    return tensor_of(a, d ? std::optional(with(d->batch, tail)) : std::nullopt);
  };
  if (!d) return {part(permutation, {}), part(data, {}), part(data, {})};
  return {part(permutation, {d->m, d->m}), part(data, {d->m, d->k}), part(data, {d->k, d->n})};
}

// linalg_lu_solve(LU, pivots, B, left, adjoint) and lu_solve(B, LU, pivots):
// X shaped as B, with the batch dims of LU and B broadcast.
std::vector<TypePtr> lu_system(const Node& node) {
  const bool linalg = node.op().schema.name == "linalg_lu_solve";
  const Type& lu = input_type(node, linalg ? 0 : 1);
  const Type& b = input_type(node, linalg ? 2 : 0);
  require_pivots(node, input_type(node, linalg ? 1 : 2));
  const bool left = linalg ? bool_arg(node, 3, true) : true;
  return {tensor_of(lu, system_shape(node, lu, b, left, "LU", "B"))};
}

// wick::lu_factor(A [*, m, n], check): [*, m + 2, n].
std::vector<TypePtr> packed_lu(const Node& node) {
  const Type& a = input_type(node, 0);
  auto d = matrix_dims(node, a);
  return {tensor_of(a, d ? std::optional(with(d->batch, {d->m + Dim::constant(2), d->n})) : std::nullopt)};
}

// wick::lu_permutation(pivots [*, k], m): [*, m] int64.
std::vector<TypePtr> lu_permutation(const Node& node) {
  const Type& p = input_type(node, 0);
  require_pivots(node, p);
  auto m = constant_int(node.input(1));
  if (!m) throw node.error("the row count must be a constant");
  std::optional<std::vector<Dim>> s;
  if (p.has_rank()) {
    s = *p.shape();
    s->back() = Dim::constant(*m);
  }
  return {Type::tensor(DType::i64, s, p.tensor_device())};
}

// nuclear_norm(A [m, n], keepdim): [] or [1, 1].
std::vector<TypePtr> nuclear_norm_of_matrix(const Node& node) {
  const Type& a = input_type(node, 0);
  float_operand(node, a, "A");
  if (a.has_rank() && a.rank() != 2) throw node.error("nuclear_norm needs a 2-d matrix, got " + shape_str(*a.shape()));
  const bool keepdim = bool_arg(node, 1, false);
  return {tensor_of(a, keepdim ? std::vector<Dim>{Dim::constant(1), Dim::constant(1)} : std::vector<Dim>{})};
}

}  // namespace wick::ir::shape

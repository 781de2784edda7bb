// Matrix products: extern calls to a GEMM library (baddbmm decomposes into
// bmm and the pointwise ops that scale and add). Dense linear algebra:
// torch.linalg's solvers, inverses, determinants and factorizations decompose
// (passes/decompose_linalg.cpp, decompose_lu.cpp) into extern kernels of the runtime
// (runtime/linalg.h), the wick:: ops below, which carry the gradients.
#include "ir/op_table.h"
#include "ir/shape_rules.h"

namespace wick::ir {

void add_linalg_ops(OpTableBuilder& t) {
  constexpr Lowering E = Lowering::extern_call;
  using namespace shape;
  t.add({"aten::matmul(Tensor self, Tensor other) -> Tensor", E, matmul});
  t.add({"aten::linalg_matmul(Tensor self, Tensor other) -> Tensor", Lowering::composite, matmul});  // an alias
  t.add({"aten::mm(Tensor self, Tensor mat2) -> Tensor", E, mm});
  t.add({"aten::bmm(Tensor self, Tensor mat2) -> Tensor", E, bmm});
  t.add({"aten::addmm(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1) -> Tensor", E, addmm});
  t.add({"aten::baddbmm(Tensor self, Tensor batch1, Tensor batch2, *, Scalar beta=1, Scalar alpha=1) -> Tensor",
         Lowering::composite, baddbmm});
  t.add({"aten::linear(Tensor input, Tensor weight, Tensor? bias=None) -> Tensor", E, linear});
  // Products written with matmul, mul and sums (passes/decompose_linalg.cpp).
  t.add({"aten::linalg_multi_dot(Tensor[] tensors) -> Tensor", Lowering::composite, matrix_chain});
  t.add({"aten::chain_matmul(Tensor[] matrices) -> Tensor", Lowering::composite, matrix_chain});
  t.add({"aten::linalg_vecdot(Tensor x, Tensor y, *, int dim=-1) -> Tensor", Lowering::composite, vecdot});
  t.add({"aten::addr(Tensor self, Tensor vec1, Tensor vec2, *, Scalar beta=1, Scalar alpha=1) -> Tensor",
         Lowering::composite, addr});
  t.add({"aten::vdot(Tensor self, Tensor other) -> Tensor", Lowering::composite, dot});
  t.add({"aten::inner(Tensor self, Tensor other) -> Tensor", Lowering::composite, inner});
  t.add({"aten::tensordot(Tensor self, Tensor other, int[] dims_self, int[] dims_other) -> Tensor", Lowering::composite,
         tensordot});
  t.add({"aten::linalg_diagonal(Tensor(a) A, *, int offset=0, int dim1=-2, int dim2=-1) -> Tensor(a)",
         Lowering::composite, diagonal});

  constexpr Lowering C = Lowering::composite;
  t.add({"aten::linalg_inv(Tensor A) -> Tensor", C, square_matrices});
  t.add({"aten::inverse(Tensor self) -> Tensor", C, square_matrices});
  t.add({"aten::linalg_solve(Tensor A, Tensor B, *, bool left=True) -> Tensor", C, shape::linalg_solve});
  t.add({"aten::linalg_det(Tensor A) -> Tensor", C, determinant});
  t.add({"aten::det(Tensor self) -> Tensor", C, determinant});
  t.add({"aten::logdet(Tensor self) -> Tensor", C, determinant});
  t.add({"aten::linalg_slogdet(Tensor A) -> (Tensor sign, Tensor logabsdet)", C, sign_and_log_determinant});
  t.add({"aten::slogdet(Tensor self) -> (Tensor sign, Tensor logabsdet)", C, sign_and_log_determinant});
  t.add({"aten::linalg_cholesky(Tensor self, *, bool upper=False) -> Tensor", C, square_matrices});
  t.add({"aten::linalg_cholesky_ex(Tensor self, *, bool upper=False, bool check_errors=False) -> (Tensor L, Tensor info)",
         C, with_info});
  t.add({"aten::linalg_inv_ex(Tensor A, *, bool check_errors=False) -> (Tensor inverse, Tensor info)", C, with_info});
  t.add({"aten::linalg_solve_ex(Tensor A, Tensor B, *, bool left=True, bool check_errors=False) -> (Tensor result, Tensor info)",
         C, with_info});
  t.add({"aten::cholesky(Tensor self, bool upper=False) -> Tensor", C, square_matrices});
  t.add({"aten::cholesky_solve(Tensor self, Tensor input2, bool upper=False) -> Tensor", C, shape::cholesky_solve});
  t.add({"aten::cholesky_inverse(Tensor self, bool upper=False) -> Tensor", C, square_matrices});
  t.add({"aten::linalg_solve_triangular(Tensor self, Tensor B, *, bool upper, bool left=True, bool unitriangular=False) -> Tensor",
         C, solve_system});
  t.add({"aten::triangular_solve(Tensor self, Tensor A, bool upper=True, bool transpose=False, bool unitriangular=False) -> (Tensor solution, Tensor cloned_coefficient)",
         C, shape::triangular_solve});
  t.add({"aten::linalg_matrix_power(Tensor self, int n) -> Tensor", C, square_matrices});
  t.add({"aten::matrix_power(Tensor self, int n) -> Tensor", C, square_matrices});
  t.add({"aten::linalg_eigh(Tensor self, str UPLO=\"L\") -> (Tensor eigenvalues, Tensor eigenvectors)", C, eigen_pair});
  t.add({"aten::linalg_eigvalsh(Tensor self, str UPLO=\"L\") -> Tensor", C, eigenvalues});
  t.add({"aten::linalg_svdvals(Tensor A, *, str? driver=None) -> Tensor", C, singular_value_list});
  t.add({"aten::linalg_svd(Tensor A, bool full_matrices=True, *, str? driver=None) -> (Tensor U, Tensor S, Tensor Vh)", C,
         singular_value_decomposition});
  t.add({"aten::svd(Tensor self, bool some=True, bool compute_uv=True) -> (Tensor U, Tensor S, Tensor V)", C,
         singular_value_decomposition});
  t.add({"aten::linalg_pinv.atol_rtol_float(Tensor self, *, float? atol=None, float? rtol=None, bool hermitian=False) -> Tensor",
         C, pseudo_inverse});
  t.add({"aten::linalg_pinv(Tensor self, float rcond, bool hermitian=False) -> Tensor", C, pseudo_inverse});
  t.add({"aten::pinverse(Tensor self, float rcond=1.0000000000000001e-15) -> Tensor", C, pseudo_inverse});
  t.add({"aten::linalg_cond(Tensor self, Scalar? p=None) -> Tensor", C, determinant});
  t.add({"aten::linalg_cond.p_str(Tensor self, str p) -> Tensor", C, determinant});
  t.add({"aten::nuclear_norm(Tensor self, bool keepdim=False) -> Tensor", C, nuclear_norm_of_matrix});
  t.add({"aten::nuclear_norm.dim(Tensor self, int[2] dim, bool keepdim=False) -> Tensor", C, reduce_float_1_2});
  t.add({"aten::linalg_matrix_rank(Tensor self, float tol, bool hermitian=False) -> Tensor", C, shape::matrix_rank});
  t.add({"aten::linalg_matrix_rank.tol_tensor(Tensor input, Tensor tol, bool hermitian=False) -> Tensor", C,
         shape::matrix_rank});
  t.add({"aten::linalg_matrix_rank.atol_rtol_tensor(Tensor input, *, Tensor? atol=None, Tensor? rtol=None, bool hermitian=False) -> Tensor",
         C, shape::matrix_rank});
  t.add({"aten::linalg_matrix_rank.atol_rtol_float(Tensor self, *, float? atol=None, float? rtol=None, bool hermitian=False) -> Tensor",
         C, shape::matrix_rank});
  t.add({"aten::linalg_matrix_exp(Tensor self) -> Tensor", C, square_matrices});
  t.add({"aten::matrix_exp(Tensor self) -> Tensor", C, square_matrices});
  t.add({"aten::linalg_qr(Tensor A, str mode='reduced') -> (Tensor Q, Tensor R)", C, qr_pair});
  t.add({"aten::qr(Tensor self, bool some=True) -> (Tensor Q, Tensor R)", C, qr_pair});
  t.add({"aten::linalg_lstsq(Tensor self, Tensor b, float? rcond=None, *, str? driver=None) -> (Tensor solution, Tensor residuals, Tensor rank, Tensor singular_values)",
         C, least_squares});
  // LU with partial pivoting (passes/decompose_lu.cpp); pivot=False is refused, as on torch's CPU.
  t.add({"aten::linalg_lu_factor(Tensor A, *, bool pivot=True) -> (Tensor LU, Tensor pivots)", C, lu_factors});
  t.add({"aten::linalg_lu_factor_ex(Tensor A, *, bool pivot=True, bool check_errors=False) -> (Tensor LU, Tensor pivots, Tensor info)",
         C, lu_factors});
  t.add({"aten::_lu_with_info(Tensor self, bool pivot=True, bool check_errors=True) -> (Tensor LU, Tensor pivots, Tensor info)",
         C, lu_factors});
  t.add({"aten::linalg_lu(Tensor A, *, bool pivot=True) -> (Tensor P, Tensor L, Tensor U)", C, lu_unpacked});
  t.add({"aten::lu_unpack(Tensor LU_data, Tensor LU_pivots, bool unpack_data=True, bool unpack_pivots=True) -> (Tensor P, Tensor L, Tensor U)",
         C, lu_unpacked});
  t.add({"aten::linalg_lu_solve(Tensor LU, Tensor pivots, Tensor B, *, bool left=True, bool adjoint=False) -> Tensor", C,
         lu_system});
  t.add({"aten::lu_solve(Tensor self, Tensor LU_data, Tensor LU_pivots) -> Tensor", C, lu_system});

  // The kernels: A [*, n, n] and B [*, n, k] with equal batch dims.
  t.add({"wick::lu_solve(Tensor A, Tensor B) -> Tensor", E, solve_system});  // X: A X = B
  t.add({"wick::slogdet(Tensor A) -> Tensor", E, packed_slogdet});          // [*, 2]: sign, log|det|
  t.add({"wick::cholesky(Tensor A) -> Tensor", E, square_matrices});         // lower L: A = L L^T
  // The *_ex functions' kernels: the result, then LAPACK's info in element 0 of one more row.
  t.add({"wick::lu_solve_ex(Tensor A, Tensor B) -> Tensor", E, solve_with_info});    // [*, n + 1, k]
  t.add({"wick::cholesky_ex(Tensor A) -> Tensor", E, factor_with_info});             // [*, n + 1, n]
  t.add({"wick::triangular_solve(Tensor A, Tensor B, bool upper, bool unitriangular) -> Tensor", E, solve_system});
  t.add({"wick::eigh(Tensor A) -> Tensor", E, packed_eigen});            // [*, n + 1, n]: w ascending, then V
  t.add({"wick::svdvals(Tensor A) -> Tensor", E, singular_value_list});  // [*, k]: s descending
  t.add({"wick::svd(Tensor A) -> Tensor", E, packed_svd});               // [*, m + n + 1, k]: U, s, V
  t.add({"wick::qr(Tensor A, bool r_part, bool complete) -> Tensor", E, qr_part});  // Q or R of A = Q R
  t.add({"wick::matrix_exp(Tensor A) -> Tensor", E, square_matrices});
  // [*, m + 2, n]: LU, then the 1-based pivots, then info; with check, a zero pivot raises.
  t.add({"wick::lu_factor(Tensor A, bool check) -> Tensor", E, packed_lu});
  t.add({"wick::lu_permutation(Tensor pivots, int m) -> Tensor", E, lu_permutation});  // [*, m] i64 row order
}

}  // namespace wick::ir

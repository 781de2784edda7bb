// Shape and dtype rules shared by op table entries. Each rule reads the
// node's input types (and constant inputs such as dims) and returns the
// output types, keeping whatever is unknown unknown. Contradictions (shapes
// that do not broadcast, a dim out of range) are user errors on the node.
#pragma once

#include <optional>
#include <vector>

#include "ir/graph.h"
#include "ir/type.h"

namespace wick::ir::shape {

// Building blocks.
std::optional<std::vector<Dim>> broadcast(const Node& node, const Type& a, const Type& b);
// dtype of `a op b` where either may be a tensor or a scalar (Int/Float/Bool/Number).
std::optional<DType> result_dtype(const Type& a, const Type& b);
// Wraps a possibly negative dim into [0, rank); error when out of range.
int64_t normalize_dim(const Node& node, int64_t dim, int64_t rank);
const Type& input_type(const Node& node, size_t i);
// A user error when both tensors know their dtypes and they differ.
void require_same_dtype(const Node& node, const Type& a, const Type& b, const char* what_a, const char* what_b);
// A ScalarType argument at input i: absent (None), a known dtype, or unknown.
struct DTypeArg {
  bool given = false;
  std::optional<DType> dtype;
};
DTypeArg dtype_arg(const Node& node, size_t i);
// The number of nonzero elements of `mask` (or of the values a node of a
// size the data decides makes): a symbol of its own (shape_rules_layout.cpp).
Dim nonzero_count(const Value* mask);
// The sizes in the int list at input i (a dim unknown where not constant); a
// negative size is an error.
std::optional<std::vector<Dim>> sizes_at(const Node& node, size_t i);
// The types of the tensors in a ListConstruct, or nullopt.
std::optional<std::vector<const Type*>> list_types(const Value* v);

// Rules used directly as OpSpec::infer.
std::vector<TypePtr> same_as_input(const Node& node);      // relu, neg, ...
std::vector<TypePtr> unary_float(const Node& node);        // exp, sigmoid: ints become f32
std::vector<TypePtr> unary_float_of_second(const Node& node);  // polygamma(n, x): x's, floating
std::vector<TypePtr> binary_broadcast(const Node& node);   // add, mul, ...
std::vector<TypePtr> bitwise_broadcast(const Node& node);  // &, |, ^, <<, >>: integers and bools
std::vector<TypePtr> bitwise_unary(const Node& node);      // ~
std::vector<TypePtr> binary_true_divide(const Node& node); // div: ints become f32
std::vector<TypePtr> binary_divide_mode(const Node& node); // div with rounding_mode: ints stay ints
std::vector<TypePtr> compare_broadcast(const Node& node);  // eq, lt, ...: bool
std::vector<TypePtr> compare_broadcast_unary(const Node& node);  // logical_not: bool
std::vector<TypePtr> reduce_all(const Node& node);         // sum(x), mean(x)
std::vector<TypePtr> reduce_dims(const Node& node);        // sum(x, dims, keepdim, dtype)
std::vector<TypePtr> sort(const Node& node);               // (values, i64 indices) of x's shape; cummax
std::vector<TypePtr> scan_float(const Node& node);         // logcumsumexp: x, floating
std::vector<TypePtr> argsort(const Node& node);            // i64 indices of x's shape
std::vector<TypePtr> topk(const Node& node);               // (values, indices) with k along dim
// Float reductions of composite ops, by where their dims and keepdim stand.
std::vector<TypePtr> reduce_float_all(const Node& node);   // var(x, unbiased), norm(x, p): 0-d
std::vector<TypePtr> reduce_float_1_2(const Node& node);   // logsumexp(x, dims, keepdim)
std::vector<TypePtr> reduce_float_1_3(const Node& node);   // var/std(x, dims?, unbiased|correction, keepdim)
std::vector<TypePtr> moments(const Node& node);            // std_mean / var_mean: two results of var's type
std::vector<TypePtr> reduce_float_2_3(const Node& node);   // norm(x, p, dims, keepdim), linalg_vector_norm
std::vector<TypePtr> matmul(const Node& node);
std::vector<TypePtr> linear(const Node& node);
std::vector<TypePtr> bilinear(const Node& node);  // bilinear(x1, x2, weight [k, i, j], bias): [.., k]

// More elementwise rules (shape_rules.cpp).
std::vector<TypePtr> scalar_base_pow(const Node& node);     // pow(Scalar, Tensor)
std::vector<TypePtr> float_power(const Node& node);         // float_power: pow's shape, f64
std::vector<TypePtr> frexp(const Node& node);               // frexp(x): (x's type, i32 of x's shape)
std::vector<TypePtr> where(const Node& node);               // where(cond, a, b)
std::vector<TypePtr> broadcast_all(const Node& node);       // addcmul, lerp, clamp.Tensor: every tensor operand
std::vector<TypePtr> full_like(const Node& node);           // full_like(x, fill_value, dtype, ...)
std::vector<TypePtr> masked_fill(const Node& node);         // masked_fill(self, mask, value): self's dtype
std::vector<TypePtr> same_shape_with_dtype_arg(const Node& node);  // softmax(x, dim, dtype)
std::vector<TypePtr> cumsum(const Node& node);                     // cumsum(x, dim, dtype): ints sum in i64
std::vector<TypePtr> reduce_dims_same_dtype(const Node& node);     // amax(x, dims, keepdim)
std::vector<TypePtr> reduce_all_same_dtype(const Node& node);      // max(x)
std::vector<TypePtr> reduce_dim_with_indices(const Node& node);    // max.dim(x, dim, keepdim)
std::vector<TypePtr> kthvalue(const Node& node);                   // kthvalue(x, k, dim, keepdim)
std::vector<TypePtr> quantile(const Node& node);                   // quantile(x, q, dim?, keepdim, ...)
std::vector<TypePtr> argmax(const Node& node);                     // argmax(x, dim?, keepdim)
std::vector<TypePtr> reduce_bool(const Node& node);                // any(x, dim?, keepdim): bool
std::vector<TypePtr> to_dtype(const Node& node);            // to.dtype and friends
std::vector<TypePtr> to_dtype_of_other(const Node& node);   // type_as
std::vector<TypePtr> like_with_dtype(const Node& node);     // zeros_like(x, dtype, ...)
std::vector<TypePtr> new_filled(const Node& node);          // zeros(size, dtype, ...)
std::vector<TypePtr> new_full(const Node& node);            // full(size, fill_value, dtype, ...)
std::vector<TypePtr> triangle(const Node& node);            // triu, tril: rank >= 2
std::vector<TypePtr> arange(const Node& node);              // arange(start, end, step, dtype, ...)
std::vector<TypePtr> eye(const Node& node);                 // eye(n, m?, dtype, ...): [n, m]
std::vector<TypePtr> window(const Node& node);              // hann_window(N, periodic?, ..., dtype, ...): [N]
std::vector<TypePtr> count_nonzero(const Node& node);       // count_nonzero(x, dims?): i64
std::vector<TypePtr> aminmax(const Node& node);             // aminmax(x, dim?, keepdim): (min, max)
std::vector<TypePtr> trace(const Node& node);               // trace(x [n, m]): []
std::vector<TypePtr> loss(const Node& node);                // mse_loss, nll_loss, ...
std::vector<TypePtr> number_to_tensor(const Node& node);    // prim::NumToTensor
// item, ScalarImplicit: the Float, Int or Bool the tensor's dtype holds
// (a Number while the dtype is unknown).
std::vector<TypePtr> tensor_to_number(const Node& node);
std::vector<TypePtr> mm(const Node& node);
std::vector<TypePtr> bmm(const Node& node);
std::vector<TypePtr> addmm(const Node& node);
std::vector<TypePtr> baddbmm(const Node& node);

// Layout rules: views and data movement (shape_rules_layout.cpp).
std::vector<TypePtr> view(const Node& node);                // view, reshape
std::vector<TypePtr> flatten(const Node& node);
std::vector<TypePtr> permute(const Node& node);
std::vector<TypePtr> transpose(const Node& node);
std::vector<TypePtr> matrix_transpose(const Node& node);    // t
std::vector<TypePtr> unsqueeze(const Node& node);
std::vector<TypePtr> squeeze_all(const Node& node);
std::vector<TypePtr> squeeze_dim(const Node& node);
std::vector<TypePtr> expand(const Node& node);
std::vector<TypePtr> expand_as(const Node& node);
std::vector<TypePtr> select(const Node& node);
std::vector<TypePtr> slice(const Node& node);
std::vector<TypePtr> cat(const Node& node);
std::vector<TypePtr> stack(const Node& node);
std::vector<TypePtr> split_into_list(const Node& node);     // split, chunk: List[Tensor]
// hsplit, vsplit and dsplit of a tensor of `rank`: the dim they split (1, or
// 0 for a vector; 0; 2). Throws a user error below the rank each needs
// (1, 2, 3) and, with `size` and `sections` given, when they do not divide it.
int64_t numpy_split_dim(const Node& node, int64_t rank, std::optional<int64_t> size = std::nullopt,
                        std::optional<int64_t> sections = std::nullopt);
bool is_numpy_split(const Node& node);
std::vector<TypePtr> broadcast_tensors(const Node& node);
std::vector<TypePtr> index_select(const Node& node);
std::vector<TypePtr> glu(const Node& node);            // glu(x, dim): that dim halved
std::vector<TypePtr> narrow(const Node& node);         // narrow(x, dim, start, length)
std::vector<TypePtr> pad(const Node& node);            // pad, constant_pad_nd(x, pad, ...)
std::vector<TypePtr> repeat(const Node& node);         // repeat(x, repeats)
std::vector<TypePtr> pixel_shuffle(const Node& node);  // [.., C r^2, H, W] -> [.., C, H r, W r]
std::vector<TypePtr> unflatten(const Node& node);      // unflatten(x, dim, sizes)
std::vector<TypePtr> einsum(const Node& node);         // einsum(equation, tensors)
std::vector<TypePtr> stacks(const Node& node);         // hstack, vstack, dstack, column_stack
std::vector<TypePtr> last_two_swapped(const Node& node);  // mT, mH, adjoint
std::vector<TypePtr> diagonal(const Node& node);       // diagonal(x, offset, dim1, dim2)
std::vector<TypePtr> diag(const Node& node);           // diag(x, diagonal): 1-D <-> 2-D
std::vector<TypePtr> upsample(const Node& node);  // upsample_*.vec: nearest, nearest-exact, (bi/tri)linear, bicubic
std::vector<TypePtr> index(const Node& node);               // x[idx] with index tensors or boolean masks
std::vector<TypePtr> nonzero(const Node& node);             // [N, rank] i64, N known from the data only
std::vector<TypePtr> nonzero_columns(const Node& node);     // nonzero(as_tuple=True): rank tensors [N]
std::vector<TypePtr> masked_select(const Node& node);       // [N] of the selected elements
// repeat_interleave(repeats), wick::repeat_positions(repeats, n): [N] i64,
// N = the sum of the repeats, known from the data only.
std::vector<TypePtr> repeat_positions(const Node& node);
std::vector<TypePtr> repeat_interleave_by_tensor(const Node& node);  // (x, repeats, dim?): that dim N
std::vector<TypePtr> embedding(const Node& node);
std::vector<TypePtr> embedding_bag(const Node& node);  // [bags, D] and torch's bookkeeping results
std::vector<TypePtr> one_hot(const Node& node);

// Rearranging rules (shape_rules_rearrange.cpp).
std::vector<TypePtr> unbind(const Node& node);             // List[Tensor]: the dim removed
std::vector<TypePtr> movedim(const Node& node);            // movedim(x, source, destination): ints or lists
std::vector<TypePtr> tile(const Node& node);               // tile(x, reps): reps padded with leading 1s
std::vector<TypePtr> repeat_interleave(const Node& node);  // repeat_interleave(x, int repeats, dim?)
std::vector<TypePtr> outer(const Node& node);              // [n] x [m] -> [n, m]
std::vector<TypePtr> dot(const Node& node);                // [n] . [n] -> []
std::vector<TypePtr> mv(const Node& node);                 // [n, m] x [m] -> [n]
std::vector<TypePtr> diff(const Node& node);               // diff(x, n, dim, prepend?, append?)
std::vector<TypePtr> meshgrid(const Node& node);           // meshgrid(tensors, indexing?)
std::vector<TypePtr> rot90(const Node& node);              // rot90(x, k, dims)
std::vector<TypePtr> take_along_dim(const Node& node);     // take_along_dim(x, indices, dim?)
std::vector<TypePtr> pixel_unshuffle(const Node& node);    // [.., C, H, W] -> [.., C r r, H / r, W / r]
std::vector<TypePtr> kron(const Node& node);               // kron(a, b): sizes multiplied
std::vector<TypePtr> addmv(const Node& node);              // addmv(self, mat, vec, beta, alpha): [n]
std::vector<TypePtr> addbmm(const Node& node);             // addbmm(self, b1, b2, beta, alpha): [n, p]
std::vector<TypePtr> gather(const Node& node);             // gather(x, dim, index): index's shape, x's dtype
std::vector<TypePtr> reshaped_as(const Node& node);        // reshape_as, view_as(x, other): other's shape
std::vector<TypePtr> ravel(const Node& node);              // [numel]
std::vector<TypePtr> atleast(const Node& node);            // atleast_1d/2d/3d(x)
std::vector<TypePtr> unfold(const Node& node);             // unfold(x, dim, size, step): windows, then size
std::vector<TypePtr> diag_embed(const Node& node);         // diag_embed(x, offset, dim1, dim2)
// The source dim of each result dim of movedim.
std::vector<int64_t> movedim_order(const Node& node, int64_t rank);

// Statistics and sums written with others (shape_rules_statistics.cpp).
std::vector<TypePtr> covariance(const Node& node);        // cov, corrcoef(x [v, n] or [n]): [v, v] squeezed
std::vector<TypePtr> trapezoid(const Node& node);         // trapezoid, trapz(y, x | dx, dim): dim removed
std::vector<TypePtr> cumulative_trapezoid(const Node& node);  // dim one shorter
std::vector<TypePtr> norm_of_difference(const Node& node);  // dist(a, b, p): 0-d
std::vector<TypePtr> isin(const Node& node);              // isin(elements, test): elements' shape, bool

// Rules of ops that build tensors from others' values (shape_rules_construct.cpp).
std::vector<TypePtr> triangle_indices(const Node& node);  // tril_indices, triu_indices(row, col, offset): [2, n]
std::vector<TypePtr> cartesian_prod(const Node& node);    // [prod n_i, k], or the one tensor
std::vector<TypePtr> block_diag(const Node& node);        // [sum rows, sum cols]
std::vector<TypePtr> vander(const Node& node);            // vander(x [n], N?): [n, N]
std::vector<TypePtr> take(const Node& node);              // take(x, index): index's shape, x's dtype
std::vector<TypePtr> gather_flat(const Node& node);       // gather_flat(x [n], index): index's shape, x's dtype
std::vector<TypePtr> pdist(const Node& node);             // pdist(x [n, m]): [n (n - 1) / 2]
std::vector<TypePtr> bucketize(const Node& node);         // bucketize, searchsorted: i64 or i32
std::vector<TypePtr> histc(const Node& node);             // histc(x, bins): [bins]
// _unique2, unique_consecutive: ([K], x's shape, [K]); along dim 0
// (unique_dim, unique_consecutive with a dim): ([K, ...], [n], [K]).
std::vector<TypePtr> unique(const Node& node);
std::vector<TypePtr> spaced(const Node& node);            // linspace, logspace(start, end, steps): [steps]

// Complex tensors and Fourier transforms (shape_rules_complex.cpp).
std::vector<TypePtr> fft(const Node& node);                // fft_fft, fft_rfft2, fft_irfftn, ...
std::vector<TypePtr> view_as_real(const Node& node);       // complex [s] -> real [s, 2]
std::vector<TypePtr> view_as_complex(const Node& node);    // real [s, 2] -> complex [s]
std::vector<TypePtr> real_of_complex(const Node& node);    // abs, angle, real: a complex input's part dtype
std::vector<TypePtr> imaginary_part(const Node& node);     // imag: complex inputs only
std::vector<TypePtr> complex_from_parts(const Node& node); // complex(re, im), polar(abs, angle)
std::vector<TypePtr> fftfreq(const Node& node);            // fft_fftfreq, fft_rfftfreq(n, d, dtype, ...)
std::vector<TypePtr> stft(const Node& node);               // [B?, bins, frames] complex, or [.., 2] real
std::vector<TypePtr> istft(const Node& node);              // [B?, length] real
// wick::fft_c2c (pairs -> pairs), fft_r2c (real [.., n, ..] -> pairs [.., n / 2 + 1, .., 2]),
// fft_c2r (pairs [.., n / 2 + 1, .., 2] -> real [.., n, ..]) along a dim.
std::vector<TypePtr> fourier_kernel(const Node& node);
// wick::stft_r2c(signal [B, L], window [n_fft], n_fft, hop): [B, n_fft / 2 + 1, frames, 2].
std::vector<TypePtr> framed_fourier_kernel(const Node& node);

// Neural-network rules (shape_rules_nn.cpp).
std::vector<TypePtr> conv(const Node& node);                // conv1d, conv2d, conv3d, _convolution
// A 2-d convolution of input `x_at` by weight `w_at` (any dtypes), its stride,
// padding, dilation and groups from input `stride_at` on.
std::vector<TypePtr> conv2d_at(const Node& node, size_t x_at, size_t w_at, size_t stride_at);
// The same on a channels-last input [N, H, W, C]: [N, oH, oW, O] f32.
std::vector<TypePtr> conv2d_channels_last_at(const Node& node, size_t x_at, size_t w_at, size_t stride_at);
// A 1-d convolution of input `x_at` [N, C, L] run as a 2-d one over a
// height of 1 (a weight [O, C / groups, 1, K], stride, padding and dilation
// of two): [N, O, oL] f32.
std::vector<TypePtr> conv1d_over_height_at(const Node& node, size_t x_at, size_t w_at, size_t stride_at);
// The normalizations: the input's type, once the parameters are checked.
std::vector<TypePtr> batch_norm(const Node& node);
std::vector<TypePtr> layer_norm(const Node& node);
std::vector<TypePtr> group_norm(const Node& node);
std::vector<TypePtr> max_pool2d(const Node& node);
std::vector<TypePtr> avg_pool2d(const Node& node);
std::vector<TypePtr> adaptive_avg_pool2d(const Node& node);
std::vector<TypePtr> max_pool1d(const Node& node);
std::vector<TypePtr> avg_pool1d(const Node& node);
std::vector<TypePtr> adaptive_avg_pool1d(const Node& node);
std::vector<TypePtr> max_pool3d(const Node& node);
std::vector<TypePtr> avg_pool3d(const Node& node);
std::vector<TypePtr> adaptive_avg_pool3d(const Node& node);
// adaptive_max_pool1d/2d/3d: the pooled values and their i64 indices.
std::vector<TypePtr> adaptive_max_pool(const Node& node);
// max_pool1d/2d/3d_with_indices: the pooled values and their i64 indices.
std::vector<TypePtr> max_pool_with_indices(const Node& node);
// max_unpool2d/3d(self, indices, output_size, ...): self's leading dims,
// then output_size; indices i64 and shaped like self.
std::vector<TypePtr> max_unpool(const Node& node);
std::vector<TypePtr> multi_head_attention(const Node& node);  // _native_multi_head_attention
std::vector<TypePtr> scaled_dot_product_attention(const Node& node);
std::vector<TypePtr> rnn(const Node& node);  // lstm, gru, rnn_tanh, rnn_relu
std::vector<TypePtr> distance(const Node& node);  // cosine_similarity (over dim), pairwise_distance (last dim)
std::vector<TypePtr> rnn_packed(const Node& node);  // lstm.data, gru.data, rnn_tanh.data, rnn_relu.data
std::vector<TypePtr> pad_sequence(const Node& node);
std::vector<TypePtr> pack_padded_sequence(const Node& node);
std::vector<TypePtr> pad_packed_sequence(const Node& node);
std::vector<TypePtr> rnn_cell(const Node& node);  // lstm_cell, gru_cell, rnn_tanh_cell, rnn_relu_cell
std::vector<TypePtr> cdist(const Node& node);  // cdist(x1 [.., P, M], x2 [.., R, M]) -> [.., P, R]
std::vector<TypePtr> grid_sampler(const Node& node);  // [N, C, *in] at grid [N, *out, k] -> [N, C, *out]
// ctc_loss(log_probs [T, N, C] or [T, C], targets, input_lengths, target_lengths, blank, reduction, ...):
// [N] (or 0-d unbatched) without reduction, else 0-d; wick::ctc_loss [T, N, C] -> [N].
std::vector<TypePtr> ctc_loss(const Node& node);
std::vector<TypePtr> ctc_negative_log_likelihoods(const Node& node);
std::vector<TypePtr> affine_grid(const Node& node);   // affine_grid_generator(theta, size) -> [N, *spatial, k]
std::vector<TypePtr> im2col(const Node& node);        // F.unfold: [N, C, H, W] -> [N, C kh kw, blocks]
std::vector<TypePtr> col2im(const Node& node);        // F.fold: [N, C kh kw, blocks] -> [N, C, H, W]

// Dense linear algebra (shape_rules_linalg.cpp): f32 or f64 batches of matrices.
std::vector<TypePtr> square_matrices(const Node& node);   // inv, cholesky(A [*, n, n]): A's shape
std::vector<TypePtr> determinant(const Node& node);       // det(A [*, n, n]): [*]
std::vector<TypePtr> sign_and_log_determinant(const Node& node);  // slogdet: two of det's
std::vector<TypePtr> packed_slogdet(const Node& node);    // wick::slogdet: [*, 2]
// linalg_cholesky_ex, linalg_inv_ex, linalg_solve_ex: the plain function's
// result and an i32 info per matrix; wick::lu_solve_ex, wick::cholesky_ex:
// the kernel's result with one more row (info in its first element).
std::vector<TypePtr> with_info(const Node& node);
std::vector<TypePtr> solve_with_info(const Node& node);   // [*, n + 1, k]
std::vector<TypePtr> factor_with_info(const Node& node);  // [*, n + 1, n]
std::vector<TypePtr> linalg_solve(const Node& node);      // linalg_solve(A, B, left): B a matrix or vector
std::vector<TypePtr> solve_system(const Node& node);      // (A, B, ...): batches broadcast, B's matrix dims
std::vector<TypePtr> cholesky_solve(const Node& node);    // cholesky_solve(B, L, upper)
std::vector<TypePtr> triangular_solve(const Node& node);  // triangular_solve(B, A, ...): (X, A broadcast)
std::vector<TypePtr> packed_eigen(const Node& node);      // wick::eigh: [*, n + 1, n]
std::vector<TypePtr> eigenvalues(const Node& node);       // eigvalsh: [*, n]
std::vector<TypePtr> eigen_pair(const Node& node);        // eigh: ([*, n], [*, n, n])
std::vector<TypePtr> singular_value_list(const Node& node);  // svdvals(A [*, m, n]): [*, min(m, n)]
std::vector<TypePtr> packed_svd(const Node& node);        // wick::svd: [*, m + n + 1, k]
std::vector<TypePtr> singular_value_decomposition(const Node& node);  // linalg_svd, svd: (U, S, Vh | V)
std::vector<TypePtr> pseudo_inverse(const Node& node);    // pinv(A [*, m, n]): [*, n, m]
std::vector<TypePtr> nuclear_norm_of_matrix(const Node& node);  // nuclear_norm(A, keepdim)
std::vector<TypePtr> matrix_rank(const Node& node);       // matrix_rank(A [*, m, n], ...): [*] i64
std::vector<TypePtr> least_squares(const Node& node);     // lstsq(A, B): (X, [0], rank, [0])
std::vector<TypePtr> qr_part(const Node& node);           // wick::qr(A, r_part, complete): Q or R
std::vector<TypePtr> qr_pair(const Node& node);           // linalg_qr(A, mode), qr(A, some): (Q, R)
std::vector<TypePtr> lu_factors(const Node& node);        // linalg_lu_factor(_ex): (LU, pivots[, info])
std::vector<TypePtr> lu_unpacked(const Node& node);       // linalg_lu, lu_unpack: (P, L, U)
std::vector<TypePtr> lu_system(const Node& node);         // linalg_lu_solve, lu_solve: X shaped as B
std::vector<TypePtr> packed_lu(const Node& node);         // wick::lu_factor: [*, m + 2, n]
std::vector<TypePtr> lu_permutation(const Node& node);    // wick::lu_permutation(pivots, m): [*, m] i64

// Products written with matmul and sums (shape_rules_rearrange.cpp).
std::vector<TypePtr> matrix_chain(const Node& node);  // multi_dot, chain_matmul(tensors)
std::vector<TypePtr> vecdot(const Node& node);        // linalg_vecdot(x, y, dim)
std::vector<TypePtr> addr(const Node& node);          // addr(self, vec1, vec2, beta, alpha)
std::vector<TypePtr> inner(const Node& node);         // inner(a, b)
std::vector<TypePtr> tensordot(const Node& node);     // tensordot(a, b, dims_a, dims_b)

// Scalar and list rules.
std::vector<TypePtr> list_element(const Node& node);        // __getitem__.t
std::vector<TypePtr> same_as_input_type(const Node& node);  // list copies
std::vector<TypePtr> second_input_type(const Node& node);   // n * list
std::vector<TypePtr> list_append(const Node& node);         // append.t: the element types unified
std::vector<TypePtr> joined_lists(const Node& node);        // a + b of two lists: the join of their types

}  // namespace wick::ir::shape

// Neural-network ops: convolution and pooling (extern calls), and the
// composite ops that passes decompose into primitives (normalizations,
// softmax, dropout, losses).
#include <string>

#include "ir/op_table.h"
#include "ir/shape_rules.h"

namespace wick::ir {

void add_nn_ops(OpTableBuilder& t) {
  constexpr Lowering E = Lowering::extern_call;
  constexpr Lowering C = Lowering::composite;
  using namespace shape;
  t.add({"aten::conv1d(Tensor input, Tensor weight, Tensor? bias=None, int[1] stride=[1], int[1] padding=[0], int[1] dilation=[1], int groups=1) -> Tensor",
         E, conv});
  t.add({"aten::conv2d(Tensor input, Tensor weight, Tensor? bias=None, int[2] stride=1, int[2] padding=0, int[2] dilation=1, int groups=1) -> Tensor",
         E, conv});
  // A library call on the CPU; the CUDA pipeline writes it as conv2d
  // (decompose_volumes.cpp).
  t.add({"aten::conv3d(Tensor input, Tensor weight, Tensor? bias=None, int[3] stride=1, int[3] padding=0, int[3] dilation=1, int groups=1) -> Tensor",
         E, conv});
  t.add({"aten::conv_transpose1d(Tensor input, Tensor weight, Tensor? bias=None, int[1] stride=1, int[1] padding=0, int[1] output_padding=0, int groups=1, int[1] dilation=1) -> Tensor",
         C, conv});
  t.add({"aten::conv_transpose2d.input(Tensor input, Tensor weight, Tensor? bias=None, int[2] stride=1, int[2] padding=0, int[2] output_padding=0, int groups=1, int[2] dilation=1) -> Tensor",
         C, conv});
  t.add({"aten::conv_transpose3d.input(Tensor input, Tensor weight, Tensor? bias=None, int[3] stride=1, int[3] padding=0, int[3] output_padding=0, int groups=1, int[3] dilation=1) -> Tensor",
         C, conv});
  t.add({"aten::_convolution(Tensor input, Tensor weight, Tensor? bias, int[] stride, int[] padding, int[] dilation, bool transposed, int[] output_padding, int groups, bool benchmark, bool deterministic, bool cudnn_enabled, bool allow_tf32) -> Tensor",
         C, conv});
  t.add({"aten::max_pool2d(Tensor self, int[2] kernel_size, int[2] stride=[], int[2] padding=0, int[2] dilation=1, bool ceil_mode=False) -> Tensor",
         E, max_pool2d});
  t.add({"aten::avg_pool2d(Tensor self, int[2] kernel_size, int[2] stride=[], int[2] padding=0, bool ceil_mode=False, bool count_include_pad=True, int? divisor_override=None) -> Tensor",
         E, avg_pool2d});
  t.add({"aten::adaptive_avg_pool2d(Tensor self, SymInt[2] output_size) -> Tensor", E, adaptive_avg_pool2d});
  t.add({"aten::batch_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, bool training, float momentum, float eps, bool cudnn_enabled) -> Tensor",
         C, batch_norm});
  t.add({"aten::layer_norm(Tensor input, int[] normalized_shape, Tensor? weight=None, Tensor? bias=None, float eps=1e-05, bool cudnn_enable=True) -> Tensor",
         C, layer_norm});
  t.add({"aten::group_norm(Tensor input, int num_groups, Tensor? weight=None, Tensor? bias=None, float eps=1e-05, bool cudnn_enabled=True) -> Tensor",
         C, group_norm});
  t.add({"aten::_native_multi_head_attention(Tensor query, Tensor key, Tensor value, int embed_dim, int num_head, Tensor qkv_weight, Tensor qkv_bias, Tensor proj_weight, Tensor proj_bias, Tensor? mask=None, bool need_weights=True, bool average_attn_weights=True, int? mask_type=None) -> (Tensor, Tensor)",
         C, multi_head_attention});
  t.add({"aten::_transformer_encoder_layer_fwd(Tensor src, int embed_dim, int num_heads, Tensor qkv_weight, Tensor qkv_bias, Tensor proj_weight, Tensor proj_bias, bool use_gelu, bool norm_first, float eps, Tensor norm_weight_1, Tensor norm_bias_1, Tensor norm_weight_2, Tensor norm_bias_2, Tensor ffn_weight_1, Tensor ffn_bias_1, Tensor ffn_weight_2, Tensor ffn_bias_2, Tensor? mask=None, int? mask_type=None) -> Tensor",
         C, same_as_input});
  // nn.TransformerEncoder's path for a key padding mask in eval mode
  // (ir/nested_tensor.h): a nested tensor of the positions `mask` keeps, and
  // back. passes/canonicalize makes the left-alignment check a run-time
  // requirement; passes/lower_nested_tensors lowers the other two.
  t.add({"aten::_nested_tensor_from_mask(Tensor t, Tensor mask, bool mask_check=True) -> Tensor", C, same_as_input});
  t.add({"aten::_nested_tensor_from_mask_left_aligned(Tensor t, Tensor mask) -> bool", C});
  t.add({"aten::to_padded_tensor(Tensor self, float padding, int[]? output_size=None) -> Tensor", C, same_as_input});
  // PyTorch 2.x's attention (F.scaled_dot_product_attention); the 2.0 call
  // without scale and enable_gqa matches too.
  t.add({"aten::scaled_dot_product_attention(Tensor query, Tensor key, Tensor value, Tensor? attn_mask=None, float dropout_p=0.0, bool is_causal=False, *, float? scale=None, bool enable_gqa=False) -> Tensor",
         C, scaled_dot_product_attention});
  // Recurrent layers (nn.LSTM, nn.GRU, nn.RNN): params holds, per layer and
  // direction, w_ih, w_hh, (with has_biases) b_ih, b_hh and (an LSTM with
  // proj_size > 0) w_hr.
  t.add({"aten::lstm.input(Tensor input, Tensor[] hx, Tensor[] params, bool has_biases, int num_layers, float dropout, bool train, bool bidirectional, bool batch_first) -> (Tensor, Tensor, Tensor)",
         C, rnn});
  t.add({"aten::gru.input(Tensor input, Tensor hx, Tensor[] params, bool has_biases, int num_layers, float dropout, bool train, bool bidirectional, bool batch_first) -> (Tensor, Tensor)",
         C, rnn});
  t.add({"aten::rnn_tanh.input(Tensor input, Tensor hx, Tensor[] params, bool has_biases, int num_layers, float dropout, bool train, bool bidirectional, bool batch_first) -> (Tensor, Tensor)",
         C, rnn});
  t.add({"aten::rnn_relu.input(Tensor input, Tensor hx, Tensor[] params, bool has_biases, int num_layers, float dropout, bool train, bool bidirectional, bool batch_first) -> (Tensor, Tensor)",
         C, rnn});
  // Packed sequences (nn.utils.rnn.pack_padded_sequence and
  // pad_packed_sequence around a recurrent layer): the recurrent layers'
  // `data` overloads run over a packed batch; passes/lower_packed_sequences
  // rewrites the three into the padded form below.
  // nn.utils.rnn.pad_sequence (and pack_sequence through it): the sequences
  // [L_i, *] padded to the longest and stacked (decompose_layout.cpp).
  t.add({"aten::pad_sequence(Tensor[] sequences, bool batch_first=False, float padding_value=0.0) -> Tensor", C,
         pad_sequence});
  t.add({"aten::_pack_padded_sequence(Tensor input, Tensor lengths, bool batch_first) -> (Tensor, Tensor)", C,
         pack_padded_sequence});
  t.add({"aten::_pad_packed_sequence(Tensor data, Tensor batch_sizes, bool batch_first, Scalar padding_value, int total_length) -> (Tensor, Tensor)",
         C, pad_packed_sequence});
  t.add({"aten::lstm.data(Tensor data, Tensor batch_sizes, Tensor[] hx, Tensor[] params, bool has_biases, int num_layers, float dropout, bool train, bool bidirectional) -> (Tensor, Tensor, Tensor)",
         C, rnn_packed});
  for (const char* cell : {"gru", "rnn_tanh", "rnn_relu"})
    t.add({(std::string("aten::") + cell +
            ".data(Tensor data, Tensor batch_sizes, Tensor hx, Tensor[] params, bool has_biases, int num_layers, float dropout, bool train, bool bidirectional) -> (Tensor, Tensor)")
               .c_str(),
           C, rnn_packed});
  // A recurrent layer over padded sequences, row b holding lengths[b]
  // steps: the state stops at a row's last step and the output is zero
  // after it, as the packed layer computes (decompose_rnn.cpp).
  t.add({"wick::lstm_padded(Tensor input, Tensor[] hx, Tensor[] params, bool has_biases, int num_layers, float dropout, bool train, bool bidirectional, bool batch_first, Tensor lengths) -> (Tensor, Tensor, Tensor)",
         C, rnn});
  for (const char* cell : {"gru", "rnn_tanh", "rnn_relu"})
    t.add({(std::string("wick::") + cell +
            "_padded(Tensor input, Tensor hx, Tensor[] params, bool has_biases, int num_layers, float dropout, bool train, bool bidirectional, bool batch_first, Tensor lengths) -> (Tensor, Tensor)")
               .c_str(),
           C, rnn});
  // Similarities and distances between rows (decompose_distances.cpp).
  t.add({"aten::cosine_similarity(Tensor x1, Tensor x2, int dim=1, float eps=1e-08) -> Tensor", C, distance});
  t.add({"aten::pairwise_distance(Tensor x1, Tensor x2, float p=2., float eps=1e-06, bool keepdim=False) -> Tensor", C,
         distance});
  t.add({"aten::lstm_cell(Tensor input, Tensor[] hx, Tensor w_ih, Tensor w_hh, Tensor? b_ih=None, Tensor? b_hh=None) -> (Tensor, Tensor)",
         C, rnn_cell});
  for (const char* cell : {"gru_cell", "rnn_tanh_cell", "rnn_relu_cell"})
    t.add({(std::string("aten::") + cell +
            "(Tensor input, Tensor hx, Tensor w_ih, Tensor w_hh, Tensor? b_ih=None, Tensor? b_hh=None) -> Tensor")
               .c_str(),
           C, rnn_cell});
  // Sampling at grid positions (F.grid_sample, F.affine_grid): each output
  // a weighted sum of the input's elements around its position, gathered
  // (decompose_sampling.cpp). grid_sampler_2d/3d are what traces of some
  // versions record.
  for (const char* name : {"grid_sampler", "grid_sampler_2d", "grid_sampler_3d"})
    t.add({(std::string("aten::") + name +
            "(Tensor input, Tensor grid, int interpolation_mode, int padding_mode, bool align_corners) -> Tensor")
               .c_str(),
           C, grid_sampler});
  t.add({"aten::affine_grid_generator(Tensor theta, int[] size, bool align_corners) -> Tensor", C, affine_grid});
  // Sliding blocks (F.unfold, F.fold) as one gather and one accumulating
  // scatter at positions from aranges (decompose_sampling.cpp).
  t.add({"aten::im2col(Tensor self, int[2] kernel_size, int[2] dilation, int[2] padding, int[2] stride) -> Tensor", C,
         im2col});
  t.add({"aten::col2im(Tensor self, SymInt[2] output_size, int[2] kernel_size, int[2] dilation, int[2] padding, int[2] stride) -> Tensor",
         C, col2im});
  t.add({"aten::dropout(Tensor input, float p, bool train) -> Tensor", C, same_as_input});
  // Activations written with others (decompose_activations.cpp).
  t.add({"aten::mish(Tensor self) -> Tensor", C, same_as_input});
  t.add({"aten::selu(Tensor self) -> Tensor", C, same_as_input});
  t.add({"aten::celu(Tensor self, Scalar alpha=1.0) -> Tensor", C, same_as_input});
  t.add({"aten::log_sigmoid(Tensor self) -> Tensor", C, same_as_input});
  t.add({"aten::prelu(Tensor self, Tensor weight) -> Tensor", C, same_as_input});
  t.add({"aten::glu(Tensor self, int dim=-1) -> Tensor", C, glu});
  // Eval mode's randomized leaky relu: the mean slope (lower + upper) / 2.
  t.add({"aten::rrelu(Tensor self, Scalar lower=0.125, Scalar upper=0.33333333333333331, bool training=False, Generator? generator=None) -> Tensor",
         C, same_as_input});
  // x1^T W_k x2 + b_k for each output k, as a matrix product (decompose_linalg.cpp).
  t.add({"aten::bilinear(Tensor input1, Tensor input2, Tensor weight, Tensor? bias=None) -> Tensor", C, bilinear});
  // 1-D pooling as 2-D pooling over [.., 1, L] (decompose_pooling.cpp).
  t.add({"aten::max_pool1d(Tensor self, int[1] kernel_size, int[1] stride=[], int[1] padding=0, int[1] dilation=1, bool ceil_mode=False) -> Tensor",
         C, max_pool1d});
  t.add({"aten::avg_pool1d(Tensor self, int[1] kernel_size, int[1] stride=[], int[1] padding=0, bool ceil_mode=False, bool count_include_pad=True) -> Tensor",
         C, avg_pool1d});
  t.add({"aten::adaptive_avg_pool1d(Tensor self, int[1] output_size) -> Tensor", C, adaptive_avg_pool1d});
  // Max pooling with torch's indices: the elements of each window gathered
  // and compared in torch's order, one pooled dim at a time
  // (decompose_pool_indices.cpp); max_unpool scatters back to them.
  t.add({"aten::max_pool1d_with_indices(Tensor self, int[1] kernel_size, int[1] stride=[], int[1] padding=0, int[1] dilation=1, bool ceil_mode=False) -> (Tensor, Tensor)",
         C, max_pool_with_indices});
  t.add({"aten::max_pool2d_with_indices(Tensor self, int[2] kernel_size, int[2] stride=[], int[2] padding=0, int[2] dilation=1, bool ceil_mode=False) -> (Tensor, Tensor)",
         C, max_pool_with_indices});
  t.add({"aten::max_pool3d_with_indices(Tensor self, int[3] kernel_size, int[3] stride=[], int[3] padding=0, int[3] dilation=1, bool ceil_mode=False) -> (Tensor, Tensor)",
         C, max_pool_with_indices});
  t.add({"aten::max_unpool2d(Tensor self, Tensor indices, int[2] output_size) -> Tensor", C, max_unpool});
  t.add({"aten::max_unpool3d(Tensor self, Tensor indices, int[3] output_size, int[3] stride, int[3] padding) -> Tensor",
         C, max_unpool});
  // Adaptive max pooling as maxima over slices, or with its indices as
  // above (decompose_pooling.cpp).
  t.add({"aten::adaptive_max_pool1d(Tensor self, int[1] output_size) -> (Tensor, Tensor)", C, adaptive_max_pool});
  t.add({"aten::adaptive_max_pool2d(Tensor self, int[2] output_size) -> (Tensor, Tensor)", C, adaptive_max_pool});
  t.add({"aten::adaptive_max_pool3d(Tensor self, int[3] output_size) -> (Tensor, Tensor)", C, adaptive_max_pool});
  // 3-D pooling through 2-D pooling (decompose_volumes.cpp).
  t.add({"aten::max_pool3d(Tensor self, int[3] kernel_size, int[3] stride=[], int[3] padding=0, int[3] dilation=1, bool ceil_mode=False) -> Tensor",
         C, max_pool3d});
  t.add({"aten::avg_pool3d(Tensor self, int[3] kernel_size, int[3] stride=[], int[3] padding=0, bool ceil_mode=False, bool count_include_pad=True, int? divisor_override=None) -> Tensor",
         C, avg_pool3d});
  t.add({"aten::adaptive_avg_pool3d(Tensor self, int[3] output_size) -> Tensor", C, adaptive_avg_pool3d});
  // Per-sample normalization: group_norm with a group per channel, or the
  // running statistics (decompose_norms.cpp).
  t.add({"aten::instance_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, bool use_input_stats, float momentum, float eps, bool cudnn_enabled) -> Tensor",
         C, same_as_input});
  // Statistics over dims (decompose_reductions.cpp).
  t.add({"aten::var(Tensor self, bool unbiased=True) -> Tensor", C, reduce_float_all});
  t.add({"aten::var.dim(Tensor self, int[1]? dim, bool unbiased=True, bool keepdim=False) -> Tensor", C, reduce_float_1_3});
  t.add({"aten::var.correction(Tensor self, int[1]? dim=None, *, int? correction=None, bool keepdim=False) -> Tensor", C,
         reduce_float_1_3});
  t.add({"aten::std(Tensor self, bool unbiased=True) -> Tensor", C, reduce_float_all});
  t.add({"aten::std.dim(Tensor self, int[1]? dim, bool unbiased=True, bool keepdim=False) -> Tensor", C, reduce_float_1_3});
  t.add({"aten::std.correction(Tensor self, int[1]? dim=None, *, int? correction=None, bool keepdim=False) -> Tensor", C,
         reduce_float_1_3});
  // The statistic and the mean, in one pass over the data after decomposition (CSE).
  for (const char* stat : {"std", "var"}) {
    const std::string base = std::string("aten::") + stat + "_mean";
    t.add({(base + "(Tensor self, bool unbiased=True) -> (Tensor, Tensor)").c_str(), C, moments});
    t.add({(base + ".dim(Tensor self, int[1]? dim, bool unbiased=True, bool keepdim=False) -> (Tensor, Tensor)").c_str(),
           C, moments});
    t.add({(base + ".correction(Tensor self, int[1]? dim=None, *, int? correction=None, bool keepdim=False) -> (Tensor, Tensor)")
               .c_str(),
           C, moments});
  }
  t.add({"aten::cumsum(Tensor self, int dim, *, ScalarType? dtype=None) -> Tensor", C, cumsum});
  // Running scans as masked reductions over pairs (passes/decompose_scans.cpp).
  t.add({"aten::cumprod(Tensor self, int dim, *, ScalarType? dtype=None) -> Tensor", C, cumsum});
  t.add({"aten::logcumsumexp(Tensor self, int dim) -> Tensor", C, scan_float});
  t.add({"aten::cummax(Tensor self, int dim) -> (Tensor values, Tensor indices)", C, sort});
  t.add({"aten::cummin(Tensor self, int dim) -> (Tensor values, Tensor indices)", C, sort});
  t.add({"aten::logsumexp(Tensor self, int[1] dim, bool keepdim=False) -> Tensor", C, reduce_float_1_2});
  t.add({"aten::norm.Scalar(Tensor self, Scalar p=2) -> Tensor", C, reduce_float_all});
  t.add({"aten::norm.ScalarOpt_dim(Tensor self, Scalar? p, int[1] dim, bool keepdim=False) -> Tensor", C,
         reduce_float_2_3});
  t.add({"aten::linalg_vector_norm(Tensor self, Scalar ord=2, int[1]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
         C, reduce_float_2_3});
  // Matrix norms and torch.linalg.norm's choice between vector and matrix
  // norms; slices scaled to a largest norm (decompose_matrix_norms.cpp).
  t.add({"aten::linalg_norm(Tensor self, Scalar? ord=None, int[1]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
         C, reduce_float_2_3});
  t.add({"aten::linalg_norm.ord_str(Tensor self, str ord, int[1]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
         C, reduce_float_2_3});
  t.add({"aten::linalg_matrix_norm(Tensor self, Scalar ord, int[] dim=[-2,-1], bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
         C, reduce_float_2_3});
  t.add({"aten::linalg_matrix_norm.str_ord(Tensor self, str ord='fro', int[] dim=[-2,-1], bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
         C, reduce_float_2_3});
  t.add({"aten::frobenius_norm(Tensor self) -> Tensor", C, reduce_float_all});
  t.add({"aten::frobenius_norm.dim(Tensor self, int[1] dim, bool keepdim=False) -> Tensor", C, reduce_float_1_2});
  t.add({"aten::renorm(Tensor self, Scalar p, int dim, Scalar maxnorm) -> Tensor", C, same_as_input});
  // Layout ops written with slices, cat, index_select, expand and reshape
  // (decompose_layout.cpp).
  // Sums of products by subscripts, as permutes, reshapes, sums and batched
  // products (decompose_einsum.cpp).
  t.add({"aten::einsum(str equation, Tensor[] tensors, *, int[]? path=None) -> Tensor", C, einsum});
  t.add({"aten::narrow(Tensor(a) self, int dim, int start, int length) -> Tensor(a)", C, narrow});
  t.add({"aten::roll(Tensor self, int[1] shifts, int[1] dims=[]) -> Tensor", C, same_as_input});
  t.add({"aten::flip(Tensor self, int[] dims) -> Tensor", C, same_as_input});
  t.add({"aten::constant_pad_nd(Tensor self, int[] pad, Scalar value=0) -> Tensor", C, pad});
  t.add({"aten::pad(Tensor self, int[] pad, str mode=\"constant\", float? value=None) -> Tensor", C, pad});
  t.add({"aten::repeat(Tensor self, int[] repeats) -> Tensor", C, repeat});
  t.add({"aten::pixel_shuffle(Tensor self, int upscale_factor) -> Tensor", C, pixel_shuffle});
  t.add({"aten::unflatten.int(Tensor(a) self, int dim, int[] sizes, str[]? names=None) -> Tensor(a)", C, unflatten});
  t.add({"aten::reflection_pad1d(Tensor self, SymInt[2] padding) -> Tensor", C, pad});
  t.add({"aten::reflection_pad2d(Tensor self, SymInt[4] padding) -> Tensor", C, pad});
  t.add({"aten::reflection_pad3d(Tensor self, SymInt[6] padding) -> Tensor", C, pad});
  t.add({"aten::replication_pad3d(Tensor self, SymInt[6] padding) -> Tensor", C, pad});
  t.add({"aten::replication_pad1d(Tensor self, SymInt[2] padding) -> Tensor", C, pad});
  t.add({"aten::replication_pad2d(Tensor self, SymInt[4] padding) -> Tensor", C, pad});
  t.add({"aten::upsample_linear1d.vec(Tensor input, int[]? output_size, bool align_corners, float[]? scale_factors) -> Tensor",
         C, upsample});
  t.add({"aten::upsample_bilinear2d.vec(Tensor input, int[]? output_size, bool align_corners, float[]? scale_factors) -> Tensor",
         C, upsample});
  t.add({"aten::upsample_trilinear3d.vec(Tensor input, int[]? output_size, bool align_corners, float[]? scale_factors) -> Tensor",
         C, upsample});
  t.add({"aten::upsample_bicubic2d.vec(Tensor input, int[]? output_size, bool align_corners, float[]? scale_factors) -> Tensor",
         C, upsample});
  // Antialiased (F.interpolate(..., antialias=True)): decompose_antialias.cpp.
  t.add({"aten::_upsample_bilinear2d_aa.vec(Tensor input, int[]? output_size, bool align_corners, float[]? scale_factors) -> Tensor",
         C, upsample});
  t.add({"aten::_upsample_bicubic2d_aa.vec(Tensor input, int[]? output_size, bool align_corners, float[]? scale_factors) -> Tensor",
         C, upsample});
  t.add({"aten::_upsample_bilinear2d_aa(Tensor self, int[2] output_size, bool align_corners, float? scales_h=None, float? scales_w=None) -> Tensor",
         C, upsample});
  t.add({"aten::_upsample_bicubic2d_aa(Tensor self, int[2] output_size, bool align_corners, float? scales_h=None, float? scales_w=None) -> Tensor",
         C, upsample});
  t.add({"aten::upsample_nearest1d.vec(Tensor input, int[]? output_size, float[]? scale_factors) -> Tensor", C,
         upsample});
  t.add({"aten::upsample_nearest2d.vec(Tensor input, int[]? output_size, float[]? scale_factors) -> Tensor", C,
         upsample});
  t.add({"aten::upsample_nearest3d.vec(Tensor input, int[]? output_size, float[]? scale_factors) -> Tensor", C,
         upsample});
  t.add({"aten::_upsample_nearest_exact1d.vec(Tensor input, int[]? output_size, float[]? scale_factors) -> Tensor", C,
         upsample});
  t.add({"aten::_upsample_nearest_exact2d.vec(Tensor input, int[]? output_size, float[]? scale_factors) -> Tensor", C,
         upsample});
  t.add({"aten::_upsample_nearest_exact3d.vec(Tensor input, int[]? output_size, float[]? scale_factors) -> Tensor", C,
         upsample});
  // The older overloads traces may record: output_size always, a scale per dim.
  t.add({"aten::upsample_linear1d(Tensor self, int[1] output_size, bool align_corners, float? scales=None) -> Tensor",
         C, upsample});
  t.add({"aten::upsample_bilinear2d(Tensor self, int[2] output_size, bool align_corners, float? scales_h=None, float? scales_w=None) -> Tensor",
         C, upsample});
  t.add({"aten::upsample_trilinear3d(Tensor self, int[3] output_size, bool align_corners, float? scales_d=None, float? scales_h=None, float? scales_w=None) -> Tensor",
         C, upsample});
  t.add({"aten::upsample_bicubic2d(Tensor self, int[2] output_size, bool align_corners, float? scales_h=None, float? scales_w=None) -> Tensor",
         C, upsample});
  t.add({"aten::upsample_nearest1d(Tensor self, int[1] output_size, float? scales=None) -> Tensor", C,
         upsample});
  t.add({"aten::upsample_nearest2d(Tensor self, int[2] output_size, float? scales_h=None, float? scales_w=None) -> Tensor", C,
         upsample});
  t.add({"aten::upsample_nearest3d(Tensor self, int[3] output_size, float? scales_d=None, float? scales_h=None, float? scales_w=None) -> Tensor", C,
         upsample});
  t.add({"aten::_upsample_nearest_exact1d(Tensor self, int[1] output_size, float? scales=None) -> Tensor", C,
         upsample});
  t.add({"aten::_upsample_nearest_exact2d(Tensor self, int[2] output_size, float? scales_h=None, float? scales_w=None) -> Tensor", C,
         upsample});
  t.add({"aten::_upsample_nearest_exact3d(Tensor self, int[3] output_size, float? scales_d=None, float? scales_h=None, float? scales_w=None) -> Tensor", C,
         upsample});
  t.add({"aten::softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor", C, same_shape_with_dtype_arg});
  t.add({"aten::log_softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor", C,
         same_shape_with_dtype_arg});
  t.add({"aten::mse_loss(Tensor self, Tensor target, int reduction=Mean) -> Tensor", C, loss});
  t.add({"aten::nll_loss(Tensor self, Tensor target, Tensor? weight=None, int reduction=Mean, int ignore_index=-100) -> Tensor",
         C, loss});
  t.add({"aten::nll_loss_nd(Tensor self, Tensor target, Tensor? weight=None, int reduction=Mean, int ignore_index=-100) -> Tensor",
         C, loss});
  t.add({"aten::binary_cross_entropy_with_logits(Tensor self, Tensor target, Tensor? weight=None, Tensor? pos_weight=None, int reduction=Mean) -> Tensor",
         C, loss});
  t.add({"aten::binary_cross_entropy(Tensor self, Tensor target, Tensor? weight=None, int reduction=Mean) -> Tensor",
         C, loss});
  t.add({"aten::kl_div(Tensor self, Tensor target, int reduction=Mean, *, bool log_target=False) -> Tensor", C, loss});
  t.add({"aten::l1_loss(Tensor self, Tensor target, int reduction=Mean) -> Tensor", C, loss});
  t.add({"aten::smooth_l1_loss(Tensor self, Tensor target, int reduction=Mean, float beta=1.0) -> Tensor", C, loss});
  t.add({"aten::huber_loss(Tensor self, Tensor target, int reduction=Mean, float delta=1.0) -> Tensor", C, loss});
  t.add({"aten::margin_ranking_loss(Tensor input1, Tensor input2, Tensor target, float margin=0.0, int reduction=Mean) -> Tensor",
         C, loss});
  t.add({"aten::hinge_embedding_loss(Tensor self, Tensor target, float margin=1.0, int reduction=Mean) -> Tensor", C,
         loss});
  t.add({"aten::soft_margin_loss(Tensor self, Tensor target, int reduction=Mean) -> Tensor", C, loss});
  t.add({"aten::multi_margin_loss(Tensor self, Tensor target, Scalar p=1, Scalar margin=1, Tensor? weight=None, int reduction=Mean) -> Tensor",
         C, loss});
  t.add({"aten::multilabel_margin_loss(Tensor self, Tensor target, int reduction=Mean) -> Tensor", C, loss});
  // CTC: the per-sample losses come from the runtime's kernel
  // (runtime/ctc_loss.h), which carries the gradient; the reduction is graph.
  t.add({"aten::ctc_loss.IntList(Tensor log_probs, Tensor targets, int[] input_lengths, int[] target_lengths, int blank=0, int reduction=Mean, bool zero_infinity=False) -> Tensor",
         C, shape::ctc_loss});
  t.add({"aten::ctc_loss.Tensor(Tensor log_probs, Tensor targets, Tensor input_lengths, Tensor target_lengths, int blank=0, int reduction=Mean, bool zero_infinity=False) -> Tensor",
         C, shape::ctc_loss});
  t.add({"wick::ctc_loss(Tensor log_probs, Tensor targets, Tensor input_lengths, Tensor target_lengths, int blank, bool zero_infinity) -> Tensor",
         Lowering::extern_call, shape::ctc_negative_log_likelihoods});
  t.add({"aten::cosine_embedding_loss(Tensor input1, Tensor input2, Tensor target, float margin=0.0, int reduction=Mean) -> Tensor",
         C, loss});
  t.add({"aten::triplet_margin_loss(Tensor anchor, Tensor positive, Tensor negative, float margin=1.0, float p=2, float eps=1e-06, bool swap=False, int reduction=Mean) -> Tensor",
         C, loss});
  t.add({"aten::poisson_nll_loss(Tensor input, Tensor target, bool log_input, bool full, float eps, int reduction) -> Tensor",
         C, loss});
  // Uniform random numbers in [0, 1) for training-mode dropout: element i
  // of the result is a pure function of (seed, step, stream, i), computed by
  // the pointwise builtin `uniform` (codegen/pointwise_eval_random.cpp gives
  // the hash), so a step is reproducible and each step, and each dropout of
  // one step (its stream), draws fresh numbers. seed and step are int64 0-d
  // tensors.
  t.add({"wick::uniform(SymInt[] size, ScalarType? dtype, Tensor seed, Tensor step, int stream) -> Tensor",
         Lowering::pointwise, new_filled, nullptr, {"uniform(seed, step, stream)", false}});
  t.add({"aten::cross_entropy_loss(Tensor self, Tensor target, Tensor? weight=None, int reduction=Mean, int ignore_index=-100, float label_smoothing=0.0) -> Tensor",
         C, loss});
  // Distances between every row of x1 and every row of x2
  // (decompose_distances.cpp).
  t.add({"aten::cdist(Tensor x1, Tensor x2, float p=2., int? compute_mode=None) -> Tensor", C, cdist});
  t.add({"aten::pdist(Tensor self, float p=2.) -> Tensor", C, pdist});
  t.add({"aten::_pdist_forward(Tensor self, float p=2.) -> Tensor", C, pdist});
  // Dropouts of whole feature maps, and the alpha dropouts that keep SELU's
  // statistics (decompose.cpp).
  for (const char* name : {"alpha_dropout", "feature_alpha_dropout", "feature_dropout"})
    t.add({(std::string("aten::") + name + "(Tensor input, float p, bool train) -> Tensor").c_str(), C, same_as_input});
}

}  // namespace wick::ir

// Dynamically quantized layers (torch.ao.nn.quantized.dynamic: what
// torch.quantization.quantize_dynamic makes of nn.Linear): the weight is
// int8 with a scale and zero point per tensor or per output channel; each
// call quantizes the input to uint8 with a scale and zero point chosen from
// that call's minimum and maximum, as LibTorch's x86 engines do, then
// multiplies. Torch's packed-parameter object stands for its (weight, bias)
// in the call, the quantized weight for its integers, scale and zero point
// (frontend: bound_class_state), so the schemas take those in its place.
// passes/decompose_quantized.cpp writes the layers as
// wick::quantized_linear_dynamic, the integer product, on the CPU and with
// float ops elsewhere. No gradient reaches their input, as in LibTorch.
//
// Statically quantized models (torch.ao.quantization's convert: QuantStub,
// quantized Conv2d, Linear, FloatFunctional.add, DeQuantStub) hold their
// activations as quantized tensors. wick holds such a tensor as the f32
// values its dequantize() gives. Where the scale of each input is known
// when compiling, passes/integer_quantized_ops.h rewrites the quantized ops
// into the wick::quantized_* ops below, which compute on the inputs' integer
// levels with the roundings of LibTorch's onednn kernels, so a model's
// levels are LibTorch's; elsewhere each op computes in float and rounds its
// result to its output's levels (passes/decompose_quantized.cpp).
#include <string>

#include "ir/constant_value.h"
#include "ir/op_table.h"
#include "ir/shape_rules.h"

namespace wick::ir {
namespace {

void require_dtype(const Node& node, const Type& t, DType want, const char* what) {
  if (t.dtype() && *t.dtype() != want)
    throw node.error(std::string(what) + " must be " + std::string(dtype_name(want)) + ", got " +
                     std::string(dtype_name(*t.dtype())));
}

// x [..., K] times a weight [N, K] transposed: f32 [..., N].
std::vector<TypePtr> linear_output(const Node& node, const Type& x, const Type& w) {
  if (!x.has_rank() || !w.has_rank()) return {Type::tensor(DType::f32, std::nullopt, x.tensor_device())};
  std::vector<Dim> out = *x.shape();
  const Dim& in_features = (*w.shape())[1];
  if (out.back().is_static() && in_features.is_static() && out.back() != in_features)
    throw node.error("a quantized linear's input has " + out.back().str() + " features but the weight expects " +
                     in_features.str());
  out.back() = (*w.shape())[0];
  return {Type::tensor(DType::f32, out, x.tensor_device())};
}

// The input [..., K] times the int8 weight [N, K] transposed, with the
// weight's scale and zero point at inputs `w + 1` and `w + 2` and the bias
// [N] at `w + 3`: a f32 [..., N].
std::vector<TypePtr> integer_linear(const Node& node, size_t w_at) {
  const Type& x = shape::input_type(node, 0);
  if (x.has_rank() && x.rank() < 2)
    throw node.error("a quantized linear needs an input of rank 2 or more, got rank " + std::to_string(x.rank()));
  const Type& w = shape::input_type(node, w_at);
  require_dtype(node, w, DType::i8, "the weight's integers");
  if (w.has_rank() && w.rank() != 2)
    throw node.error("a quantized linear needs a weight of rank 2, got rank " + std::to_string(w.rank()));
  for (size_t i : {w_at + 1, w_at + 2}) {
    const Type& p = shape::input_type(node, i);
    const char* what = i == w_at + 1 ? "the weight's scale" : "the weight's zero point";
    require_dtype(node, p, DType::f32, what);
    // One per tensor, or one per output channel ([N, 1]).
    if (p.has_rank() && p.rank() != 0 && !(p.rank() == 2 && (*p.shape())[1] == Dim::constant(1)))
      throw node.error(std::string(what) + " must hold one value or one per output channel, got " + p.str());
  }
  const Value* b = node.input(w_at + 3);
  if (!is_none(b)) {
    const Type& bias = *b->type();
    require_dtype(node, bias, DType::f32, "the bias");
    if (bias.has_rank() && bias.rank() != 1)
      throw node.error("a quantized linear needs a bias of rank 1, got rank " + std::to_string(bias.rank()));
  }
  return linear_output(node, x, w);
}

// quantized::linear_dynamic(X, W, W_scale, W_zero_point, B, reduce_range).
std::vector<TypePtr> dynamic_linear(const Node& node) {
  require_dtype(node, shape::input_type(node, 0), DType::f32, "a dynamically quantized linear's input");
  return integer_linear(node, 1);
}

// wick::quantized_linear_dynamic(X, W, W_scale, W_zero_point, B, qmax).
std::vector<TypePtr> quantized_linear_dynamic(const Node& node) {
  require_dtype(node, shape::input_type(node, 0), DType::f32, "the input");
  const auto qmax = constant_int(node.input(5));
  if (qmax && *qmax != 127 && *qmax != 255)
    throw node.error("the input's levels must be 0..127 or 0..255, got 0.." + std::to_string(*qmax));
  return integer_linear(node, 1);
}

// quantized::linear(X, W, W_scale, W_zero_point, B, Y_scale, Y_zero_point).
std::vector<TypePtr> static_linear(const Node& node) {
  require_dtype(node, shape::input_type(node, 0), DType::f32, "a quantized linear's input");
  return integer_linear(node, 1);
}

// The weight's scale and zero point at `at` and `at + 1`: f32, one per
// tensor or one per output channel (shaped [N, 1, ...] to broadcast
// against the weight).
void require_weight_parameters(const Node& node, size_t at) {
  for (size_t i : {at, at + 1}) {
    const Type& p = shape::input_type(node, i);
    const char* what = i == at ? "the weight's scale" : "the weight's zero point";
    require_dtype(node, p, DType::f32, what);
    if (!p.has_rank() || p.rank() == 0) continue;
    for (int d = 1; d < p.rank(); ++d)
      if ((*p.shape())[d] != Dim::constant(1))
        throw node.error(std::string(what) + " must hold one value or one per output channel, got " + p.str());
  }
}

// A per-output-channel f32 vector [N] at `at` (a bias, a multiplier), or None.
void require_channel_vector(const Node& node, size_t at, const char* what) {
  const Value* v = node.input(at);
  if (is_none(v)) return;
  const Type& t = *v->type();
  require_dtype(node, t, DType::f32, what);
  if (t.has_rank() && t.rank() != 1)
    throw node.error(std::string(what) + " must have rank 1, got rank " + std::to_string(t.rank()));
}

// quantized::conv2d.new(qx, W, W_scale, W_zero_point, bias, stride, padding,
// dilation, groups, output_scale, output_zero_point).
std::vector<TypePtr> static_conv2d(const Node& node) {
  require_dtype(node, shape::input_type(node, 0), DType::f32, "a quantized convolution's input");
  require_dtype(node, shape::input_type(node, 1), DType::i8, "the weight's integers");
  require_weight_parameters(node, 2);
  require_channel_vector(node, 4, "the bias");
  return shape::conv2d_at(node, 0, 1, 5);
}

// quantized::conv1d (and _relu): the same arguments, the packed weight a
// 2-d one over a height of 1 (frontend/packed_convolution.h), qx [N, C, L].
std::vector<TypePtr> static_conv1d(const Node& node) {
  require_dtype(node, shape::input_type(node, 0), DType::f32, "a quantized convolution's input");
  require_dtype(node, shape::input_type(node, 1), DType::i8, "the weight's integers");
  require_weight_parameters(node, 2);
  require_channel_vector(node, 4, "the bias");
  return shape::conv1d_over_height_at(node, 0, 1, 5);
}

// wick::quantized_conv2d(qx, x_scale, x_zero_point, weight_levels, bias,
// multiplier, stride, padding, dilation, groups, output_scale,
// output_zero_point, relu). The weight's levels are f32, or int8 when they
// are the weight's integers themselves (a zero point of 0).
std::vector<TypePtr> integer_conv2d(const Node& node) {
  require_dtype(node, shape::input_type(node, 0), DType::f32, "a quantized convolution's input");
  const Type& w = shape::input_type(node, 3);
  if (w.dtype() && *w.dtype() != DType::f32 && *w.dtype() != DType::i8)
    throw node.error("the weight's levels must be float32 or int8, got " + std::string(dtype_name(*w.dtype())));
  require_channel_vector(node, 4, "the bias");
  require_channel_vector(node, 5, "the multiplier");
  return shape::conv2d_at(node, 0, 3, 6);
}

// wick::conv2d_int8(levels, zero_point, weight, stride, padding, dilation,
// groups): uint8 levels [N, H, W, C] by an int8 weight, f32 sums
// [N, oH, oW, O].
std::vector<TypePtr> int8_conv2d(const Node& node) {
  require_dtype(node, shape::input_type(node, 0), DType::u8, "the input's levels");
  require_dtype(node, shape::input_type(node, 2), DType::i8, "the weight");
  return shape::conv2d_channels_last_at(node, 0, 2, 3);
}

// wick::quantized_linear(X, X_scale, X_zero_point, weight_levels, bias,
// multiplier, Y_scale, Y_zero_point, relu); the weight's levels as for
// wick::quantized_conv2d.
std::vector<TypePtr> integer_linear_levels(const Node& node) {
  const Type& x = shape::input_type(node, 0);
  require_dtype(node, x, DType::f32, "a quantized linear's input");
  const Type& w = shape::input_type(node, 3);
  if (w.dtype() && *w.dtype() != DType::f32 && *w.dtype() != DType::i8)
    throw node.error("the weight's levels must be float32 or int8, got " + std::string(dtype_name(*w.dtype())));
  if (w.has_rank() && w.rank() != 2)
    throw node.error("a quantized linear needs a weight of rank 2, got rank " + std::to_string(w.rank()));
  require_channel_vector(node, 4, "the bias");
  require_channel_vector(node, 5, "the multiplier");
  if (x.has_rank() && x.rank() < 1)
    throw node.error("a quantized linear needs an input of rank 1 or more, got rank 0");
  return linear_output(node, x, w);
}

// wick::quantized_add / quantized_mul(qa, a_scale, a_zero_point, qb, ...):
// qa and qb broadcast, f32.
std::vector<TypePtr> binary_levels(const Node& node) {
  const Type& a = shape::input_type(node, 0);
  const Type& b = shape::input_type(node, 3);
  require_dtype(node, a, DType::f32, "a quantized operand");
  require_dtype(node, b, DType::f32, "a quantized operand");
  return {Type::tensor(DType::f32, shape::broadcast(node, a, b), a.tensor_device())};
}

// quantized::instance_norm(input [N, C, ...], weight, bias, ...): its shape.
std::vector<TypePtr> instance_norm(const Node& node) {
  const Type& x = shape::input_type(node, 0);
  if (x.has_rank() && x.rank() < 3)
    throw node.error("instance_norm needs an input of at least 3 dims [N, C, ...], got " + x.str());
  return shape::same_as_input(node);
}

// quantize_per_tensor(x, scale, zero_point, dtype): x's shape, held as f32.
std::vector<TypePtr> quantized_values(const Node& node) {
  const Type& x = shape::input_type(node, 0);
  if (x.dtype() && *x.dtype() != DType::f32)
    throw node.error("quantizing needs a float32 tensor, got " + std::string(dtype_name(*x.dtype())));
  return {Type::tensor(DType::f32, x.shape(), x.tensor_device())};
}

}  // namespace

void add_quantized_ops(OpTableBuilder& t) {
  constexpr Lowering C = Lowering::composite;
  t.add({"quantized::linear_dynamic(Tensor X, Tensor W_prepack_weight, Tensor W_prepack_weight_scale, "
         "Tensor W_prepack_weight_zero_point, Tensor? W_prepack_bias, bool reduce_range=False) -> Tensor Y",
         C, dynamic_linear});
  t.add({"quantized::linear_relu_dynamic(Tensor X, Tensor W_prepack_weight, Tensor W_prepack_weight_scale, "
         "Tensor W_prepack_weight_zero_point, Tensor? W_prepack_bias, bool reduce_range=False) -> Tensor Y",
         C, dynamic_linear});
  // Static quantization: quantized tensors held as the f32 values they
  // stand for. A packed convolution weight (frontend/module_setstate.h)
  // arrives as its weight's int8 integers, scale and zero point, then its
  // bias, stride, padding, dilation and groups.
  t.add({"aten::quantize_per_tensor(Tensor self, float scale, int zero_point, ScalarType dtype) -> Tensor",
         C, quantized_values});
  // FX graph mode's form, its scale and zero point module tensors of one
  // element: canonicalize reads them as numbers.
  t.add({"aten::quantize_per_tensor.tensor_qparams(Tensor self, Tensor scale, Tensor zero_point, ScalarType dtype) "
         "-> Tensor",
         C, quantized_values});
  t.add({"aten::dequantize.self(Tensor self) -> Tensor", C, shape::same_as_input});
  for (const char* conv : {"conv2d", "conv2d_relu"})
    t.add({(std::string("quantized::") + conv +
            ".new(Tensor qx, Tensor W_prepack_weight, Tensor W_prepack_weight_scale, "
            "Tensor W_prepack_weight_zero_point, Tensor? bias, int[2] stride, int[2] padding, int[2] dilation, "
            "int groups, float output_scale, int output_zero_point) -> Tensor")
               .c_str(),
           C, static_conv2d});
  // canonicalize runs these as the 2-d ones over a height of 1, as ATen does.
  for (const char* conv : {"conv1d", "conv1d_relu"})
    t.add({(std::string("quantized::") + conv +
            "(Tensor qx, Tensor W_prepack_weight, Tensor W_prepack_weight_scale, "
            "Tensor W_prepack_weight_zero_point, Tensor? bias, int[2] stride, int[2] padding, int[2] dilation, "
            "int groups, float output_scale, int output_zero_point) -> Tensor")
               .c_str(),
           C, static_conv1d});
  for (const char* linear : {"linear", "linear_relu"})
    t.add({(std::string("quantized::") + linear +
            "(Tensor X, Tensor W_prepack_weight, Tensor W_prepack_weight_scale, Tensor W_prepack_weight_zero_point, "
            "Tensor? W_prepack_bias, float Y_scale_i, int Y_zero_point_i) -> Tensor Y")
               .c_str(),
           C, static_linear});
  // `x.is_quantized`: integer_quantized_ops answers it from where x comes from.
  t.add({"prim::is_quantized(Tensor a) -> bool", C});
  // Inputs requantized to the output's levels, then concatenated.
  t.add({"quantized::cat(Tensor[] qx, int dim, float? scale, int? zero_point) -> Tensor", C, shape::cat});
  t.add({"quantized::hardswish(Tensor qx, float output_scale, int output_zero_point) -> Tensor", C,
         shape::same_as_input});
  // A product with a number keeps the levels and rescales them (their
  // order reversed for a negative number; all 0 for 0).
  for (const char* mul : {"mul.Scalar", "mul_relu.Scalar", "mul_scalar", "mul_scalar_relu"})
    t.add({(std::string("quantized::") + mul + "(Tensor qa, Scalar b) -> Tensor qc").c_str(), C,
           shape::same_as_input});
  // A sum with a number moves the zero point (or, past the levels' range,
  // rescales them).
  for (const char* add : {"add.Scalar", "add_relu.Scalar", "add_scalar", "add_scalar_relu"})
    t.add({(std::string("quantized::") + add + "(Tensor qa, Scalar b) -> Tensor qc").c_str(), C,
           shape::same_as_input});
  // FX graph mode's BatchNorm2d (and 1d, 3d, fused with ReLU):
  // quantized::batch_norm picks its kernel by the input's rank.
  for (const char* norm : {"batch_norm", "batch_norm1d", "batch_norm2d", "batch_norm3d", "batch_norm_relu",
                           "batch_norm1d_relu", "batch_norm2d_relu", "batch_norm3d_relu"})
    t.add({(std::string("quantized::") + norm +
            "(Tensor qx, Tensor? weight, Tensor? bias, Tensor mean, Tensor var, float eps, float output_scale, "
            "int output_zero_point) -> Tensor")
               .c_str(),
           C, shape::batch_norm});
  t.add({"quantized::group_norm(Tensor input, int num_groups, Tensor? weight, Tensor? bias, float eps, "
         "float output_scale, int output_zero_point) -> Tensor",
         C, shape::group_norm});
  t.add({"quantized::instance_norm(Tensor input, Tensor? weight, Tensor? bias, float eps, float output_scale, "
         "int output_zero_point) -> Tensor",
         C, instance_norm});
  t.add({"quantized::layer_norm(Tensor input, int[] normalized_shape, Tensor? weight, Tensor? bias, float eps, "
         "float output_scale, int output_zero_point) -> Tensor",
         C, shape::layer_norm});
  for (const char* binary : {"add", "add_relu", "mul", "mul_relu"})
    t.add({(std::string("quantized::") + binary +
            "(Tensor qa, Tensor qb, float scale, int zero_point) -> Tensor qc")
               .c_str(),
           C, shape::binary_broadcast});
  // The same ops on integer levels (passes/integer_quantized_ops.h): an
  // input's levels are round(values / scale); a convolution or linear sums
  // them times the weight's levels (weight_levels, f32 integers) plus the
  // bias in the sum's units, times each output channel's multiplier; add
  // and mul combine the levels as ATen's quantized kernels do.
  t.add({"wick::quantized_conv2d(Tensor qx, float x_scale, int x_zero_point, Tensor weight_levels, Tensor? bias, "
         "Tensor multiplier, int[2] stride, int[2] padding, int[2] dilation, int groups, float output_scale, int output_zero_point, "
         "bool relu) -> Tensor",
         C, integer_conv2d});
  t.add({"wick::quantized_linear(Tensor X, float X_scale, int X_zero_point, Tensor weight_levels, Tensor? bias, "
         "Tensor multiplier, float Y_scale, int Y_zero_point, bool relu) -> Tensor",
         C, integer_linear_levels});
  // The convolution's integer sums on the CPU (runtime/extern_kernels.h):
  // channels-last uint8 levels less their zero point, times int8 weights.
  t.add({"wick::conv2d_int8(Tensor levels, int zero_point, Tensor weight, int[2] stride, int[2] padding, "
         "int[2] dilation, int groups) -> Tensor",
         Lowering::extern_call, int8_conv2d});
  // hardswish, and hardsigmoid of a quantized tensor (LibTorch's output
  // levels 1/256 for it), from the input's levels.
  for (const char* unary : {"hardswish", "hardsigmoid"})
    t.add({(std::string("wick::quantized_") + unary +
            "(Tensor qx, float x_scale, int x_zero_point, float scale, int zero_point) -> Tensor")
               .c_str(),
           C, shape::same_as_input});
  // A batch norm from the input's levels, as ATen's quantized kernel
  // computes it: alpha and beta per channel (passes/integer_quantized_ops.h).
  t.add({"wick::quantized_batch_norm(Tensor qx, float x_scale, int x_zero_point, Tensor alpha, Tensor beta, "
         "float output_scale, int output_zero_point, bool relu) -> Tensor",
         C, shape::same_as_input});
  // A quantized product or sum with a number, on the levels L as ATen
  // computes it: zero_point + round((L - x_zero_point + shift) * multiplier),
  // saturated (at least zero_point with relu), read at (scale, zero_point).
  t.add({"wick::quantized_rescale(Tensor qx, float x_scale, int x_zero_point, int shift, float multiplier, bool relu, "
         "float scale, int zero_point) -> Tensor",
         C, shape::same_as_input});
  // group_norm (and instance_norm, a group a channel) from the levels.
  t.add({"wick::quantized_group_norm(Tensor qx, float x_scale, int x_zero_point, int num_groups, Tensor? weight, "
         "Tensor? bias, float eps, float output_scale, int output_zero_point) -> Tensor",
         C, shape::same_as_input});
  // The levels clamped between two levels (hardtanh, relu6 and clamp of a
  // quantized tensor).
  t.add({"wick::quantized_clamp(Tensor qx, float x_scale, int x_zero_point, int min_level, int max_level) -> Tensor",
         C, shape::same_as_input});
  // layer_norm from the input's levels, as ATen's quantized kernel
  // computes it (passes/decompose_quantized.cpp).
  t.add({"wick::quantized_layer_norm(Tensor qx, float x_scale, int x_zero_point, int[] normalized_shape, "
         "Tensor? weight, Tensor? bias, float eps, float output_scale, int output_zero_point) -> Tensor",
         C, shape::same_as_input});
  for (const char* binary : {"add", "mul"})
    t.add({(std::string("wick::quantized_") + binary +
            "(Tensor qa, float a_scale, int a_zero_point, Tensor qb, float b_scale, int b_zero_point, float scale, "
            "int zero_point, bool relu) -> Tensor")
               .c_str(),
           C, binary_levels});
  // Dynamically quantized recurrent layers (nn.LSTM, nn.GRU): torch's list
  // of CellParamsBase objects arrives as, per layer and direction, the
  // input and hidden products' int8 weights, scales, zero points and biases
  // (frontend: recurrent_cell_parameters), with each cell's reduce_range
  // flag last; decompose_rnn.cpp unrolls them over the sequence.
  t.add({"aten::quantized_lstm.input(Tensor input, Tensor[] hx, Tensor[] params, bool has_biases, int num_layers, "
         "float dropout, bool train, bool bidirectional, bool batch_first, *, ScalarType? dtype=None, "
         "bool use_dynamic=False, int[] reduce_range=[]) -> (Tensor, Tensor, Tensor)",
         C, shape::rnn});
  t.add({"aten::quantized_gru.input(Tensor input, Tensor hx, Tensor[] params, bool has_biases, int num_layers, "
         "float dropout, bool train, bool bidirectional, bool batch_first, *, int[] reduce_range=[]) -> (Tensor, Tensor)",
         C, shape::rnn});
  // The quantized cells (nn.LSTMCell, ...): each packed weight as its
  // integers, scale, zero point and bias; the biases after them are the
  // ones packed, which ATen's cells do not add again.
  constexpr const char* kPackedPair =
      "Tensor w_ih, Tensor w_ih_scale, Tensor w_ih_zero_point, Tensor? w_ih_bias, "
      "Tensor w_hh, Tensor w_hh_scale, Tensor w_hh_zero_point, Tensor? w_hh_bias, Tensor bias_ih, Tensor bias_hh";
  t.add({(std::string("quantized::quantized_lstm_cell_dynamic(Tensor input, Tensor[] hx, ") + kPackedPair +
          ") -> (Tensor, Tensor)").c_str(),
         C, shape::rnn_cell});
  for (const char* cell : {"gru", "rnn_tanh", "rnn_relu"})
    t.add({(std::string("quantized::quantized_") + cell + "_cell_dynamic(Tensor input, Tensor hx, " + kPackedPair +
            ") -> Tensor").c_str(),
           C, shape::rnn_cell});
  // linear_dynamic on the CPU, the input quantized to the levels 0..qmax and
  // the products summed as integers (runtime/extern_kernels.h).
  t.add({"wick::quantized_linear_dynamic(Tensor X, Tensor W, Tensor W_scale, Tensor W_zero_point, Tensor? B, "
         "int qmax) -> Tensor",
         Lowering::extern_call, quantized_linear_dynamic});
}

}  // namespace wick::ir

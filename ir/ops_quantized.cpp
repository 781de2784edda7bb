// Dynamically quantized layers (torch.ao.nn.quantized.dynamic: what
// torch.quantization.quantize_dynamic makes of nn.Linear): the weight is
// int8 with a scale and zero point per tensor or per output channel; each
// call quantizes the input to uint8 with a scale and zero point chosen from
// that call's minimum and maximum, as LibTorch's x86 engines do, then
// multiplies. Torch's packed-parameter object stands for its (weight, bias)
// in the call, the quantized weight for its integers, scale and zero point
// (frontend: bound_class_state), so the schemas take those in its place.
// passes/decompose_quantized.cpp writes the layers with
// wick::quantized_linear, the integer product, on the CPU and with float
// ops elsewhere. Not differentiable: LibTorch has no gradient for them
// either.
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
  if (!x.has_rank() || !w.has_rank()) return {Type::tensor(DType::f32, std::nullopt, x.tensor_device())};
  std::vector<Dim> out = *x.shape();
  const Dim& in_features = (*w.shape())[1];
  if (out.back().is_static() && in_features.is_static() && out.back() != in_features)
    throw node.error("a quantized linear's input has " + out.back().str() + " features but the weight expects " +
                     in_features.str());
  out.back() = (*w.shape())[0];
  return {Type::tensor(DType::f32, out, x.tensor_device())};
}

// quantized::linear_dynamic(X, W, W_scale, W_zero_point, B, reduce_range).
std::vector<TypePtr> dynamic_linear(const Node& node) {
  require_dtype(node, shape::input_type(node, 0), DType::f32, "a dynamically quantized linear's input");
  return integer_linear(node, 1);
}

// wick::quantized_linear(Xq, x_scale, x_zero_point, W, W_scale, W_zero_point, B).
std::vector<TypePtr> quantized_linear(const Node& node) {
  require_dtype(node, shape::input_type(node, 0), DType::u8, "the input's integers");
  for (size_t i : {1, 2}) {
    const Type& p = shape::input_type(node, i);
    require_dtype(node, p, DType::f32, i == 1 ? "the input's scale" : "the input's zero point");
    if (p.has_rank() && p.rank() != 0) throw node.error("the input's scale and zero point must be 0-d, got " + p.str());
  }
  return integer_linear(node, 3);
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
  // (Xq - x_zero_point) x_scale @ ((W - W_zero_point) W_scale)^T + B, the
  // products summed as integers: Xq uint8, W int8.
  t.add({"wick::quantized_linear(Tensor Xq, Tensor x_scale, Tensor x_zero_point, Tensor W, Tensor W_scale, "
         "Tensor W_zero_point, Tensor? B) -> Tensor",
         Lowering::extern_call, quantized_linear});
}

}  // namespace wick::ir

// Dynamically quantized layers (torch.ao.nn.quantized.dynamic: what
// torch.quantization.quantize_dynamic makes of nn.Linear): the weight is
// int8 in the file and the loader keeps its dequantized floats
// (frontend/pickle_globals.cpp); each call quantizes the input to uint8 with
// a scale and zero point chosen from that call's minimum and maximum, as
// LibTorch's x86 engines do, then multiplies. passes/decompose_quantized.cpp
// writes them with ordinary ops. Torch's packed-parameter object stands for
// its (weight, bias) in the call (frontend: bound_class_state), so the
// schemas take the two in its place. Not differentiable: LibTorch has no
// gradient for them either.
#include "ir/op_table.h"
#include "ir/shape_rules.h"

namespace wick::ir {
namespace {

// linear's result, with the checks LibTorch's dynamic linear makes first.
std::vector<TypePtr> dynamic_linear(const Node& node) {
  const Type& x = shape::input_type(node, 0);
  if (x.dtype() && *x.dtype() != DType::f32)
    throw node.error("a dynamically quantized linear takes a float32 input, got " +
                     std::string(dtype_name(*x.dtype())));
  if (x.has_rank() && x.rank() < 2)
    throw node.error("a dynamically quantized linear needs an input of rank 2 or more, got rank " +
                     std::to_string(x.rank()));
  const Type& w = shape::input_type(node, 1);
  if (w.has_rank() && w.rank() != 2)
    throw node.error("a dynamically quantized linear needs a weight of rank 2, got rank " + std::to_string(w.rank()));
  return shape::linear(node);
}

}  // namespace

void add_quantized_ops(OpTableBuilder& t) {
  constexpr Lowering C = Lowering::composite;
  t.add({"quantized::linear_dynamic(Tensor X, Tensor W_prepack_weight, Tensor? W_prepack_bias, bool reduce_range=False) "
         "-> Tensor Y",
         C, dynamic_linear});
  t.add({"quantized::linear_relu_dynamic(Tensor X, Tensor W_prepack_weight, Tensor? W_prepack_bias, "
         "bool reduce_range=False) -> Tensor Y",
         C, dynamic_linear});
}

}  // namespace wick::ir

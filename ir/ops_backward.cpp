// Ops that gradients are built from (see ir/gradient_rule.h): scatters that
// undo gathers and slices (and index_put_reduce, the scatter that
// scatter_reduce's product, maximum and minimum are made of), and the
// backward halves of convolution and pooling. index_add and index_put are ordinary aten ops that models may
// call too; slice_backward is aten's own. The wick:: ops have no aten
// counterpart of the same form: aten's convolution_backward returns three
// optional tensors, and aten's pooling backward ops take the forward input
// where only its sizes are needed (saving the input just for its shape
// would cost memory).
#include "ir/constant_value.h"
#include "ir/op_table.h"
#include "ir/shape_rules.h"

namespace wick::ir {
namespace {

using shape::input_type;

TypePtr tensor_like(const Type& t, std::optional<std::vector<Dim>> dims) {
  return Type::tensor(t.dtype(), std::move(dims), t.tensor_device());
}

void require_integer_index(const Node& node, const Type& idx, const char* what) {
  if (idx.dtype() && *idx.dtype() != DType::i64 && *idx.dtype() != DType::i32)
    throw node.error(std::string(what) + " must be an int64 or int32 tensor, got " +
                     std::string(dtype_name(*idx.dtype())));
}

// A tensor of input 0's dtype with the sizes list at `sizes_arg`.
std::vector<TypePtr> sized_like_grad(const Node& node, size_t sizes_arg) {
  const Type& g = input_type(node, 0);
  auto dims = symbolic_int_list(node.input(sizes_arg));
  if (dims)
    for (const Dim& d : *dims)
      if (d.is_static() && d.value() < 0) throw node.error("negative size " + std::to_string(d.value()));
  return {tensor_like(g, dims)};
}

// slice_backward(grad, input_sizes, dim, start, end, step): grad written
// into zeros of input_sizes at the slice's positions.
std::vector<TypePtr> slice_backward(const Node& node) {
  auto out = sized_like_grad(node, 1);
  const Type& g = input_type(node, 0);
  if (out[0]->has_rank() && g.has_rank() && out[0]->rank() != g.rank())
    throw node.error("the gradient has rank " + std::to_string(g.rank()) + " but the input sizes have " +
                     std::to_string(out[0]->rank()));
  if (out[0]->has_rank()) {
    if (auto d = constant_int(node.input(2))) shape::normalize_dim(node, *d, out[0]->rank());
  }
  if (auto step = constant_int(node.input(5)); step && *step <= 0) throw node.error("slice step must be positive");
  return out;
}

// index_add(self, dim, index, source, alpha): self with alpha * source added
// at the positions `index` names along dim.
std::vector<TypePtr> index_add(const Node& node) {
  const Type& self = input_type(node, 0);
  const Type& idx = input_type(node, 2);
  const Type& src = input_type(node, 3);
  require_integer_index(node, idx, "index_add's index");
  if (idx.has_rank() && idx.rank() > 1) throw node.error("index_add needs a 1-D index");
  shape::require_same_dtype(node, self, src, "self", "source");
  if (self.has_rank() && src.has_rank() && self.rank() != src.rank() && !(self.rank() == 0 && src.rank() <= 1))
    throw node.error("index_add: source has rank " + std::to_string(src.rank()) + ", self " +
                     std::to_string(self.rank()));
  if (self.has_rank() && self.rank() > 0) {
    if (auto d = constant_int(node.input(1))) shape::normalize_dim(node, *d, self.rank());
  }
  return {tensor_like(self, self.shape())};
}

// index_put(self, indices, values, accumulate): self with values written (or
// added) at the positions advanced indexing with `indices` selects.
std::vector<TypePtr> index_put(const Node& node) {
  const Type& self = input_type(node, 0);
  shape::require_same_dtype(node, self, input_type(node, 2), "self", "values");
  const Node* list = node.input(1)->node();
  // torch fails on an empty list with an internal assert of its own.
  if (list->is("prim::ListConstruct") && list->num_inputs() == 0)
    throw node.error("at least one index is needed, got an empty list");
  if (list->is("prim::ListConstruct") && self.has_rank() && list->num_inputs() > self.shape()->size())
    throw node.error("too many indices (" + std::to_string(list->num_inputs()) + ") for a tensor of rank " +
                     std::to_string(self.rank()));
  return {tensor_like(self, self.shape())};
}

// wick::index_put_reduce(self, indices, values, reduce): index_put whose
// values combine with what is there by `reduce`: prod, amax or amin.
std::vector<TypePtr> index_put_reduce(const Node& node) {
  const AttrValue* reduce = constant_attr(node.input(3));
  const std::string* r = reduce ? std::get_if<std::string>(reduce) : nullptr;
  if (!r || (*r != "prod" && *r != "amax" && *r != "amin"))
    throw node.error("reduce must be a constant \"prod\", \"amax\" or \"amin\"");
  return index_put(node);
}

std::vector<TypePtr> same_as_self(const Node& node) {
  const Type& g = input_type(node, 0);
  const Type& self = input_type(node, 1);
  return {Type::tensor(g.dtype(), self.shape(), g.tensor_device())};
}

}  // namespace

void add_backward_ops(OpTableBuilder& t) {
  constexpr Lowering M = Lowering::movement;
  constexpr Lowering E = Lowering::extern_call;
  t.add({"aten::slice_backward(Tensor grad_output, SymInt[] input_sizes, int dim, SymInt start, SymInt end, SymInt step) -> Tensor",
         M, slice_backward});
  t.add({"aten::index_add(Tensor self, int dim, Tensor index, Tensor source, *, Scalar alpha=1) -> Tensor", M,
         index_add});
  t.add({"aten::index_put(Tensor self, Tensor?[] indices, Tensor values, bool accumulate=False) -> Tensor", M,
         index_put});
  t.add({"wick::index_put_reduce(Tensor self, Tensor?[] indices, Tensor values, str reduce) -> Tensor", M,
         index_put_reduce});
  // The input's gradient of conv1d/conv2d/conv3d (by the weight's rank); input_size
  // is [N, C, ...] or unbatched [C, ...].
  t.add({"wick::conv_input_backward(Tensor grad_output, Tensor weight, int[] input_size, int[] stride, int[] padding, int[] dilation, int groups) -> Tensor",
         E, [](const Node& n) { return sized_like_grad(n, 2); }});
  // The weight's gradient of conv1d/conv2d/conv3d.
  t.add({"wick::conv_weight_backward(Tensor grad_output, Tensor input, int[] weight_size, int[] stride, int[] padding, int[] dilation, int groups) -> Tensor",
         E, [](const Node& n) { return sized_like_grad(n, 2); }});
  // Each output gradient goes to the first maximum of its window, as in torch.
  t.add({"wick::max_pool2d_backward(Tensor grad_output, Tensor self, int[2] kernel_size, int[2] stride, int[2] padding, int[2] dilation, bool ceil_mode) -> Tensor",
         E, same_as_self});
  t.add({"wick::avg_pool2d_backward(Tensor grad_output, int[] input_size, int[2] kernel_size, int[2] stride, int[2] padding, bool ceil_mode, bool count_include_pad, int? divisor_override) -> Tensor",
         E, [](const Node& n) { return sized_like_grad(n, 1); }});
  t.add({"wick::adaptive_avg_pool2d_backward(Tensor grad_output, int[] input_size) -> Tensor", E,
         [](const Node& n) { return sized_like_grad(n, 1); }});
  // log_probs' gradient of wick::ctc_loss, scaled per sample by grad [N]
  // (runtime/ctc_loss.h recomputes the recursions rather than saving them).
  t.add({"wick::ctc_loss_backward(Tensor grad, Tensor log_probs, Tensor targets, Tensor input_lengths, Tensor target_lengths, int blank, bool zero_infinity) -> Tensor",
         E, same_as_self});
}

}  // namespace wick::ir

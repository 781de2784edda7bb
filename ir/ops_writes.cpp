// Functional forms of writes, and tensors made from values: what the front
// end turns TorchScript's in-place ops into (`y[:, 0] = v` is a copy_ into a
// view of y, which becomes y = select_scatter(y, copy(view, v), 1, 0)), and
// the factories such code uses (new_zeros, torch.tensor). All composite:
// passes/decompose_writes.cpp writes them with slices, cat, where and fills.
#include <limits>

#include "ir/constant_value.h"
#include "ir/op_table.h"
#include "ir/shape_rules.h"

namespace wick::ir {
namespace {

using shape::dtype_arg;
using shape::DTypeArg;
using shape::input_type;
using shape::sizes_at;

TypePtr like(const Type& t, std::optional<DType> dtype) { return Type::tensor(dtype, t.shape(), t.tensor_device()); }

// slice_scatter(self, src, dim, start, end, step): self with src written at
// the slice's positions; src has the slice's shape.
std::vector<TypePtr> slice_scatter(const Node& node) {
  const Type& self = input_type(node, 0);
  const Type& src = input_type(node, 1);
  shape::require_same_dtype(node, self, src, "self", "src");
  if (self.has_rank() && src.has_rank() && self.rank() != src.rank())
    throw node.error("src has rank " + std::to_string(src.rank()) + " but self has rank " +
                     std::to_string(self.rank()));
  if (self.has_rank()) {
    if (self.rank() == 0) throw node.error("slice_scatter on a zero-dim tensor");
    if (auto d = constant_int(node.input(2))) shape::normalize_dim(node, *d, self.rank());
  }
  if (auto step = constant_int(node.input(5)); step && *step <= 0) throw node.error("slice step must be positive");
  return {like(self, self.dtype())};
}

// select_scatter(self, src, dim, index): src has self's shape without dim.
std::vector<TypePtr> select_scatter(const Node& node) {
  const Type& self = input_type(node, 0);
  const Type& src = input_type(node, 1);
  shape::require_same_dtype(node, self, src, "self", "src");
  if (self.has_rank()) {
    if (self.rank() == 0) throw node.error("select_scatter on a zero-dim tensor");
    if (src.has_rank() && src.rank() + 1 != self.rank())
      throw node.error("src has rank " + std::to_string(src.rank()) + " but self has rank " +
                       std::to_string(self.rank()));
    if (auto d = constant_int(node.input(2))) shape::normalize_dim(node, *d, self.rank());
  }
  return {like(self, self.dtype())};
}

// copy(self, src): src converted to self's dtype and broadcast to its shape.
std::vector<TypePtr> copy(const Node& node) {
  const Type& self = input_type(node, 0);
  const Type& src = input_type(node, 1);
  if (self.has_rank() && src.has_rank()) {
    auto b = shape::broadcast(node, self, src);
    if (b && b->size() != static_cast<size_t>(self.rank()))
      throw node.error("src of shape " + shape_str(*src.shape()) + " does not broadcast to " + shape_str(*self.shape()));
    if (b)
      for (size_t i = 0; i < b->size(); ++i)
        if ((*b)[i].is_static() && (*self.shape())[i].is_static() && (*b)[i] != (*self.shape())[i])
          throw node.error("src of shape " + shape_str(*src.shape()) + " does not broadcast to " +
                           shape_str(*self.shape()));
  }
  return {like(self, self.dtype())};
}

// fill.Tensor(self, value): value must be 0-d.
std::vector<TypePtr> fill_tensor(const Node& node) {
  const Type& value = input_type(node, 1);
  if (value.has_rank() && value.rank() != 0)
    throw node.error("fill_ takes a 0-dim tensor value, got one of shape " + shape_str(*value.shape()));
  return {like(input_type(node, 0), input_type(node, 0).dtype())};
}

std::vector<TypePtr> same_type(const Node& node) {
  const Type& t = input_type(node, 0);
  return {like(t, t.dtype())};
}

// new_zeros(self, size, dtype, ...): self's dtype unless one is given.
std::vector<TypePtr> new_like(const Node& node, size_t dtype_at) {
  const Type& self = input_type(node, 0);
  DTypeArg a = dtype_arg(node, dtype_at);
  return {Type::tensor(a.given ? a.dtype : self.dtype(), sizes_at(node, 1), self.tensor_device())};
}
std::vector<TypePtr> new_sized(const Node& node) { return new_like(node, 2); }
std::vector<TypePtr> new_full(const Node& node) { return new_like(node, 3); }

std::optional<DType> default_dtype(TypeKind k) {
  if (k == TypeKind::Float) return DType::f32;
  if (k == TypeKind::Int) return DType::i64;
  if (k == TypeKind::Bool) return DType::b8;
  return std::nullopt;
}

// tensor.float(t, dtype, ...): a 0-d tensor, f32/i64/bool by t's kind.
std::vector<TypePtr> tensor_of_scalar(const Node& node) {
  DTypeArg a = dtype_arg(node, 1);
  return {Type::tensor(a.given ? a.dtype : default_dtype(node.input(0)->type()->kind()), std::vector<Dim>{})};
}

// The sizes of a (nested) list literal: one dim per level, from constant
// lists and ListConstructs; nullopt where a level is neither.
std::optional<std::vector<Dim>> nested_sizes(const Value* v, int depth = 0) {
  if (depth > 32) return std::nullopt;
  if (const AttrValue* a = constant_attr(v)) {
    size_t n = std::visit(
        [](const auto& x) -> size_t {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::vector<int64_t>> || std::is_same_v<T, std::vector<double>> ||
                        std::is_same_v<T, std::vector<bool>>)
            return x.size();
          return std::numeric_limits<size_t>::max();
        },
        *a);
    if (n == std::numeric_limits<size_t>::max()) return std::nullopt;
    return std::vector<Dim>{Dim::constant(static_cast<int64_t>(n))};
  }
  const Node* list = v->node();
  if (!list->is("prim::ListConstruct")) return std::nullopt;
  std::vector<Dim> dims = {Dim::constant(static_cast<int64_t>(list->num_inputs()))};
  if (list->num_inputs() == 0 || list->input(0)->type()->kind() != TypeKind::List) return dims;
  auto inner = nested_sizes(list->input(0), depth + 1);
  if (!inner) return std::nullopt;
  for (const Value* item : list->inputs())
    if (nested_sizes(item, depth + 1) != inner) throw list->error("torch.tensor of a ragged nested list");
  dims.insert(dims.end(), inner->begin(), inner->end());
  return dims;
}

// tensor(data, dtype, ...): a tensor of a (nested) list's numbers.
std::vector<TypePtr> tensor_of_list(const Node& node) {
  const Type* element = node.input(0)->type().get();
  while (element->kind() == TypeKind::List) element = element->element().get();
  DTypeArg a = dtype_arg(node, 1);
  return {Type::tensor(a.given ? a.dtype : default_dtype(element->kind()), nested_sizes(node.input(0)))};
}

}  // namespace

void add_write_ops(OpTableBuilder& t) {
  constexpr Lowering C = Lowering::composite;
  t.add({"aten::slice_scatter(Tensor self, Tensor src, int dim=0, SymInt? start=None, SymInt? end=None, SymInt step=1) -> Tensor",
         C, slice_scatter});
  t.add({"aten::select_scatter(Tensor self, Tensor src, int dim, SymInt index) -> Tensor", C, select_scatter});
  t.add({"aten::copy(Tensor self, Tensor src, bool non_blocking=False) -> Tensor", C, copy});
  t.add({"aten::fill.Scalar(Tensor self, Scalar value) -> Tensor", C, same_type});
  // Functional forms of ops torch has only in place (fill_diagonal_,
  // embedding_renorm_): not torch's names, what the front end maps those to.
  t.add({"aten::fill_diagonal(Tensor self, Scalar fill_value, bool wrap=False) -> Tensor", C, same_type});
  t.add({"aten::embedding_renorm(Tensor self, Tensor indices, float max_norm, float norm_type) -> Tensor", C, same_type});
  t.add({"aten::fill.Tensor(Tensor self, Tensor value) -> Tensor", C, fill_tensor});
  t.add({"aten::zero(Tensor self) -> Tensor", C, same_type});
  t.add({"aten::new_zeros(Tensor self, SymInt[] size, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
         C, new_sized});
  t.add({"aten::new_ones(Tensor self, SymInt[] size, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
         C, new_sized});
  // Its contents are undefined; wick gives zeros.
  t.add({"aten::new_empty(Tensor self, SymInt[] size, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
         C, new_sized});
  t.add({"aten::new_full(Tensor self, SymInt[] size, Scalar fill_value, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
         C, new_full});
  t.add({"aten::tensor.float(float t, *, ScalarType? dtype=None, Device? device=None, bool requires_grad=False) -> Tensor",
         C, tensor_of_scalar});
  t.add({"aten::tensor.int(int t, *, ScalarType? dtype=None, Device? device=None, bool requires_grad=False) -> Tensor",
         C, tensor_of_scalar});
  t.add({"aten::tensor.bool(bool t, *, ScalarType? dtype=None, Device? device=None, bool requires_grad=False) -> Tensor",
         C, tensor_of_scalar});
  t.add({"aten::tensor(t[] data, *, ScalarType? dtype=None, Device? device=None, bool requires_grad=False) -> Tensor",
         C, tensor_of_list});
  t.add({"aten::as_tensor.list(t[] data, *, ScalarType? dtype=None, Device? device=None) -> Tensor", C,
         tensor_of_list});
}

}  // namespace wick::ir

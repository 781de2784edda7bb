// Random numbers: torch's sampling functions (rand, randn, randint, normal,
// bernoulli, uniform, exponential and their *_like and in-place forms,
// randperm, multinomial),
// composite ops that passes/decompose_random.cpp writes with wick::uniform,
// a counter-based stream of the element's position. A training step draws
// from the step's stream (module tensors wick::seed and wick::step); an
// inference run from a stream the run's number (wick::call_index, counted
// by the executor) picks, so that every call draws new numbers, the same
// ones in every process. The numbers are wick's own, not LibTorch's.
#include <string>

#include "ir/constant_value.h"
#include "ir/op_table.h"
#include "ir/shape_rules.h"

namespace wick::ir {
namespace {

using shape::dtype_arg;
using shape::DTypeArg;
using shape::input_type;
using shape::sizes_at;

// randint(high, size, dtype=int64), randint.low(low, high, size, dtype=int64).
std::vector<TypePtr> random_ints(const Node& node) {
  const size_t at = node.op().schema.overload == "low" ? 2 : 1;
  const DTypeArg a = dtype_arg(node, at + 1);
  return {Type::tensor(a.given ? a.dtype : std::optional<DType>(DType::i64), sizes_at(node, at))};
}

// randint_like(self, high, dtype), randint_like.low_dtype(self, low, high, dtype): self's shape.
std::vector<TypePtr> random_ints_like(const Node& node) {
  const Type& t = input_type(node, 0);
  const DTypeArg a = dtype_arg(node, node.op().schema.overload == "low_dtype" ? 3 : 2);
  return {Type::tensor(a.given ? a.dtype : t.dtype(), t.shape(), t.tensor_device())};
}

// normal.float_float(mean, std, size, generator, dtype): f32 unless given.
std::vector<TypePtr> normal_of_size(const Node& node) {
  const DTypeArg a = dtype_arg(node, 4);
  return {Type::tensor(a.given ? a.dtype : std::optional<DType>(DType::f32), sizes_at(node, 2))};
}

// randperm(n, dtype=int64): [n].
std::vector<TypePtr> permutation(const Node& node) {
  auto n = symbolic_int(node.input(0));
  if (n && n->is_static() && n->value() < 0) throw node.error("randperm of a negative count " + n->str());
  const DTypeArg a = dtype_arg(node, 1);
  return {Type::tensor(a.given ? a.dtype : std::optional<DType>(DType::i64),
                       std::vector<Dim>{n ? *n : Dim::unknown()})};
}

// multinomial(probabilities [C] or [B, C], num_samples, replacement): int64
// [num_samples] or [B, num_samples].
std::vector<TypePtr> multinomial(const Node& node) {
  const Type& p = input_type(node, 0);
  if (p.dtype() && !is_floating(*p.dtype()))
    throw node.error("multinomial needs floating-point probabilities, got " + std::string(dtype_name(*p.dtype())));
  auto k = constant_int(node.input(1));
  if (!k) throw node.error("num_samples must be a constant");
  if (*k <= 0) throw node.error("cannot sample n_sample <= 0 samples, got " + std::to_string(*k));
  if (!p.has_rank()) return {Type::tensor(DType::i64, std::nullopt, p.tensor_device())};
  if (p.rank() != 1 && p.rank() != 2)
    throw node.error("prob_dist must be 1 or 2 dim, got " + shape_str(*p.shape()));
  std::vector<Dim> out = *p.shape();
  out.back() = Dim::constant(*k);
  return {Type::tensor(DType::i64, out, p.tensor_device())};
}

// normal.float_Tensor(mean, std): std's type.
std::vector<TypePtr> second_operand(const Node& node) {
  const Type& t = input_type(node, 1);
  return {Type::tensor(t.dtype(), t.shape(), t.tensor_device())};
}

}  // namespace

void add_random_ops(OpTableBuilder& t) {
  constexpr Lowering C = Lowering::composite;
  using namespace shape;
  const std::string factory = "*, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None";
  const std::string like = factory + ", MemoryFormat? memory_format=None) -> Tensor";
  for (const char* name : {"rand", "randn"}) {
    t.add({("aten::" + std::string(name) + "(SymInt[] size, " + factory + ") -> Tensor").c_str(), C, new_filled});
    t.add({("aten::" + std::string(name) + "_like(Tensor self, " + like).c_str(), C, like_with_dtype});
  }
  const std::string int_factory = "*, ScalarType? dtype=4, Layout? layout=None, Device? device=None, bool? pin_memory=None";
  t.add({("aten::randint(SymInt high, SymInt[] size, " + int_factory + ") -> Tensor").c_str(), C, random_ints});
  t.add({("aten::randint.low(SymInt low, SymInt high, SymInt[] size, " + int_factory + ") -> Tensor").c_str(), C,
         random_ints});
  t.add({("aten::randint_like(Tensor self, SymInt high, " + like).c_str(), C, random_ints_like});
  t.add({("aten::randint_like.low_dtype(Tensor self, SymInt low, SymInt high, " + like).c_str(), C,
         random_ints_like});
  t.add({"aten::normal.Tensor_float(Tensor mean, float std=1.0, *, Generator? generator=None) -> Tensor", C,
         same_as_input});
  t.add({"aten::normal.float_Tensor(float mean, Tensor std, *, Generator? generator=None) -> Tensor", C, second_operand});
  t.add({"aten::normal.Tensor_Tensor(Tensor mean, Tensor std, *, Generator? generator=None) -> Tensor", C,
         binary_broadcast});
  t.add({"aten::normal.float_float(float mean, float std, SymInt[] size, *, Generator? generator=None, "
         "ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
         C, normal_of_size});
  // The functional forms of the in-place fills (normal_, uniform_,
  // exponential_, bernoulli_): self's shape and dtype.
  t.add({"aten::normal_functional(Tensor self, float mean=0.0, float std=1.0, *, Generator? generator=None) -> Tensor", C,
         same_as_input});
  t.add({"aten::uniform(Tensor self, float from=0.0, float to=1.0, *, Generator? generator=None) -> Tensor", C,
         same_as_input});
  t.add({"aten::exponential(Tensor self, float lambd=1.0, *, Generator? generator=None) -> Tensor", C, same_as_input});
  t.add({"aten::bernoulli(Tensor self, *, Generator? generator=None) -> Tensor", C, same_as_input});
  t.add({"aten::bernoulli.p(Tensor self, float p, *, Generator? generator=None) -> Tensor", C, same_as_input});
  t.add({"aten::bernoulli.Tensor(Tensor self, Tensor p, *, Generator? generator=None) -> Tensor", C, same_as_input});
  t.add({("aten::randperm(SymInt n, " + int_factory + ") -> Tensor").c_str(), C, permutation});
  t.add({"aten::multinomial(Tensor self, int num_samples, bool replacement=False, *, Generator? generator=None) -> Tensor",
         C, multinomial});
  // How many runs of the plan came before this one (rt::ScalarOp::call_index).
  t.add({"wick::call_index() -> int", Lowering::scalar});
}

}  // namespace wick::ir

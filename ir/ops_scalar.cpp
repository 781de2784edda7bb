// Host-side scalar ops: shape queries, int/float/bool arithmetic and
// comparisons, conversions between scalars and tensors, and the string and
// list helpers TorchScript code uses around them. Result types come straight
// from the schema unless a rule is given.
#include <string>

#include "ir/op_table.h"
#include "ir/shape_rules.h"

namespace wick::ir {

void add_scalar_ops(OpTableBuilder& t) {
  constexpr Lowering S = Lowering::scalar;
  using namespace shape;
  // Shape queries.
  t.add({"aten::size.int(Tensor self, int dim) -> int", S});
  t.add({"aten::size(Tensor self) -> int[]", S});
  t.add({"aten::dim(Tensor self) -> int", S});
  t.add({"aten::numel(Tensor self) -> int", S});
  t.add({"aten::len.Tensor(Tensor t) -> int", S});
  t.add({"aten::len.t(t[] a) -> int", S});
  t.add({"prim::dtype(Tensor a) -> int", S});
  t.add({"prim::device(Tensor a) -> Device", S});
  t.add({"prim::type(Device self) -> str", S});  // `x.device.type`: "cpu", "cuda"
  // What a module's Python asks of its tensors and of the autograd state
  // (nn.MultiheadAttention's fast-path checks); all folded while compiling.
  t.add({"prim::is_cuda(Tensor a) -> bool", S});
  t.add({"aten::is_floating_point(Tensor self) -> bool", S});
  t.add({"aten::is_complex(Tensor self) -> bool", S});
  t.add({"prim::is_nested(Tensor a) -> bool", S});
  t.add({"prim::requires_grad(Tensor a) -> bool", S});
  t.add({"aten::is_grad_enabled() -> bool", S});
  t.add({"aten::is_autocast_enabled() -> bool", S});
  // Arithmetic on ints and floats, overloads as aten names them.
  struct Binary {
    const char* name;
    const char* int_result;  // type of int op int
    bool has_mixed;          // has int_float / float_int forms
  };
  const Binary binary[] = {
      {"add", "int", true}, {"sub", "int", true}, {"mul", "int", true},        {"div", "float", false},
      {"floordiv", "int", true}, {"remainder", "int", true}, {"pow", "float", true},
  };
  for (const Binary& b : binary) {
    const std::string base = std::string("aten::") + b.name;
    t.add({(base + ".int(int a, int b) -> " + b.int_result).c_str(), S});
    t.add({(base + ".float(float a, float b) -> float").c_str(), S});
    if (b.has_mixed) {
      t.add({(base + ".int_float(int a, float b) -> float").c_str(), S});
      t.add({(base + ".float_int(float a, int b) -> float").c_str(), S});
    }
  }
  t.add({"aten::pow.int_to_int(int a, int b) -> int", S});
  t.add({"aten::neg.int(int a) -> int", S});
  t.add({"aten::neg.float(float a) -> float", S});
  for (const char* op : {"eq", "ne", "lt", "le", "gt", "ge"}) {
    const std::string base = std::string("aten::") + op;
    t.add({(base + ".int(int a, int b) -> bool").c_str(), S});
    t.add({(base + ".float(float a, float b) -> bool").c_str(), S});
    t.add({(base + ".int_float(int a, float b) -> bool").c_str(), S});
    t.add({(base + ".float_int(float a, int b) -> bool").c_str(), S});
  }
  t.add({"aten::eq.bool(bool a, bool b) -> bool", S});
  t.add({"aten::ne.bool(bool a, bool b) -> bool", S});
  t.add({"aten::eq.str(str a, str b) -> bool", S});
  t.add({"aten::ne.str(str a, str b) -> bool", S});
  t.add({"aten::eq.int_list(int[] a, int[] b) -> bool", S});
  // The broadcast of two shapes (F.binary_cross_entropy's weight).
  t.add({"aten::_infer_size(int[] a, int[] b) -> int[]", S});
  t.add({"aten::ne.int_list(int[] a, int[] b) -> bool", S});
  t.add({"aten::__and__.bool(bool a, bool b) -> bool", S});
  t.add({"aten::__or__.bool(bool a, bool b) -> bool", S});
  t.add({"aten::__xor__.bool(bool a, bool b) -> bool", S});
  // Bitwise on Python ints (64-bit two's complement); shifts by a count
  // outside [0, 63] give 0 (<<) or the sign (>>), as the tensor shifts do.
  t.add({"aten::__and__.int(int a, int b) -> int", S});
  t.add({"aten::__or__.int(int a, int b) -> int", S});
  t.add({"aten::__xor__.int(int a, int b) -> int", S});
  t.add({"aten::__lshift__.int(int a, int b) -> int", S});
  t.add({"aten::__rshift__.int(int a, int b) -> int", S});
  t.add({"aten::__not__(bool self) -> bool", S});
  t.add({"aten::__is__(t1 self, t2 obj) -> bool", S});
  t.add({"aten::__isnot__(t1 self, t2 obj) -> bool", S});
  t.add({"prim::max.int(int a, int b) -> int", S});
  t.add({"prim::min.int(int a, int b) -> int", S});
  t.add({"prim::max.float(float a, float b) -> float", S});
  t.add({"prim::min.float(float a, float b) -> float", S});
  // min(list), max(list): chains of the binary forms (passes/canonicalize.cpp).
  t.add({"prim::max.self_int(int[] self) -> int", S});
  t.add({"prim::min.self_int(int[] self) -> int", S});
  t.add({"prim::max.self_float(float[] self) -> float", S});
  t.add({"prim::min.self_float(float[] self) -> float", S});
  t.add({"prim::abs.int(int a) -> int", S});
  t.add({"prim::abs.float(float a) -> float", S});
  t.add({"aten::sqrt.float(float a) -> float", S});
  t.add({"aten::sqrt.int(int a) -> float", S});
  t.add({"aten::exp.float(float a) -> float", S});
  t.add({"aten::log.float(float a) -> float", S});
  t.add({"aten::floor.float(float a) -> int", S});
  t.add({"aten::ceil.float(float a) -> int", S});
  // Conversions.
  t.add({"aten::Int.Tensor(Tensor a) -> int", S});
  t.add({"aten::Int.float(float a) -> int", S});
  t.add({"aten::Int.bool(bool a) -> int", S});
  t.add({"aten::Int.Scalar(Scalar a) -> int", S});
  t.add({"aten::Float.Tensor(Tensor a) -> float", S});
  t.add({"aten::Float.int(int a) -> float", S});
  t.add({"aten::Float.bool(bool a) -> float", S});
  t.add({"aten::Float.Scalar(Scalar a) -> float", S});
  t.add({"aten::Bool.Tensor(Tensor a) -> bool", S});
  t.add({"aten::Bool.int(int a) -> bool", S});
  t.add({"aten::Bool.float(float a) -> bool", S});
  t.add({"aten::ScalarImplicit(Tensor a) -> Scalar", S, tensor_to_number});
  t.add({"aten::item(Tensor self) -> Scalar", S, tensor_to_number});
  t.add({"prim::NumToTensor.Scalar(Scalar a) -> Tensor", S, number_to_tensor});
  t.add({"prim::NumToTensor.bool(bool a) -> Tensor", S, number_to_tensor});
  // Lists, strings and loop helpers.
  t.add({"aten::__getitem__.t(t[](a) list, int idx) -> t(*)", S, list_element});
  t.add({"aten::list.t(t[] l) -> t[]", S, same_as_input_type});
  t.add({"aten::slice.t(t[] l, int? start=None, int? end=None, int step=1) -> t[]", S, same_as_input_type});
  t.add({"aten::add.t(t[] a, t[] b) -> t[]", S, joined_lists});
  t.add({"aten::mul.left_t(t[] l, int n) -> t[]", S, same_as_input_type});  // folded when both are known
  t.add({"aten::mul.right_(int n, t[] l) -> t[]", S, second_input_type});
  t.add({"aten::__range_length(int lo, int hi, int step) -> int", S});
  t.add({"aten::sum.int(int[] self) -> int", S});  // folded when the list is known
  t.add({"aten::__derive_index(int index, int start, int step) -> int", S});
  t.add({"aten::append.t(t[](a!) self, t(c -> *a) el) -> t[](a!)", S, list_append});
  // `l[i] = v` on a list the graph builds: the new list (folded once built).
  t.add({"aten::_set_item.t(t[](a!) l, int idx, t(b -> *a) el) -> t[](a!)", S, same_as_input_type});
  t.add({"aten::__contains__.int_list(int[] l, int item) -> bool", S});
  t.add({"aten::__contains__.float_list(float[] l, float item) -> bool", S});
  t.add({"aten::__contains__.str_list(str[] l, str item) -> bool", S});
  t.add({"aten::all.bool(bool[] self) -> bool", S});
  t.add({"aten::any.bool(bool[] self) -> bool", S});
  t.add({"aten::len.str(str s) -> int", S});
  t.add({"aten::add.str(str a, str b) -> str", S});
  t.add({"aten::find(str self, str substr, int start=0, int end=-1) -> int", S});
  t.add({"aten::str(t elem) -> str", S});
  t.add({"aten::format(str self, ...) -> str", S});
  t.add({"aten::warn(str message, int stacklevel=2) -> ()", S});
  t.add({"aten::device(str a) -> Device", S});
}

}  // namespace wick::ir

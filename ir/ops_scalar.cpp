// Host-side scalar ops: shape queries and int/float/bool arithmetic that
// TorchScript code does between tensor ops. Their result types come straight
// from the schema.
#include "ir/op_table.h"

namespace wick::ir {

void add_scalar_ops(OpTableBuilder& t) {
  constexpr Lowering S = Lowering::scalar;
  t.add({"aten::size.int(Tensor self, int dim) -> int", S});
  t.add({"aten::dim(Tensor self) -> int", S});
  t.add({"aten::add.int(int a, int b) -> int", S});
  t.add({"aten::sub.int(int a, int b) -> int", S});
  t.add({"aten::mul.int(int a, int b) -> int", S});
  t.add({"aten::floordiv.int(int a, int b) -> int", S});
  t.add({"aten::eq.int(int a, int b) -> bool", S});
  t.add({"aten::ne.int(int a, int b) -> bool", S});
  t.add({"aten::lt.int(int a, int b) -> bool", S});
  t.add({"aten::le.int(int a, int b) -> bool", S});
  t.add({"aten::gt.int(int a, int b) -> bool", S});
  t.add({"aten::ge.int(int a, int b) -> bool", S});
  t.add({"aten::__not__(bool self) -> bool", S});
}

}  // namespace wick::ir
